"""Many small files: what an ingest costs per file, beside what the model costs.

Writes ``--files`` one-paragraph essays (sentences of the seed corpus, each essay
tagged so that no two are alike) into a temp dir and ingests them into a fresh
index, timing every call into the embedding model. Prints files/s and the share of
the ingest spent outside the model; prints, never asserts.

Run: ``python -m assistant.evaluation.bench_files [--files 5000]``.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from assistant.config import Settings, load_settings
from assistant.evaluation.bench_scale import cold_start
from assistant.ingest import Ingester
from assistant.search import LocalEmbeddings, split_units, unit_cache_file

SEED = Path(__file__).resolve().parents[2] / "corpus"
# Measured before per-group batching (issue 11): 5,000 essays in 373 s, ~13 files/s.
BEFORE = {"files": 5000, "seconds": 373.0, "files_per_s": 13.4}


class ModelClock:
    """Wall time spent inside ``embed_array`` (the model), summed over every call."""

    def __init__(self, emb: LocalEmbeddings) -> None:
        self.seconds = 0.0
        self.texts = 0
        self._lock = threading.Lock()
        inner: Callable[..., np.ndarray] = emb.embed_array

        def timed(texts: list[str], batch_size: int | None = None) -> np.ndarray:
            started = time.perf_counter()
            try:
                return inner(texts, batch_size)
            finally:
                with self._lock:
                    self.seconds += time.perf_counter() - started
                    self.texts += len(texts)

        # An instance attribute: the ingester and the unit cache both call through it.
        setattr(emb, "embed_array", timed)  # noqa: B010


def write_essays(root: Path, n: int, seed: int = 11) -> None:
    """``n`` one-paragraph essays of 3 to 6 seed sentences, each tagged with its number."""
    sentences = [
        u.text
        for path in sorted(SEED.glob("*.md"))
        if path.name.lower() != "readme.md"
        for u in split_units(path.read_text(encoding="utf-8"))
        if not u.is_item and len(u.text.split()) >= 6 and "#" not in u.text
    ]
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        body = " ".join(rng.sample(sentences, rng.randint(3, 6)))
        text = f"---\ntitle: Short essay {i}\n---\n\n{body} (Note {i}.)\n"
        (root / f"essay-{i:05d}.md").write_text(text, encoding="utf-8")


def bench_files(settings: Settings, files: int) -> dict[str, Any]:
    print(f"many small files: {files} one-paragraph essays into a fresh index")
    with tempfile.TemporaryDirectory(prefix="ca-files-") as tmp:
        corpus = Path(tmp) / "essays"
        write_essays(corpus, files)
        s = settings.replace(data_dir=Path(tmp) / "data", chroma_url="", corpus=(corpus,))
        emb = LocalEmbeddings(s)
        emb.embed_array(["load the model before the clock starts"])
        clock = ModelClock(emb)
        started = time.perf_counter()
        report = Ingester(s, embeddings=emb).run([corpus])
        wall = time.perf_counter() - started
    outside = wall - clock.seconds
    figures = {
        "files": files,
        "seconds": round(wall, 1),
        "files_per_s": round(files / wall, 1),
        "model_s": round(clock.seconds, 1),
        "texts_embedded": clock.texts,
        "chunks_embedded": report.chunks_embedded,
        "outside_model_share": round(outside / wall, 3),
        "units_embedded": report.units_embedded,
        "units_s": round(report.units_seconds, 1),
    }
    _row("ingest wall time", f"{wall:.1f} s ({files / wall:.1f} files/s)")
    _row("inside the model (every embed call)", f"{clock.seconds:.1f} s ({clock.texts} texts)")
    _row("outside the model", f"{outside:.1f} s ({outside / wall:.0%} of the ingest)")
    _row("chunks embedded", str(report.chunks_embedded))
    _row(
        "of which passage units cached for answers",
        f"{report.units_embedded} units, {report.units_seconds:.1f} s",
    )
    _row("files indexed / skipped", f"{report.added + report.updated} / {len(report.problems)}")
    _row(
        "before batching (issue 11, same corpus size)",
        f"{BEFORE['seconds']:.0f} s for {BEFORE['files']} files (~{BEFORE['files_per_s']} files/s)",
    )
    return figures


def ask_with_and_without_units(settings: Settings, runs: int = 3) -> dict[str, Any]:
    """`career-assistant ask` in a fresh process on the index in ``settings.data_dir``: with
    the unit vectors ingest cached, and without them (as before issue 11: the answer
    embedded the units of its passages first). Alternated, best of ``runs`` each."""
    cache = unit_cache_file(settings.data_dir, LocalEmbeddings(settings))
    if not cache.is_file():
        print(f"  no unit cache at {cache}: run `career-assistant ingest` first")
        return {}
    aside = cache.with_name(cache.name + ".aside")
    walls: dict[str, list[float]] = {"with unit cache": [], "without unit cache": []}
    for _ in range(runs):
        walls["with unit cache"].append(cold_start(settings)["wall_s"])
        cache.replace(aside)
        try:
            walls["without unit cache"].append(cold_start(settings)["wall_s"])
        finally:
            aside.replace(cache)  # the cache that ask wrote on exit is dropped
    best = {label: min(values) for label, values in walls.items()}
    for label, value in best.items():
        _row(f"ask, first answer, {label} (best of {runs})", f"{value:.2f} s")
    return best


def _row(label: str, value: str) -> None:
    print(f"  {label:<46} {value}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000, help="how many essays (5000)")
    parser.add_argument(
        "--ask-data-dir",
        help="instead: time `ask` on the index in this data dir, with and without unit cache",
    )
    args = parser.parse_args(argv)
    if args.ask_data_dir:
        ask_with_and_without_units(load_settings(data_dir=Path(args.ask_data_dir)))
    else:
        bench_files(load_settings(), args.files)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
