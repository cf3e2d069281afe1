"""The web chat, for real: `python app.py` on a free port, driven with gradio_client and
with Debian's Chromium through Playwright. Screenshots go to test-artifacts/."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from assistant.answer.chain import Assistant
from assistant.apps.web import WebChat
from assistant.apps.web_render import export_markdown, highlight_quote, sources_html
from assistant.config import Settings
from assistant.domain import Answer, Chunk, Citation
from assistant.ingest.pipeline import Ingester
from assistant.search.retrieval import PassageRetriever
from tests.conftest import ARTIFACTS, show_untrusted, watch

# TEST-NET-3, a documentation address: no server is there, and the browser is kept from
# trying (requests off loopback are aborted in the page and sent to a dead local proxy).
REMOTE = "203.0.113.7"
REMOTE_ESSAY = f"""---
title: Relocation <img src="http://{REMOTE}/title.png"> packages
---

# Relocation packages

A relocation package pays for moving costs when a company asks you to move cities.
![pixel](http://{REMOTE}/md-image.png "tracking")
<img src="http://{REMOTE}/html-img.png" srcset="http://{REMOTE}/srcset.png 2x">
<picture><source srcset="http://{REMOTE}/picture.png"></picture>
<div style="background:url(http://{REMOTE}/css-url.png)">Negotiate the relocation package
before you sign the offer.</div>
<link rel="stylesheet" href="http://{REMOTE}/style.css">
<iframe src="http://{REMOTE}/frame.html"></iframe>
<video poster="http://{REMOTE}/poster.png"></video>
<audio src="http://{REMOTE}/audio.mp3"></audio>
![ref image][pix]

Ask whether the relocation package covers temporary housing
![inline](http://{REMOTE}/inline.png) and travel for your family.

[pix]: http://{REMOTE}/ref-image.png
"""


@pytest.fixture(scope="module")
def corpus(web_corpus) -> Path:
    return web_corpus


@pytest.fixture(scope="module")
def app_url(open_app) -> tuple[str, Path]:
    return f"{open_app.url}/", open_app.data


@pytest.fixture(scope="module")
def webchat(tmp_path_factory, corpus, embeddings) -> WebChat:
    settings = Settings(data_dir=tmp_path_factory.mktemp("webchat"), corpus=(corpus,))
    Ingester(settings, embeddings=embeddings).run()
    bot = Assistant(settings, embeddings, PassageRetriever.from_settings(settings, embeddings))
    return WebChat(bot, settings)


@pytest.fixture(scope="module")
def remote_essay(open_app, embeddings):
    """An essay full of remote resources, ingested beside the running app the way a
    curator adds one (the app picks up the new index at its next question); removed
    again after this module so the other tests see the corpus they expect."""
    path = open_app.corpus / "relocation-remote.md"
    path.write_text(REMOTE_ESSAY)
    settings = Settings(data_dir=open_app.data, corpus=(open_app.corpus,))
    Ingester(settings, embeddings=embeddings).run()
    yield path
    path.unlink()
    Ingester(settings, embeddings=embeddings).run()


def ask(client, question: str):
    """One turn; the session's history lives on the server (the client never sends it)."""
    return client.predict(question, "extractive", 5, api_name="/ask")


# -- gradio_client ----------------------------------------------------------------------


def test_ask_follow_up_and_refusal_through_gradio_client(app_url):
    from gradio_client import Client

    client = Client(app_url[0], verbose=False)
    box, chat, sources, note = ask(client, "What makes an AI practitioner valuable?")
    assert box == ""
    assert chat[-1]["role"] == "assistant" and "ca-cite" in str(chat[-1]["content"])
    assert "ca-source" in sources and "Open the essay" in sources
    assert "extractive" in note

    box, chat, sources, note = ask(client, "What did they do first?")
    assert len(chat) == 4  # the session's own two turns, nothing else

    _, chat, sources, note = ask(client, "What's a good lasagne recipe?")
    assert "ca-refusal" in str(chat[-1]["content"]) and "not covered" in note
    export = Path(client.predict(api_name="/export")).read_text()
    assert export.startswith("# Career assistant conversation") and "lasagne" in export


def test_streaming_through_gradio_client(app_url):
    from gradio_client import Client

    job = Client(app_url[0], verbose=False).submit(
        "How should I build a portfolio that stands out?", "extractive", 5, api_name="/ask"
    )
    outputs = list(job)
    assert len(outputs) >= 3  # cleared box, partial text..., final answer
    assert "ca-cite" in str(job.outputs()[-1][1][-1]["content"])


def test_eight_simultaneous_users_get_their_own_answers(app_url):
    from gradio_client import Client

    topics = {
        "How do I build a portfolio that stands out?": "Portfolio",
        "How do I keep learning as AI moves fast?": "Learning",
        "Should I work in industry or research?": "Industry",
        "How do I balance theory and practice?": "Theory",
        "How should I pick an area of AI to focus on?": "Focus",
        "What did the author learn at Samsung Research?": "Industry",
        "What makes an AI practitioner valuable?": "Balance",
        "Are salary bands published for each level?": "Hostile",
    }
    results: dict[str, tuple] = {}
    errors: list[BaseException] = []

    def user(question: str) -> None:
        try:
            client = Client(app_url[0], verbose=False)
            first = ask(client, question)
            second = ask(client, "Can you say more about that?")
            results[question] = (first, second)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=user, args=(q,)) for q in topics]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    assert len(results) == 8
    for question, (first, second) in results.items():
        assert first[1][0]["content"] == question or question in str(first[1][0]["content"])
        assert topics[question].lower() in first[2].lower(), (question, first[2][:300])
        users = [m["content"] for m in second[1] if m["role"] == "user"]
        assert users[0] == first[1][0]["content"] and len(users) == 2  # no crossed histories


# -- handlers in process: feedback and path safety ----------------------------------------


def test_feedback_is_appended_as_jsonl(webchat):
    answer = webchat.assistant.ask("What makes an AI practitioner valuable?")
    turns = [
        {
            "question": "What makes an AI practitioner valuable?",
            "answer": answer.to_json(),
            "generator": answer.generator,
            "notes": [],
            "history": [],
        }
    ]
    assert "saved" in webchat.like(turns, "clear and cited", 1, True)
    assert "noted" in webchat.like(turns, "", [1, 0], "Dislike")
    lines = [json.loads(x) for x in webchat.feedback.path.read_text().splitlines()]
    assert [x["liked"] for x in lines[-2:]] == [True, False]
    last = lines[-2]
    assert last["question"].startswith("What makes") and last["citations"]
    assert {"timestamp", "history", "answer", "generator", "comment"} <= set(last)


@pytest.mark.parametrize(
    "ref",
    [
        "../../etc/passwd",
        "0:../../etc/passwd",
        "5:1",
        "0:99",
        "-1:1",
        "",
        "0:0",
        "0:more:99",
        "0:more:0",
        "0:less:1",
        "0:more:../x",
        "0:1:1",
    ],
)
def test_source_links_cannot_reach_outside_the_corpus(webchat, ref):
    answer = webchat.assistant.ask("What makes an AI practitioner valuable?")
    turns = [{"question": "q", "answer": answer.to_json()}]
    out = webchat.open_source(ref, turns)
    assert "root:" not in out and "ca-essay" not in out


def test_a_read_more_item_opens_its_section(webchat):
    # An answer about projects quotes other sections and leaves the portfolio strategies
    # to read on.
    answer = webchat.assistant.ask("What projects should I build to get an AI job?")
    assert answer.read_more, "the seed essay has more portfolio sections than one answer quotes"
    turns = [{"question": "q", "answer": answer.to_json()}]
    out = webchat.open_source("0:more:1", turns)
    assert "ca-essay" in out and 'id="ca-hl"' in out
    assert "That source is not part" in webchat.open_source(
        f"0:more:{len(answer.read_more) + 1}", turns
    )


def test_a_chunk_pointing_outside_its_root_is_refused(webchat, tmp_path):
    answer = webchat.assistant.ask("What makes an AI practitioner valuable?")
    turns = [{"question": "q", "answer": answer.to_json()}]
    chunk_id = answer.citations[0].chunk_id
    chunks = webchat.assistant.retriever.chunks
    original = chunks[chunk_id]
    secret = tmp_path / "secret.md"
    secret.write_text("top secret")
    from dataclasses import replace

    chunks[chunk_id] = replace(original, path=str(Path(original.root) / ".." / secret.name))
    try:
        out = webchat.open_source("0:1", turns)
    finally:
        chunks[chunk_id] = original
    assert "top secret" not in out and "outside the indexed corpus" in out
    assert "ca-essay" in webchat.open_source("0:1", turns)


# -- a real browser ---------------------------------------------------------------------------


def test_browser_question_citations_sources_and_highlight(app_url, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    remote, policy = watch(page)
    page.goto(app_url[0])
    # The "Try" questions are the settings' examples; clicking one fills the box.
    for example in Settings().examples:
        page.get_by_text(example, exact=True).first.wait_for(timeout=20_000)
    page.get_by_text("What makes an AI practitioner valuable?", exact=True).first.click()
    box = page.locator("#ca-question textarea")
    page.wait_for_function(
        "document.querySelector('#ca-question textarea').value.includes('practitioner')",
        timeout=20_000,
    )
    assert box.input_value() == "What makes an AI practitioner valuable?"
    page.click("#ca-send")
    page.wait_for_selector("#ca-sources .ca-source", timeout=60_000)
    markers = page.locator("#ca-chat sup.ca-cite a")
    assert markers.count() >= 2
    assert page.locator("#ca-sources .ca-source").count() >= 1
    assert page.locator("#ca-sources mark").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "answer.png"), full_page=True)

    markers.first.click()
    page.wait_for_selector("#ca-hl", timeout=20_000)
    highlighted = page.locator("#ca-hl").inner_text()
    assert highlighted.strip() and highlighted.split()[0] in page.locator(".ca-essay").inner_text()
    page.screenshot(path=str(ARTIFACTS / "source.png"), full_page=True)

    page.locator("#ca-chat button[aria-label='Like']").first.click()
    page.wait_for_function(
        "document.querySelector('#ca-feedback-status').innerText.includes('saved')", timeout=20_000
    )
    feedback = app_url[1] / "feedback.jsonl"
    assert json.loads(feedback.read_text().splitlines()[-1])["liked"] is True

    with page.expect_download(timeout=30_000) as download:
        page.click("#ca-export")
    exported = Path(download.value.path()).read_text()
    assert exported.startswith("# Career assistant conversation") and "[1]" in exported
    # Gradio's own page runs under the policy: nothing it needs was refused.
    assert policy == [] and remote == [], (policy, remote)
    page.close()


def test_browser_runs_nothing_from_essays_or_users(app_url, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    page.goto(app_url[0])
    page.fill(
        "#ca-question textarea", 'Are salary bands published? <img src=x onerror="window.__xss=4">'
    )
    page.click("#ca-send")
    page.wait_for_selector("#ca-sources .ca-source", timeout=60_000)
    page.locator("#ca-sources a.ca-open").first.click()
    page.wait_for_selector("#ca-hl", timeout=20_000)
    page.wait_for_timeout(500)
    assert page.evaluate("window.__xss") is None
    essay = page.locator(".ca-essay").inner_text()
    assert "<script>window.__xss = 1</script>" in essay  # shown as text, not run
    page.screenshot(path=str(ARTIFACTS / "phone.png"), full_page=True)
    page.close()


def test_browser_loads_nothing_remote_from_essays_or_users(app_url, browser, remote_essay):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    remote, _ = watch(page)
    page.goto(app_url[0])
    page.fill(
        "#ca-question textarea",
        f"Does a relocation package cover temporary housing? ![me](http://{REMOTE}/q.png) "
        f"<img src=http://{REMOTE}/q2.png> [ref][r]\n\n[r]: http://{REMOTE}/q3.png",
    )
    page.click("#ca-send")
    page.wait_for_selector("#ca-sources .ca-source", timeout=60_000)
    sources = page.locator("#ca-sources").inner_text()
    assert f'<img src="http://{REMOTE}/title.png">' in sources  # the title, as text
    page.locator("#ca-sources a.ca-open").first.click()
    page.wait_for_selector("#ca-hl", timeout=20_000)
    page.wait_for_timeout(1000)
    assert f"http://{REMOTE}/md-image.png" in page.locator(".ca-essay").inner_text()
    page.screenshot(path=str(ARTIFACTS / "remote-resources.png"), full_page=True)
    assert remote == [], remote  # not even one the policy had to refuse
    assert page.locator("#ca-chat img, #ca-sources img, #ca-viewer img").count() == 0
    page.close()


def test_the_page_policy_refuses_remote_images_scripts_and_connections(app_url, browser):
    page = browser.new_page()
    remote, _ = watch(page)
    failures: dict[str, str | None] = {}
    page.on("requestfailed", lambda r: failures.update({r.url: r.failure}))
    page.goto(app_url[0])
    page.wait_for_selector("#ca-question textarea")
    refused = page.evaluate(
        """(host) => new Promise((resolve) => {
        const seen = [];
        document.addEventListener('securitypolicyviolation', (e) => seen.push(e.effectiveDirective));
        new Image().src = `http://${host}/probe.png`;
        fetch(`http://${host}/probe`).catch(() => {});
        const s = document.createElement('script');
        s.src = `http://${host}/probe.js`;
        document.head.appendChild(s);
        setTimeout(() => resolve(seen), 1500);
    })""",
        REMOTE,
    )
    assert "img-src" in refused and "connect-src" in refused, refused
    assert any(d.startswith("script-src") for d in refused), refused
    # The probe's requests were refused by the browser under the policy, never sent.
    assert remote and all(failures.get(url) == "csp" for url in remote), (remote, failures)
    page.close()


# -- the Markdown export ------------------------------------------------------------------

HOSTILE = '<script>window.__xss = 5; alert(1)</script><img src=x onerror="window.__xss = 6">'


def hostile_turns() -> list[dict]:
    """One turn whose every field a user or an essay wrote holds markup."""
    link = "[click](javascript:window.__xss=7)"
    image = f"![p](http://{REMOTE}/export.png)"
    return [
        {
            "question": f"Bands?\n\n{HOSTILE} {link} {image}\n\n[r]: javascript:alert(2)",
            "answer": {
                "text": f"Bands are public [1]. {HOSTILE}\n# {image} <{REMOTE}>",
                "citations": [
                    {
                        "n": 1,
                        "title": '<img src=x onerror="alert(document.domain)">Salary',
                        "heading": f"<b onmouseover=alert(3)>Bands</b> {link}",
                        "source": "bands<script>.md",
                        "start": 0,
                        "end": 9,
                        "quote": f"{link} {image} <iframe src=javascript:alert(4)></iframe>",
                        "quotes": [f"{link} <iframe src=javascript:alert(4)></iframe>", HOSTILE],
                    }
                ],
            },
        }
    ]


def test_every_quote_of_a_source_is_marked_once() -> None:
    paragraph = "Less is more. Keep it short.\nUse only 1 page for your resume. Be <brief>."
    marked = highlight_quote(
        paragraph,
        ["Use only 1 page for your resume.", "Less is more.", "only 1 page", "Not in it."],
    )
    assert marked == (
        "<mark>Less is more.</mark> Keep it short.<br>"
        "<mark>Use only 1 page for your resume.</mark> Be &lt;brief&gt;."
    )  # a quote inside one marked is not marked again; one not there is skipped
    assert highlight_quote(paragraph, "Keep it short.").count("<mark>") == 1


def test_the_sources_panel_marks_every_sentence_the_answer_took() -> None:
    text = "Less is more. Keep it short. Use only 1 page for your resume."
    chunk = Chunk(
        source="resume.md",
        path="/x/resume.md",
        title="Resume",
        heading=("Less is more",),
        text=text,
        start=0,
        end=len(text),
        ordinal=0,
    )
    quotes = ("Use only 1 page for your resume.", "Less is more.")
    cite = Citation(
        1, "resume.md", "Resume", "Less is more", quotes[0], 40, 72, 1.0, chunk.id, quotes=quotes
    )
    answer = Answer(
        text="Less is more [1]. Use only 1 page for your resume [1].",
        citations=(cite,),
        refused=False,
        reason="",
        query="resume",
    )
    panel = sources_html(answer, 0, {chunk.id: chunk})
    assert panel.count("<mark>") == 2


def html_tags(markup: str) -> list[tuple[str, list]]:
    """Every start tag in ``markup`` with its attributes, as a browser's parser reads them."""
    from html.parser import HTMLParser

    found: list[tuple[str, list]] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Tags().feed(markup)
    return found


def test_the_export_renders_no_markup_from_users_or_essays():
    from markdown_it import MarkdownIt

    exported = export_markdown(hostile_turns())
    rendered = MarkdownIt("commonmark").render(exported)  # raw HTML on, as CommonMark says
    tags = html_tags(rendered)
    assert {tag for tag, _ in tags} <= {"h1", "h2", "p", "blockquote"}, tags
    assert all(attrs == [] for _, attrs in tags), tags  # no href, src, on…
    assert "&lt;script&gt;window.__xss = 5; alert(1)&lt;/script&gt;" in rendered  # shown
    assert "[click](javascript:window.__xss=7)" in rendered  # as the text it was
    assert "<p>[1] " in rendered and "Bands are public [1]." in rendered  # our markers


def test_the_export_runs_nothing_in_a_browser(browser):
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark").render(export_markdown(hostile_turns()))
    page = browser.new_page()
    remote, dialogs = show_untrusted(page, rendered)
    page.wait_for_timeout(500)
    for link in page.locator("a").all():
        link.click()
    assert page.evaluate("window.__xss") is None and dialogs == [] and remote == []
    page.close()


def test_passage_links_accept_only_indexed_essay_names(webchat):
    out = webchat.open_link("building-an-ai-career.md", "100", "180")
    assert out is not None and 'id="ca-hl"' in out
    assert webchat.open_link("", "", "") is None
    for bad in ("../../etc/passwd", "/etc/passwd", "hostile.md/../../x"):
        assert "not in the index" in (webchat.open_link(bad, "0", "10") or "")
    fallback = webchat.open_link("hostile.md", "x", "y")
    assert fallback is not None and "ca-essay" in fallback


# -- what Gradio may serve --------------------------------------------------------------


def test_blocked_paths_leave_gradios_own_cache_servable(tmp_path, monkeypatch):
    import gradio as gr

    from assistant.apps.web import blocked_paths, gradio_cache

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio-cache"))
    with gr.Blocks(analytics_enabled=False) as demo:
        gr.Markdown("x")
    cache = gradio_cache(demo)
    assert cache == tmp_path / "gradio-cache"  # Gradio's folder, as Gradio resolved it
    settings = Settings(data_dir=tmp_path / "data", corpus=(tmp_path / "essays",))
    blocked = blocked_paths(settings, cache)
    assert str((tmp_path / "data").resolve()) in blocked
    assert str((tmp_path / "essays").resolve()) in blocked
    assert "/etc" in blocked and "/proc" in blocked
    monkeypatch.chdir(tmp_path)  # the working directory holds the cache: it must stay open
    assert str(tmp_path.resolve()) not in blocked_paths(settings, cache)
