"""The embedding model on ONNX Runtime: no torch, no sentence-transformers at query time.

sentence-transformers' own ``backend="onnx"`` needs optimum, which does not install beside
transformers 5, so we do its three steps ourselves: the model folder's ``tokenizer.json``
through ``tokenizers`` (truncated to ``max_seq_length``, padded to the longest text), the
transformer as an ONNX graph exported once from the same weights (``export_onnx``, the only
function here that needs torch), and the pooling the folder's ``modules.json`` and
``1_Pooling/config.json`` name, then L2 normalisation. Only what we implement exactly is
accepted (mean or CLS pooling, optional Normalize); any other pipeline is refused with
``UnsupportedModelError`` and the caller runs it on torch.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.errors import ModelLoadError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

TRANSFORMER = "sentence_transformers.models.Transformer"
POOLING = "sentence_transformers.models.Pooling"
NORMALIZE = "sentence_transformers.models.Normalize"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
# 17 is the newest opset the TorchScript exporter writes for BERT without warnings about
# unsupported ops, and every ONNX Runtime since 1.15 runs it.
OPSET = 17


class UnsupportedModelError(ModelLoadError):
    """The model's pipeline has a step the ONNX backend does not reproduce exactly."""


@dataclass(frozen=True)
class PipelineSpec:
    """What the model folder says sentence-transformers does after the transformer."""

    pooling: str  # "mean" or "cls"
    max_seq_length: int
    lower_case: bool


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UnsupportedModelError(f"Cannot read {path}: {exc}") from exc


def read_spec(model_path: Path) -> PipelineSpec:
    """The pipeline of a sentence-transformers folder, or ``UnsupportedModelError`` naming
    the step we would get wrong (so the caller falls back to torch, never to a guess)."""
    modules_file = model_path / "modules.json"
    if not modules_file.is_file():
        raise UnsupportedModelError(
            f"{model_path} has no modules.json: its pooling is unknown, so it runs on torch."
        )
    modules = _read_json(modules_file)
    kinds = [str(m.get("type", "")).replace(".modules.", ".models.") for m in modules]
    if kinds not in ([TRANSFORMER, POOLING], [TRANSFORMER, POOLING, NORMALIZE]):
        raise UnsupportedModelError(
            f"{model_path} has the modules {kinds}; the ONNX backend implements "
            "Transformer → Pooling (→ Normalize) only, so it runs on torch."
        )
    pooling_dir = next(m.get("path", "") for m in modules if m["type"].endswith("Pooling"))
    cfg = _read_json(model_path / pooling_dir / "config.json")
    prefix = "pooling_mode_"
    modes = sorted(k[len(prefix) :] for k, v in cfg.items() if k.startswith(prefix) and v)
    if modes == ["mean_tokens"]:
        pooling = "mean"
    elif modes == ["cls_token"]:
        pooling = "cls"
    else:
        raise UnsupportedModelError(
            f"{model_path} pools with {modes or 'nothing'}; the ONNX backend implements mean "
            "or CLS pooling only, so it runs on torch."
        )
    if cfg.get("include_prompt") is False:
        raise UnsupportedModelError(f"{model_path} pools without its prompt; it runs on torch.")
    sbert = model_path / "sentence_bert_config.json"
    st_cfg = _read_json(sbert) if sbert.is_file() else {}
    max_len = st_cfg.get("max_seq_length")
    if not isinstance(max_len, int) or max_len < 1:
        raise UnsupportedModelError(
            f"{sbert} gives no max_seq_length; the ONNX backend would truncate differently, "
            "so the model runs on torch."
        )
    return PipelineSpec(pooling, max_len, bool(st_cfg.get("do_lower_case", False)))


def _padded_tokenizer(model_path: Path, spec: PipelineSpec) -> Tokenizer:
    """tokenizer.json as sentence-transformers calls it: truncation to ``max_seq_length``
    (longest_first, right) and padding to the longest text of the batch, whatever fixed
    lengths the file itself carries (MiniLM's says 128)."""
    from tokenizers import Tokenizer

    path = model_path / "tokenizer.json"
    if not path.is_file():
        raise UnsupportedModelError(f"{model_path} has no tokenizer.json; it runs on torch.")
    tok = Tokenizer.from_file(str(path))
    padding = tok.padding or {}
    pad_token = padding.get("pad_token") or "[PAD]"
    pad_id = padding.get("pad_id", tok.token_to_id(pad_token))
    if pad_id is None:
        raise UnsupportedModelError(f"{path} names no padding token; the model runs on torch.")
    tok.enable_truncation(spec.max_seq_length, strategy="longest_first", direction="right")
    tok.enable_padding(
        pad_id=pad_id,
        pad_token=pad_token,
        pad_type_id=padding.get("pad_type_id", 0),
        direction=padding.get("direction", "right"),
    )
    return tok


class OnnxEncoder:
    """Texts → unit vectors with ONNX Runtime. Thread-safe: ``InferenceSession.run`` and
    ``Tokenizer.encode_batch`` may be called from several threads at once."""

    def __init__(self, model_path: Path, onnx_file: Path) -> None:
        self.spec = read_spec(model_path)
        self.tokenizer = _padded_tokenizer(model_path, self.spec)
        import onnxruntime as ort
        from onnxruntime.capi import onnxruntime_pybind11_state as ort_errors

        options = ort.SessionOptions()
        options.log_severity_level = 3  # warnings about unused initializers are noise
        # Idle worker threads sleep instead of spinning: the CPU is shared with the web
        # server's threads and with ingests, and spinning cost batches up to 30% under load
        # here while single queries were no faster with it.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(
                str(onnx_file), options, providers=["CPUExecutionProvider"]
            )
        except (
            OSError,
            ort_errors.Fail,
            ort_errors.InvalidProtobuf,
            ort_errors.InvalidArgument,
            ort_errors.NoSuchFile,
            ort_errors.RuntimeException,
        ) as exc:
            raise DamagedExportError(f"{onnx_file} cannot be loaded: {exc}") from exc
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.dimension = int(self.session.get_outputs()[0].shape[-1])

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        """Batches of similar length, as sentence-transformers makes them (longest first,
        by characters), so a short text is not padded to a long neighbour's length."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        ranked = [texts[i] for i in order]
        out = np.concatenate(
            [self._batch(ranked[i : i + batch_size]) for i in range(0, len(ranked), batch_size)]
        )
        vectors = np.empty_like(out)
        vectors[order] = out
        return vectors

    def _batch(self, texts: list[str]) -> np.ndarray:
        if self.spec.lower_case:
            texts = [t.lower() for t in texts]
        encodings = self.tokenizer.encode_batch(texts)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": mask,
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        hidden = self.session.run(None, {n: feeds[n] for n in self.input_names})[0]
        if self.spec.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            # sentence-transformers' mean: sum over unmasked tokens / count clamped at 1e-9.
            weights = mask[..., None].astype(hidden.dtype)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        # torch.nn.functional.normalize: x / max(||x||, 1e-12)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.maximum(norms, 1e-12), dtype=np.float32)


class DamagedExportError(ModelLoadError):
    """The ONNX file exists but does not load: cut short, overwritten, or not an ONNX file."""


def export_onnx(model: SentenceTransformer, dest: Path) -> int:
    """Export the transformer inside ``model`` (float32) to ``dest``; returns its size.

    Written to a temp file in the same folder and renamed over ``dest``, so a killed
    export leaves either no file or a complete one, never a half-written one that a
    later run would load. Needs torch (loaded anyway by whoever has ``model``) and the
    ``onnx`` package, which the TorchScript exporter uses to serialise the graph.
    """
    try:
        # The TorchScript exporter serialises the graph with the onnx package; asking for
        # it first turns a missing package into this message instead of one after the trace.
        import onnx  # noqa: F401
        import torch
    except ImportError as exc:
        raise ImportError(
            f"the ONNX export needs torch and onnx ({exc}): run `pip install -e .`"
        ) from exc

    hf: Any = model[0].auto_model
    accepted = set(inspect.signature(hf.forward).parameters)
    names = [n for n in INPUT_NAMES if n in accepted]

    class _Hidden(torch.nn.Module):  # type: ignore[misc]
        """The transformer's last hidden state, named inputs in a fixed order."""

        def __init__(self) -> None:
            super().__init__()
            self.inner = hf

        def forward(self, *args: Any) -> Any:
            return self.inner(**dict(zip(names, args, strict=True))).last_hidden_state

    texts = ["an example sentence", "a second, somewhat longer one"]
    tokenizer: Any = model[0].tokenizer
    sample = tokenizer(texts, padding=True, return_tensors="pt")
    args = tuple(sample[n] for n in names)
    axes = {n: {0: "batch", 1: "sequence"} for n in [*names, "last_hidden_state"]}
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        # The exporter's tracer and deprecation warnings (and its prints) are about
        # graphs with data-dependent control flow; BERT has none on these axes, and the
        # equivalence check, not the warning, is what decides whether the export is used.
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stdout(io.StringIO()),
            torch.no_grad(),
        ):
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Hidden().eval(),
                args,
                str(tmp),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=OPSET,
                dynamo=False,
            )
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest.stat().st_size


def sweep_temp_files(folder: Path) -> None:
    """Delete what killed exports left behind (their temp files are never loaded)."""
    for leftover in folder.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            leftover.unlink()
