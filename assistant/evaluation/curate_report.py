"""`career-assistant curate`, and the curation report as files and as a page fragment:
``report.json`` (for scripts), ``report.md``, and ``report.html`` (a sortable table and
one plot of topics by volume), plus the script-free fragment the Curator tab shows.

Questions and essay titles are untrusted: every one is escaped, as HTML in the pages
and as Markdown in the Markdown. The HTML file is self-contained: its plot is a
matplotlib PNG in a ``data:`` URI (``[eval]`` extra; without it, HTML bars stand in and
the page says so), its sorting a few lines of inline script. The tab's fragment runs no
script (Gradio's HTML component would not run one) and draws its bars in HTML.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import html
import io
import json
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.evaluation.curate import curation_for
from assistant.evaluation.question_log import QUESTIONS_FILE, clean_text, rotated

log = logging.getLogger(__name__)

NO_PLOT = "No plot image: matplotlib is not installed (pip install 'career-assistant[eval]')."
VERDICT_COLOURS = {"not covered": "#dc2626", "covered but answered poorly": "#d97706"}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#!~])")
SORT_SCRIPT = """
document.querySelectorAll('table.ca-curate th').forEach((th, col) => {
  th.style.cursor = 'pointer';
  th.addEventListener('click', () => {
    const body = th.closest('table').tBodies[0];
    const up = th.dataset.dir !== 'asc'; th.dataset.dir = up ? 'asc' : 'desc';
    const key = r => r.cells[col].dataset.sort ?? r.cells[col].innerText;
    const rows = Array.from(body.rows).sort((a, b) => {
      const x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
      const c = isNaN(nx) || isNaN(ny) ? x.localeCompare(y) : nx - ny;
      return up ? c : -c; });
    rows.forEach(r => body.appendChild(r)); }); });
"""
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #111827; }
table.ca-curate { border-collapse: collapse; width: 100%; font-size: 0.92em; }
table.ca-curate th, table.ca-curate td { border: 1px solid #e5e7eb; padding: 6px 8px;
  vertical-align: top; text-align: left; }
table.ca-curate th { background: #f3f4f6; }
.ca-verdict { font-weight: 600; }
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def md_text(text: Any) -> str:
    """``text`` as literal Markdown on one line: markup characters backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _flags(topic: dict[str, Any]) -> str:
    parts = []
    for name, n in topic["flags"].items():
        why = ", ".join(f"{r} {k}" for r, k in topic["reasons"].items())
        parts.append(f"{name} {n} ({why})" if name == "refused" and why else f"{name} {n}")
    return ", ".join(parts)


def _place(item: dict[str, Any]) -> str:
    heading = f" — {item['heading']}" if item.get("heading") else ""
    return f"{item['title']}{heading}"


def _found(place: dict[str, Any], topic: dict[str, Any]) -> str:
    return f"{place['score']:.2f}, {place['found_by']} of {topic['count']}"


def _questions(n: int) -> str:
    return f"{n} question" if n == 1 else f"{n} questions"


def _skipped(report: dict[str, Any]) -> str:
    """What the log held that was not a question record, for the intro lines."""
    n = report.get("skipped", 0)
    return f" ({n} log line{'s' * (n != 1)} skipped: not a question record)" if n else ""


def summary_lines(report: dict[str, Any]) -> list[str]:
    """A few plain lines for the terminal."""
    since = f" since {report['since']}" if report["since"] else ""
    lines = [
        f"{_questions(report['questions'])}{since}{_skipped(report)}; "
        f"{report['answered_badly']} answered badly "
        f"({', '.join(f'{k} {v}' for k, v in report['flags'].items())}); "
        f"{len(report['topics'])} topics"
    ]
    for i, t in enumerate(report["topics"], 1):
        lines.append(f"{i:>3}. [{t['verdict']}] {t['name']} — {_questions(t['count'])}")
    return lines


def markdown(report: dict[str, Any]) -> str:
    limits = report["thresholds"]
    lines = [
        "# What the essays answer badly",
        "",
        f"{_questions(report['questions'])} logged"
        + (f" since {report['since']}" if report["since"] else "")
        + _skipped(report)
        + f"; {report['answered_badly']} answered badly: "
        + ", ".join(f"{k} {v}" for k, v in report["flags"].items())
        + f". Generated {report['generated']}.",
        "",
        f"Weak support: best passage cosine < {limits['weak_best_below']} or best cited "
        f"support < {limits['weak_support_below']}. No clear winner: the two best essays within "
        f"{limits['no_winner_margin']} cosine, the best < {limits['no_winner_below']}. "
        f"Not covered: half refused, or median best cosine < {limits['not_covered_below']}. "
        f"Topics: {report['clustering']}.",
        "",
        "| # | topic | verdict | questions | why | examples "
        "| closest sections (mean cosine, questions that found it) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for i, t in enumerate(report["topics"], 1):
        examples = "<br>".join(f"“{md_text(q)}”" for q in t["examples"])
        near = "<br>".join(f"{md_text(_place(s))} ({_found(s, t)})" for s in t["sections"])
        lines.append(
            f"| {i} | **{md_text(t['name'])}** | {t['verdict']} | {t['count']} | "
            f"{md_text(_flags(t))} | {examples} | {near} |"
        )
    if not report["topics"]:
        lines.append("| | nothing answered badly | | | | | |")
    return "\n".join(lines) + "\n"


def _plot_png(topics: list[dict[str, Any]]) -> str | None:
    """A horizontal bar chart of topics by volume as a data: URI; None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        log.warning("%s", NO_PLOT)
        return None
    shown = topics[:20]
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(shown) + 1.2))
    names = [t["name"][:48] for t in shown][::-1]
    counts = [t["count"] for t in shown][::-1]
    colours = [VERDICT_COLOURS.get(t["verdict"], "#6b7280") for t in shown][::-1]
    ax.barh(names, counts, color=colours)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # questions come whole
    ax.set_xlabel("questions")
    ax.set_title("Topics answered badly (red: not covered, amber: answered poorly)")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def bars_html(topics: list[dict[str, Any]]) -> str:
    """Topics by volume as HTML bars: no image, no script."""
    most = max((t["count"] for t in topics), default=1)
    rows = []
    for t in topics:
        width = max(2, round(100 * t["count"] / most))
        colour = VERDICT_COLOURS.get(t["verdict"], "#6b7280")
        rows.append(
            '<div style="display:flex;align-items:center;gap:8px;margin:3px 0">'
            f'<span style="width:32%;font-size:0.85em;overflow:hidden;text-overflow:ellipsis;'
            f'white-space:nowrap" title="{_e(t["name"])}">{_e(t["name"])}</span>'
            f'<span style="flex:1"><span style="display:inline-block;height:12px;'
            f'width:{width}%;background:{colour};border-radius:3px"></span></span>'
            f'<span style="width:3em;font-size:0.85em">{t["count"]}</span></div>'
        )
    return '<div class="ca-curate-bars">' + "".join(rows) + "</div>"


def table_html(topics: list[dict[str, Any]]) -> str:
    head: tuple[str, ...] = ("#", "topic", "verdict", "questions", "why", "examples")
    head += ("closest sections (cosine, found by)",)
    rows = []
    for i, t in enumerate(topics, 1):
        colour = VERDICT_COLOURS.get(t["verdict"], "#6b7280")
        examples = "".join(f"<li>{_e(q)}</li>" for q in t["examples"])
        near = "".join(
            f"<li>{_e(_place(s))} <small>({_found(s, t)}; {_e(s['source'])})</small></li>"
            for s in t["sections"]
        )
        rows.append(
            f'<tr><td data-sort="{i}">{i}</td><td><b>{_e(t["name"])}</b></td>'
            f'<td class="ca-verdict" style="color:{colour}">{_e(t["verdict"])}</td>'
            f'<td data-sort="{t["count"]}">{t["count"]}</td><td>{_e(_flags(t))}</td>'
            f"<td><ul>{examples}</ul></td><td><ul>{near}</ul></td></tr>"
        )
    if not rows:
        rows.append('<tr><td colspan="7">Nothing was answered badly.</td></tr>')
    header = "".join(f"<th>{h}</th>" for h in head)
    return (
        f'<table class="ca-curate"><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _intro(report: dict[str, Any]) -> str:
    since = f" since {_e(report['since'])}" if report["since"] else ""
    flags = ", ".join(f"{_e(k)} {v}" for k, v in report["flags"].items())
    return (
        f"<p>{_questions(report['questions'])} logged{since}{_e(_skipped(report))}; "
        f"{report['answered_badly']} answered badly ({flags}); {len(report['topics'])} topics. "
        f"Generated {_e(report['generated'])}.</p>"
    )


def html_page(report: dict[str, Any]) -> str:
    """The whole report as one self-contained page."""
    plot = _plot_png(report["topics"]) if report["topics"] else None
    figure = (
        f'<img alt="topics by volume" src="{plot}">'
        if plot
        else f"<p><i>{_e(NO_PLOT)}</i></p>{bars_html(report['topics'])}"
    )
    limits = _e(json.dumps(report["thresholds"]))
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Curation report</title>"
        f"<style>{STYLE}</style></head><body><h1>What the essays answer badly</h1>"
        f"{_intro(report)}{figure}{table_html(report['topics'])}"
        f"<p><small>Thresholds: {limits}. {_e(report['clustering'])}.</small></p>"
        f"<script>{SORT_SCRIPT}</script></body></html>"
    )


def tab_html(report: dict[str, Any]) -> str:
    """The report for the web app's Curator tab: no script; the table by volume."""
    by_volume = sorted(report["topics"], key=lambda t: -t["count"])  # stable: ties keep order
    style = STYLE.replace("body", ".ca-curator")  # scoped: the page is the chat's
    return (
        f'<div class="ca-curator"><style>{style}</style>{_intro(report)}{bars_html(by_volume)}'
        f"{table_html(by_volume)}</div>"
    )


def _write_whole(path: Path, text: str) -> None:
    """``text`` to ``path`` through a temporary file beside it: a reader sees the old file
    or the new one, never half of one."""
    # Any character UTF-8 can't hold (a lone surrogate) is made U+FFFD, never a crash.
    data = clean_text(text).encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_reports(report: dict[str, Any], folder: Path) -> dict[str, Path]:
    """``report.json``, ``report.md`` and ``report.html`` in ``folder``: all three are
    made before any is written, and each is written whole."""
    texts = {
        "json": json.dumps(report, indent=1, ensure_ascii=False),
        "md": markdown(report),
        "html": html_page(report),
    }
    paths = {kind: folder / f"report.{kind}" for kind in texts}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for kind, text in texts.items():
            _write_whole(paths[kind], text)
    except OSError as exc:
        raise AssistantError(
            f"Could not write the curation report to {folder} ({exc.strerror or exc}): "
            "free some space or give a writable folder with --report DIR."
        ) from exc
    return paths


def parse_since(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise AssistantError(f"--since {value!r} is not a date: give it as YYYY-MM-DD.") from exc


def curate_command(settings: Settings, args: argparse.Namespace) -> int:
    """`career-assistant curate [--since DATE] [--report DIR]`."""
    since = parse_since(getattr(args, "since", None))
    log_path = settings.data_dir / QUESTIONS_FILE
    if not log_path.exists() and not rotated(log_path).exists():
        off = "" if settings.question_log else " (the question log is off: question_log=false)"
        raise AssistantError(
            f"No questions logged yet in {log_path}{off}: ask some questions through the "
            "web chat, the API, Discord or `career-assistant ask` first."
        )
    report = curation_for(settings, since)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = Path(args.report) if getattr(args, "report", None) else None
    paths = write_reports(report, folder or settings.data_dir / "curate" / stamp)
    for line in summary_lines(report):
        print(line)
    print(f"report: {paths['md']}  {paths['html']}  {paths['json']}")
    return 0
