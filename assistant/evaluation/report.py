"""Evaluation reports: JSON (everything), Markdown (tables) and an HTML page with plots.

Plots are matplotlib PNGs (Agg, no display): metric bars with their 95% intervals,
the latency histogram; the per-kind table sits beside them. matplotlib is the ``[eval]``
extra: without it the HTML page is written without plots and says so, and one warning is
logged, so a long evaluation run is never lost to a missing plotting library.
"""

from __future__ import annotations

import base64
import html
import io
import json
import logging
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

NO_PLOTS = "No plots: matplotlib is not installed (pip install 'career-assistant[eval]')."

HEADLINE = [
    "retrieval.lexical.hit@5",
    "retrieval.dense.hit@5",
    "retrieval.hybrid.hit@5",
    "retrieval.hybrid.mrr",
    "retrieval.hybrid.ndcg@10",
    "retrieval.hybrid.evidence_recall@5",
    "citations.citation_validity",
    "citations.citation_precision",
    "citations.citation_recall",
    "citations.cited_sentence_share",
    "answers.gold_essay_cited",
    "answers.key_point_coverage",
    "refusal.recall",
    "refusal.precision",
    "refusal.false_refusal_rate",
    "refusal.injection_leak_rate",
]


def write_reports(result: dict[str, Any], folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": folder / "report.json",
        "md": folder / "report.md",
        "html": folder / "report.html",
    }
    paths["json"].write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str))
    paths["md"].write_text(markdown(result))
    paths["html"].write_text(html_page(result))
    return paths


def _fmt(m: dict[str, float]) -> str:
    if "p50" in m:
        return f"p50 {m['p50']:.1f} ms, p95 {m['p95']:.1f} ms"
    if math.isnan(m["mean"]):
        return "n/a"
    return f"{m['mean']:.3f} [{m['lo']:.3f}, {m['hi']:.3f}] (n={int(m['n'])})"


def per_kind(rows: list[dict[str, Any]]) -> list[tuple[str, int, float, float, float]]:
    """(kind, n, refused share, gold cited share, hybrid hit@5) per question kind."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[r["kind"]].append(r)
    out = []
    for kind, rs in sorted(groups.items()):
        cited = [r["gold_cited"] for r in rs if "gold_cited" in r]
        hits = [r["hybrid"]["hit@5"] for r in rs if "hybrid" in r]
        out.append(
            (
                kind,
                len(rs),
                sum(r["refused"] for r in rs) / len(rs),
                sum(cited) / len(cited) if cited else math.nan,
                sum(hits) / len(hits) if hits else math.nan,
            )
        )
    return out


def markdown(result: dict[str, Any]) -> str:
    cfg, metrics = result["config"], result["metrics"]
    lines = [
        f"# Evaluation: {cfg['dataset']}",
        "",
        f"generator `{cfg['generator']}`, model `{cfg['model']}` ({cfg['dtype']}), "
        f"k={cfg['k']}, fusion {cfg['fusion']}, {cfg['chunks']} chunks, "
        f"commit `{cfg['git_commit']}`, {cfg['date']}",
        "",
        "Means with bootstrap 95% intervals: differences inside an interval are noise.",
        "",
        "| metric | value |",
        "| --- | --- |",
    ]
    lines += [f"| {name} | {_fmt(m)} |" for name, m in metrics.items()]
    lines += [
        "",
        "## Per kind",
        "",
        "| kind | n | refused | gold essay cited | hybrid hit@5 |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {k} | {n} | {_f2(r)} | {_f2(c)} | {_f2(h)} |"
        for k, n, r, c, h in per_kind(result["rows"])
    ]
    misses = [
        r
        for r in result["rows"]
        if (r["answerable"] and (r["refused"] or not r.get("gold_cited")))
        or (not r["answerable"] and not r["refused"])
    ]
    if misses:
        lines += ["", "## Misses", ""]
        lines += [f"- `{r['id']}` ({r['kind']}): {r['question']}" for r in misses]
    return "\n".join(lines) + "\n"


def _f2(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:.2f}"


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode()


def plots(result: dict[str, Any]) -> list[tuple[str, str]]:
    """(title, base64 PNG) pairs; none when matplotlib (the ``[eval]`` extra) is missing."""
    try:
        import matplotlib
    except ImportError:
        log.warning("%s The HTML report is written without them.", NO_PLOTS)
        return []
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = result["metrics"]
    names = [n for n in HEADLINE if n in metrics and not math.isnan(metrics[n]["mean"])]
    out = []
    fig, ax = plt.subplots(figsize=(8, 0.38 * len(names) + 1))
    means = [metrics[n]["mean"] for n in names]
    errs = [
        [m - metrics[n]["lo"] for n, m in zip(names, means, strict=True)],
        [metrics[n]["hi"] - m for n, m in zip(names, means, strict=True)],
    ]
    ax.barh(names, means, xerr=errs, color="#6366f1", ecolor="#111827", capsize=3)
    ax.set_xlim(0, 1.05)
    ax.invert_yaxis()
    ax.set_title("Metrics with bootstrap 95% intervals")
    out.append(("Metrics", _png(fig)))
    plt.close(fig)
    totals = [r["timings"].get("total_ms", 0.0) for r in result["rows"]]
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.hist(totals, bins=30, color="#10b981")
    ax.set_xlabel("answer latency, ms (total)")
    ax.set_ylabel("questions")
    out.append(("Latency", _png(fig)))
    plt.close(fig)
    return out


def html_page(result: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{n}</td><td>{_f2(r)}</td><td>{_f2(c)}</td>"
        f"<td>{_f2(h)}</td></tr>"
        for k, n, r, c, h in per_kind(result["rows"])
    )
    metric_rows = "".join(
        f"<tr><td>{html.escape(n)}</td><td>{html.escape(_fmt(m))}</td></tr>"
        for n, m in result["metrics"].items()
    )
    images = (
        "".join(
            f'<h2>{html.escape(t)}</h2><img alt="{html.escape(t)}" src="data:image/png;base64,{b}">'
            for t, b in plots(result)
        )
        or f"<p>{html.escape(NO_PLOTS)}</p>"
    )
    cfg = html.escape(json.dumps(result["config"], indent=1))
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Evaluation</title>
<style>body{{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;color:#111827}}
table{{border-collapse:collapse}}td,th{{border:1px solid #e5e7eb;padding:4px 8px}}
img{{max-width:100%}}</style></head><body><h1>Evaluation report</h1><pre>{cfg}</pre>
{images}<h2>Per kind</h2><table><tr><th>kind</th><th>n</th><th>refused</th>
<th>gold essay cited</th><th>hybrid hit@5</th></tr>{rows}</table>
<h2>All metrics</h2><table>{metric_rows}</table></body></html>"""
