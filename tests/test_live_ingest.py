"""A curator adds essays while the chat is serving: a real `career-assistant ingest`
process writes the embedded index that a real `python app.py` is answering from, under
load. Every answer must succeed, and the new essays must be found without a restart."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from pathlib import Path

import httpx

from tests.conftest import CLI, CORPUS, SHARED_CORPORA, needs_shared, web_app

# A question only the opensource-guide essays answer.
NEW_QUESTION = "How do I write a good CONTRIBUTING file for my open source project?"


@needs_shared
def test_ingest_beside_a_serving_app_fails_no_answer(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "building-an-ai-career.md", corpus)
    data = tmp_path / "data"
    with web_app(data, corpus) as url:
        statuses: list[int] = []
        stop = threading.Event()

        def load() -> None:  # bounded: stops when the ingest is done, or after 10 minutes
            deadline = time.monotonic() + 600
            with httpx.Client(base_url=url, timeout=120) as client:
                while not stop.is_set() and time.monotonic() < deadline:
                    r = client.post("/api/ask", json={"question": "How do I build a portfolio?"})
                    statuses.append(r.status_code)

        worker = threading.Thread(target=load, daemon=True)
        worker.start()
        new = sorted((SHARED_CORPORA / "opensource-guide").glob("*.md"))
        for essay in new:
            shutil.copy(essay, corpus)
        ingest = subprocess.run(
            [str(CLI), "ingest", str(corpus), "--data-dir", str(data)],
            capture_output=True,
            text=True,
            timeout=900,
        )
        stop.set()
        worker.join(timeout=180)
        assert ingest.returncode == 0, ingest.stderr
        assert "added 8" in ingest.stdout, ingest.stdout
        assert len(statuses) >= 5, statuses  # the load really ran during the ingest
        assert set(statuses) == {200}, [s for s in statuses if s != 200][:5]

        # The server picks up the new essays without a restart.
        r = httpx.post(f"{url}/api/ask", json={"question": NEW_QUESTION}, timeout=120)
        assert r.status_code == 200, r.text
        sources = {c["source"] for c in r.json()["citations"]}
        assert sources & {p.name for p in new}, r.json()
