"""Who may talk to the running app from a browser: the Host a request names (DNS
rebinding), the Origin of the page that sent it (cross-site requests and CORS), and
text in the web chat that the HTTP API would refuse. Raw HTTP against the real
`python app.py`, plus a real Chromium that resolves an attacker's name to 127.0.0.1."""

from __future__ import annotations

import http.server
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import TOKEN, App, guard_status, launch_chromium, serve_locally

QUESTION = "What makes an AI practitioner valuable?"
# Names a rebinding attacker controls: each resolves to 127.0.0.1 in the attack.
REBOUND_HOSTS = ["evil.example", "127.0.0.1.evil.example", "localhost.evil.example", "0x7f.nip.io"]
# Pages that are not the app: another local dev server, another port, a sandboxed
# frame or file:// page ("null"), and a remote site.
FOREIGN_ORIGINS = ["http://localhost:3000", "http://127.0.0.1:1", "null", "https://evil.example"]
PREFLIGHT = {
    "access-control-request-method": "POST",
    "access-control-request-headers": "content-type",
}
GRADIO_POSTS = ["/gradio_api/call/ask", "/gradio_api/queue/join", "/gradio_api/run/ask"]


def port_of(app: App) -> int:
    return int(urlsplit(app.url).port or 80)


def cors_headers(r: httpx.Response) -> list[str]:
    return [k for k in r.headers if k.lower().startswith("access-control-allow")]


def ask_body(question: str = QUESTION) -> bytes:
    """A Gradio call, JSON-encoded with \\u escapes (a lone surrogate survives as one)."""
    return json.dumps({"data": [question, "extractive", 5]}).encode()


# -- 1. DNS rebinding: the Host header ---------------------------------------------------------


@pytest.mark.parametrize("name", REBOUND_HOSTS)
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("GET", "/config"), ("GET", "/v1/models"), ("POST", "/gradio_api/call/ask")],
)
def test_without_a_token_a_rebound_host_name_is_refused(open_app: App, name, method, path):
    for host in (name, f"{name}:{port_of(open_app)}"):
        r = httpx.request(
            method,
            f"{open_app.url}{path}",
            content=ask_body() if method == "POST" else None,
            headers={"host": host, "content-type": "application/json"},
            timeout=30,
        )
        assert r.status_code in (421, 403), (host, path, r.status_code, r.text[:200])
        message = r.json()["error"]["message"]
        assert "\n" not in message and "localhost" in message and name not in message
        assert "gradio" not in r.text.lower()


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "LocalHost", "[::1]"])
def test_without_a_token_the_loopback_names_are_answered(open_app: App, name):
    for host in (name, f"{name}:{port_of(open_app)}"):
        r = httpx.get(f"{open_app.url}/v1/models", headers={"host": host}, timeout=30)
        assert r.status_code == 200, (host, r.text[:200])


def test_the_bound_host_name_is_answered_too():
    """`--host mybox.lan` or `--host 0.0.0.0`: the name the server was started on works."""
    assert guard_status("", headers={"host": "mybox.lan:7860"}, bound="mybox.lan") == 200
    assert guard_status("", headers={"host": "MYBOX.LAN"}, bound="mybox.lan") == 200
    assert guard_status("", headers={"host": "0.0.0.0:7860"}, bound="0.0.0.0") == 200
    assert guard_status("", headers={"host": "[::]:7860"}, bound="::") == 200
    assert guard_status("", headers={"host": "evil.example:7860"}, bound="mybox.lan") in (421, 403)
    assert guard_status("", headers={"host": "localhost.:7860"}, bound="127.0.0.1") in (421, 403)
    assert guard_status("", headers={"host": "127.0.0.1:notaport"}, bound="127.0.0.1") in (421, 403)


def test_with_a_token_a_public_host_name_works_with_the_token(token_app: App):
    """Behind a reverse proxy the Host is the public name: the token is the protection."""
    public = {"host": "assistant.example.com"}
    r = httpx.get(f"{token_app.url}/v1/models", headers=public, timeout=30)
    assert r.status_code == 401
    right = public | {"authorization": f"Bearer {TOKEN}"}
    assert httpx.get(f"{token_app.url}/v1/models", headers=right, timeout=30).status_code == 200


# -- 2. cross-site requests and CORS -----------------------------------------------------------


@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
@pytest.mark.parametrize("path", [*GRADIO_POSTS, "/api/ask", "/"])
def test_a_foreign_preflight_is_granted_nothing(open_app: App, path, origin):
    r = httpx.options(f"{open_app.url}{path}", headers={"origin": origin, **PREFLIGHT}, timeout=30)
    assert cors_headers(r) == [], (r.status_code, dict(r.headers))
    assert r.status_code == 403, r.text[:200]


@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
@pytest.mark.parametrize("path", GRADIO_POSTS)
def test_a_post_from_a_foreign_page_is_403_on_gradio_routes(open_app: App, path, origin):
    headers = {"origin": origin, "content-type": "application/json"}
    r = httpx.post(f"{open_app.url}{path}", content=ask_body(), headers=headers, timeout=60)
    assert r.status_code == 403, (r.status_code, r.text[:200])
    assert "another site" in r.json()["error"]["message"]
    assert cors_headers(r) == []


def test_a_foreign_page_with_the_token_is_still_refused(token_app: App):
    headers = {
        "origin": "http://localhost:3000",
        "content-type": "application/json",
        "authorization": f"Bearer {TOKEN}",
    }
    r = httpx.post(f"{token_app.url}/gradio_api/call/ask", content=ask_body(), headers=headers)
    assert r.status_code == 403, r.text[:200]


@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
@pytest.mark.parametrize("path", ["/config", "/gradio_api/info"])
def test_a_foreign_page_may_not_read_responses(open_app: App, path, origin):
    """A GET is answered (a link or a plain image may point here), but never with CORS
    headers that would let another site's script read it."""
    r = httpx.get(f"{open_app.url}{path}", headers={"origin": origin}, timeout=30)
    assert cors_headers(r) == [], dict(r.headers)


@pytest.mark.parametrize("app_name", ["open_app", "token_app"])
def test_the_apps_own_origin_may_post(request, app_name):
    app: App = request.getfixturevalue(app_name)
    headers = {"origin": app.url, "content-type": "application/json"}
    if app_name == "token_app":
        headers["authorization"] = f"Bearer {TOKEN}"
    r = httpx.post(f"{app.url}/gradio_api/call/ask", content=ask_body(), headers=headers)
    assert r.status_code == 200, r.text[:200]


def test_behind_a_proxy_the_public_origin_may_post(token_app: App):
    """A reverse proxy that rewrites Host names the public one in X-Forwarded-Host; the
    chat's own page, served under the public name, sends that as its Origin."""
    headers = {
        "origin": "https://assistant.example.com",
        "x-forwarded-host": "assistant.example.com",
        "content-type": "application/json",
        "authorization": f"Bearer {TOKEN}",
    }
    url = f"{token_app.url}/gradio_api/call/ask"
    assert httpx.post(url, content=ask_body(), headers=headers).status_code == 200
    forged = headers | {"x-forwarded-host": "other.example"}
    assert httpx.post(url, content=ask_body(), headers=forged).status_code == 403


# -- 3. text the HTTP API refuses, typed into the web chat -------------------------------------


def chat_events(app: App, question: str) -> str:
    """Call the chat's `ask` the way the page does, and read its whole event stream."""
    r = httpx.post(
        f"{app.url}/gradio_api/call/ask",
        content=ask_body(question),
        headers={"content-type": "application/json"},
        timeout=60,
    )
    assert r.status_code == 200, r.text[:300]
    event = r.json()["event_id"]
    return httpx.get(f"{app.url}/gradio_api/call/ask/{event}", timeout=120).text


@pytest.mark.parametrize(
    ("question", "phrase"),
    [
        ("\ud800", "lone surrogate"),
        ("How do I \udfff negotiate an offer?", "lone surrogate"),
        ("x" * 4001, "longer than 4000 characters"),
    ],
    ids=["lone-surrogate", "surrogate-inside", "too-long"],
)
def test_the_chat_says_what_is_wrong_with_refused_text(open_app: App, question, phrase):
    events = chat_events(open_app, question)
    assert "event: error" not in events, events[-500:]
    assert "event: complete" in events, events[-500:]
    assert phrase in events and "went wrong" not in events, events[-500:]


# -- a real browser ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rebinding_browser(playwright_driver):
    """Chromium that resolves evil.example to 127.0.0.1 (the rebinding, done by the
    browser's resolver) and every other name to nothing, so no request leaves."""
    b = launch_chromium(
        playwright_driver,
        "--host-resolver-rules=MAP evil.example 127.0.0.1, MAP * ~NOTFOUND, "
        "EXCLUDE 127.0.0.1, EXCLUDE localhost",
    )
    yield b
    b.close()


ATTACK_JS = """async (url) => {
  try {
    const r = await fetch(url, {method: 'POST', credentials: 'include',
      headers: {'content-type': 'application/json'},
      body: JSON.stringify({data: ['What makes an AI practitioner valuable?', 'extractive', 5]})});
    return r.status + ' ' + (await r.text()).slice(0, 200);
  } catch (e) { return 'blocked: ' + e; }
}"""


def test_browser_a_rebound_name_reaches_nothing(open_app: App, rebinding_browser):
    """The attacker's page, now at evil.example resolved to 127.0.0.1, asks the app."""
    page = rebinding_browser.new_page()
    rebound = f"http://evil.example:{port_of(open_app)}"
    response = page.goto(f"{rebound}/")
    assert response is not None and response.status in (421, 403), response.status
    assert "Career assistant" not in page.content()
    outcome = page.evaluate(ATTACK_JS, f"{rebound}/gradio_api/call/ask")
    assert outcome.startswith(("421", "403")), outcome
    page.close()


class _OtherPage(http.server.BaseHTTPRequestHandler):
    """Another local web app: any page it serves is "localhost" to Gradio."""

    def do_GET(self) -> None:
        body = b"<!doctype html><p>another local app</p>"
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def other_local_app() -> Iterator[str]:
    with serve_locally(_OtherPage) as port:
        yield f"http://localhost:{port}"


def test_browser_another_local_page_cannot_call_the_chat(
    open_app: App, rebinding_browser, other_local_app: str
):
    """A page on another localhost port (a dev server, a local tool) fetches the chat's
    API cross-origin; Gradio alone grants that CORS as a "localhost" origin."""
    page = rebinding_browser.new_page()
    page.goto(f"{other_local_app}/")
    outcome = page.evaluate(ATTACK_JS, f"{open_app.url}/gradio_api/call/ask")
    assert outcome.startswith("blocked"), outcome
    page.close()
