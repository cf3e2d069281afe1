"""Hostile file names: a name that isn't UTF-8, or holds newlines, terminal escapes or
bidi overrides, never stops an ingest, and never reaches metadata, JSON, HTML or a
terminal unescaped (issue #12 item 8). Run with the real model, the real embedded
Chroma, the real CLI and the real server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.answer.chain import Assistant
from assistant.apps.web import WebChat
from assistant.apps.web_render import sources_html
from assistant.config import Settings
from assistant.domain import path_on_disk
from assistant.ingest.discover import Candidate, discover, read_essay
from assistant.ingest.pipeline import Ingester
from assistant.search.index import ChunkIndex
from assistant.search.retrieval import PassageRetriever
from tests.conftest import CLI, CORPUS

BAD = b"bad\xffname.md"  # not UTF-8: Python sees it as "bad\udcffname.md"
BAD_SHOWN = "bad\\xffname.md"  # the name as shown, stored and cited
BAD_ESSAY = (
    "# Promotion packets\n\n"
    "A staff engineer promotion packet should list the three design documents you wrote "
    "and the decisions each one changed. Ask your manager to read it before calibration.\n"
)
QUESTION = "What should a staff engineer promotion packet list?"
# Each hostile name and what it is shown as.
HOSTILE = {
    "new\nline.md": "new\\x0aline.md",
    "esc\x1b[31mred.md": "esc\\x1b[31mred.md",
    "rtl\u202edm.txt.md": "rtl\\u202edm.txt.md",
}
MAX_FILE_BYTES = 5_000_000


def _hostile_corpus(top: Path) -> Path:
    """The seed essay, a name that isn't UTF-8, names with control characters, a folder
    called notes.md, and a symlink to an essay outside the folder."""
    root = top / "essays"
    root.mkdir()
    shutil.copy(CORPUS / "building-an-ai-career.md", root)
    with open(os.path.join(os.fsencode(root), BAD), "wb") as fh:
        fh.write(BAD_ESSAY.encode())
    for i, name in enumerate(HOSTILE):
        (root / name).write_text(f"# Essay {i}\n\nMentors answer question number {i} kindly.\n")
    (root / "notes.md").mkdir()
    (root / "notes.md" / "inner.md").write_text("# Inner\n\nKeep a brag document weekly.\n")
    outside = top / "elsewhere"
    outside.mkdir()
    (outside / "linked.md").write_text("# Linked\n\nLinked essays are part of the corpus.\n")
    (root / "linked.md").symlink_to(outside / "linked.md")
    return root


EXPECTED_SOURCES = {
    "building-an-ai-career.md",
    BAD_SHOWN,
    *HOSTILE.values(),
    "notes.md/inner.md",
    "linked.md",
}


def _strict(text: str) -> str:
    """``text`` itself, after checking it holds no surrogate (it encodes as UTF-8)."""
    text.encode("utf-8")
    return text


def _all_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _all_strings(k) + _all_strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _all_strings(v)]
    return []


def _cli(*args: str) -> tuple[int, str, str]:
    """Run the real console script; its output must be valid UTF-8 with no raw escapes."""
    proc = subprocess.run([str(CLI), *args], capture_output=True, timeout=600)
    out, err = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")  # strict
    assert "Traceback" not in err, err[-3000:]
    assert "\x1b[31m" not in out + err, "a file name wrote a terminal escape"
    return proc.returncode, out, err


# -- the real CLI ------------------------------------------------------------------------


def test_cli_ingests_every_hostile_name_and_ask_json_cites_it_escaped(tmp_path):
    root = _hostile_corpus(tmp_path)
    data = str(tmp_path / "data")

    code, out, err = _cli("ingest", str(root), "--data-dir", data, "-v")
    assert code == 0, err
    assert "files: 7 (added 7" in out and "skipped 0" in out, out + err
    assert f"indexed {BAD_SHOWN} (" in err
    assert "indexed new\\x0aline.md (" in err  # one line, not two
    assert not [line for line in err.splitlines() if line.startswith("line.md")]

    code, out, err = _cli("ingest", str(root), "--data-dir", data)
    assert code == 0 and "unchanged 7" in out and "embedded 0" in out, out + err  # stable ids

    code, out, _ = _cli("ask", QUESTION, "--json", "--data-dir", data)
    assert code == 0
    assert "\\ud" not in out.lower()  # no surrogate smuggled in as a JSON escape
    answer = json.loads(out)
    assert BAD_SHOWN in [c["source"] for c in answer["citations"]], answer
    for s in _all_strings(answer):
        _strict(s)


# -- in process: metadata, problem lines, the viewer ---------------------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, embeddings) -> tuple[Settings, Path, Any]:
    top = tmp_path_factory.mktemp("hostile")
    root = _hostile_corpus(top)
    settings = Settings(data_dir=top / "data", corpus=(root,))
    report = Ingester(settings, embeddings=embeddings).run()
    return settings, root, report


def test_metadata_holds_escaped_names_and_no_surrogate(hostile, embeddings):
    settings, _, report = hostile
    assert report.ok and report.problems == [] and report.added == 7
    index = ChunkIndex(settings, embeddings, create=False)
    got = index.collection.get(include=["metadatas", "documents"])
    sources = {m["source"] for m in got["metadatas"]}
    assert sources == EXPECTED_SOURCES
    for meta in got["metadatas"]:
        for value in meta.values():
            if isinstance(value, str):
                _strict(value)
                assert "\n" not in value and "\x1b" not in value and "\u202e" not in value
    bad = [m for m in got["metadatas"] if m["source"] == BAD_SHOWN]
    assert bad and bad[0]["title"] == "Promotion packets"


def test_viewer_and_sources_survive_an_undecodable_name(hostile, embeddings):
    settings, _, _ = hostile
    bot = Assistant(settings, embeddings, PassageRetriever.from_settings(settings, embeddings))
    chat = WebChat(bot, settings)
    answer = bot.ask(QUESTION)
    assert BAD_SHOWN in [c.source for c in answer.citations]
    html_out = sources_html(answer, 0, bot.retriever.chunks)
    assert BAD_SHOWN in _strict(html_out)
    json.dumps(answer.to_json(), ensure_ascii=False).encode("utf-8")
    viewer = chat.open_link(BAD_SHOWN, "", "")
    assert viewer is not None and BAD_SHOWN in _strict(viewer)


def test_the_stored_path_leads_back_to_the_file(hostile, embeddings):
    """What the viewer and the quote finder need: the stored (escaped) path, unescaped,
    opens the file whose name isn't UTF-8."""
    settings, root, _ = hostile
    index = ChunkIndex(settings, embeddings, create=False)
    meta = next(m for m in index.all_metadata() if m["source"] == BAD_SHOWN)
    assert meta["path"] == f"{root}/{BAD_SHOWN}" and meta["root"] == str(root)
    assert Path(path_on_disk(str(meta["path"]))).read_bytes() == BAD_ESSAY.encode()
    newline = next(m for m in index.all_metadata() if m["source"] == "new\\x0aline.md")
    assert Path(path_on_disk(str(newline["path"]))).name == "new\nline.md"
    plain = next(m for m in index.all_metadata() if m["source"] == "linked.md")
    assert path_on_disk(str(plain["path"])) == str(root / "linked.md")


def test_viewer_opens_the_essay_behind_an_undecodable_name(hostile, embeddings):
    settings, _, _ = hostile
    bot = Assistant(settings, embeddings, PassageRetriever.from_settings(settings, embeddings))
    viewer = WebChat(bot, settings).open_link(BAD_SHOWN, "", "")
    assert viewer is not None and "design documents you wrote" in viewer


def test_quote_offsets_point_into_an_undecodable_name(hostile, embeddings):
    settings, _, _ = hostile
    bot = Assistant(settings, embeddings, PassageRetriever.from_settings(settings, embeddings))
    cited = [c for c in bot.ask(QUESTION).citations if c.source == BAD_SHOWN]
    raw = BAD_ESSAY  # ASCII: character offsets are byte offsets
    assert cited and "calibration" not in raw[cited[0].start : cited[0].end]


def test_a_given_path_that_is_not_utf8_is_one_line(settings, embeddings, tmp_path):
    folder = os.path.join(os.fsencode(tmp_path), b"corpus\xfe")
    os.mkdir(folder)
    with open(os.path.join(folder, b"essay.md"), "wb") as fh:
        fh.write(b"# Essay\n\nNegotiate the offer calmly.\n")
    single = os.path.join(os.fsencode(tmp_path), BAD)
    with open(single, "wb") as fh:
        fh.write(BAD_ESSAY.encode())
    report = Ingester(settings, embeddings=embeddings).run(
        [Path(os.fsdecode(folder)), Path(os.fsdecode(single)), CORPUS]
    )
    lines = [_strict(str(p)) for p in report.problems]
    assert len(lines) == 2 and all("\n" not in line for line in lines), lines
    assert "corpus\\xfe" in lines[0] and "rename it" in lines[0]
    assert BAD_SHOWN in lines[1] and "rename it" in lines[1]
    assert report.ok and report.added == 1  # the good path still got in


def test_front_matter_with_a_surrogate_or_control_characters_is_cleaned(
    settings, embeddings, tmp_path
):
    root = tmp_path / "fm"
    root.mkdir()
    (root / "fm.md").write_text(
        '---\ntitle: "Sur\\ud800rogate"\nauthor: "Bell\\x07 \\x1b[2J"\n---\n\n'
        "Recruiters reply faster to short messages that name a role.\n"
    )
    shutil.copy(CORPUS / "building-an-ai-career.md", root)
    report = Ingester(settings, embeddings=embeddings).run([root])
    assert report.ok and report.added == 2, [str(p) for p in report.problems]
    index = ChunkIndex(settings, embeddings, create=False)
    metas = [m for m in index.all_metadata() if m["source"] == "fm.md"]
    assert metas[0]["title"] == "Sur\\ud800rogate"
    assert metas[0]["author"] == "Bell\\x07 \\x1b[2J"


def test_a_very_long_name_does_not_crowd_out_the_passage(settings, embeddings, tmp_path):
    """The title (here from the file name) prefixes every embedded chunk; a 250-character
    name of one-token pieces must not push the passage past the model's 256 word pieces."""
    root = tmp_path / "long"
    root.mkdir()
    name = "a." * 124 + "md"  # 250 bytes, under NAME_MAX
    body = " ".join(["Ask your manager which skills the next level needs."] * 12)
    (root / name).write_text(body + "\n")
    report = Ingester(settings, embeddings=embeddings).run([root])
    assert report.ok, [str(p) for p in report.problems]
    index = ChunkIndex(settings, embeddings, create=False)
    got = index.collection.get(include=["metadatas", "documents"])
    from assistant.domain import Chunk

    chunks = [
        Chunk.from_metadata(i, d, m)
        for i, d, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
    ]
    assert all(len(c.title) <= 101 for c in chunks)
    counts = embeddings.count_tokens([c.embed_text for c in chunks])
    assert max(counts) <= embeddings.max_seq_length
    # the passage, not the title, fills the chunk
    assert all(len(c.text.split()) > 20 for c in chunks)


# -- races between discovery and reading -------------------------------------------------


def _only_candidate(root: Path) -> Candidate:
    found = list(discover(root))
    assert len(found) == 1 and isinstance(found[0], Candidate), found
    return found[0]


def test_a_file_that_vanishes_after_discovery_is_one_line(tmp_path):
    (tmp_path / "gone.md").write_text("# Gone\n\nSoon.\n")
    cand = _only_candidate(tmp_path)
    (tmp_path / "gone.md").unlink()
    problem = read_essay(cand, MAX_FILE_BYTES)
    assert str(problem).endswith("gone.md: file disappeared; skipped")


def test_an_undecodable_name_is_read_from_its_real_path(tmp_path):
    with open(os.path.join(os.fsencode(tmp_path), BAD), "wb") as fh:
        fh.write(BAD_ESSAY.encode())
    cand = _only_candidate(tmp_path)
    assert cand.source == BAD_SHOWN and str(cand.path).endswith(BAD_SHOWN)
    read = read_essay(cand, MAX_FILE_BYTES)
    assert not isinstance(read, Exception) and getattr(read, "text", "") == BAD_ESSAY
    os.unlink(os.path.join(os.fsencode(tmp_path), BAD))
    assert str(read_essay(cand, MAX_FILE_BYTES)) == (
        f"{tmp_path}/{BAD_SHOWN}: file disappeared; skipped"
    )


def test_a_file_replaced_by_a_fifo_after_discovery_does_not_hang(tmp_path):
    (tmp_path / "pipe.md").write_text("# Pipe\n\nSoon a FIFO.\n")
    cand = _only_candidate(tmp_path)
    (tmp_path / "pipe.md").unlink()
    os.mkfifo(tmp_path / "pipe.md")
    result: list[object] = []
    reader = threading.Thread(target=lambda: result.append(read_essay(cand, 1000)), daemon=True)
    reader.start()
    reader.join(timeout=60)  # a guard against a hang, not a timing assertion
    if reader.is_alive():  # unblock the stuck open() so the thread can end
        os.close(os.open(tmp_path / "pipe.md", os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("reading a FIFO blocked")
    assert "not a regular file" in str(result[0])


# -- the real server ---------------------------------------------------------------------


def test_api_ask_cites_an_undecodable_name_escaped(open_app, tmp_path):
    """Ingest a folder with a bad name into the running app's index (as a curator adds
    essays), ask over HTTP, then take the folder's essays out again."""
    root = tmp_path / "more"
    root.mkdir()
    with open(os.path.join(os.fsencode(root), BAD), "wb") as fh:
        fh.write(BAD_ESSAY.encode())
    data = str(open_app.data)
    try:
        code, _, err = _cli("ingest", str(root), "--data-dir", data)
        assert code == 0, err
        r = httpx.post(f"{open_app.url}/api/ask", json={"question": QUESTION}, timeout=120)
        assert r.status_code == 200, r.text
        r.content.decode("utf-8")  # strict
        assert "\\ud" not in r.text.lower()
        assert BAD_SHOWN in [c["source"] for c in r.json()["citations"]], r.json()
    finally:
        os.unlink(os.path.join(os.fsencode(root), BAD))
        subprocess.run(
            [str(CLI), "ingest", str(root), "--data-dir", data], capture_output=True, timeout=600
        )
