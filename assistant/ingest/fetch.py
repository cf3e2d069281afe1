"""Essays from http(s) URLs, and the snapshot files every web page is kept as.

A URL is fetched once: the page's bytes go to ``<pages>/fetched/<hash>.<ext>`` with a
sidecar ``<hash>.json`` (url, final url, fetch time, ETag, Last-Modified, content type,
charset). From then on the URL is an essay file like any other, found by its sidecar:
a later ``ingest`` (with or without the URL) reads that copy and never the network,
until ``--refresh`` fetches it again (conditionally: an unchanged page costs a 304).

The essay text of record of a web page (an ``.html`` file or a URL) is its article as
Markdown, written to ``<pages>/<slug>-<hash>.md``; its name holds a hash of its content,
so a new version never overwrites the file the index still points at. :meth:`PageStore.sweep`
deletes snapshots and fetched pages that the manifest no longer names.

Nothing but the given URL is fetched (redirects, at most :data:`MAX_REDIRECTS`, are that
URL's answer): no images, no links. Every failure is a :class:`Problem`, one line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.domain import display_name, stable_hash
from assistant.ingest.discover import Candidate, Problem
from assistant.ingest.manifest import atomic_write

MAX_REDIRECTS = 5
URL_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# Content types ingested, and the suffix their fetched copy gets.
_TYPES = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "text/markdown": ".md",
    "text/x-markdown": ".md",
    "text/plain": ".txt",
}
_ACCEPT = "text/html,application/xhtml+xml,text/markdown;q=0.9,text/plain;q=0.8"
_USER_AGENT = "career-assistant (essay ingest; one page per request)"


def is_url(text: str) -> bool:
    """``text`` names a URL (any scheme): a path given to ingest never starts so."""
    return bool(URL_PREFIX.match(text))


def normalise_url(text: str) -> str | Problem:
    """The URL as it is fetched and cited: http(s) only, no fragment, no credentials."""
    import httpx

    try:
        url = httpx.URL(text)
        scheme, host, userinfo = url.scheme, url.host, url.userinfo
        without_credentials = str(url.copy_with(username=None, password=None))
        normalised = str(url.copy_with(fragment=None))
    # The URL is the user's (or a page's) text: httpx and idna raise many types (an
    # IDNAError for "xn--", a ValueError, an InvalidURL) while reading its parts.
    except Exception as exc:  # noqa: BLE001
        return Problem(text, f"not a valid URL ({str(exc)[:160]}); skipped")
    if scheme not in ("http", "https"):
        return Problem(text, f"only http:// and https:// URLs are fetched, not {scheme}://")
    if not host:
        return Problem(text, "the URL names no host; skipped")
    if userinfo:
        # It would be stored in the index and shown with every citation.
        return Problem(
            without_credentials,
            "a URL with a user name or password is not fetched (it would be stored and shown)",
        )
    return normalised


@dataclass(frozen=True)
class Fetched:
    """A page as the server sent it."""

    data: bytes
    content_type: str
    charset: str
    final_url: str
    etag: str
    last_modified: str


NOT_MODIFIED = "not modified"


def fetch(
    url: str, timeout: float, max_bytes: int, sidecar: dict[str, Any]
) -> Fetched | Problem | str:
    """GET ``url``: a :class:`Fetched`, :data:`NOT_MODIFIED` (a 304 to the validators in
    ``sidecar``), or the one-line reason it failed. ``timeout`` bounds the whole fetch."""
    import httpx

    headers = {"Accept": _ACCEPT, "User-Agent": _USER_AGENT}
    for field, header in (("etag", "If-None-Match"), ("last_modified", "If-Modified-Since")):
        if value := _validator(sidecar.get(field)):
            headers[header] = value
    deadline = time.monotonic() + timeout
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=MAX_REDIRECTS) as c,
            c.stream("GET", url, headers=headers) as resp,
        ):
            return _read_response(url, resp, max_bytes, deadline, timeout)
    except httpx.TimeoutException:
        return Problem(url, f"timed out after {timeout:g} s; skipped")
    except httpx.TooManyRedirects:
        return Problem(url, f"more than {MAX_REDIRECTS} redirects; skipped")
    except httpx.UnsupportedProtocol as exc:
        return Problem(url, f"redirected to a URL that is not http(s) ({exc}); skipped")
    except httpx.ConnectError as exc:
        return Problem(url, f"could not connect ({exc or 'connection refused'}); skipped")
    except (httpx.HTTPError, httpx.InvalidURL, UnicodeError) as exc:
        # InvalidURL is no HTTPError; a redirect to a bad host name raises UnicodeError.
        return Problem(url, f"fetch failed ({type(exc).__name__}: {str(exc)[:160]}); skipped")


def _validator(value: Any) -> str:
    """An ETag or Last-Modified as it can be stored and sent back: printable ASCII (a
    header value is sent as ASCII; a server's latin-1 bytes would fail to encode)."""
    return value if isinstance(value, str) and value.isascii() and value.isprintable() else ""


def _read_response(
    url: str, resp: Any, max_bytes: int, deadline: float, timeout: float
) -> Fetched | Problem | str:
    if resp.status_code == 304:
        return NOT_MODIFIED
    if resp.status_code >= 400 or resp.status_code < 200:
        return Problem(url, f"HTTP {resp.status_code} {resp.reason_phrase}; skipped")
    ctype = resp.headers.get("content-type", "")
    mime = ctype.split(";")[0].strip().lower()
    if mime not in _TYPES:
        shown = display_name(mime or "none")[:80]
        return Problem(
            url, f"not a web page (content type {shown}): only HTML, Markdown and plain text"
        )
    declared = resp.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        return Problem(url, _too_big(int(declared), max_bytes))
    body = bytearray()
    for part in resp.iter_bytes():
        body += part
        if len(body) > max_bytes:
            return Problem(url, _too_big(len(body), max_bytes))
        if time.monotonic() > deadline:  # a server dripping bytes: httpx's own timeout
            return Problem(url, f"timed out after {timeout:g} s; skipped")  # is per read
    m = re.search(r"charset\s*=\s*\"?([A-Za-z0-9._:-]+)", ctype, re.I)
    return Fetched(
        data=bytes(body),
        content_type=mime,
        charset=m.group(1) if m else "",
        final_url=str(resp.url),
        etag=_validator(resp.headers.get("etag")),
        last_modified=_validator(resp.headers.get("last-modified")),
    )


def _too_big(size: int, max_bytes: int) -> str:
    return (
        f"page is {size / 1e6:.1f} MB or more, over the {max_bytes / 1e6:.1f} MB limit; "
        "skipped (raise CAREER_ASSISTANT_MAX_FILE_MB to ingest it)"
    )


class PageStore:
    """The snapshot folder of one index (one manifest): Markdown snapshots of web pages,
    and fetched pages with their sidecars under ``fetched/``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.fetched = folder / "fetched"

    def contains(self, path: str) -> bool:
        """``path`` is one of this store's files (a snapshot, a fetched page)."""
        return Path(path).parent in (self.folder, self.fetched)

    # -- fetched pages -----------------------------------------------------------------

    def _sidecar_path(self, url: str) -> Path:
        return self.fetched / f"{stable_hash('url', url, length=24)}.json"

    def sidecar(self, url: str) -> dict[str, Any]:
        """What was recorded when ``url`` was fetched; {} when it never was (or its copy
        is gone)."""
        try:
            data = json.loads(self._sidecar_path(url).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("url") != url:
            return {}
        return data if (self.fetched / str(data.get("file", ""))).is_file() else {}

    def remembered(self) -> list[str]:
        """Every URL fetched into this store, in a stable order."""
        urls = []
        for side in sorted(self.fetched.glob("*.json")):
            try:
                url = json.loads(side.read_text(encoding="utf-8")).get("url")
            except (OSError, ValueError, AttributeError):
                continue
            if isinstance(url, str) and self.sidecar(url):
                urls.append(url)
        return urls

    def candidate(self, url: str) -> Candidate:
        """The fetched copy of ``url`` as an essay file; its root is the fetched folder."""
        file = str(self.sidecar(url).get("file", "missing.html"))
        return Candidate(path=self.fetched / file, root=self.fetched, source=url, url=url)

    def save_fetched(self, url: str, page: Fetched) -> None:
        """Keep the page and its sidecar (page first: a sidecar names a whole page). An
        unchanged page is not rewritten, so its stat, and the manifest, still match."""
        name = stable_hash("url", url, length=24) + _TYPES[page.content_type]
        path = self.fetched / name
        try:
            same = hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(page.data).digest()
        except OSError:
            same = False
        if not same:
            atomic_write(path, page.data)
        side = {
            "url": url,
            "final_url": page.final_url,
            "fetched_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "etag": page.etag,
            "last_modified": page.last_modified,
            "content_type": page.content_type,
            "charset": page.charset,
            "file": name,
        }
        atomic_write(self._sidecar_path(url), json.dumps(side, indent=1).encode("utf-8"))

    # -- Markdown snapshots -------------------------------------------------------------

    def write_snapshot(self, source: str, text: str) -> Path:
        """The snapshot holding ``text`` for essay ``source`` (written unless it exists)."""
        slug = re.sub(r"[^a-z0-9]+", "-", source.lower().split("://")[-1]).strip("-")[-40:]
        path = self.folder / f"{slug or 'page'}-{stable_hash(source, text, length=16)}.md"
        data = text.encode("utf-8")
        if not (path.is_file() and path.read_bytes() == data):
            atomic_write(path, data)
        return path

    def sweep(self, keep_files: set[str], keep_urls: set[str]) -> None:
        """Delete snapshots not in ``keep_files`` and fetched pages of URLs not in
        ``keep_urls`` (a URL whose page held no article is not remembered). Called once
        the index and the manifest agree, under the ingest lock."""
        for snap in self.folder.glob("*.md"):
            if str(snap) not in keep_files:
                snap.unlink(missing_ok=True)
        wanted = {self._sidecar_path(u).stem for u in keep_urls}
        for file in self.fetched.glob("*"):
            if file.is_file() and file.name.split(".")[0] not in wanted:
                file.unlink(missing_ok=True)


def url_candidate(
    text: str, store: PageStore, refresh: bool, timeout: float, max_bytes: int
) -> tuple[Candidate | None, Problem | None]:
    """The essay file for URL ``text``: its fetched copy, fetched now when there is none
    or ``refresh`` asks. A failed refresh keeps the copy (and says so)."""
    url = normalise_url(text)
    if isinstance(url, Problem):
        return None, url
    side = store.sidecar(url)
    if side and not refresh:
        return store.candidate(url), None
    got = fetch(url, timeout, max_bytes, side)
    if isinstance(got, Problem):
        if side:
            kept = Problem(got.path, got.reason + "; its previously fetched copy is used")
            return store.candidate(url), kept
        return None, got
    if isinstance(got, Fetched):
        store.save_fetched(url, got)
    return store.candidate(url), None
