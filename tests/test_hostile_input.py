"""Hostile and careless input to the HTTP APIs and the CLI: a clear 4xx or one line,
never a 500, a broken stream or a traceback (issue #12, item 6).

Over real HTTP against the session's `python app.py` (``open_app``), and with the real
``career-assistant`` executable on that app's index."""

from __future__ import annotations

import json
import subprocess

import httpx
import pytest

from tests.conftest import CLI

DEEP = 100_000
SURROGATE = '"\\ud800"'  # a JSON string holding one lone UTF-16 surrogate
QUESTION = "Which projects make a portfolio stand out?"


@pytest.fixture(scope="module")
def base_url(open_app) -> str:
    return open_app.url


def post(url: str, body: str | bytes, content_type: str | None = "application/json"):
    headers = {"content-type": content_type} if content_type else {}
    return httpx.post(url, content=body, headers=headers, timeout=120)


def chat_body(*messages: object, stream: bool = False) -> str:
    return json.dumps({"model": "career-assistant", "messages": list(messages), "stream": stream})


def assert_clear_4xx(r: httpx.Response, status: int | tuple[int, ...], *phrases: str) -> str:
    statuses = status if isinstance(status, tuple) else (status,)
    assert r.status_code in statuses, (r.status_code, r.text[:300])
    message = r.json()["error"]["message"]
    for phrase in phrases:
        assert phrase in message, message
    return str(message)


# -- a lone surrogate ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/ask", '{"question": ' + SURROGATE + "}"),
        ("/api/ask", '{"question": "What about equity?", "history": [' + SURROGATE + "]}"),
        (
            "/api/ask",
            '{"question": "And then?", "history": [{"role": "user", "content": '
            + SURROGATE
            + "}]}",
        ),
        ("/v1/chat/completions", '{"messages": [{"role": "user", "content": ' + SURROGATE + "}]}"),
        (
            "/v1/chat/completions",
            '{"stream": true, "messages": [{"role": "user", "content": ' + SURROGATE + "}]}",
        ),
        (
            "/v1/chat/completions",
            '{"messages": [{"role": "user", "content": [{"type": "text", "text": '
            + SURROGATE
            + '}]}, {"role": "user", "content": "What about it?"}]}',
        ),
    ],
    ids=["question", "history-str", "history-msg", "chat", "chat-stream", "chat-history-part"],
)
def test_a_lone_surrogate_is_a_422_naming_it(base_url, path, body):
    r = post(f"{base_url}{path}", body)
    assert_clear_4xx(r, 422, "lone surrogate", "\\ud800")


# -- JSON nested 100,000 deep -------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/ask", "/v1/chat/completions"])
@pytest.mark.parametrize(
    "body",
    [
        "[" * DEEP + "]" * DEEP,
        '{"question": "How do I negotiate?", "history": ' + "[" * DEEP + "]" * DEEP + "}",
        '{"messages": [{"role": "user", "content": ' + '{"a": ' * DEEP + "1" + "}" * DEEP + "}]}",
    ],
    ids=["body", "history", "content"],
)
def test_json_nested_100000_deep_is_a_clear_400(base_url, path, body):
    r = post(f"{base_url}{path}", body)
    assert_clear_4xx(r, 400, "nested deeper than")


# -- OpenAI content parts ---------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        5,
        None,
        {"text": QUESTION},
        [5],
        [QUESTION],
        [None],
        [{"type": "text", "text": 5}],
        [{"type": "text", "text": None}],
        [{"type": "text"}],
        [{"type": "image_url", "image_url": {"url": "http://127.0.0.1:1/x.png"}}],
        [{"type": "text", "text": QUESTION}, {"type": "input_audio", "input_audio": {}}],
    ],
    ids=[
        "number",
        "null",
        "object",
        "list-of-number",
        "list-of-str",
        "list-of-null",
        "text-number",
        "text-null",
        "text-missing",
        "image",
        "text-and-audio",
    ],
)
@pytest.mark.parametrize("turn", ["question", "history"])
def test_content_of_an_unexpected_type_is_a_422_naming_what_is_accepted(base_url, content, turn):
    message = {"role": "user", "content": content}
    messages = [message] if turn == "question" else [message, {"role": "user", "content": "Hi?"}]
    r = post(f"{base_url}/v1/chat/completions", chat_body(*messages))
    assert_clear_4xx(r, 422, "a string or a list of", '{"type": "text", "text":')


def test_text_parts_are_read_as_the_question(base_url):
    parts = [
        {"type": "text", "text": "Which projects make "},
        {"type": "text", "text": "a portfolio"},
    ]
    body = chat_body({"role": "user", "content": [*parts, {"type": "text", "text": " stand out?"}]})
    r = post(f"{base_url}/v1/chat/completions", body)
    assert r.status_code == 200, r.text
    assert r.json()["sources"]


@pytest.mark.parametrize(
    ("payload", "phrase"),
    [
        ({"messages": [{"role": 5, "content": "Hi?"}]}, "role must be one of"),
        ({"messages": [{"role": "wizard", "content": "Hi?"}]}, 'got "wizard"'),
        ({"messages": [{"role": "\ud800", "content": "Hi?"}]}, 'got "\\ud800"'),
        ({"messages": [{"role": "user", "content": [{"type": "\udfff"}]}]}, '"\\udfff"'),
        ({"messages": [{"role": "user", "content": "Hi?"}], "stream": "no"}, '"stream"'),
    ],
)
def test_bad_roles_and_stream_flags_are_422(base_url, payload, phrase):
    r = post(f"{base_url}/v1/chat/completions", json.dumps(payload))
    assert_clear_4xx(r, 422, phrase)


# -- a history of 10,000 items ------------------------------------------------------------


def test_a_huge_history_is_capped_to_the_last_turns_and_says_so(base_url):
    history = [f"earlier turn {i}" for i in range(10_000 - 1)] + ["How do I build a portfolio?"]
    r = post(
        f"{base_url}/api/ask",
        json.dumps({"question": "What about side projects?", "history": history}),
    )
    assert r.status_code == 200, r.text
    assert r.headers["x-history-turns-dropped"] == str(10_000 - 8)
    assert r.headers["x-history-chars-dropped"] == "0"
    assert "portfolio" in r.json()["query"]  # the newest turn is the one read


def test_history_characters_are_capped_from_the_newest_back(base_url):
    messages = [
        {"role": "user", "content": "a " * 2_500},
        {"role": "assistant", "content": "never read " * 1_000},
        {"role": "user", "content": "portfolio " * 500},
        {"role": "user", "content": "What about side projects?"},
    ]
    r = post(f"{base_url}/v1/chat/completions", chat_body(*messages))
    assert r.status_code == 200, r.text
    assert r.headers["x-history-turns-dropped"] == "0"
    assert r.headers["x-history-chars-dropped"] == str(5_000 + 5_000 - 8_000)


def test_a_streamed_answer_reports_the_cap_too(base_url):
    history = [{"role": "user", "content": f"turn {i}"} for i in range(20)]
    body = chat_body(*history, {"role": "user", "content": QUESTION}, stream=True)
    with httpx.stream(
        "POST",
        f"{base_url}/v1/chat/completions",
        content=body,
        headers={"content-type": "application/json"},
        timeout=120,
    ) as r:
        assert r.status_code == 200
        assert r.headers["x-history-turns-dropped"] == "12"
        lines = [line for line in r.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"


# -- only application/json --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/ask", "/v1/chat/completions"])
@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", None],
)
def test_anything_but_application_json_is_415(base_url, path, content_type):
    body = json.dumps({"question": QUESTION, "messages": [{"role": "user", "content": QUESTION}]})
    r = post(f"{base_url}{path}", body, content_type)
    assert_clear_4xx(r, 415, "application/json")


def test_application_json_with_a_charset_is_accepted(base_url):
    r = post(
        f"{base_url}/api/ask",
        json.dumps({"question": QUESTION}),
        "application/json; charset=utf-8",
    )
    assert r.status_code == 200, r.text


def test_no_cors_preflight_is_granted_to_a_remote_site(base_url):
    """A cross-site page could only send JSON after a preflight."""
    r = httpx.options(
        f"{base_url}/api/ask",
        headers={
            "origin": "https://evil.example",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
        timeout=30,
    )
    assert "access-control-allow-origin" not in r.headers


@pytest.mark.parametrize("path", ["/api/ask", "/v1/chat/completions"])
@pytest.mark.parametrize("origin", ["http://localhost:3000", "http://127.0.0.1:1", "null"])
def test_json_from_another_origins_page_is_403(base_url, path, origin):
    """Gradio grants preflights to any localhost origin, so the JSON itself is refused."""
    body = json.dumps({"question": QUESTION, "messages": [{"role": "user", "content": QUESTION}]})
    r = httpx.post(
        f"{base_url}{path}",
        content=body,
        headers={"content-type": "application/json", "origin": origin},
        timeout=60,
    )
    assert_clear_4xx(r, 403, "another site")


def test_json_from_the_apps_own_origin_is_answered(base_url):
    r = httpx.post(
        f"{base_url}/api/ask",
        json={"question": QUESTION},
        headers={"origin": base_url},
        timeout=120,
    )
    assert r.status_code == 200, r.text


# -- the command line ---------------------------------------------------------------------


def run_cli(*args: str | bytes, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CLI), *args], input=stdin, capture_output=True, timeout=300, check=False
    )


def assert_one_line_error(proc: subprocess.CompletedProcess, *phrases: str) -> None:
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode != 0, err
    assert "Traceback" not in err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    for phrase in phrases:
        assert phrase in err, err


@pytest.mark.parametrize("command", ["ask", "search"])
def test_cli_question_that_is_not_utf8_is_one_line(open_app, command):
    proc = run_cli(command, b"portfolio \xff", "--data-dir", str(open_app.data))
    assert_one_line_error(proc, "not valid UTF-8", "0xff")


@pytest.mark.parametrize(
    ("history", "phrases"),
    [
        ("[" * DEEP + "]" * DEEP, ("nested deeper than",)),
        ("[" + SURROGATE + "]", ("lone surrogate", "\\ud800")),
        ('[{"role": "user", "content": 5}]', ('{"type": "text", "text":',)),
    ],
    ids=["deep", "surrogate", "number"],
)
def test_cli_bad_history_file_is_one_line(open_app, tmp_path, history, phrases):
    path = tmp_path / "history.json"
    path.write_text(history)
    proc = run_cli(
        "ask", "What about it?", "--history-file", str(path), "--data-dir", str(open_app.data)
    )
    assert_one_line_error(proc, "history.json", *phrases)


def test_cli_chat_skips_a_line_that_is_not_utf8_and_goes_on(open_app):
    proc = run_cli(
        "chat", "--data-dir", str(open_app.data), stdin=b"\xff\n" + QUESTION.encode() + b"\n\n"
    )
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "error: The question is not valid UTF-8" in err
    assert "[1]" in proc.stdout.decode()
