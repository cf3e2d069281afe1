"""One door for every route: an ASGI middleware in front of the web chat, Gradio's own
API and the HTTP APIs.

Why a middleware and not Gradio's ``auth``: Gradio guards its own routes only, and the
bearer token of ``/api`` and ``/v1`` would be a second mechanism beside it. Here one
decision covers every path the process serves:

* With ``api_token`` set, a request needs ``Authorization: Bearer <token>`` or the
  session cookie that ``/ca-login`` sets after the token was typed into its form.
  Both are compared in constant time.
* Without a token, only loopback peers are answered. The peer is the socket's own
  address (uvicorn runs with ``proxy_headers=False``), so neither ``X-Forwarded-For``
  nor ``Host`` can make a remote client look local. And only under a loopback name
  (or the one the server was bound to): a DNS-rebinding page reaches 127.0.0.1 under
  its attacker's name, and to the browser the app is then that page's own origin.
* A request that changes something (any method but GET and HEAD, and WebSockets) is
  refused when a browser says it comes from another origin's page, and no response
  to such a page carries CORS headers: Gradio alone would grant CORS, credentials
  included, to any ``localhost`` page.
* Whoever is let in still reaches only the files the app wrote for download (the
  Markdown exports); uploads and Gradio's other file and proxy routes are closed,
  because the app needs none of them. For the same reason a Gradio call whose data
  holds a file object (``{"path": ...}``) is refused before Gradio sees it: mounted
  in FastAPI, Gradio would copy that server file into its cache.
* Every response carries a Content-Security-Policy that lets a page load and connect
  to this server only: essays are untrusted, and a remote image, script or request
  slipping past the escaping would be a tracking pixel or a way out for data.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, unquote

from assistant.apps.origins import (
    LOOPBACK_NAMES,
    is_loopback,
    is_own_origin,
    split_host,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "ca_session"
LOGIN_PATH = "/ca-login"
# The only files the app hands out: exports named with a random hex id (see web.py).
EXPORT_NAME = re.compile(r"conversation-[0-9a-f]{32}\.md")
# Gradio routes the chat never uses; closed so they can't be turned against the host.
CLOSED_PREFIXES = (
    "/gradio_api/upload",
    "/gradio_api/proxy=",
    "/gradio_api/stream/",
    "/gradio_api/process_recording",
    "/gradio_api/run-history",
    "/gradio_api/dev/",
    "/gradio_api/vibe",
    "/gradio_api/undo-vibe",
    "/gradio_api/profiling",
    "/gradio_api/mcp",
    "/monitoring",
    "/runs",
    "/upload",
    "/proxy=",
)
FILE_ROUTES = ("/gradio_api/file=", "/file=", "/gradio_api/file/", "/file/")
MAX_GRADIO_BODY = 1_000_000  # bytes; a question and a few settings are far smaller
# Nothing from another origin. Gradio's page needs its own inline scripts and styles
# and evaluates the app's js= handlers, hence 'unsafe-inline' and 'unsafe-eval' for
# scripts from 'self'; images may be data:/blob: URLs the page makes itself.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "media-src 'self' blob:",
        "worker-src 'self' blob:",
        "frame-src 'none'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
).encode()
LOGIN_FAIL_DELAY = 1.0  # seconds; slows guessing without a per-client table to grow
SAFE_METHODS = frozenset({"GET", "HEAD"})
WRONG_HOST = (
    "This server has no token, so it answers only at 127.0.0.1, localhost or [::1] (or "
    "the address it was started on): open it there, or set CAREER_ASSISTANT_API_TOKEN."
)
FOREIGN_PAGE = (
    "Requests from another site's page are refused: open the chat at its own address, "
    "or call the API from a program."
)


def session_value(token: str) -> str:
    """The cookie that proves the token was typed: an HMAC, so the token itself never
    sits in the browser's cookie jar."""
    return hmac.new(token.encode(), b"career-assistant web session", hashlib.sha256).hexdigest()


def token_matches(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "replace"), token.encode("utf-8"))


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


class AccessGuard:
    """Wraps the whole ASGI app; see the module docstring for the rules."""

    def __init__(self, app: ASGIApp, token: str = "", *, host: str = "") -> None:
        """``host``: the address the server is bound to (``--host``), a name that is
        answered too when there is no token."""
        self.app = app
        self.token = token
        self.session = session_value(token) if token else ""
        bound = split_host(f"[{host}]" if ":" in host.strip("[]") else host) if host else None
        self.host_names = LOOPBACK_NAMES | ({bound[0]} if bound else set())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path = unquote(scope.get("path", ""))
        headers = _headers(scope)
        origin = headers.get("origin")
        foreign = origin is not None and not is_own_origin(origin, headers)
        if scope["type"] == "http":
            send = _with_policy(send, drop_cors=foreign)
        changes = scope["type"] == "websocket" or scope.get("method") not in SAFE_METHODS
        if foreign and changes:
            refusal: tuple[int, str] | None = (403, FOREIGN_PAGE)
        elif path == LOGIN_PATH and self.token and scope["type"] == "http":
            await self._login(scope, receive, send)
            return
        else:
            refusal = self.refusal(scope, path)
        if refusal is None and scope.get("method") == "POST" and path.startswith("/gradio_api/"):
            body = await _read_body(receive, limit=MAX_GRADIO_BODY + 1)
            refusal = screen_gradio_body(body)
            receive = _replay(body, receive)
        if refusal is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        else:
            await self._refuse(scope, send, *refusal)

    def refusal(self, scope: Scope, path: str) -> tuple[int, str] | None:
        """Why this request may not pass, as (status, message); None lets it through."""
        headers = _headers(scope)
        if self.token:
            if not self._authenticated(headers):
                return 401, "Missing or wrong token: send Authorization: Bearer <token>."
        else:
            client = scope.get("client")
            if not is_loopback(client[0] if client else None):
                return 403, (
                    "This server answers loopback clients only; its operator can set "
                    "CAREER_ASSISTANT_API_TOKEN to let others in."
                )
            # No Host at all is no browser (HTTP/1.0 tools): rebinding needs one.
            host = split_host(headers.get("host", "localhost"))
            if host is None or host[0] not in self.host_names:
                return 421, WRONG_HOST
        if path.startswith(CLOSED_PREFIXES):
            return 404, "Not found: this app takes no uploads and serves no other files."
        if path.startswith(FILE_ROUTES) and not _is_export(path):
            return 404, "Not found: only conversation exports can be downloaded."
        return None

    def _authenticated(self, headers: dict[str, str]) -> bool:
        auth = headers.get("authorization", "")
        if auth[:7].lower() == "bearer " and token_matches(auth[7:].strip(), self.token):
            return True
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except (ValueError, KeyError):
            return False
        morsel = cookie.get(COOKIE)
        return morsel is not None and token_matches(morsel.value, self.session)

    async def _refuse(self, scope: Scope, send: Send, status: int, message: str) -> None:
        headers = _headers(scope)
        wants_page = scope.get("method") == "GET" and "text/html" in headers.get("accept", "")
        if status == 401 and wants_page:
            await _respond(send, 303, b"", [(b"location", LOGIN_PATH.encode())])
            return
        kinds = {401: "authentication_error", 403: "permission_error", 404: "not_found"}
        kind = kinds.get(status, "permission_error" if status == 421 else "invalid_request_error")
        body = json.dumps({"error": {"message": message, "type": kind}}).encode()
        extra = [(b"www-authenticate", b"Bearer")] if status == 401 else []
        await _respond(send, status, body, [(b"content-type", b"application/json"), *extra])

    async def _login(self, scope: Scope, receive: Receive, send: Send) -> None:
        """GET: the token form. POST: check the token, set the session cookie."""
        if scope.get("method") != "POST":
            await _respond(send, 200, _login_page(""), [(b"content-type", b"text/html")])
            return
        body = await _read_body(receive, limit=4096)
        given = parse_qs(body.decode("utf-8", "replace")).get("token", [""])[0]
        if not token_matches(given, self.token):
            await asyncio.sleep(LOGIN_FAIL_DELAY)
            page = _login_page("That token is not right.")
            await _respond(send, 401, page, [(b"content-type", b"text/html")])
            return
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        cookie = f"{COOKIE}={self.session}; Path=/; HttpOnly; SameSite=Strict{secure}"
        await _respond(send, 303, b"", [(b"location", b"/"), (b"set-cookie", cookie.encode())])


def screen_gradio_body(body: bytes) -> tuple[int, str] | None:
    """Refuse a Gradio call that is too big, too deep, or carries a file object."""
    if len(body) > MAX_GRADIO_BODY:
        return 413, "The request body is larger than 1 MB."
    try:
        data = json.loads(body or b"null")
    except RecursionError:
        return 400, "The request body is nested too deeply."
    except ValueError:
        return None  # not JSON: Gradio answers that with its own 4xx
    stack = [data]
    while stack:  # iterative: a deep body must not exhaust the stack here either
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("path"), str) or isinstance(item.get("url"), str):
                return 422, "This app takes no files: send the question as text."
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """Hands the already-read body to the app, then waits on the real channel (which
    reports the client's disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _with_policy(send: Send, *, drop_cors: bool = False) -> Send:
    """``send`` that adds the Content-Security-Policy to the response's headers and,
    for another origin's page (``drop_cors``), removes any CORS grant Gradio added."""

    def kept(name: bytes) -> bool:
        name = name.lower()
        cors = name.startswith(b"access-control-")
        return name != b"content-security-policy" and not (drop_cors and cors)

    async def send_with_policy(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if kept(k)]
            headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY))
            message = {**message, "headers": headers}
        await send(message)

    return send_with_policy


def _is_export(path: str) -> bool:
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return EXPORT_NAME.fullmatch(name) is not None and ".." not in path


async def _read_body(receive: Receive, limit: int) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += bytes(message.get("body", b""))
        if message["type"] == "http.disconnect":
            return body
        if len(body) > limit or not message.get("more_body"):
            return body[:limit]


async def _respond(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    all_headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": body})


def _login_page(problem: str) -> bytes:
    note = f'<p class="bad">{html.escape(problem)}</p>' if problem else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Career assistant — sign in</title>
<style>body{{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem}}
input{{width:100%;padding:.5rem;margin:.5rem 0;box-sizing:border-box}}.bad{{color:#b00020}}</style>
</head><body><h1>Career assistant</h1>
<p>This server is private. Enter the access token its operator gave you.</p>{note}
<form method="post" action="{LOGIN_PATH}"><label>Token
<input type="password" name="token" autocomplete="current-password" autofocus required></label>
<button type="submit">Sign in</button></form></body></html>""".encode()
