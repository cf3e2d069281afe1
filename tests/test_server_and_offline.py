"""The two deployment shapes, for real: a `chroma run` server on loopback, and the
embedded store with the network cut off (a network namespace with no interfaces)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.search import chroma_server_command
from tests.conftest import CLI, CORPUS, free_port, running_server

CHROMA = CLI.parent / "chroma"


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    """A real `chroma run` on 127.0.0.1, a free port and a temp dir; stopped afterwards."""
    if not CHROMA.exists():
        pytest.skip(f"{CHROMA} missing: chromadb's server CLI is not installed")
    port = free_port()
    cmd = chroma_server_command(tmp_path / "server-data", port)
    with running_server(cmd, port, tmp_path / "chroma.log", timeout=60):
        yield f"http://127.0.0.1:{port}"


def run_cli(*args: str, env: dict[str, str] | None = None, prefix: list[str] | None = None):
    return subprocess.run(
        [*(prefix or []), str(CLI), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )


def test_ingest_and_search_through_a_chroma_server(chroma_server, tmp_path):
    env = {"CAREER_ASSISTANT_CHROMA_URL": chroma_server}
    data = str(tmp_path / "data")
    first = run_cli("ingest", str(CORPUS), "--data-dir", data, env=env)
    assert first.returncode == 0, first.stderr
    assert "added 1" in first.stdout
    # Nothing was written to an embedded store: the vectors live in the server.
    assert not (tmp_path / "data" / "chroma").exists()

    found = run_cli("search", "how to keep learning", "--json", "--data-dir", data, env=env)
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert len(hits) == 5 and hits[0]["source"] == "building-an-ai-career.md"

    # A second machine with no manifest pointed at the same server embeds nothing.
    other = run_cli("ingest", str(CORPUS), "--data-dir", str(tmp_path / "other"), env=env)
    assert other.returncode == 0, other.stderr
    assert "embedded 0" in other.stdout and "unchanged 1" in other.stdout


def test_unreachable_server_says_how_to_start_one(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    res = run_cli("search", "salary", "--chroma-url", url, "--data-dir", str(tmp_path))
    assert res.returncode == 1
    assert "Cannot reach the Chroma server" in res.stderr and "chroma run" in res.stderr
    assert "Traceback" not in res.stderr


@pytest.mark.skipif(shutil.which("unshare") is None, reason="unshare (util-linux) not installed")
def test_ingest_ask_and_search_with_the_network_cut_off(tmp_path):
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot create a network namespace here: {probe.stderr.decode().strip()}")
    # No HF_* or TRANSFORMERS_* hints: the package itself must not reach for the hub.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    env["HOME"] = str(tmp_path / "home")  # an empty cache: nothing downloaded earlier helps
    data = str(tmp_path / "data")
    steps = (
        ["ingest", str(CORPUS)],
        ["ask", "What makes an AI practitioner valuable?", "--json"],
        ["search", "portfolio projects", "--json"],
    )
    outputs = []
    for args in steps:
        res = subprocess.run(
            ["unshare", "-n", str(CLI), *args, "--data-dir", data],
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
        )
        assert res.returncode == 0, res.stderr
        outputs.append(res.stdout)
    answer = json.loads(outputs[1])
    assert not answer["refused"] and answer["citations"]
    hits = json.loads(outputs[2])
    assert any("portfolio" in h["text"].lower() for h in hits)
