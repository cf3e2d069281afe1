"""`career-assistant eval`: run a gold set, write reports, gate on a baseline."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.evaluation.evaluate import compare, run_eval
from assistant.evaluation.report import markdown, write_reports


def eval_command(settings: Settings, args: argparse.Namespace) -> int:
    dataset, root = Path(args.dataset), Path(args.root)
    if not dataset.is_file():
        raise AssistantError(f"No dataset at {dataset}: give a .jsonl of gold questions.")
    if not root.is_dir():
        raise AssistantError(
            f"No corpus root at {root}: the dataset's source paths are relative to it (--root)."
        )
    baseline = None
    if args.compare:
        try:
            baseline = json.loads(Path(args.compare).read_text())["metrics"]
        except (OSError, ValueError, KeyError) as exc:
            raise AssistantError(f"Cannot read the baseline {args.compare}: {exc}") from exc

    def progress(n: int, total: int) -> None:
        print(f"\r{n}/{total} questions", end="", file=sys.stderr, flush=True)

    try:
        result = run_eval(settings, dataset, root, args.llm, progress)
    except ValueError as exc:
        raise AssistantError(str(exc)) from exc
    print(file=sys.stderr)
    folder = Path(args.report or f"eval/results/{time.strftime('%Y%m%d-%H%M%S')}")
    paths = write_reports(result, folder)
    print(markdown(result))
    print(f"reports: {', '.join(str(p) for p in paths.values())}")
    if args.write_baseline:
        Path(args.write_baseline).write_text(
            json.dumps({"config": result["config"], "metrics": result["metrics"]}, indent=1) + "\n"
        )
        print(f"baseline written to {args.write_baseline}")
    if baseline is not None:
        worse = compare(result["metrics"], baseline)
        if worse:
            print("REGRESSION against " + args.compare + ":", *worse, sep="\n  ")
            return 1
        print(f"no metric dropped beyond its confidence interval against {args.compare}")
    return 0
