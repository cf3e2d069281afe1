"""`career-assistant eval`: run a gold set, write reports, gate on a baseline."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.evaluation.metrics import compare
from assistant.evaluation.report import markdown, write_reports
from assistant.evaluation.run import prepare, score


def eval_command(settings: Settings, args: argparse.Namespace) -> int:
    """Score each dataset on one index (and one tutorial baseline), in the order given;
    `--compare` gates the first dataset only."""
    datasets, root = [Path(d) for d in args.dataset], Path(args.root)
    for dataset in datasets:
        if not dataset.is_file():
            raise AssistantError(f"No dataset at {dataset}: give a .jsonl of gold questions.")
    if not root.is_dir():
        raise AssistantError(
            f"No corpus root at {root}: the dataset's source paths are relative to it (--root)."
        )
    baseline = _read_baseline(args.compare) if args.compare else None
    try:
        evaluator = prepare(settings, root, args.llm, baseline=not args.no_baseline)
        results = [score(evaluator, d, _progress(d)) for d in datasets]
    except ValueError as exc:
        raise AssistantError(str(exc)) from exc
    folder = Path(args.report or f"eval/results/{time.strftime('%Y%m%d-%H%M%S')}")
    for dataset, result in zip(datasets, results, strict=True):
        where = folder if len(datasets) == 1 else folder / dataset.stem
        paths = write_reports(result, where)
        print(f"\n# {dataset}\n")
        print(markdown(result))
        print(f"reports: {', '.join(str(p) for p in paths.values())}")
    first = results[0]
    if args.write_baseline:
        Path(args.write_baseline).write_text(
            json.dumps({"config": first["config"], "metrics": first["metrics"]}, indent=1) + "\n"
        )
        print(f"baseline written to {args.write_baseline}")
    if baseline is not None:
        worse = compare(first["metrics"], baseline)
        if worse:
            print("REGRESSION against " + args.compare + ":", *worse, sep="\n  ")
            return 1
        print(f"no metric dropped beyond its confidence interval against {args.compare}")
    return 0


def _read_baseline(path: str) -> dict[str, Any]:
    try:
        return dict(json.loads(Path(path).read_text())["metrics"])
    except (OSError, ValueError, KeyError) as exc:
        raise AssistantError(f"Cannot read the baseline {path}: {exc}") from exc


def _progress(dataset: Path) -> Callable[[int, int], None]:
    def progress(n: int, total: int) -> None:
        end = "\n" if n == total else ""
        print(f"\r{dataset.name}: {n}/{total} questions", end=end, file=sys.stderr, flush=True)

    return progress
