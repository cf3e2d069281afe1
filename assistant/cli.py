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

from assistant import __version__
from assistant.config import Settings, load_settings
from assistant.errors import AssistantError


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    g = common.add_argument_group("settings (override env and career-assistant.toml)")
    g.add_argument("--config", metavar="FILE", help="TOML settings file")
    g.add_argument("--data-dir", metavar="DIR", help="where the index lives (default .data)")
    g.add_argument(
        "--corpus",
        metavar="PATH",
        action="append",
        help="essay folder or file; repeat for several (default corpus/)",
    )
    g.add_argument(
        "--chroma-url", metavar="URL", help="use a `chroma run` server instead of .data/chroma"
    )
    g.add_argument("--collection", metavar="NAME", help="Chroma collection name (default essays)")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="career-assistant",
        description="Answers career questions from a curated collection of essays, with citations.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", parents=[common], help="index essay files (incremental)")
    p.add_argument("paths", nargs="*", metavar="PATH", help="folders or files (default: --corpus)")
    p.add_argument(
        "--rebuild", action="store_true", help="drop the index and embed everything again"
    )
    p.add_argument("-v", "--verbose", action="store_true", help="print a line per file written")

    p = sub.add_parser("search", parents=[common], help="show the passages closest to a query")
    p.add_argument("query", nargs="?", help="the query; omit it for an interactive prompt")
    p.add_argument("--k", type=int, help="number of passages (default 5)")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.add_argument(
        "--mode",
        choices=["hybrid", "dense", "lexical"],
        default="hybrid",
        help="retrieval: fused dense+BM25 (default), or one of them alone",
    )

    p = sub.add_parser("ask", parents=[common], help="answer a question with cited passages")
    p.add_argument("question", help="the question")
    p.add_argument("--json", action="store_true", help="print the Answer as JSON")
    p.add_argument("--llm", choices=["extractive", "openai", "llamacpp"], help="answer generator")
    p.add_argument("--k", type=int, help="passages retrieved (default 5)")
    p.add_argument(
        "--history-file",
        metavar="F",
        help='JSON list of earlier turns: strings, or {"role", "content"} messages',
    )

    p = sub.add_parser("chat", parents=[common], help="a terminal chat with history")
    p.add_argument("--llm", choices=["extractive", "openai", "llamacpp"], help="answer generator")
    p.add_argument("--k", type=int, help="passages retrieved (default 5)")

    p = sub.add_parser("serve", parents=[common], help="serve the web chat (as python app.py)")
    from assistant.serve import add_serve_arguments

    add_serve_arguments(p)

    p = sub.add_parser("eval", parents=[common], help="score a gold question set (offline)")
    p.add_argument("--dataset", required=True, metavar="F", help="gold questions (.jsonl)")
    p.add_argument(
        "--root",
        default="../shared",
        metavar="DIR",
        help="corpus root the dataset's source paths are relative to (../shared)",
    )
    p.add_argument("--llm", choices=["extractive", "openai", "llamacpp"], help="answer generator")
    p.add_argument(
        "--report",
        metavar="DIR",
        help="write report.json/.md/.html here (default eval/results/<time>)",
    )
    p.add_argument("--compare", metavar="BASE", help="exit 1 when a metric drops beyond its CI")
    p.add_argument("--write-baseline", metavar="F", help="save these metrics as a baseline")

    sub.add_parser("discord", parents=[common], help="run the Discord bot (DISCORD_TOKEN)")

    sub.add_parser(
        "calibrate", parents=[common], help="support-threshold figures on the labelled pairs"
    )

    p = sub.add_parser("bench", parents=[common], help="print benchmark figures (never asserts)")
    p.add_argument("what", choices=["ingest", "answer", "scale"], help="which benchmark")
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="corpus folders (default corpus/ + ../shared/corpora)",
    )
    return parser


def settings_from_args(args: argparse.Namespace) -> Settings:
    return load_settings(
        config_file=args.config,
        data_dir=args.data_dir,
        corpus=args.corpus,
        chroma_url=args.chroma_url,
        collection=args.collection,
        k=getattr(args, "k", None),
        generator=getattr(args, "llm", None),
    )


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
            from assistant.chat_cli import ask_command, chat_command

            return (
                ask_command(settings, args)
                if args.command == "ask"
                else chat_command(settings, args)
            )
        if args.command == "serve":
            from assistant.serve import serve

            return serve(settings, args.host, args.port, ingest=not args.no_ingest)
        if args.command == "eval":
            from assistant.eval_cli import eval_command

            return eval_command(settings, args)
        if args.command == "discord":
            from assistant.discord_bot import run_bot

            return run_bot(settings)
        if args.command == "calibrate":
            from assistant.calibrate import print_calibration

            return print_calibration(settings)
        if args.command == "bench":
            from assistant.bench import run_bench

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

    paths = [Path(p) for p in args.paths] or None
    report = Ingester(settings, progress=bar, on_file=on_file).run(paths, rebuild=args.rebuild)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    for problem in report.problems:
        print(f"skipped {problem}", file=sys.stderr)
    print(report.summary())
    if not report.ok:
        if report.missing_paths:
            print("error: a given path does not exist (see above)", file=sys.stderr)
        else:
            print(
                "error: nothing was ingested — give a folder of .md, .markdown or .txt essays",
                file=sys.stderr,
            )
        return 1
    return 0


def _search(settings: Settings, args: argparse.Namespace) -> int:
    from assistant.retrieval import PassageRetriever

    retriever = PassageRetriever.from_settings(settings)
    if args.query is not None:
        return _print_hits(retriever, args.query, args)
    print("Ask about careers; an empty line or Ctrl-D quits.", file=sys.stderr)
    while True:
        try:
            query = input("search> ").strip()
        except EOFError:
            return 0
        if not query:
            return 0
        _print_hits(retriever, query, args)


def _print_hits(retriever: Any, query: str, args: argparse.Namespace) -> int:
    if not query.strip():
        raise AssistantError("The query is empty: give some words to search for.")
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
