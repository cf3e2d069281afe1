"""`career-assistant curate` on a log made by asking the real assistant real questions:
answered ones, refused ones and 👎 ones. The topics the essays don't cover must come out
on top, and the ones they answer must not."""

from __future__ import annotations

import json
import shutil

import pytest

from assistant.answer import Assistant
from assistant.apps.cli import main
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.evaluation import (
    append_line,
    build_report,
    curation_for,
    load_questions,
    write_curation,
)
from assistant.evaluation.curate import NOT_COVERED, POORLY, flags_of, thresholds
from assistant.evaluation.curate_report import html_page, markdown, tab_html
from assistant.ingest import Ingester
from assistant.search import PassageRetriever
from eval.curate_example import build_log, read_questions
from tests.conftest import CORPUS, REPO

# The seed essay is about building an AI career.
ANSWERED = [
    "What makes an AI practitioner valuable?",
    "How do I build a portfolio that stands out?",
    "How do I keep up with AI research while working full time?",
    "Should I go into industry or research for AI?",
    "How do I balance theory and practice in machine learning?",
    "Should I specialise in one area of AI or stay broad?",
]
DISLIKED = [
    "What should I put in my machine learning portfolio?",
    "Do open source contributions help an AI portfolio?",
]
UNCOVERED = {
    "visa": [
        "Will a startup sponsor my H-1B visa?",
        "How do I transfer my H-1B visa to a new employer?",
        "Do companies in Germany sponsor work visas for engineers?",
        "Can I get a work visa to move to Canada as a developer?",
    ],
    "freelance": [
        "How much should I charge per hour as a freelance developer?",
        "How do I set my day rate for freelance contract work?",
        "Should I bill freelance clients per project or per hour?",
        "What hourly rate should a freelance web developer ask for?",
    ],
    "equity tax": [
        "How are ISO stock options taxed when I exercise them?",
        "Do I pay tax on RSUs when they vest or when I sell?",
        "What is AMT and will exercising my stock options trigger it?",
    ],
}


@pytest.fixture(scope="module")
def curated(tmp_path_factory, embeddings) -> tuple[Settings, Assistant, dict]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("curate") / "data", corpus=(CORPUS,))
    Ingester(settings, embeddings=embeddings).run()
    bot = Assistant(settings, embeddings, PassageRetriever.from_settings(settings, embeddings))
    asked = [(q, False) for q in ANSWERED] + [(q, True) for q in DISLIKED]
    asked += [(q, False) for group in UNCOVERED.values() for q in group]
    build_log(bot, settings, asked, "web")
    records = load_questions(settings.data_dir)
    report = build_report(records, settings, embeddings, bot.retriever)
    return settings, bot, report


def topic_of(report: dict, question: str) -> tuple[int, dict]:
    for i, topic in enumerate(report["topics"]):
        if question in topic["questions"]:
            return i, topic
    raise AssertionError(f"{question!r} is in no topic")


def test_the_log_joins_the_votes(curated):
    settings, _, report = curated
    records = load_questions(settings.data_dir)
    total = len(ANSWERED) + len(DISLIKED) + sum(len(g) for g in UNCOVERED.values())
    assert len(records) == report["questions"] == total
    assert {r["question"] for r in records if r["liked"] is False} == set(DISLIKED)


def test_uncovered_topics_come_out_on_top_and_covered_ones_do_not(curated):
    _, _, report = curated
    topics = report["topics"]
    # Well-answered questions are in no topic at all.
    every = {q for t in topics for q in t["questions"]}
    assert not every & set(ANSWERED)
    # Each uncovered worry lands, whole, in not-covered topics; the three largest topics
    # are these three worries.
    for name, questions in UNCOVERED.items():
        places = {topic_of(report, q)[0] for q in questions}
        assert all(topics[i]["verdict"] == NOT_COVERED for i in places), name
    largest = [set(t["questions"]) for t in topics[:3]]
    for group in UNCOVERED.values():
        assert any(len(top & set(group)) >= 3 for top in largest), (group, largest)
    # The 👎 questions on a covered topic are flagged, judged covered, and rank below
    # every not-covered topic.
    first_poor = min(topic_of(report, q)[0] for q in DISLIKED)
    assert all(topic_of(report, q)[1]["verdict"] == POORLY for q in DISLIKED)
    assert all(t["verdict"] == NOT_COVERED for t in topics[:first_poor])
    assert all("disliked" in topic_of(report, q)[1]["flags"] for q in DISLIKED)


def test_topics_have_names_examples_and_closest_sections(curated):
    _, _, report = curated
    for topic in report["topics"]:
        assert topic["name"] and topic["terms"] and topic["count"] == len(topic["questions"])
        assert 1 <= len(topic["examples"]) <= 3
        assert topic["sections"] and all(0 < s["score"] <= 1 for s in topic["sections"])
        assert topic["essays"][0]["source"] == "building-an-ai-career.md"
    visa = topic_of(report, UNCOVERED["visa"][0])[1]
    assert "visa" in visa["name"] or "h-1b" in visa["name"]
    freelance = topic_of(report, UNCOVERED["freelance"][0])[1]
    assert "freelance" in freelance["name"]


def test_a_thumbs_up_settles_weak_support_but_not_a_refusal():
    limits = thresholds(Settings())
    weak = {"refused": False, "best_score": 0.35, "support": 1.0, "top": []}
    assert flags_of(weak, limits) == ["weak support"]
    assert flags_of({**weak, "liked": True}, limits) == []
    assert flags_of({**weak, "refused": True, "liked": True}, limits) == ["refused"]
    assert flags_of({**weak, "refused": True, "reason": "instructions"}, limits) == []
    close = [
        {"source": "a.md", "score": 0.45},
        {"source": "b.md", "score": 0.44},
    ]
    assert "no clear winner" in flags_of({**weak, "best_score": 0.5, "top": close}, limits)


def test_the_reports_escape_what_users_and_essays_wrote():
    hostile = 'How do I <img src=x onerror="alert(1)"> | **bold** [x](http://e.example)?'
    topic = {
        "name": "<b>visa</b>",
        "terms": ["visa"],
        "count": 1,
        "verdict": NOT_COVERED,
        "flags": {"refused": 1},
        "reasons": {"weak-evidence": 1},
        "mean_best_score": 0.2,
        "examples": [hostile],
        "questions": [hostile],
        "sections": [
            {
                "source": "e.md",
                "title": "<script>x()</script>",
                "heading": "H",
                "score": 0.3,
                "found_by": 1,
            }
        ],
        "essays": [],
    }
    report = {
        "generated": "2026-01-01T00:00:00+00:00",
        "since": None,
        "questions": 1,
        "answered_badly": 1,
        "flags": {"refused": 1},
        "thresholds": thresholds(Settings()),
        "clustering": "test",
        "topics": [topic],
    }
    for page in (html_page(report), tab_html(report)):
        assert "<img src=x" not in page and "<script>x()" not in page and "<b>visa" not in page
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "<script>" not in tab_html(report)  # the tab's HTML runs nothing
    md = markdown(report)
    assert "\\<img" in md and "\\|" in md and "\\*\\*bold" in md and "\\[x\\]" in md
    assert "<script>" not in md


def test_the_command_writes_markdown_html_and_json(curated, tmp_path, capsys):
    settings, _, _ = curated
    out = tmp_path / "report"
    args = ["curate", "--data-dir", str(settings.data_dir), "--corpus", str(CORPUS)]
    assert main([*args, "--report", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "not covered" in printed and str(out / "report.md") in printed
    data = json.loads((out / "report.json").read_text())
    assert data["topics"][0]["verdict"] == NOT_COVERED
    html_text = (out / "report.html").read_text()
    assert "<table" in html_text and ("data:image/png;base64," in html_text or "bars" in html_text)
    assert (out / "report.md").read_text().startswith("# What the essays answer badly")
    # --since a later day: nothing to report, and no model is loaded for it.
    assert main([*args, "--report", str(tmp_path / "none"), "--since", "2999-01-01"]) == 0
    assert json.loads((tmp_path / "none" / "report.json").read_text())["questions"] == 0


def test_the_command_says_what_to_do_without_a_log_or_with_a_bad_date(tmp_path, capsys):
    assert main(["curate", "--data-dir", str(tmp_path / "empty")]) == 1
    assert "No questions logged yet" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "questions.jsonl").write_text("")
    assert main(["curate", "--data-dir", str(tmp_path / "empty"), "--since", "last week"]) == 1
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_the_example_questions_file_reads_votes():
    questions = read_questions(REPO / "eval" / "datasets" / "curate-example-questions.txt")
    assert len(questions) >= 40 and sum(d for _, d in questions) >= 3
    assert not any(q.startswith(("#", "👎")) for q, _ in questions)


# Lines a hand edit, a full disk or an older version could leave in the log.
HOSTILE_LINES = [
    {"id": 1, "question": "Will my visa be sponsored?", "refused": "true", "reason": ["x"]},
    {"question": "How do I set a freelance rate?", "best_score": "high", "support": "n/a"},
    {"question": "Is a PhD worth it?", "top": "abc", "refused": "false", "best_score": 0.1},
    {"question": "Should I freelance?", "top": ["a"], "cited": 3, "query": {"q": 1}},
    {"question": "What about tax?", "top": [{"score": None}, {"source": "b.md", "score": "x"}]},
    {"question": ["not", "text"], "refused": True},
    {"query": "no question at all", "refused": True},
]
WELL_ANSWERED = {
    "id": "ok",
    "ts": "2026-01-01T00:00:00+00:00",
    "question": "What makes an AI practitioner valuable?",
    "refused": False,
    "best_score": 0.8,
    "support": 0.9,
    "top": [{"source": "building-an-ai-career.md", "score": 0.8}],
}
ONE_BAD = {**WELL_ANSWERED, "id": "bad", "question": "Will a startup sponsor my visa?"}
ONE_BAD.update(refused=True, reason="weak-evidence", best_score=0.2, support=None)


def write_log(data, lines: list[str]) -> None:
    data.mkdir(parents=True, exist_ok=True)
    (data / "questions.jsonl").write_text("".join(f"{x}\n" for x in lines), encoding="utf-8")


def test_a_log_with_wrong_types_still_makes_a_report(curated, embeddings, tmp_path):
    _, bot, _ = curated
    settings = Settings(data_dir=tmp_path / "data", corpus=(CORPUS,))
    write_log(settings.data_dir, [json.dumps(x) for x in HOSTILE_LINES])
    report = curation_for(settings, embeddings=embeddings, retriever=bot.retriever)
    assert report["questions"] == 5 and report["skipped"] == 2
    asked = {q for t in report["topics"] for q in t["questions"]}
    assert "Will my visa be sponsored?" in asked and "Is a PhD worth it?" in asked
    for page in (tab_html(report), html_page(report), markdown(report)):
        assert "PhD" in page
    # build_report itself takes records as they come, unchecked.
    raw = build_report(HOSTILE_LINES, settings, embeddings, bot.retriever)
    assert raw["questions"] == 5 and raw["topics"]


def test_a_surrogate_in_the_log_reaches_every_report_file(curated, embeddings, tmp_path):
    """Logged as \\udcff, read back as U+FFFD: embedded, clustered and written whole."""
    _, bot, _ = curated
    settings = Settings(data_dir=tmp_path / "data", corpus=(CORPUS,))
    append_line(settings.data_dir / "questions.jsonl", {**ONE_BAD, "question": "visa \udcff?"})
    report = curation_for(settings, embeddings=embeddings, retriever=bot.retriever)
    paths = write_curation(report, tmp_path / "out")
    assert json.loads(paths["json"].read_text("utf-8"))["topics"][0]["examples"] == ["visa \ufffd?"]
    assert "visa \ufffd?" in paths["html"].read_text("utf-8")
    assert "visa \ufffd?" in paths["md"].read_text("utf-8")


def test_report_files_are_written_whole_or_not_at_all(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    report = build_report([WELL_ANSWERED], settings, None, None)
    # Text no UTF-8 can hold, put in by a caller that skipped the log's reading.
    report["generated"] = "now \udcff"
    paths = write_curation(report, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        p.name for p in paths.values()
    )
    assert "now \ufffd" in paths["md"].read_text("utf-8")
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    with pytest.raises(AssistantError, match="Could not write the curation report"):
        write_curation(report, blocked / "out")


@pytest.mark.parametrize(
    ("name", "lines", "printed"),
    [
        ("well answered", [json.dumps(WELL_ANSWERED)], "1 question; 0 answered badly"),
        ("one bad", [json.dumps(ONE_BAD)], "1 question; 1 answered badly"),
        ("malformed", ['{"cut', "[1]", '"x"', json.dumps({"question": []})], ""),
    ],
)
def test_small_and_broken_logs_give_a_report_from_the_command_and_the_tab(
    curated, embeddings, tmp_path, capsys, name, lines, printed
):
    source, bot, _ = curated
    data = tmp_path / "data"
    # The shared index, copied: the command opens the model and index itself.
    shutil.copytree(source.data_dir, data, ignore=shutil.ignore_patterns("*.jsonl", "curate"))
    write_log(data, lines)
    args = ["curate", "--data-dir", str(data), "--corpus", str(CORPUS)]
    assert main([*args, "--report", str(tmp_path / "out")]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert printed in out
    if name == "malformed":
        assert "0 questions" in out and "4 log lines skipped" in out
    assert len(json.loads((tmp_path / "out" / "report.json").read_text())["topics"]) == (
        name == "one bad"
    )
    settings = Settings(data_dir=data, corpus=(CORPUS,))
    page = tab_html(curation_for(settings, embeddings=embeddings, retriever=bot.retriever))
    assert ("Nothing was answered badly" in page) == (name != "one bad")
