"""A web page's bytes to text, in the charset it declares, as a browser reads it.

Labels are read the WHATWG way (latin-1 and ASCII mean windows-1252; a ``<meta>`` that
says UTF-16 in a page read as ASCII means UTF-8), and a label that names a codec which is
no charset (``idna``, ``unicode_escape``) is ignored: the page is untrusted and must not
choose how its bytes are transformed.
"""

from __future__ import annotations

import codecs
import re

# WHATWG Encoding: browsers read latin-1 and ASCII as windows-1252 (its C1 bytes are
# letters: "It\x92s" is "It’s") and latin-5 as windows-1254; two labels Python lacks.
_BROWSER_CODEC = {"iso8859-1": "cp1252", "ascii": "cp1252", "iso8859-9": "cp1254"}
_BROWSER_CODEC |= {"iso88591": "cp1252", "x-cp1252": "cp1252"}
# Text codecs Python has that no browser decodes a page with.
_NOT_CHARSETS = frozenset("idna punycode undefined unicode-escape raw-unicode-escape utf-7".split())
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)


def decode_page(data: bytes, declared: str = "") -> str:
    """The page's text in the charset it declares (byte-order mark, HTTP header, then
    ``<meta charset>``), else UTF-8, else windows-1252, as browsers fall back."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16")):
        if data.startswith(bom) or (name == "utf-16" and data.startswith(codecs.BOM_UTF16_BE)):
            return data.decode("utf-8-sig" if name == "utf-8" else name, errors="replace")
    m = _META_CHARSET.search(data[:4096])
    in_meta = _charset(m.group(1).decode("ascii") if m else "")
    # A <meta> was read as ASCII, so the page is not UTF-16/32 whatever it says (WHATWG).
    in_meta = "utf-8" if in_meta.startswith(("utf-16", "utf-32")) else in_meta
    for name in (_charset(declared), in_meta):
        if not name:
            continue
        try:
            return data.decode(name, errors="replace")
        except (LookupError, UnicodeError):
            continue  # a codec that can't decode a page: fall through to the defaults
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _charset(label: str) -> str:
    """The Python codec for a page's charset label as a browser reads it, or "" for
    none: a label can name a codec that is no charset (``idna``, ``base64``,
    ``unicode_escape``) and the page is untrusted: it must not pick how it is
    transformed. (A non-text codec left here fails to decode: LookupError, caught.)"""
    label = label.strip().lower()
    try:
        name = codecs.lookup(_BROWSER_CODEC.get(label, label)).name if label else ""
    except LookupError:
        return ""
    return "" if name in _NOT_CHARSETS else _BROWSER_CODEC.get(name, name)
