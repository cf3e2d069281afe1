"""The question log: what every surface appends to <data dir>/questions.jsonl, the
feedback join by answer id, and appends from many threads and processes at once."""

from __future__ import annotations

import json
import math
import multiprocessing
import threading
from argparse import Namespace
from pathlib import Path

import httpx
import pytest

from assistant.answer import Assistant
from assistant.apps.chat_cli import ask_command
from assistant.apps.web import WebChat
from assistant.config import Settings
from assistant.domain import Answer
from assistant.evaluation import QuestionLog, append_line, load_questions
from assistant.ingest import Ingester
from assistant.search import PassageRetriever
from tests.conftest import CORPUS, App

FIELDS = {
    "id",
    "ts",
    "surface",
    "question",
    "query",
    "refused",
    "reason",
    "best_score",
    "support",
    "cited",
    "top",
    "generator",
}
ANSWERED = "What makes an AI practitioner valuable?"
REFUSED = "Will a startup sponsor my H-1B visa?"


@pytest.fixture(scope="module")
def seed(tmp_path_factory, embeddings) -> tuple[Settings, Assistant]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("qlog") / "data", corpus=(CORPUS,))
    Ingester(settings, embeddings=embeddings).run()
    return settings, Assistant(
        settings, embeddings, PassageRetriever.from_settings(settings, embeddings)
    )


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_record_keeps_what_curating_needs_and_nothing_else(seed, tmp_path):
    settings, bot = seed
    log = QuestionLog(tmp_path / "questions.jsonl")
    answered = bot.ask(ANSWERED)
    refused = bot.ask(REFUSED)
    log.record(ANSWERED, answered, "cli")
    log.record(REFUSED, refused, "api", answer_id="given-id")
    first, second = lines(log.path)
    assert set(first) == FIELDS and set(second) == FIELDS
    assert first["surface"] == "cli" and not first["refused"] and first["support"] >= 0.68
    assert first["cited"] == ["building-an-ai-career.md"]
    assert first["best_score"] == round(answered.best_score, 4) > settings.refuse_below
    assert [t["source"] for t in first["top"]] == [h.chunk.source for h in answered.hits[:3]]
    assert second["id"] == "given-id" and second["refused"] and second["reason"]
    assert second["support"] is None and second["cited"] == []
    assert (log.path.stat().st_mode & 0o777) == 0o600  # what people asked stays private


def test_the_setting_turns_the_log_off_and_a_failed_write_never_breaks_an_answer(
    seed, tmp_path, caplog
):
    _, bot = seed
    answer = bot.ask(ANSWERED)
    off = QuestionLog.from_settings(Settings(data_dir=tmp_path / "off", question_log=False))
    assert off.record(ANSWERED, answer, "web")  # still an id, for the feedback join
    assert not (tmp_path / "off").exists()
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    broken = QuestionLog(blocked / "questions.jsonl")  # its folder is a file: OSError
    assert broken.record(ANSWERED, answer, "web")
    assert "question not logged" in caplog.text


def test_a_long_question_is_cut_to_the_limit(seed, tmp_path):
    _, bot = seed
    answer = bot.ask(ANSWERED)
    log = QuestionLog(tmp_path / "q.jsonl", max_chars=20)
    log.record("x" * 100, answer, "web")
    assert lines(log.path)[0]["question"] == "x" * 20


def _append_many(path: str, worker: int, count: int) -> None:
    for i in range(count):
        append_line(Path(path), {"worker": worker, "i": i, "pad": "é" * (500 + 997 * (i % 9))})


def test_threads_and_processes_appending_at_once_never_interleave(tmp_path):
    path = tmp_path / "questions.jsonl"
    count = 150
    threads = [threading.Thread(target=_append_many, args=(str(path), w, count)) for w in range(4)]
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(str(path), 10 + w, count)) for w in range(3)]
    for job in [*threads, *procs]:
        job.start()
    for job in [*threads, *procs]:
        job.join()
    assert all(p.exitcode == 0 for p in procs)
    records = lines(path)  # every line parses
    assert len(records) == 7 * count
    for worker in [0, 1, 2, 3, 10, 11, 12]:
        mine = [r["i"] for r in records if r["worker"] == worker]
        assert mine == list(range(count))  # one writer's lines keep their order


def test_a_full_log_is_rotated_and_both_files_are_read(tmp_path):
    """A flood of questions can't fill the disk: past the limit the file becomes
    questions.1.jsonl (replacing the one before) and a new one begins."""
    path = tmp_path / "questions.jsonl"
    for i in range(30):
        append_line(
            path, {"id": f"a{i}", "ts": "2026-01-02T10:00:00+00:00", "question": "q" * 80}, 1000
        )
    older = tmp_path / "questions.1.jsonl"
    assert older.exists() and path.stat().st_size <= 1000 and older.stat().st_size <= 1000
    kept = [r["id"] for r in load_questions(tmp_path)]
    assert kept == [f"a{i}" for i in range(30 - len(kept), 30)]  # the newest, in order
    assert len(kept) >= 10  # about two files' worth
    assert all(len(raw) > 80 for raw in path.read_text().splitlines())  # no line cut
    assert Settings().question_log_mb == 50.0


def _append_capped(path: str, worker: int, count: int, cap: int) -> None:
    for i in range(count):
        append_line(Path(path), {"worker": worker, "i": i, "pad": "x" * 40}, cap)


def test_processes_rotating_at_once_lose_no_line(tmp_path):
    """A process that waited on the file another one rotated writes to the new file; it
    must not rotate again and push the new file over the older one."""
    path = tmp_path / "questions.jsonl"
    count, cap = 120, 40_000  # 6 writers x 120 lines of ~80 bytes: one rotation
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_capped, args=(str(path), w, count, cap)) for w in range(6)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    assert all(p.exitcode == 0 for p in procs)
    older = tmp_path / "questions.1.jsonl"
    records = lines(older) + lines(path)
    assert len(records) == 6 * count
    for worker in range(6):
        assert [r["i"] for r in records if r["worker"] == worker] == list(range(count))


def test_votes_join_by_answer_id_and_since_filters(tmp_path):
    data = tmp_path
    for i, ts in enumerate(["2026-01-02T10:00:00+00:00", "2026-03-04T10:00:00+00:00"]):
        append_line(data / "questions.jsonl", {"id": f"a{i}", "ts": ts, "question": f"q{i}"})
    (data / "questions.jsonl").open("a").write('{"id": "cut mid-wri\n')  # a damaged line
    append_line(data / "feedback.jsonl", {"answer_id": "a1", "liked": True, "comment": ""})
    append_line(data / "feedback.jsonl", {"answer_id": "a1", "liked": False, "comment": "meh"})
    append_line(data / "feedback.jsonl", {"question": "an old vote without an id"})
    records = load_questions(data)
    assert [(r["id"], r["liked"], r["comment"]) for r in records] == [
        ("a0", None, ""),
        ("a1", False, "meh"),  # the last vote wins
    ]
    import datetime as dt

    assert [r["id"] for r in load_questions(data, dt.date(2026, 2, 1))] == ["a1"]


def test_the_web_chat_logs_its_answers_and_votes_carry_the_id(seed):
    settings, bot = seed
    chat = WebChat(bot, settings)
    turns: list = []
    *_, (_, _, _, turns, _) = chat.respond(ANSWERED, turns, "extractive", 5)
    chat.like(turns, "too short", [1, 0], False)
    logged = [r for r in load_questions(settings.data_dir) if r["id"] == turns[0]["id"]]
    assert len(logged) == 1 and logged[0]["surface"] == "web"
    assert logged[0]["liked"] is False and logged[0]["comment"] == "too short"
    chat.close()


def test_the_web_chat_passes_its_last_answer_on(seed, monkeypatch):
    """A follow-up in the web chat is asked with the last answer, from the session's own
    state, so the extractive answer brings what is new first."""
    settings, bot = seed
    chat = WebChat(bot, settings)
    seen: list = []
    real = bot.stream

    def spy(question, history=(), **kw):  # type: ignore[no-untyped-def]
        seen.append(list(history))
        return real(question, history, **kw)

    monkeypatch.setattr(bot, "stream", spy)
    *_, (_, _, _, turns, _) = chat.respond(ANSWERED, [], "extractive", 5)
    list(chat.respond("How do I get better at that?", turns, "extractive", 5))
    assert seen[0] == []
    assert seen[1] == [ANSWERED, {"role": "assistant", "content": turns[0]["answer"]["text"]}]
    chat.close()


def test_ask_on_the_command_line_is_logged(seed, capsys):
    settings, _ = seed
    before = len(load_questions(settings.data_dir))
    args = Namespace(question=REFUSED, history_file=None, k=None, json=True)
    assert ask_command(settings, args) == 0
    after = load_questions(settings.data_dir)
    assert len(after) == before + 1
    assert after[-1]["surface"] == "cli" and after[-1]["question"] == REFUSED


def test_the_api_logs_both_routes_with_no_address(open_app: App):
    """The running app (python app.py) logs /api/ask and /v1/chat/completions, streamed
    or not; no record holds the client's address or headers."""
    url = open_app.url
    asked = "How do I build a portfolio that stands out?"
    r = httpx.post(f"{url}/api/ask", json={"question": asked}, timeout=120)
    assert r.status_code == 200
    body = {"messages": [{"role": "user", "content": "What should I learn first for AI?"}]}
    assert httpx.post(f"{url}/v1/chat/completions", json=body, timeout=120).status_code == 200
    streamed = {**body, "messages": [{"role": "user", "content": "How do I keep learning?"}]}
    with httpx.stream(
        "POST", f"{url}/v1/chat/completions", json={**streamed, "stream": True}, timeout=120
    ) as s:
        assert "[DONE]" in "".join(s.iter_text())
    text = (open_app.data / "questions.jsonl").read_text(encoding="utf-8")
    records = [json.loads(line) for line in text.splitlines()]
    mine = [r for r in records if r["surface"] == "api"]
    questions = {r["question"] for r in mine}
    assert {asked, "What should I learn first for AI?", "How do I keep learning?"} <= questions
    assert all(set(r) == FIELDS for r in records)
    assert "127.0.0.1" not in text and "user-agent" not in text.lower()


def test_discord_questions_are_logged_without_ids(seed):
    """The Cog's answer path (shared by /ask and mentions) logs the question with every
    Discord mention, which carries an id, taken out."""
    import asyncio

    pytest.importorskip("discord")
    import discord
    from discord.ext import commands

    from assistant.apps.discord_cog import AssistantCog

    settings, bot = seed
    client = commands.Bot(command_prefix="!", intents=discord.Intents.default())
    cog = AssistantCog(client, bot, settings)
    question = "<@123456789012345678> <#998877665544332211> what makes an AI practitioner valuable?"
    result = asyncio.run(cog.safely(question, []))
    assert isinstance(result, Answer)
    text = (settings.data_dir / "questions.jsonl").read_text(encoding="utf-8")
    last = json.loads(text.splitlines()[-1])
    assert last["surface"] == "discord"
    assert last["question"] == "what makes an AI practitioner valuable?"
    assert "123456789012345678" not in text and "998877665544332211" not in text


def test_a_lone_surrogate_is_written_as_a_json_escape(tmp_path: Path) -> None:
    """A string no UTF-8 can hold still makes one valid line, not a lost record."""
    path = tmp_path / "questions.jsonl"
    append_line(path, {"question": "bad \udc80 name é"})
    raw = path.read_bytes()
    assert raw.decode("utf-8").endswith("\n")
    assert json.loads(raw)["question"] == "bad \udc80 name é"


def _write_raw(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def test_records_with_wrong_types_are_read_defensively(tmp_path: Path) -> None:
    """A hand-edited, truncated or older log: every field comes back with its type, and a
    record without a usable question is skipped."""
    _write_raw(
        tmp_path / "questions.jsonl",
        [
            json.dumps(
                {
                    "id": 7,
                    "ts": ["x"],
                    "question": "q1",
                    "query": ["not", "text"],
                    "refused": "false",
                    "reason": ["x"],
                    "best_score": "high",
                    "support": "n/a",
                    "cited": "a.md",
                    "top": "abc",
                }
            ),
            json.dumps({"question": "q2", "top": ["a", {"score": None}, {"source": 3}]}),
            json.dumps({"question": "q3", "refused": "true", "best_score": True, "support": 1e999}),
            '{"question": "q4", "best_score": NaN, "support": 123' + "0" * 400 + "}",
            json.dumps({"question": 42}),  # a number is still something that was asked
            json.dumps({"question": None}),
            json.dumps({"question": ["a"]}),
            json.dumps({"question": "   "}),
            json.dumps({"ts": "2026-01-01"}),
            "[" * 100_000 + "]" * 100_000,  # too deep for the parser: skipped, not a crash
            "42",
        ],
    )
    records = load_questions(tmp_path)
    assert [r["question"] for r in records] == ["q1", "q2", "q3", "q4", "42"]
    for r in records:
        assert isinstance(r["id"], str) and isinstance(r["ts"], str)
        assert isinstance(r["query"], str) and r["query"]
        assert isinstance(r["refused"], bool)
        assert r["reason"] is None or isinstance(r["reason"], str)
        assert isinstance(r["best_score"], float) and math.isfinite(r["best_score"])
        assert r["support"] is None or math.isfinite(r["support"])
        assert isinstance(r["cited"], list) and all(isinstance(c, str) for c in r["cited"])
        for hit in r["top"]:
            assert isinstance(hit["source"], str) and isinstance(hit["score"], float)
    q1, q2, q3, q4, _ = records
    assert q1["query"] == "q1" and q1["refused"] is False and q1["reason"] is None
    assert q1["best_score"] == 0.0 and q1["support"] is None and q1["top"] == []
    assert q2["top"] == [
        {"source": "", "title": "", "heading": "", "score": 0.0},
        {"source": "3", "title": "", "heading": "", "score": 0.0},
    ]
    assert q3["refused"] is True and q3["best_score"] == 0.0 and q3["support"] is None
    assert q4["best_score"] == 0.0 and q4["support"] is None


def test_a_lone_surrogate_reads_back_as_a_replacement_character(tmp_path: Path) -> None:
    """Logged as the escape \\udcff by design; read back, it must be text UTF-8 can hold."""
    append_line(
        tmp_path / "questions.jsonl",
        {"id": "a", "question": "bad \udcff one", "query": "q \ud800", "reason": "x\udc80"},
    )
    append_line(
        tmp_path / "feedback.jsonl", {"answer_id": "a", "liked": False, "comment": "\udc99"}
    )
    (record,) = load_questions(tmp_path)
    assert record["question"] == "bad \ufffd one" and record["query"] == "q \ufffd"
    assert record["reason"] == "x\ufffd" and record["comment"] == "\ufffd"
    json.dumps(record, ensure_ascii=False).encode("utf-8")  # no UnicodeEncodeError


def test_votes_are_parsed_strictly(tmp_path: Path) -> None:
    """bool("false") is True: a vote counts only when it clearly says which."""
    votes = {
        "t": True,
        "f": False,
        "like": "like",
        "dislike": "dislike",
        "st": "true",
        "sf": "False",
        "bad": "maybe",
        "num": 0,
        "none": None,
        "list": [True],
    }
    for i, answer_id in enumerate(votes):
        append_line(tmp_path / "questions.jsonl", {"id": answer_id, "question": f"q{i}"})
        append_line(
            tmp_path / "feedback.jsonl", {"answer_id": answer_id, "liked": votes[answer_id]}
        )
    # A later unreadable vote does not undo an earlier clear one.
    append_line(tmp_path / "feedback.jsonl", {"answer_id": "t", "liked": "yes?"})
    liked = {r["id"]: r["liked"] for r in load_questions(tmp_path)}
    assert liked == {
        "t": True,
        "f": False,
        "like": True,
        "dislike": False,
        "st": True,
        "sf": False,
        "bad": None,
        "num": None,
        "none": None,
        "list": None,
    }
