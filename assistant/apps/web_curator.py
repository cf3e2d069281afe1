"""The web app's Curator tab: what the essays answer badly, from the question log.

It exists only on a server with an API token, and shows the report (the same one
`career-assistant curate` writes) only to someone who enters that token: the log holds
what users asked, which is not for every visitor of the chat.
"""

from __future__ import annotations

import hmac
from typing import Any

from assistant.answer import Assistant
from assistant.apps.web_render import error_html, notice_html
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.evaluation import curate_tab_html, curation_for


def curator_report(settings: Settings, assistant: Assistant, token: Any) -> str:
    """The report as HTML for the right token; one line for anything else."""
    expected = settings.api_token
    given = token if isinstance(token, str) else ""
    # surrogatepass: a lone surrogate sent by a client is a wrong token, not a crash.
    if not expected or not hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    ):
        return notice_html("Wrong token: enter the server's CAREER_ASSISTANT_API_TOKEN.")
    try:
        report = curation_for(
            settings, embeddings=assistant.embeddings, retriever=assistant.retriever
        )
    except AssistantError as exc:
        return error_html(str(exc))
    return curate_tab_html(report)


def curator_tab(settings: Settings, assistant: Assistant) -> None:
    """The tab (inside a ``gr.Blocks``): a token box, a button, and the report. Its HTML
    runs no script, so the table comes sorted by volume."""
    import gradio as gr

    def show(token: Any) -> str:
        return curator_report(settings, assistant, token)

    with gr.Tab("Curator", elem_id="ca-curator-tab"):
        gr.Markdown(
            "Questions the essays answered badly (refused, disliked, weak support, no clear "
            "winner), grouped by topic. Enter the API token to see them."
        )
        with gr.Row():
            token = gr.Textbox(
                type="password",
                show_label=False,
                placeholder="API token",
                scale=4,
                elem_id="ca-curator-token",
                max_length=1000,
            )
            button = gr.Button("Show report", scale=1, elem_id="ca-curator-show")
        report = gr.HTML("", elem_id="ca-curator-report")
    button.click(show, [token], report, api_visibility="private")
    token.submit(show, [token], report, api_visibility="private")
