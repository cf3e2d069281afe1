"""The ``career-assistant`` command: parse flags, call the package, print results.

Errors from the package arrive as :class:`AssistantError` whose message already
names the next step; this is the edge where they become one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.apps.arguments import build_parser, settings_from_args
from assistant.apps.inputs import InputError, check_text, lenient_stdin
from assistant.config import Settings
from assistant.errors import AssistantError


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = settings_from_args(args)
        if args.command == "ingest":
            return _ingest(settings, args)
        if args.command == "search":
            return _search(settings, args)
        if args.command in {"ask", "chat"}:
            from assistant.apps.chat_cli import ask_command, chat_command

            return (
                ask_command(settings, args)
                if args.command == "ask"
                else chat_command(settings, args)
            )
        if args.command == "serve":
            from assistant.apps.serve import serve

            return serve(settings, args.host, args.port, ingest=not args.no_ingest)
        if args.command == "eval":
            from assistant.evaluation import eval_command

            return eval_command(settings, args)
        if args.command == "discord":
            from assistant.apps.discord_bot import run_bot

            return run_bot(settings, sync=args.sync)
        if args.command == "curate":
            from assistant.evaluation import curate_command

            return curate_command(settings, args)
        if args.command == "calibrate":
            from assistant.evaluation import print_calibration

            return print_calibration(settings)
        if args.command == "bench":
            from assistant.evaluation import run_bench

            return run_bench(settings, args.what, [Path(p) for p in args.paths])
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    parser.error(f"unknown command {args.command}")
    return 2


def _ingest(settings: Settings, args: argparse.Namespace) -> int:
    from assistant.ingest import Ingester

    def bar(total: int, desc: str) -> Any:
        from tqdm import tqdm

        return tqdm(total=total, desc=desc, unit="chunk", file=sys.stderr, disable=None)

    def on_file(line: str) -> None:
        if args.verbose:
            print(line, file=sys.stderr, flush=True)

    # A URL stays a string: Path() would fold its "//" into one slash.
    paths: list[Path | str] = [p if "://" in p else Path(p) for p in args.paths]
    report = Ingester(settings, progress=bar, on_file=on_file).run(
        paths or None, rebuild=args.rebuild, refresh=args.refresh
    )
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    for problem in report.problems:
        print(f"skipped {problem}", file=sys.stderr)
    print(report.summary())
    if not report.ok:
        if report.missing_paths or report.failed_urls:
            print(
                "error: a given path does not exist or a URL could not be fetched (see above)",
                file=sys.stderr,
            )
        else:
            print(
                "error: nothing was ingested — give a folder of .md, .markdown, .txt or .html "
                "essays, or an http(s) URL",
                file=sys.stderr,
            )
        return 1
    return 0


def _search(settings: Settings, args: argparse.Namespace) -> int:
    from assistant.search import PassageRetriever

    if args.query is not None:
        check_text(args.query, "The query", from_bytes=True)  # before the model loads
        return _print_hits(PassageRetriever.from_settings(settings), args.query, args)
    retriever = PassageRetriever.from_settings(settings)
    lenient_stdin()
    print("Ask about careers; an empty line or Ctrl-D quits.", file=sys.stderr)
    while True:
        try:
            query = input("search> ").strip()
        except EOFError:
            return 0
        if not query:
            return 0
        try:
            _print_hits(retriever, query, args)
        except InputError as exc:  # a bad line is skipped; the prompt goes on
            print(f"error: {exc}", file=sys.stderr)


def _print_hits(retriever: Any, query: str, args: argparse.Namespace) -> int:
    if not query.strip():
        raise AssistantError("The query is empty: give some words to search for.")
    check_text(query, "The query", from_bytes=True)
    hits = retriever.hits(query, args.k, mode=args.mode)
    if args.json:
        print(json.dumps([h.to_json() for h in hits], ensure_ascii=False, indent=2))
        return 0
    if not hits:
        print("No passages in the index — run `career-assistant ingest`.")
    for n, hit in enumerate(hits, 1):
        c = hit.chunk
        where = f" — {c.heading_path}" if c.heading else ""
        print(f"[{n}] {hit.score:.3f}  {c.title}{where}")
        print(f"    {c.source}  chars {c.start}-{c.end}")
        for line in c.text.splitlines():
            print(textwrap.fill(line, width=100, initial_indent="    ", subsequent_indent="      "))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
