"""The web chat: a Gradio app around :class:`assistant.answer.chain.Assistant`.

Thin on purpose: the handlers (:mod:`assistant.apps.web_chat`) parse what the browser
sent, call the assistant, and render with :mod:`assistant.apps.web_render`; this module
lays out the page, wires events to the handlers, and serves it beside the HTTP APIs.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from assistant.answer import Assistant
from assistant.apps.web_chat import FeedbackLog, WebChat, chat_messages
from assistant.apps.web_curator import curator_tab
from assistant.apps.web_render import sources_html, viewer_message
from assistant.config import GENERATORS, Settings

__all__ = ["FeedbackLog", "WebChat", "build_app", "chat_messages", "launch"]

VIEWER_HINT = "Click a source to read the whole essay."
# Gradio's copies of served files (the exports) are deleted every GRADIO_CACHE_SWEEP
# seconds once older than GRADIO_CACHE_AGE, and all of them when the server stops.
GRADIO_CACHE_SWEEP = 600
GRADIO_CACHE_AGE = 3600
# Sessions whose state Gradio keeps in memory (its default is 10,000); beyond, the
# least recently used goes. A conversation's own turns are capped in web_chat.
SESSIONS_KEPT = 1000
# An idle session's conversation is dropped after this long (seconds).
SESSION_TTL_S = 6 * 3600


def _asset(name: str) -> str:
    """CSS and the click handler live beside this module as plain files. The handler
    hands a clicked citation's (turn:n) reference to a hidden button via window.caRef."""
    return resources.files("assistant.apps.webassets").joinpath(name).read_text("utf-8")


SCROLL_JS = """() => { setTimeout(() => { const el = document.getElementById('ca-hl');
  if (el) el.scrollIntoView({block: 'center'}); }, 50); }"""
# After an export is written, its (hidden) download link is clicked: one click for the
# user. It waits for a link it has not clicked before, as the last one may still show.
DOWNLOAD_JS = """() => { let tries = 0; const t = setInterval(() => {
  const a = document.querySelector('#ca-download a[href]');
  const fresh = a && a.href !== window.caLastExport;
  if (fresh || ++tries > 50) { clearInterval(t);
    if (fresh) { window.caLastExport = a.href; a.click(); } } }, 100); }"""


@dataclass
class _Page:
    """The components that events read or write (Gradio objects, hence ``Any``)."""

    turns: Any
    chatbot: Any
    note: Any
    box: Any
    send: Any
    new: Any
    export: Any
    download: Any
    comment: Any
    status: Any
    sources: Any
    viewer: Any
    generator: Any
    k: Any
    ref: Any
    open_btn: Any


def build_app(assistant: Assistant, settings: Settings, chat: WebChat | None = None) -> Any:
    """The Gradio Blocks of the web chat (not launched), around ``chat``'s handlers."""
    import gradio as gr

    chat = chat or WebChat(assistant, settings)
    # analytics_enabled=False: no version check, no telemetry (rather than an env variable).
    with gr.Blocks(
        title="Career assistant",
        analytics_enabled=False,
        delete_cache=(GRADIO_CACHE_SWEEP, GRADIO_CACHE_AGE),
    ) as demo:
        gr.Markdown(
            "## Career assistant\nAnswers from a curated collection of career essays. "
            "Every sentence cites the passage it comes from; click a [n] to read it."
        )
        turns = gr.State([], time_to_live=SESSION_TTL_S)
        # Curators get a second tab, only on a server with a token (it asks for it).
        tab = gr.Tab("Chat", elem_id="ca-chat-tab") if settings.api_token else None
        with tab or contextlib.nullcontext(), gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                conversation = _conversation_column(settings)
            with gr.Column(scale=2, min_width=300):
                side = _side_column(settings)
        if tab is not None:
            curator_tab(chat.settings, chat.assistant)
        ref = gr.Textbox(elem_classes=["ca-hidden"], elem_id="ca-ref")
        open_btn = gr.Button("open", elem_classes=["ca-hidden"], elem_id="ca-open-btn")
        page = _Page(turns=turns, ref=ref, open_btn=open_btn, **conversation, **side)
        _wire_chat(chat, page)
        _wire_viewer(demo, chat, page)
    return demo


def _conversation_column(settings: Settings) -> dict[str, Any]:
    """The chat, the question box and its buttons, examples and the feedback comment."""
    import gradio as gr

    chatbot = gr.Chatbot(
        label="Conversation",
        height=520,
        sanitize_html=True,
        latex_delimiters=[],  # no math: essay text stays text (see web_render.chat_text)
        feedback_options=("Like", "Dislike"),
        elem_id="ca-chat",
        placeholder="Ask a career question.",
    )
    note = gr.Markdown("", elem_id="ca-note")
    with gr.Row():
        box = gr.Textbox(
            placeholder="Ask about careers, offers, interviews, open source…",
            show_label=False,
            scale=5,
            max_lines=6,
            elem_id="ca-question",
            max_length=settings.max_question_chars,
        )
        send = gr.Button("Ask", variant="primary", scale=1, elem_id="ca-send")
    with gr.Row():
        new = gr.Button("New chat", size="sm", elem_id="ca-new")
        export = gr.Button("Export as Markdown", size="sm", elem_id="ca-export")
    # Filled only when Export is clicked (an answer writes no file); hidden, clicked by JS.
    download = gr.File(elem_id="ca-download", elem_classes=["ca-hidden"], interactive=False)
    if settings.examples:
        gr.Examples([[q] for q in settings.examples], inputs=[box], label="Try")
    comment = gr.Textbox(
        label="Optional comment sent with your like / dislike",
        max_lines=2,
        elem_id="ca-comment",
    )
    status = gr.Markdown("", elem_id="ca-feedback-status")
    return {
        "chatbot": chatbot,
        "note": note,
        "box": box,
        "send": send,
        "new": new,
        "export": export,
        "download": download,
        "comment": comment,
        "status": status,
    }


def _side_column(settings: Settings) -> dict[str, Any]:
    """The cited sources, the essay viewer and the settings accordion."""
    import gradio as gr

    sources = gr.HTML(sources_html(None, 0, {}), elem_id="ca-sources")
    viewer = gr.HTML(viewer_message(VIEWER_HINT), elem_id="ca-viewer")
    with gr.Accordion("Settings", open=False):
        generator = gr.Radio(
            GENERATORS,
            value=settings.generator,
            label="Generator",
            elem_id="ca-generator",
        )
        k = gr.Slider(1, 10, value=settings.k, step=1, label="Passages (k)")
    return {"sources": sources, "viewer": viewer, "generator": generator, "k": k}


def _wire_chat(chat: WebChat, page: _Page) -> None:
    """Asking, starting over, exporting, and likes."""
    import gradio as gr

    p = page
    outputs = [p.box, p.chatbot, p.sources, p.turns, p.note]
    inputs = [p.box, p.turns, p.generator, p.k]  # never the chatbot: see WebChat.respond
    p.send.click(chat.respond, inputs, outputs, api_name="ask")
    p.box.submit(chat.respond, inputs, outputs, api_visibility="private")
    p.new.click(
        lambda: ("", [], sources_html(None, 0, {}), [], ""),
        None,
        outputs,
        api_visibility="private",
    ).then(lambda: viewer_message(VIEWER_HINT), None, p.viewer)
    p.export.click(chat.export, [p.turns], p.download, api_name="export").then(
        None, None, None, js=DOWNLOAD_JS
    )

    def on_like(turns_value: list[dict[str, Any]], text: str, data: gr.LikeData) -> str:
        return chat.like(turns_value, text, data.index, data.liked)

    on_like.__annotations__["data"] = gr.LikeData  # Gradio injects it by this annotation

    p.chatbot.like(on_like, [p.turns, p.comment], p.status, api_visibility="private")


def _wire_viewer(demo: Any, chat: WebChat, page: _Page) -> None:
    """The essay viewer: a clicked citation, or a passage link in the page's URL."""
    import gradio as gr

    page.open_btn.click(
        chat.open_source,
        [page.ref, page.turns],
        page.viewer,
        api_visibility="private",
        js="(ref, turns) => [window.caRef || ref, turns]",
    ).then(None, None, None, js=SCROLL_JS)

    def on_load(request: gr.Request) -> Any:
        q = request.query_params if request else {}
        html_out = chat.open_link(q.get("source", ""), q.get("start", ""), q.get("end", ""))
        return gr.skip() if html_out is None else html_out

    on_load.__annotations__["request"] = gr.Request
    demo.load(on_load, None, page.viewer, api_visibility="private").then(
        None, None, None, js=SCROLL_JS
    )


def launch(assistant: Assistant, settings: Settings, host: str, port: int) -> None:
    """Serve the chat and the HTTP APIs (assistant.apps.api) from one process, behind one
    access guard (assistant.apps.access)."""
    import gradio as gr
    import uvicorn
    from fastapi import FastAPI

    from assistant.apps.access import AccessGuard
    from assistant.apps.api import add_api_routes

    chat = WebChat(assistant, settings)
    demo = build_app(assistant, settings, chat)
    demo.queue(default_concurrency_limit=settings.web_concurrency)
    # launch() takes this as state_session_capacity; mounted, the attribute is the way.
    demo.state_session_capacity = SESSIONS_KEPT

    @contextlib.asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        yield
        chat.close()  # the exports go with the server (Gradio sweeps its own copies)

    app = FastAPI(
        title="career-assistant",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    add_api_routes(app, assistant, settings)
    app = gr.mount_gradio_app(
        app,
        demo,
        path="/",
        server_name=host,
        server_port=port,
        footer_links=[],
        theme="soft",
        css=_asset("chat.css"),
        head=_asset("head.html"),
        show_error=False,
        allowed_paths=[],
        blocked_paths=blocked_paths(settings, gradio_cache(demo)),
        max_file_size="1kb",
    )
    # proxy_headers=False: the peer address is the socket's, so X-Forwarded-For from
    # a client can't pass it off as loopback. ``host``: without a token, the guard
    # answers the loopback names and this one only (DNS rebinding).
    uvicorn.run(
        AccessGuard(app, settings.api_token, host=host),
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=False,
    )


def gradio_cache(demo: Any) -> Path:
    """The folder Gradio copies served files into (the exports pass through it).

    Gradio documents no function for it, only the GRADIO_TEMP_DIR variable; but every
    Block carries the folder it resolved as ``GRADIO_CACHE``, so we ask the app itself
    rather than read Gradio's variable here. The fallback mirrors Gradio's default.
    """
    cache = getattr(demo, "GRADIO_CACHE", None) or Path(tempfile.gettempdir()) / "gradio"
    return Path(cache)


def blocked_paths(settings: Settings, cache: Path) -> list[str]:
    """Never served even if something asked Gradio to: the index, the feedback log, the
    essays' folders, the working directory and the system's secrets; minus any that
    holds Gradio's own ``cache``, which must stay servable."""
    paths = [settings.data_dir, *settings.corpus, Path.cwd(), Path.home()]
    paths += [Path(p) for p in ("/proc", "/sys", "/dev", "/etc", "/root", "/var", "/run")]
    resolved = [p.resolve() for p in paths]
    return [str(p) for p in resolved if not cache.resolve().is_relative_to(p)]
