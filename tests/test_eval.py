"""The evaluation harness: dataset checks, metrics, reports and the regression gate."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.apps.cli import main
from assistant.domain import Chunk, SearchHit
from assistant.evaluation.dataset import Item, load_dataset, topic_switches
from assistant.evaluation.evaluate import Evaluator
from assistant.evaluation.metrics import aggregate, bootstrap_ci, compare
from assistant.search import Retrieved
from eval.check_dataset import check, near_duplicates
from tests.conftest import REPO, SHARED, needs_shared

GOLD = REPO / "eval/datasets/gold.jsonl"
KINDS = {"factual", "multi", "followup", "unanswerable", "offtopic", "injection"}


@needs_shared
def test_gold_set_is_valid_and_covers_every_kind():
    assert check(GOLD, SHARED) == []
    items = load_dataset(GOLD)
    assert len(items) >= 60
    assert {i.kind for i in items} == KINDS


@pytest.mark.parametrize("name", ["seed-tune", "seed-test"])
def test_seed_sets_are_valid_against_the_bundled_corpus(name):
    """The bundled essay's own sets need no ../shared: their paths are relative to corpus/."""
    assert check(REPO / f"eval/datasets/{name}.jsonl", REPO / "corpus") == []


@needs_shared
@pytest.mark.parametrize(
    "name",
    [
        "dev-tune",
        "dev-test",
        "refusal-tune",
        "followup-tune",
        "terms-test",
        "broad-test",
        "followup-test",
        "followup-tune2",
    ],
)
def test_dev_sets_are_valid(name):
    assert check(REPO / f"eval/datasets/{name}.jsonl", SHARED) == []


@pytest.mark.parametrize(
    ("tune", "test"),
    [
        ("dev-tune", "dev-test"),
        ("refusal-tune", "dev-test"),
        ("followup-tune", "dev-test"),
        ("seed-tune", "seed-test"),
        ("gold", "dev-test"),
        ("dev-tune", "terms-test"),
        ("refusal-tune", "terms-test"),
        ("followup-tune", "terms-test"),
        ("gold", "terms-test"),
        ("dev-tune", "broad-test"),
        ("refusal-tune", "broad-test"),
        ("followup-tune", "broad-test"),
        ("gold", "broad-test"),
        ("dev-tune", "followup-test"),
        ("refusal-tune", "followup-test"),
        ("followup-tune", "followup-test"),
        ("gold", "followup-test"),
        ("followup-tune2", "dev-test"),
        ("followup-tune2", "terms-test"),
        ("followup-tune2", "broad-test"),
        ("followup-tune2", "followup-test"),
    ],
)
def test_no_tune_set_repeats_a_test_question_in_other_words(tune, test):
    """Tuning on "If I open source my tool, can I never make money?" is tuning on the test
    split's "If I open source my app, …": ten such questions were dropped from refusal-tune."""
    datasets = REPO / "eval/datasets"
    assert near_duplicates(datasets / f"{tune}.jsonl", datasets / f"{test}.jsonl") == []


def test_the_near_duplicate_check_finds_a_reworded_question(tmp_path):
    row = {"id": "t1", "question": "If I open source my app, can I never make money from it?"}
    (tmp_path / "a.jsonl").write_text(json.dumps(row) + "\n")
    row = {"id": "t2", "question": "If I open source my tool, can I never make money?"}
    (tmp_path / "b.jsonl").write_text(json.dumps(row) + "\n")
    assert near_duplicates(tmp_path / "a.jsonl", tmp_path / "b.jsonl") == [
        "t1 nearly repeats t2 of b.jsonl (0.71)"
    ]


def test_checker_reports_a_quote_that_is_not_in_its_source(tmp_path):
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} absent")
    row = json.loads(GOLD.read_text().splitlines()[0])
    row["evidence"] = ["words that appear in no essay at all, surely"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(row) + "\n")
    problems = check(bad, SHARED)
    assert problems and "evidence" in problems[0].lower()


def test_bootstrap_interval_brackets_the_mean():
    mean, lo, hi = bootstrap_ci([1.0] * 45 + [0.0] * 15)
    assert mean == pytest.approx(0.75) and lo < mean < hi and hi - lo < 0.3
    assert bootstrap_ci([1.0, 1.0]) == (1.0, 1.0, 1.0)


def test_compare_flags_drops_beyond_the_interval_only():
    base = {
        "answers.gold_essay_cited": {"mean": 0.9, "lo": 0.8, "hi": 0.97, "n": 40},
        "refusal.false_refusal_rate": {"mean": 0.05, "lo": 0.0, "hi": 0.12, "n": 40},
        "latency.total_ms": {"p50": 10.0, "p95": 20.0, "n": 40},
        "answers.words": {"mean": 200.0, "lo": 190.0, "hi": 210.0, "n": 40},
    }
    same = {k: dict(v) for k, v in base.items()}
    assert compare(same, base) == []
    noise = {**same, "answers.gold_essay_cited": {**base["answers.gold_essay_cited"], "mean": 0.85}}
    assert compare(noise, base) == []
    worse = {
        **same,
        "answers.gold_essay_cited": {**base["answers.gold_essay_cited"], "mean": 0.6},
        "refusal.false_refusal_rate": {**base["refusal.false_refusal_rate"], "mean": 0.3},
        "latency.total_ms": {"p50": 1e6, "p95": 1e6, "n": 40},
        "answers.words": {"mean": 100.0, "lo": 90.0, "hi": 110.0, "n": 40},
    }
    flagged = compare(worse, base)
    # Neither latency nor an answer's length is a regression: shorter is no worse.
    assert len(flagged) == 2 and not any("latency" in f or "words" in f for f in flagged)


def test_aggregate_counts_refusals_both_ways():
    rows = [
        {
            "answerable": True,
            "refused": False,
            "kind": "factual",
            "timings": {"total_ms": 5.0},
            "words": 120,
        },
        {"answerable": True, "refused": True, "kind": "factual", "timings": {"total_ms": 5.0}},
        {"answerable": False, "refused": True, "kind": "offtopic", "timings": {"total_ms": 1.0}},
    ]
    m = aggregate(rows, 5)
    assert m["refusal.false_refusal_rate"]["mean"] == 0.5
    assert m["refusal.recall"]["mean"] == 1.0
    assert m["refusal.precision"]["mean"] == 0.5
    assert m["latency.total_ms"]["p50"] == 5.0
    assert m["answers.words"]["mean"] == 120.0  # the answered one only


@needs_shared
def test_eval_cli_writes_reports_and_gates(tmp_path, capsys):
    mini = tmp_path / "mini.jsonl"
    lines = GOLD.read_text().splitlines()
    factual = [line for line in lines if json.loads(line)["kind"] == "factual"]
    seed = [line for line in factual if "seed/" in line]
    # Two questions on the seed essay and two on others: each is also asked after one
    # on other essays (a topic switch).
    picked = seed[:2] + [line for line in factual if line not in seed][:2]
    picked += [line for line in lines if json.loads(line)["kind"] == "offtopic"][:2]
    mini.write_text("\n".join(picked) + "\n")
    report = tmp_path / "report"
    baseline = tmp_path / "base.json"
    args = [
        "eval",
        "--dataset",
        str(mini),
        "--root",
        str(SHARED),
        "--report",
        str(report),
        "--data-dir",
        str(tmp_path / "data"),
    ]
    assert main([*args, "--write-baseline", str(baseline)]) == 0
    for name in ("report.json", "report.md", "report.html"):
        assert (report / name).stat().st_size > 200
    assert "data:image/png;base64," in (report / "report.html").read_text()
    result = json.loads((report / "report.json").read_text())
    assert {"config", "metrics", "rows"} <= set(result) and len(result["rows"]) == 6
    assert result["config"]["git_commit"]  # a clone always has a HEAD
    assert result["metrics"]["citations.citation_validity"]["mean"] == 1.0
    for mode in ("lexical", "dense", "hybrid"):
        assert f"retrieval.{mode}.hit@5" in result["metrics"]
    for mode in ("switch_ours", "switch_naive", "switch_alone"):  # the factual ones, switched
        assert result["metrics"][f"retrieval.{mode}.hit@1"]["n"] >= 2

    assert main([*args, "--compare", str(baseline)]) == 0  # against itself: no regression
    inflated = json.loads(baseline.read_text())
    inflated["metrics"]["retrieval.hybrid.mrr"] = {"mean": 1.5, "lo": 1.49, "hi": 1.51, "n": 4}
    baseline.write_text(json.dumps(inflated))
    capsys.readouterr()
    assert main([*args, "--compare", str(baseline)]) == 1
    assert "REGRESSION" in capsys.readouterr().out


def test_eval_without_dataset_is_a_clear_error(tmp_path, capsys):
    assert (
        main(["eval", "--dataset", str(tmp_path / "none.jsonl"), "--data-dir", str(tmp_path)]) == 1
    )
    assert "No dataset" in capsys.readouterr().err


def test_committed_baseline_is_readable():
    base = json.loads((REPO / "eval/baseline.json").read_text())
    assert base["metrics"]["citations.citation_validity"]["mean"] == 1.0
    assert Path(base["config"]["dataset"]).name == "gold.jsonl"


def test_each_standalone_question_switches_from_the_next_one_on_other_essays():
    def item(id_, sources, history=(), answerable=True, kind="factual"):
        return Item(id_, f"q{id_}", list(history), answerable, list(sources), [], [], kind)

    items = [
        item("a", ["x.md"]),
        item("b", ["x.md", "y.md"]),
        item("c", ["z.md"]),
        item("d", ["x.md"], history=["earlier"], kind="followup"),
        item("e", [], answerable=False, kind="unanswerable"),
    ]
    # Follow-ups and unanswerables neither switch nor are switched from; "b" shares an
    # essay with "a", so "a" follows "c" (cyclically, the next on other essays).
    assert topic_switches(items) == {"a": "qc", "b": "qc", "c": "qa"}


def test_an_eval_index_holding_the_essays_from_another_folder_says_so(settings, tmp_path):
    """The eval index keeps one essay per file name: the same essays from another folder
    are skipped by name, and the error says so rather than "nothing could be indexed"."""
    from assistant.evaluation.run import prepare

    essay = "---\ntitle: Negotiation\n---\n\n# Negotiation\n\nAlways negotiate an offer.\n"
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "negotiation.md").write_text(essay)
    prepare(settings, tmp_path / "first", baseline=False)
    with pytest.raises(ValueError, match=r"same name 'negotiation\.md'"):
        prepare(settings, tmp_path / "second", baseline=False)


def test_the_first_k_scored_are_the_passages_the_answer_was_drafted_from(tmp_path):
    """A question read one way: its top k keeps the passage that leads by meaning
    (search/fusion.py, ``with_leads``), which a deeper retrieval may rank below k. The
    scored list starts with the top k, then the deeper list's rest (pure logic)."""

    def chunk(n: int) -> Chunk:
        return Chunk("a.md", "A", "A", (f"part {n}",), f"text {n}", n * 10, n * 10 + 9, n)

    deeper = [SearchHit(chunk(n), 0.5) for n in range(10)]
    top = [*deeper[:4], deeper[7]]  # the lead by meaning, seventh in the deeper list

    class Retriever:
        def retrieve_all(self, readings, k=None, *, asks=None):
            return Retrieved(query=readings[0], hits=deeper[: k or 5], dense_best=0.5)

    evaluator = Evaluator(SimpleNamespace(retriever=Retriever()), tmp_path)
    found = Retrieved(query="q", hits=top, dense_best=0.5)
    scored = evaluator._read(("q",), 10, found, "q")
    assert scored[:5] == top
    assert [h.chunk.ordinal for h in scored[5:]] == [4, 5, 6, 8, 9]
