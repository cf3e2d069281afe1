"""Command-line flags for ``career-assistant`` and ``python app.py``.

Both entry points share the settings flags and the serve flags; they live here,
below both, so neither entry point imports the other.
"""

from __future__ import annotations

import argparse
from typing import Any

from assistant import __version__
from assistant.config import GENERATORS, Settings, load_settings


def settings_arguments() -> argparse.ArgumentParser:
    """The flags every command takes; they override env and the TOML file."""
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


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    parser.add_argument(
        "--no-ingest",
        action="store_true",
        help="serve the index as it is, without checking the corpus first",
    )


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="career-assistant",
        description="Answers career questions from a curated collection of essays, with citations.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = settings_arguments()
    _index_commands(sub, common)
    _answer_commands(sub, common)
    _evaluation_commands(sub, common)
    return parser


def _index_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("ingest", parents=[common], help="index essay files (incremental)")
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="folders, files (.md, .txt, .html) or http(s) URLs (default: --corpus)",
    )
    p.add_argument(
        "--rebuild", action="store_true", help="drop the index and embed everything again"
    )
    p.add_argument(
        "--refresh", action="store_true", help="fetch URLs again instead of using their snapshots"
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


def _answer_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("ask", parents=[common], help="answer a question with cited passages")
    p.add_argument("question", help="the question")
    p.add_argument("--json", action="store_true", help="print the Answer as JSON")
    p.add_argument("--llm", choices=GENERATORS, help="answer generator")
    p.add_argument("--k", type=int, help="passages retrieved (default 5)")
    p.add_argument(
        "--history-file",
        metavar="F",
        help='JSON list of earlier turns: strings, or {"role", "content"} messages',
    )

    p = sub.add_parser("chat", parents=[common], help="a terminal chat with history")
    p.add_argument("--llm", choices=GENERATORS, help="answer generator")
    p.add_argument("--k", type=int, help="passages retrieved (default 5)")

    p = sub.add_parser("serve", parents=[common], help="serve the web chat (as python app.py)")
    add_serve_arguments(p)

    p = sub.add_parser("discord", parents=[common], help="run the Discord bot (DISCORD_TOKEN)")
    p.add_argument(
        "--sync",
        action="store_true",
        help="register the slash commands with Discord now (otherwise only when they changed)",
    )


def _evaluation_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("eval", parents=[common], help="score a gold question set (offline)")
    p.add_argument(
        "--dataset",
        required=True,
        action="append",
        metavar="F",
        help="gold questions (.jsonl); repeat to score several sets on one index",
    )
    p.add_argument(
        "--root",
        default="../shared",
        metavar="DIR",
        help="corpus root the dataset's source paths are relative to (../shared)",
    )
    p.add_argument("--llm", choices=GENERATORS, help="answer generator")
    p.add_argument(
        "--report",
        metavar="DIR",
        help="write report.json/.md/.html here (default eval/results/<time>)",
    )
    p.add_argument("--compare", metavar="BASE", help="exit 1 when a metric drops beyond its CI")
    p.add_argument("--write-baseline", metavar="F", help="save these metrics as a baseline")
    p.add_argument(
        "--no-baseline",
        action="store_true",
        help="skip the LangChain-tutorial retriever scored beside ours (saves its indexing)",
    )

    p = sub.add_parser(
        "curate",
        parents=[common],
        help="report what users ask that the essays answer badly (from questions.jsonl)",
    )
    p.add_argument("--since", metavar="DATE", help="only questions from this date (YYYY-MM-DD)")
    p.add_argument(
        "--report",
        metavar="DIR",
        help="write report.md/.html/.json here (default <data dir>/curate/<time>)",
    )

    sub.add_parser(
        "calibrate", parents=[common], help="support-threshold figures on the labelled pairs"
    )

    p = sub.add_parser("bench", parents=[common], help="print benchmark figures (never asserts)")
    p.add_argument(
        "what", choices=["ingest", "answer", "scale", "ingest-files"], help="which benchmark"
    )
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="corpus folders (default corpus/ + ../shared/corpora)",
    )
