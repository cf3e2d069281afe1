"""`python app.py` / `career-assistant serve`: make sure the index is current, then serve
the web chat on 127.0.0.1 (never a public share link)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from assistant.apps.arguments import add_serve_arguments, settings_arguments, settings_from_args
from assistant.config import Settings
from assistant.errors import AssistantError


def ensure_index(settings: Settings) -> None:
    """Ingest the corpus when the index is missing or stale; say so when it does."""
    from assistant.ingest import Ingester

    def bar(total: int, desc: str) -> Any:
        from tqdm import tqdm

        return tqdm(total=total, desc=desc, unit="chunk", file=sys.stderr, disable=None)

    print(f"Checking the index against {', '.join(map(str, settings.corpus))} …", file=sys.stderr)
    report = Ingester(settings, progress=bar).run()
    for problem in report.problems:
        print(f"skipped {problem}", file=sys.stderr)
    if report.added or report.updated or report.removed:
        print(f"Indexed: {report.summary()}", file=sys.stderr)
    if not report.ok:
        raise AssistantError(
            "Nothing could be indexed from the corpus: check --corpus (a folder of .md essays)."
        )


def serve(settings: Settings, host: str, port: int, *, ingest: bool = True) -> int:
    from assistant.answer import Assistant
    from assistant.apps.web import launch

    if ingest:
        ensure_index(settings)
    assistant = Assistant.from_settings(settings)
    print(f"Career assistant on http://{host}:{port}", file=sys.stderr)
    launch(assistant, settings, host, port)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="app.py",
        parents=[settings_arguments()],
        description="Serve the career assistant web chat.",
    )
    add_serve_arguments(parser)
    args = parser.parse_args(argv)
    try:
        settings = settings_from_args(args)
        return serve(settings, args.host, args.port, ingest=not args.no_ingest)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
