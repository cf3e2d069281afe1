"""The HTTP APIs in the web chat's own process, called with httpx and with the official
openai client (base_url pointed at it), streaming and not."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import TOKEN

ANSWER_KEYS = ["text", "citations", "refused", "reason", "query", "timings", "usage", "read_more"]


@pytest.fixture(scope="module")
def base_url(open_app) -> str:
    return open_app.url


@pytest.fixture(scope="module")
def token_url(token_app) -> str:
    return token_app.url


def test_api_ask_returns_the_answer_json(base_url):
    r = httpx.post(
        f"{base_url}/api/ask",
        json={
            "question": "Which projects make a portfolio stand out?",
            "history": ["I want an AI job."],
            "k": 4,
        },
        timeout=120,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert list(body) == ANSWER_KEYS
    assert not body["refused"] and body["citations"]


@pytest.mark.parametrize(
    ("payload", "status", "phrase"),
    [
        ("{not json", 400, "not valid JSON"),
        ("[1, 2]", 400, "JSON object"),
        (json.dumps({"question": ""}), 422, "non-empty string"),
        (json.dumps({"question": 42}), 422, "non-empty string"),
        (json.dumps({"question": "x" * 4001}), 413, "longer than 4000"),
        (json.dumps({"question": "ok?", "history": "nope"}), 422, "history"),
        (json.dumps({"question": "ok?", "k": "five"}), 422, '"k"'),
        (json.dumps({"question": "ok?", "k": 0}), 422, '"k"'),
    ],
)
def test_bad_requests_are_4xx_with_a_message(base_url, payload, status, phrase):
    r = httpx.post(
        f"{base_url}/api/ask",
        content=payload,
        headers={"content-type": "application/json"},
        timeout=60,
    )
    assert r.status_code == status
    assert phrase in r.json()["error"]["message"]


def test_openai_client_non_streaming(base_url):
    from openai import OpenAI

    client = OpenAI(base_url=f"{base_url}/v1", api_key="unused")
    done = client.chat.completions.create(
        model="career-assistant",
        messages=[{"role": "user", "content": "What makes an AI practitioner valuable?"}],
    )
    text = done.choices[0].message.content
    assert "[1]" in text and "Sources:" in text
    extra = done.model_extra or {}
    assert extra["sources"] and extra["sources"][0]["source"] == "building-an-ai-career.md"


def test_openai_client_streaming_with_history(base_url):
    from openai import OpenAI

    client = OpenAI(base_url=f"{base_url}/v1", api_key="unused")
    stream = client.chat.completions.create(
        model="career-assistant",
        stream=True,
        messages=[
            {"role": "user", "content": "How should I build a portfolio?"},
            {"role": "assistant", "content": "..."},
            {"role": "user", "content": "Which projects stand out?"},
        ],
    )
    parts, sources = [], None
    for event in stream:
        delta = event.choices[0].delta.content if event.choices else None
        if delta:
            parts.append(delta)
        if event.choices and event.choices[0].finish_reason == "stop":
            sources = (event.model_extra or {}).get("sources")
    text = "".join(parts)
    assert len(parts) >= 2 and "[1]" in text and "Sources:" in text
    assert sources


def test_models_endpoint(base_url):
    r = httpx.get(f"{base_url}/v1/models", timeout=30)
    assert r.json()["data"][0]["id"] == "career-assistant"


def test_bearer_token_is_required_when_set(token_url):
    r = httpx.post(f"{token_url}/api/ask", json={"question": "How do I negotiate?"}, timeout=60)
    assert r.status_code == 401
    r = httpx.post(
        f"{token_url}/api/ask",
        json={"question": "How do I build a portfolio?"},
        headers={"authorization": f"Bearer {TOKEN}"},
        timeout=120,
    )
    assert r.status_code == 200
