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
from assistant.config import Settings
from assistant.domain import Answer
from assistant.errors import AssistantError

log = logging.getLogger(__name__)
MODEL_ID = "career-assistant"


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status)


def sources_footer(answer: Answer) -> str:
    if not answer.citations:
        return ""
    lines = ["", "", "Sources:"]
    for c in answer.citations:
        heading = f" — {c.heading}" if c.heading else ""
        lines.append(f"[{c.n}] {c.title}{heading} ({c.source})")
    return "\n".join(lines)


def parse_ask(body: Any, settings: Settings) -> tuple[str, list[Any], int | None]:
    if not isinstance(body, dict):
        raise ApiError(
            400, 'The body must be a JSON object: {"question": "...", "history": [], "k": 5}.'
        )
    question = body.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ApiError(422, '"question" must be a non-empty string.')
    if len(question) > settings.max_question_chars:
        raise ApiError(413, f'"question" is longer than {settings.max_question_chars} characters.')
    history = body.get("history", [])
    if not isinstance(history, list) or not all(
        isinstance(t, str) or (isinstance(t, dict) and isinstance(t.get("content"), str))
        for t in history
    ):
        raise ApiError(422, '"history" must be a list of strings or {"role", "content"} objects.')
    k = body.get("k")
    if k is not None and (not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= 50):
        raise ApiError(422, '"k" must be an integer from 1 to 50.')
    return question, history, k


def parse_chat(body: Any, settings: Settings) -> tuple[str, list[dict[str, str]], bool]:
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object with a messages list.")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(422, '"messages" must be a non-empty list of {"role", "content"} objects.')
    clean: list[dict[str, str]] = []
    for m in messages:
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise ApiError(422, 'Each message needs a "role" and a string "content".')
        content = m.get("content")
        if isinstance(content, list):  # the OpenAI "parts" form
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        if not isinstance(content, str):
            raise ApiError(422, 'Each message needs a "role" and a string "content".')
        clean.append({"role": m["role"], "content": content})
    if clean[-1]["role"] != "user" or not clean[-1]["content"].strip():
        raise ApiError(422, "The last message must be a non-empty user message.")
    if len(clean[-1]["content"]) > settings.max_question_chars:
        raise ApiError(
            413, f"The question is longer than {settings.max_question_chars} characters."
        )
    return clean[-1]["content"], clean[:-1], bool(body.get("stream", False))


def add_api_routes(app: FastAPI, assistant: Assistant, settings: Settings) -> None:
    async def body_of(request: Request) -> Any:
        raw = await request.body()
        if len(raw) > 1_000_000:
            raise ApiError(413, "The request body is larger than 1 MB.")
        try:
            return json.loads(raw or b"null")
        except ValueError as exc:
            raise ApiError(400, f"The body is not valid JSON: {exc}") from exc

    @app.post("/api/ask")
    async def api_ask(request: Request) -> JSONResponse:
        try:
            question, history, k = parse_ask(await body_of(request), settings)
            answer = await assistant.aask(question, history, k=k)
        except ApiError as exc:
            return _error(exc.status, exc.message)
        except AssistantError as exc:
            return _error(400, str(exc))
        return JSONResponse(answer.to_json())

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
            question, history, stream = parse_chat(await body_of(request), settings)
        except ApiError as exc:
            return _error(exc.status, exc.message)
        if stream:
            return StreamingResponse(
                _stream(assistant, question, history), media_type="text/event-stream"
            )
        try:
            answer = await assistant.aask(question, history)
        except AssistantError as exc:
            return _error(400, str(exc))
        return JSONResponse(_completion(answer))


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
    assistant: Assistant, question: str, history: list[dict[str, str]]
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
    yield "data: [DONE]\n\n"
