"""Nothing piles up while the web chat serves: an answer writes no file, an export is
written only when asked for, and old exports are deleted.

The session apps share the machine's /tmp (and Gradio's default cache) with everything
else running here, so files there can't be counted; this module starts one app whose
temp folder and Gradio cache are its own.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.conftest import web_app

QUESTIONS = [
    "What makes an AI practitioner valuable?",
    "How do I keep learning as AI moves fast?",
    "Are salary bands published for each level?",
    "What should I work on first?",
]


def files(*folders: Path) -> set[Path]:
    return {p for folder in folders for p in folder.rglob("*") if p.is_file()}


def test_answers_write_no_file_until_asked_and_a_stopped_server_leaves_none(
    tmp_path_factory, web_corpus, tmp_path
):
    """Through a real `python app.py` whose temp folder and Gradio cache are this test's."""
    from gradio_client import Client

    top = tmp_path_factory.mktemp("leaks")
    tmp, cache = top / "tmp", top / "gradio-cache"
    tmp.mkdir()
    cache.mkdir()
    env = {"TMPDIR": str(tmp), "GRADIO_TEMP_DIR": str(cache)}
    with web_app(top / "data", web_corpus, env) as url:
        client = Client(f"{url}/", verbose=False, download_files=str(tmp_path))
        client.predict(QUESTIONS[0], "extractive", 5, api_name="/ask")  # warm: lazy files
        before = files(tmp, cache)
        for question in QUESTIONS[1:]:
            client.predict(question, "extractive", 5, api_name="/ask")
        assert files(tmp, cache) == before  # three answers, not one new file

        exported = Path(client.predict(api_name="/export"))
        text = exported.read_text()
        assert text.startswith("# Career assistant conversation")
        assert all(q in text for q in QUESTIONS)
        new = files(tmp, cache) - before
        assert {p.name for p in new} == {exported.name}  # the export and its served copy
        assert len(new) <= 2
        client.close()
    # Stopped (SIGTERM), the server took its exports and Gradio's copies with it.
    assert not [p for p in files(tmp, cache) if p.name.startswith("conversation-")]


def test_old_and_surplus_exports_are_deleted(tmp_path):
    from assistant.apps.web_chat import prune_exports

    folder = tmp_path / "exports"
    folder.mkdir()
    now = time.time()
    for i in range(12):
        path = folder / f"conversation-{i:032x}.md"
        path.write_text("x")
        os.utime(path, (now - i * 60, now - i * 60))  # i minutes old
    (folder / "not-ours.txt").write_text("kept")

    removed = prune_exports(folder, keep=5, max_age=8 * 60 + 1, now=now)
    left = sorted(p.name for p in folder.iterdir())
    assert left == [f"conversation-{i:032x}.md" for i in range(5)] + ["not-ours.txt"]
    assert removed == 7

    assert prune_exports(folder, keep=5, max_age=150, now=now) == 2  # older than 2.5 min
    assert len(list(folder.glob("conversation-*.md"))) == 3


def test_a_conversation_holds_a_bounded_number_of_turns(tmp_path):
    """A session's turns live in server memory: past MAX_TURNS the chat asks for a new
    one instead of growing (the assistant is not even asked)."""
    from assistant.apps.web_chat import MAX_TURNS, WebChat
    from assistant.config import Settings

    chat = WebChat(None, Settings(data_dir=tmp_path / "data"))  # type: ignore[arg-type]
    turns = [{"question": f"q{i}", "html": "<div>a</div>", "answer": {}} for i in range(MAX_TURNS)]
    outputs = list(chat.respond("One more?", turns, "extractive", 5))
    assert len(outputs) == 1
    box, shown, _, kept, note = outputs[0]
    assert box == "One more?" and "New chat" in note
    assert len(kept) == MAX_TURNS and len(shown) == 2 * MAX_TURNS
