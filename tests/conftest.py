"""Shared fixtures: the real embedding model, loaded once, and settings in temp dirs."""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from assistant.config import Settings
from assistant.search.embeddings import LocalEmbeddings

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
CLI = Path(sys.executable).parent / "career-assistant"
SHARED = Path(os.environ.get("CAREER_ASSISTANT_SHARED", REPO.parent / "shared"))
SHARED_CORPORA = SHARED / "corpora"


def words_in_order(words: list[str], haystack: str) -> bool:
    """Every word occurs in ``haystack``, each after the one before it."""
    pos = 0
    for w in words:
        found = haystack.find(w, pos)
        if found < 0:
            return False
        pos = found + len(w)
    return True


def shared_essays() -> list[Path]:
    return sorted(SHARED_CORPORA.glob("*/*.md")) if SHARED_CORPORA.is_dir() else []


needs_shared = pytest.mark.skipif(
    not SHARED_CORPORA.is_dir(),
    reason=f"{SHARED_CORPORA} is absent: the shared essay corpora live beside the repo",
)


@pytest.fixture(scope="session", autouse=True)
def no_gradio_telemetry() -> None:
    """gradio_client starts a thread that reports to Hugging Face unless this is set
    (its own analytics_enabled flag is not enough): the tests never reach out."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"


@pytest.fixture(scope="session")
def embeddings() -> LocalEmbeddings:
    """The real all-MiniLM-L6-v2, shared by every test (loading takes seconds)."""
    emb = LocalEmbeddings(Settings())
    _ = emb.model
    return emb


HANDBOOK = SHARED_CORPORA / "tech-interview-handbook"
HANDBOOK_ESSAYS = [
    "negotiation.md",
    "negotiation-rules.md",
    "understanding-compensation.md",
    "choosing-between-companies.md",
    "final-questions.md",
]


@pytest.fixture(scope="session")
def handbook_settings(tmp_path_factory, embeddings) -> Settings:
    """An index of the seed essay and five handbook essays, ingested once per run."""
    from assistant.ingest.pipeline import Ingester

    if not HANDBOOK.is_dir():
        pytest.skip(f"{HANDBOOK} is absent: the shared essay corpora live beside the repo")
    top = tmp_path_factory.mktemp("handbook")
    corpus = top / "essays"
    corpus.mkdir()
    shutil.copy(CORPUS / "building-an-ai-career.md", corpus)
    for name in HANDBOOK_ESSAYS:
        shutil.copy(HANDBOOK / name, corpus)
    settings = Settings(data_dir=top / "data", corpus=(corpus,))
    Ingester(settings, embeddings=embeddings).run()
    return settings


@pytest.fixture(scope="session")
def shared_index(tmp_path_factory, embeddings) -> tuple[Settings, Any]:
    """corpus/ and every essay of ../shared/corpora (about 400 passages), ingested once
    per run: the settings and the first ingest's report."""
    from assistant.ingest.pipeline import Ingester

    if not SHARED_CORPORA.is_dir():
        pytest.skip(f"{SHARED_CORPORA} is absent: the shared essay corpora live beside the repo")
    top = tmp_path_factory.mktemp("shared-index")
    settings = Settings(data_dir=top / "data", corpus=(CORPUS, SHARED_CORPORA))
    report = Ingester(settings, embeddings=embeddings).run([CORPUS, SHARED_CORPORA])
    return settings, report


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", corpus=(CORPUS,))


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Iterator[Path]:
    """A writable copy of corpus/ that a test may edit."""
    dst = tmp_path / "essays"
    dst.mkdir()
    for src in CORPUS.glob("*.md"):
        if src.name.lower() != "readme.md":
            (dst / src.name).write_bytes(src.read_bytes())
    yield dst


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_server(
    cmd: list[str],
    port: int,
    log_path: Path,
    timeout: float = 120,
    env: dict[str, str] | None = None,
) -> Iterator[None]:
    """Start a real server process, wait until it listens on 127.0.0.1:port, stop it after.
    ``env`` is added to this process's environment for the server only."""
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"{cmd[0]} exited: {log_path.read_text()[-2000:]}")
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        pytest.fail(f"{cmd} did not listen within {timeout:g} s")
                    time.sleep(0.2)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextlib.contextmanager
def web_app(data: Path, corpus: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """`python app.py` on a free port over ``corpus``; yields its base URL."""
    port = free_port()
    cmd = [
        sys.executable,
        str(REPO / "app.py"),
        "--port",
        str(port),
        "--data-dir",
        str(data),
        "--corpus",
        str(corpus),
    ]
    # The server's own environment: a session-long app with a token must not hand that
    # token to every app started after it.
    data.mkdir(parents=True, exist_ok=True)
    with running_server(cmd, port, data / "app.log", timeout=180, env=env):
        yield f"http://127.0.0.1:{port}"


XSS_ESSAY = """---
title: Hostile essay
---

# Hostile essay

Salary bands at a company are published ranges for each engineering level.
<script>window.__xss = 1</script>
<img src=x onerror="window.__xss = 2">
Read the [band guide](javascript:window.__xss=3) before your recruiter call.
"""
# In the environment of the app under test: a leak of /proc/self/environ would show it.
ENV_SECRET = "ca-test-secret-5f1e9a"
TOKEN = "s3cret-token-for-tests"


@dataclass(frozen=True)
class App:
    url: str  # base URL, no trailing slash
    data: Path
    corpus: Path


@pytest.fixture(scope="session")
def web_corpus(tmp_path_factory) -> Path:
    """The seed essay and a hostile one; a private file lies beside the folder."""
    top = tmp_path_factory.mktemp("web")
    folder = top / "corpus"
    folder.mkdir()
    shutil.copy(CORPUS / "building-an-ai-career.md", folder)
    (folder / "hostile.md").write_text(XSS_ESSAY)
    (top / "private-notes.md").write_text("private: not an essay, never served")
    return folder


@pytest.fixture(scope="session")
def open_app(tmp_path_factory, web_corpus) -> Iterator[App]:
    """`python app.py` without a token (loopback only), shared by the web, API and
    security tests: one start for all of them."""
    data = tmp_path_factory.mktemp("open-app")
    with web_app(data, web_corpus, {"CA_TEST_SECRET": ENV_SECRET}) as url:
        yield App(url, data, web_corpus)


@pytest.fixture(scope="session")
def token_app(tmp_path_factory, web_corpus) -> Iterator[App]:
    """The same app with CAREER_ASSISTANT_API_TOKEN set."""
    data = tmp_path_factory.mktemp("token-app")
    with web_app(data, web_corpus, {"CAREER_ASSISTANT_API_TOKEN": TOKEN}) as url:
        yield App(url, data, web_corpus)


def send_completion(handler: Any, content: str, model: str = "m") -> None:
    """Reply to an OpenAI chat-completions POST with one assistant message (test servers)."""
    body = {
        "id": "x",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
            }
        ],
    }
    data = json.dumps(body).encode()
    handler.send_response(200)
    handler.send_header("content-type", "application/json")
    handler.send_header("content-length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def guard_status(
    token: str,
    client: str = "127.0.0.1",
    headers: dict[str, str] | None = None,
    *,
    bound: str = "",
    path: str = "/",
) -> int:
    """The status of one request through the real AccessGuard around a stub app that
    answers 200: no server, so every client address and header can be tried."""
    from assistant.apps.access import AccessGuard

    sent: list[dict] = []

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "client": (client, 40000),
        "headers": [(k.encode(), v.encode()) for k, v in (headers or {}).items()],
    }
    asyncio.run(AccessGuard(app, token, host=bound)(scope, receive, send))  # type: ignore[arg-type]
    return int(sent[0]["status"])


# -- a real browser ---------------------------------------------------------------------------

ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def playwright_driver():
    """Playwright for one test module. Not for the session: while it runs, its event loop
    is the thread's, and every later ``asyncio.run`` in the main thread would fail."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        yield p


def launch_chromium(driver: Any, *args: str) -> Any:
    """Debian's Chromium, headless, with nothing in the background that goes online."""
    return driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=[*CHROMIUM_ARGS, *args]
    )


@pytest.fixture(scope="module")
def browser(playwright_driver):
    # Anything not on loopback goes to a closed local port, never out.
    b = launch_chromium(
        playwright_driver, "--proxy-server=http://127.0.0.1:9", "--dns-prefetch-disable"
    )
    yield b
    b.close()


def leaves_loopback(url: str) -> bool:
    parsed = urlparse(url)
    local = parsed.hostname in ("127.0.0.1", "localhost", "::1")
    return parsed.scheme not in ("data", "blob", "about") and not local


def watch(page) -> tuple[list[str], list[str]]:
    """(URLs the page asked for off this machine, console lines about the page's
    Content-Security-Policy). Such a request is aborted in the page, so none leaves."""
    remote: list[str] = []
    policy: list[str] = []
    page.on("request", lambda r: remote.append(r.url) if leaves_loopback(r.url) else None)
    page.on(
        "console",
        lambda m: policy.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.route(leaves_loopback, lambda route: route.abort())
    return remote, policy


def show_untrusted(page, body_html: str) -> tuple[list[str], list[str]]:
    """Put ``body_html`` in ``page`` under watch: (remote URLs asked for, dialog messages),
    both filled as the page runs. A page that runs nothing leaves both empty."""
    remote, _ = watch(page)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.set_content(f"<!doctype html><html><body>{body_html}</body></html>")
    return remote, dialogs


@contextlib.contextmanager
def serve_locally(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[int]:
    """A real HTTP server on 127.0.0.1 (a free port, yielded) running ``handler``."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def kill_ingest_after(
    corpus: Path, data: Path, env: dict[str, str], files: int
) -> tuple[list[str], int | None]:
    """Run the real `career-assistant ingest -v` and SIGKILL it once it has reported
    ``files`` files indexed: (the sources it reported, its return code)."""
    proc = subprocess.Popen(
        [str(CLI), "ingest", str(corpus), "-v", "--data-dir", str(data)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stderr is not None
    indexed: list[str] = []
    for line in proc.stderr:
        if line.startswith("indexed "):
            indexed.append(line.split()[1])
            if len(indexed) == files:
                break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    return indexed, proc.returncode
