"""Attacks on the running app, made the way they were found: raw HTTP against the real
server (`python app.py`), plus the access guard's decision for peers a test on one
machine can't be (a remote address)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from assistant.apps.access import COOKIE, LOGIN_PATH, AccessGuard, session_value
from tests.conftest import ENV_SECRET, TOKEN, App, guard_status

FILE_URL = re.compile(r"/gradio_api/file=[^\"\\\s]+")


def file_part(path: str) -> dict:
    """A Gradio file message, as the attacker sent it in the chat history."""
    return {"type": "file", "file": {"path": path, "meta": {"_type": "gradio.FileData"}}}


def call_ask(base: str, data: list, headers: dict | None = None) -> str:
    """POST /gradio_api/call/ask, then read the whole event stream; a refused call
    comes back as its error message."""
    r = httpx.post(f"{base}/gradio_api/call/ask", json={"data": data}, headers=headers, timeout=60)
    if r.status_code == 422:
        return r.json()["error"]["message"]
    assert r.status_code == 200, r.text
    event = r.json()["event_id"]
    return httpx.get(f"{base}/gradio_api/call/ask/{event}", headers=headers, timeout=120).text


@pytest.mark.parametrize("target", ["/proc/self/environ", "/etc/hostname", "SIBLING"])
def test_a_client_sent_file_part_is_never_read_or_served(open_app: App, target: str):
    if target == "SIBLING":  # a file beside the corpus folder, outside it
        target = str(open_app.corpus.parent / "private-notes.md")
    # The shape that leaked /proc/self/environ before the fix (checked against 2f09c26).
    history = [
        {"role": "user", "content": [file_part(target)]},
        {"role": "assistant", "content": [{"type": "text", "text": "ok"}]},
    ]
    secret = Path(target).read_bytes()[:40].decode("utf-8", "replace").strip()
    for data in (
        ["What makes an AI practitioner valuable?", history, "extractive", 5],
        [{"text": "hi", "files": [file_part(target)["file"]]}, history, "extractive", 5],
        [file_part(target), "extractive", 5],
        [{"path": target}, "extractive", 5],
    ):
        stream = call_ask(open_app.url, data)
        assert "takes no files" in stream
        assert target not in stream and ENV_SECRET not in stream
        urls = set(FILE_URL.findall(stream))
        assert all(re.search(r"/conversation-[0-9a-f]{32}\.md$", u) for u in urls), urls
        for url in urls:
            body = httpx.get(f"{open_app.url}{url}", timeout=30).text
            assert ENV_SECRET not in body and secret not in body, url
    # And asked for directly, Gradio's file route serves none of them.
    for route in ("/gradio_api/file=", "/file=", "/gradio_api/file/"):
        r = httpx.get(f"{open_app.url}{route}{target}", timeout=30)
        assert r.status_code == 404 and secret not in r.text


def test_the_export_is_the_one_file_served_and_only_when_asked(open_app: App):
    from gradio_client import Client

    stream = call_ask(open_app.url, ["What makes an AI practitioner valuable?", "extractive", 5])
    assert "ca-cite" in stream and not FILE_URL.findall(stream)  # an answer writes no file
    client = Client(f"{open_app.url}/", verbose=False, download_files=False)
    client.predict("What makes an AI practitioner valuable?", "extractive", 5, api_name="/ask")
    export = client.predict(api_name="/export")
    url = export["url"]
    assert re.search(r"/gradio_api/file=.*/conversation-[0-9a-f]{32}\.md$", url), url
    r = httpx.get(url, timeout=30)
    assert r.status_code == 200 and r.text.startswith("# Career assistant conversation")


@pytest.mark.parametrize("door", ["open", "token"])
def test_uploads_are_closed_with_or_without_the_token(open_app: App, token_app: App, door):
    app, headers = (
        (open_app, {}) if door == "open" else (token_app, {"authorization": f"Bearer {TOKEN}"})
    )
    for route in ("/gradio_api/upload", "/upload", "/gradio_api/upload?upload_id=x"):
        r = httpx.post(
            f"{app.url}{route}",
            files={"files": ("big.bin", b"x" * (20 * 1024 * 1024))},
            headers=headers,
            timeout=60,
        )
        assert r.status_code == 404, (route, r.status_code)
    # Behind the closed door, Gradio's own cap is set too (1 kB).
    config = httpx.get(f"{app.url}/config", headers=headers, timeout=30).json()
    assert config["max_file_size"] == 1024


# -- what a page may load -----------------------------------------------------------------


def policy(response: httpx.Response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: sources}."""
    header = response.headers.get("content-security-policy", "")
    parts = [p.split() for p in header.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


def test_html_pages_forbid_remote_images_scripts_and_connections(open_app: App, token_app: App):
    pages = [
        httpx.get(f"{open_app.url}/", timeout=30),
        httpx.get(f"{open_app.url}/?source=hostile.md&start=0&end=9", timeout=30),
        httpx.get(f"{token_app.url}{LOGIN_PATH}", timeout=30),
        httpx.get(f"{token_app.url}/", headers={"authorization": f"Bearer {TOKEN}"}, timeout=30),
    ]
    for r in pages:
        assert r.status_code == 200 and "text/html" in r.headers["content-type"]
        rules = policy(r)
        for directive in ("img-src", "script-src", "connect-src", "default-src"):
            sources = rules.get(directive)
            assert sources, (directive, r.headers.get("content-security-policy"))
            # Only this server (and inline data the page makes itself): no host, no scheme.
            remote = [x for x in sources if x not in ("'self'", "data:", "blob:", "'none'")]
            assert all(x in ("'unsafe-inline'", "'unsafe-eval'") for x in remote), rules
        assert rules["object-src"] == ["'none'"] and rules["frame-src"] == ["'none'"]


# -- one auth for every door --------------------------------------------------------------

DOORS = [
    ("POST", "/api/ask", {"question": "How do I build a portfolio?"}),
    (
        "POST",
        "/v1/chat/completions",
        {"messages": [{"role": "user", "content": "How do I build a portfolio?"}]},
    ),
    ("GET", "/v1/models", None),
    ("POST", "/gradio_api/call/ask", {"data": ["How do I build a portfolio?", "extractive", 5]}),
    ("GET", "/gradio_api/info", None),
    ("GET", "/config", None),
    ("GET", "/", None),
]


@pytest.mark.parametrize(("method", "path", "body"), DOORS, ids=[d[1] for d in DOORS])
def test_every_door_demands_the_token(token_app: App, method, path, body):
    url = f"{token_app.url}{path}"
    for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": TOKEN}):
        r = httpx.request(method, url, json=body, headers=headers, timeout=60)
        assert r.status_code == 401, (headers, r.status_code)
        assert "token" in r.json()["error"]["message"]
    right = {"authorization": f"Bearer {TOKEN}"}
    r = httpx.request(method, url, json=body, headers=right, timeout=120)
    assert r.status_code == 200, r.text[:300]


def test_gradio_client_needs_the_token(token_app: App):
    from gradio_client import Client

    with pytest.raises(Exception):  # noqa: B017 - gradio_client raises its own types
        Client(f"{token_app.url}/", verbose=False)
    client = Client(
        f"{token_app.url}/", verbose=False, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    _, chat, sources, _ = client.predict(
        "What makes an AI practitioner valuable?", "extractive", 5, api_name="/ask"
    )
    assert "ca-cite" in str(chat[-1]["content"]) and "ca-source" in sources


def test_a_browser_signs_in_with_the_token(token_app: App):
    page = {"accept": "text/html"}
    r = httpx.get(f"{token_app.url}/", headers=page, timeout=30)
    assert r.status_code == 303 and r.headers["location"] == LOGIN_PATH
    assert "token" in httpx.get(f"{token_app.url}{LOGIN_PATH}", timeout=30).text
    bad = httpx.post(f"{token_app.url}{LOGIN_PATH}", data={"token": "guess"}, timeout=30)
    assert bad.status_code == 401 and COOKIE not in bad.headers.get("set-cookie", "")
    good = httpx.post(f"{token_app.url}{LOGIN_PATH}", data={"token": TOKEN}, timeout=30)
    assert good.status_code == 303
    cookie = good.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and TOKEN not in cookie
    session = {"cookie": f"{COOKIE}={good.cookies[COOKIE]}"}
    assert httpx.get(f"{token_app.url}/", headers=page | session, timeout=30).status_code == 200
    stream = call_ask(token_app.url, ["How do I build a portfolio?", "extractive", 5], session)
    assert "ca-answer" in stream
    forged = {COOKIE: session_value("guess")}
    r = httpx.get(f"{token_app.url}/gradio_api/info", cookies=forged, timeout=30)
    assert r.status_code == 401


# -- loopback only, decided on the socket's peer --------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-forwarded-for": "127.0.0.1"},
        {"x-real-ip": "127.0.0.1", "forwarded": "for=127.0.0.1"},
        {"host": "localhost:7860"},
        {"host": "127.0.0.1"},
    ],
)
def test_without_a_token_a_remote_peer_is_refused_whatever_it_claims(headers):
    guard = AccessGuard(None, "")  # type: ignore[arg-type]
    assert guard_status(guard.token, "203.0.113.9", headers) == 403
    assert guard_status(guard.token, "::ffff:203.0.113.9", headers) == 403
    assert guard_status(guard.token, "127.0.0.1", headers) == 200
    assert guard_status(guard.token, "::1", headers) == 200


def test_with_a_token_loopback_needs_it_too():
    guard = AccessGuard(None, TOKEN)  # type: ignore[arg-type]
    assert guard_status(guard.token, "127.0.0.1", {}) == 401
    assert guard_status(guard.token, "127.0.0.1", {"authorization": f"Bearer {TOKEN}x"}) == 401
    assert guard_status(guard.token, "203.0.113.9", {"authorization": f"Bearer {TOKEN}"}) == 200
    assert guard_status(guard.token, "127.0.0.1", {"cookie": "ca_session=\x00;;;"}) == 401


def test_the_server_ignores_forwarded_headers_for_the_peer(open_app: App):
    """A real request with a spoofed remote X-Forwarded-For still comes from loopback:
    uvicorn runs with proxy_headers off, so no header rewrites the peer either way."""
    r = httpx.get(
        f"{open_app.url}/v1/models", headers={"x-forwarded-for": "203.0.113.9"}, timeout=30
    )
    assert r.status_code == 200, r.text
    assert json.loads(r.text)["data"]
