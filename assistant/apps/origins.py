"""Which host and origin a request names: the rules behind DNS-rebinding and
cross-site refusals (see :mod:`assistant.apps.access`)."""

from __future__ import annotations

import ipaddress
import re

# Host names a token-less server answers to, besides the one it was bound to.
LOOPBACK_NAMES = frozenset({"127.0.0.1", "::1", "localhost"})
# A Host (or origin) is a name or [IPv6] and an optional port; nothing else, so that
# "evil.example@127.0.0.1" is no loopback name.
_HOST = re.compile(r"(\[[0-9a-f:.]+\]|[a-z0-9._~%!$&'()*+,;=-]+)(?::([0-9]{1,5}))?", re.I)
DEFAULT_PORTS = {"http": 80, "https": 443}


def is_loopback(host: str | None) -> bool:
    """The socket peer is on this machine; names are not trusted, only addresses."""
    if not host:
        return False
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def split_host(value: str) -> tuple[str, int | None] | None:
    """(name, port) of a Host header's value, name lowercased without brackets; None
    when the value is not a plain host[:port]."""
    match = _HOST.fullmatch(value.strip())
    if match is None:
        return None
    port = int(match.group(2)) if match.group(2) else None
    return match.group(1).lower().strip("[]"), port


def is_own_origin(origin: str, headers: dict[str, str]) -> bool:
    """The page that sent this request is the app's own: its origin names the host the
    request went to. Behind a proxy that rewrites Host, X-Forwarded-Host names it (a
    page on another site can't set that header without a preflight, which is refused)."""
    scheme, _, rest = origin.strip().partition("://")
    default = DEFAULT_PORTS.get(scheme.lower())
    page = split_host(rest) if default else None
    if page is None:
        return False  # "null" (a sandboxed frame, a file:// page) or no http(s) origin
    page_port = page[1] or default
    for value in (headers.get("host", ""), headers.get("x-forwarded-host", "")):
        target = split_host(value.split(",", 1)[0])
        if target and target[0] == page[0] and (target[1] or default) == page_port:
            return True
    return False
