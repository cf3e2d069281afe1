"""What has been ingested: one record per essay file, saved atomically.

The manifest makes re-ingest O(changed): a file whose size and mtime match its
record is not even read, and one whose hash matches is not parsed. It is a
cache of what the index holds; when it is missing (a new machine pointed at a
shared Chroma server) it is rebuilt from the chunks' metadata.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.domain import stable_hash

MANIFEST_VERSION = 1


@dataclass
class FileRecord:
    source: str
    path: str
    root: str
    sha256: str
    size: int = 0
    mtime_ns: int = 0
    chunks: int = 0
    # A web page's Markdown snapshot, which its chunks point into ("" for Markdown files;
    # ``path`` is then the page itself: the .html file, or a URL's fetched copy).
    snapshot: str = ""


@dataclass
class Manifest:
    fingerprint: dict[str, Any] = field(default_factory=dict)
    files: dict[str, FileRecord] = field(default_factory=dict)
    # The Chroma collection these records describe; "" in manifests written before it was
    # kept. A rebuilt, recreated or replaced collection has another id.
    collection_id: str = ""

    @classmethod
    def load(cls, path: Path) -> Manifest | None:
        """The saved manifest, or None when there is none or it is unreadable."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != MANIFEST_VERSION:
                return None
            files = {s: FileRecord(**r) for s, r in data.get("files", {}).items()}
            return cls(
                fingerprint=dict(data.get("fingerprint", {})),
                files=files,
                collection_id=str(data.get("collection_id", "")),
            )
        except (OSError, ValueError, TypeError, AttributeError):
            return None

    def save(self, path: Path) -> None:
        """Write to a temp file and rename, so a kill never leaves half a manifest."""
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "version": MANIFEST_VERSION,
            "fingerprint": self.fingerprint,
            "collection_id": self.collection_id,
            "files": {s: asdict(r) for s, r in sorted(self.files.items())},
        }
        atomic_write(path, json.dumps(payload, indent=1).encode("utf-8"), prefix=".manifest-")

    def describes(self, collection_id: str, chunks_in_index: int) -> bool:
        """Whether these records can be trusted for that collection: they list nothing, or
        it is the collection they were written for and it is not empty. An emptied or
        recreated index (a damaged store set aside, a rebuild on another machine) holds
        none of the files the manifest would call unchanged."""
        if not self.files:
            return True
        return chunks_in_index > 0 and self.collection_id in ("", collection_id)

    @classmethod
    def from_index_metadata(
        cls, fingerprint: dict[str, Any], metas: list[dict[str, Any]]
    ) -> Manifest:
        """Rebuild records from chunk metadata; size/mtime unknown, so hashes decide."""
        files: dict[str, FileRecord] = {}
        for meta in metas:
            source = str(meta.get("source", ""))
            if not source:
                continue
            rec = files.setdefault(
                source,
                FileRecord(
                    source=source,
                    path=str(meta.get("path", "")),
                    root=str(meta.get("root", "")),
                    sha256=str(meta.get("file_sha256", "")),
                ),
            )
            rec.chunks += 1
        return cls(fingerprint=fingerprint, files=files)


def manifest_path(data_dir: Path, collection: str, chroma_url: str) -> Path:
    """One manifest per (collection, store): a server and the embedded index differ."""
    where = stable_hash(chroma_url or "embedded", length=8)
    return data_dir / f"manifest-{collection}-{where}.json"


def pages_path(data_dir: Path, collection: str, chroma_url: str) -> Path:
    """The web-page snapshots and fetched pages of the index that manifest describes."""
    where = stable_hash(chroma_url or "embedded", length=8)
    return Path(os.path.abspath(data_dir)) / "pages" / f"{collection}-{where}"


def atomic_write(path: Path, data: bytes, prefix: str = ".tmp-") -> None:
    """Write to a temp file beside ``path`` and rename: a kill never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
