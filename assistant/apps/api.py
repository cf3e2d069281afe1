"""HTTP APIs served beside the web chat: `POST /api/ask` and an OpenAI-compatible
`POST /v1/chat/completions` (streaming and not), so any OpenAI client or chat front
end can talk to the essays.

Bad input is a 4xx with a message, never a 500. Who may call them is decided in front
of every route by :mod:`assistant.apps.access`, the same door as the web chat's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from assistant.answer import Assistant
from assistant.apps.inputs import (
    History,
    InputError,
    check_text,
    history_of,
    loads_json,
    message_of,
)
from assistant.apps.origins import is_own_origin
from assistant.config import Settings
from assistant.domain import Answer
from assistant.errors import (
    AssistantError,
    IndexMissingError,
    IndexModelMismatchError,
    IndexUnavailableError,
)
from assistant.evaluation import QuestionLog

log = logging.getLogger(__name__)
MODEL_ID = "career-assistant"
MAX_BODY = 1_000_000  # bytes; a question and a capped history are far smaller


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _error(status: int, message: str) -> JSONResponse:
    kind = "server_error" if status >= 500 else "invalid_request_error"
    return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status)


def sources_footer(answer: Answer) -> str:
    if not answer.citations:
        return ""
    lines = ["", "", "Sources:"]
    for c in answer.citations:
        heading = f" — {c.heading}" if c.heading else ""
        lines.append(f"[{c.n}] {c.title}{heading} ({c.source})")
    return "\n".join(lines)


def parse_ask(body: Any, settings: Settings) -> tuple[str, History, int | None]:
    if not isinstance(body, dict):
        raise ApiError(
            400, 'The body must be a JSON object: {"question": "...", "history": [], "k": 5}.'
        )
    question = body.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ApiError(422, '"question" must be a non-empty string.')
    if len(question) > settings.max_question_chars:
        raise ApiError(413, f'"question" is longer than {settings.max_question_chars} characters.')
    k = body.get("k")
    if k is not None and (not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= 50):
        raise ApiError(422, '"k" must be an integer from 1 to 50.')
    try:
        check_text(question, '"question"')
        history = history_of(body.get("history", []), "history")
    except InputError as exc:
        raise ApiError(422, str(exc)) from exc
    return question, history, k


def parse_chat(body: Any, settings: Settings) -> tuple[str, History, bool]:
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object with a messages list.")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(422, '"messages" must be a non-empty list of {"role", "content"} objects.')
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise ApiError(422, '"stream" must be true or false.')
    last = messages[-1]
    where = f"messages[{len(messages) - 1}]"
    try:
        if not isinstance(last, dict):
            raise InputError(f'{where} must be a {{"role", "content"}} object.')
        role, question = message_of(last, where, role_required=True)
        history = history_of(messages[:-1], "messages", role_required=True)
    except InputError as exc:
        raise ApiError(422, str(exc)) from exc
    if role != "user" or not question.strip():
        raise ApiError(422, "The last message must be a non-empty user message.")
    if len(question) > settings.max_question_chars:
        raise ApiError(
            413, f"The question is longer than {settings.max_question_chars} characters."
        )
    return question, history, stream


async def read_json(request: Request) -> Any:
    """The body as JSON: only ``application/json``, at most MAX_BODY bytes, nested at most
    MAX_JSON_DEPTH deep, and never from another origin's page.

    Only JSON, so that a web page can't reach the loopback API with a CORS "simple"
    request (text/plain, a form, or a body without a type): those need no preflight.
    The size is checked while reading, so a huge body is never held whole."""
    origin = request.headers.get("origin")
    if origin is not None and not is_own_origin(origin, dict(request.headers)):
        # A browser names the page's origin; curl and SDKs send none. The ASGI guard
        # already refuses other origins; this keeps the API safe mounted without it.
        raise ApiError(
            403, "Requests from another site's page are refused: call the API from a program."
        )
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        got = f"got {media[:60]!r}" if media else "it had none"
        raise ApiError(415, f'Send the body as JSON with "Content-Type: application/json" ({got}).')
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise ApiError(413, "The request body is larger than 1 MB.")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise ApiError(413, "The request body is larger than 1 MB.")
    try:
        return loads_json(bytes(raw) or b"null", "The body")
    except InputError as exc:
        raise ApiError(400, str(exc)) from exc


def history_headers(history: History) -> dict[str, str]:
    """How much of the history was left unread (see README, HTTP API)."""
    return {
        "X-History-Turns-Dropped": str(history.turns_dropped),
        "X-History-Chars-Dropped": str(history.chars_dropped),
    }


def add_api_routes(app: FastAPI, assistant: Assistant, settings: Settings) -> None:
    questions = QuestionLog.from_settings(settings)

    @app.post("/api/ask")
    async def api_ask(request: Request) -> JSONResponse:
        try:
            question, history, k = parse_ask(await read_json(request), settings)
            answer = await assistant.aask(question, history.messages(), k=k)
        except ApiError as exc:
            return _error(exc.status, exc.message)
        except AssistantError as exc:
            return _error(_status(exc), str(exc))
        await asyncio.to_thread(questions.record, question, answer, "api")
        return JSONResponse(answer.to_json(), headers=history_headers(history))

    @app.get("/v1/models")
    async def models() -> JSONResponse:
        return JSONResponse(
            {
                "object": "list",
                "data": [
                    {
                        "id": MODEL_ID,
                        "object": "model",
                        "created": 0,
                        "owned_by": "career-assistant",
                    }
                ],
            }
        )

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Any:
        try:
            question, history, stream = parse_chat(await read_json(request), settings)
        except ApiError as exc:
            return _error(exc.status, exc.message)
        turns = history.messages()
        if stream:
            return StreamingResponse(
                _stream(assistant, question, turns, questions),
                media_type="text/event-stream",
                headers=history_headers(history),
            )
        try:
            answer = await assistant.aask(question, turns)
        except AssistantError as exc:
            return _error(_status(exc), str(exc))
        await asyncio.to_thread(questions.record, question, answer, "api")
        return JSONResponse(_completion(answer), headers=history_headers(history))


def _status(exc: AssistantError) -> int:
    """503 when the server can't answer anyone now (no, damaged or unreachable index;
    another model's vectors), 400 when this request was at fault."""
    server_side = (IndexMissingError, IndexUnavailableError, IndexModelMismatchError)
    return 503 if isinstance(exc, server_side) else 400


def _completion(answer: Answer) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": MODEL_ID,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": answer.text + sources_footer(answer)},
            }
        ],
        "usage": {
            "prompt_tokens": answer.usage.get("prompt_tokens", 0),
            "completion_tokens": answer.usage.get("completion_tokens", 0),
            "total_tokens": answer.usage.get("total_tokens", 0),
        },
        # Documented extra field: the checked citations, as in `ask --json`.
        "sources": [c.to_json() for c in answer.citations],
        "refused": answer.refused,
    }


async def _stream(
    assistant: Assistant,
    question: str,
    history: list[str | dict[str, str]],
    questions: QuestionLog,
) -> AsyncIterator[str]:
    cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        body = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    try:
        async for item in assistant.astream(question, history):
            if isinstance(item, Answer):
                await asyncio.to_thread(questions.record, question, item, "api")
                footer = sources_footer(item)
                if footer:
                    yield chunk({"content": footer})
                yield chunk(
                    {}, "stop", sources=[c.to_json() for c in item.citations], refused=item.refused
                )
            else:
                yield chunk({"content": item})
    except AssistantError as exc:
        yield chunk({"content": f"Sorry: {exc}"}, "stop")
    except asyncio.CancelledError:
        raise
    except Exception:  # the 200 is already sent: the stream must still end cleanly
        log.exception("streamed answer failed")
        yield chunk({"content": "Sorry: the answer failed on the server (see its log)."}, "stop")
    yield "data: [DONE]\n\n"
