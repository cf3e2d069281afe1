"""The Discord integration without Discord's servers.

Pure helpers are tested directly. The Cog runs inside a real ``commands.Bot`` with a
real :class:`Assistant` on the seed corpus, and discord.py builds every object itself
(Guild, TextChannel, Thread, Message, Interaction, and the Messages/Threads it parses
from REST answers). Only the network boundary is replaced: the two methods through
which discord.py sends every request, ``HTTPClient.request`` (bot REST calls) and
``AsyncWebhookAdapter.request`` (interaction callbacks and followups), go to
:class:`FakeDiscord`, which records each call and answers with payloads shaped like
Discord's.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import subprocess
import sys
import textwrap
import urllib.parse
from collections import defaultdict
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands
from discord.http import HTTPClient, Route
from discord.webhook.async_ import AsyncWebhookAdapter, async_context

from assistant.answer.chain import Assistant
from assistant.apps.cli import main
from assistant.apps.discord_format import (
    APOLOGY,
    EMBED_TOTAL,
    FIELD_NAME,
    FIELD_VALUE,
    MAX_FIELDS,
    MESSAGE_LIMIT,
    answer_text,
    source_fields,
    split_message,
)
from assistant.apps.discord_questions import RateLimiter, strip_mentions, thread_history
from assistant.config import Settings
from assistant.domain import Answer, Citation, ReadMore
from assistant.errors import AssistantError
from assistant.ingest.pipeline import Ingester
from assistant.search.retrieval import PassageRetriever
from assistant.search.units import split_sentences
from tests.conftest import CORPUS, REPO

QUESTION = "What makes an AI practitioner valuable?"
OFF_TOPIC = "What is the best recipe for banana bread?"
# A follow-up the essays answer only with its context: refused alone, answered after
# PORTFOLIO (or after QUESTION); see test_the_follow_ups_used_below_need_their_history.
PORTFOLIO = "How do I build a portfolio that stands out?"
FOLLOW_UP = "What should it include?"
MARKER_AT_END = re.compile(r"\[[\d, ]*$")  # a piece that stops inside "[1, 2]"


# -- pure helpers ------------------------------------------------------------------


def answer_like_text(sentences: int = 120) -> str:
    """Several paragraphs of cited sentences, the shape the assistant answers in."""
    paragraphs, current = [], []
    for i in range(sentences):
        marker = f"[{i % 7 + 1}]" if i % 5 else f"[{i % 7 + 1}, {i % 3 + 8}]"
        padding = "and review " * (i % 4)
        current.append(
            f"Sentence {i} explains how a practitioner grows by practice {padding}{marker}."
        )
        if len(current) == 9:
            paragraphs.append(" ".join(current))
            current = []
    paragraphs.append(" ".join(current))
    return "\n".join(paragraphs)


@pytest.mark.parametrize("limit", [MESSAGE_LIMIT, 300])
def test_split_message_keeps_sentences_and_markers_whole(limit):
    text = answer_like_text()
    assert len(text) > 3 * limit
    pieces = split_message(text, limit)
    assert len(pieces) > 1
    assert all(0 < len(p) <= limit for p in pieces)
    # Every word, in order: nothing lost, duplicated or reordered.
    assert " ".join(pieces).split() == text.split()
    for piece in pieces:
        assert not MARKER_AT_END.search(piece), piece[-40:]
        assert not re.match(r"^[\d, ]*\]", piece), piece[:40]
    # Each sentence, with its [n], sits whole inside one piece.
    sentences = [s for paragraph in text.split("\n") for s in split_sentences(paragraph)]
    assert len(sentences) == 120
    for sentence in sentences:
        assert re.search(r"\[[\d, ]+\]\.$", sentence)
        assert sum(sentence in p for p in pieces) >= 1, sentence


def test_split_message_keeps_short_text_and_paragraphs_in_one_piece():
    text = "First point [1].\nSecond point [2]. Third point [1, 2]."
    assert split_message(text) == [text]


def test_split_message_hard_cuts_a_single_absurd_token():
    token = "x" * 5000
    assert split_message(token) == ["x" * 2000, "x" * 2000, "x" * 1000]


@pytest.mark.parametrize("text", ["", "\n", "   ", "\n\n  \n"])
def test_split_message_of_empty_text_is_empty(text):
    assert split_message(text) == []


def test_split_message_keeps_order_when_a_long_token_follows_words():
    pieces = split_message("hello " + "x" * 5000)
    assert all(len(p) <= MESSAGE_LIMIT for p in pieces)
    assert "".join(pieces).replace(" ", "") == "hello" + "x" * 5000


def test_split_message_never_cuts_inside_a_multi_citation_marker():
    words = "word " * 399  # 1995 characters: "[1," still fits in the piece, "2]." does not
    text = f"{words}[1, 2]."
    assert len(text) > MESSAGE_LIMIT
    pieces = split_message(text)
    assert " ".join(pieces).split() == text.split()
    assert not any(MARKER_AT_END.search(p) for p in pieces), [p[-10:] for p in pieces]


def citation(n: int, *, source: str = "", long: bool = True) -> Citation:
    return Citation(
        n=n,
        source=source or f"careers/essay-{n}.md",
        title=("A very long essay title about careers " * 10 if long else "Essay") + str(n),
        heading="Section " * 40 if long else "Intro",
        quote=("A long supporting quote about practice and judgement. " * 20 if long else "Q."),
        start=100 * n,
        end=100 * n + 80,
        score=0.9,
        chunk_id=f"chunk-{n}",
    )


def make_answer(citations: Iterable[Citation] = (), *, refused: bool = False) -> Answer:
    return Answer(
        text="Practice deliberately [1].",
        citations=tuple(citations),
        refused=refused,
        reason="off-topic" if refused else "",
        query="practice",
    )


def test_answer_text_marks_refusals_only():
    refusal = make_answer(refused=True)
    assert answer_text(refusal).startswith("**Not covered")
    assert "Not covered" in answer_text(refusal)
    assert refusal.text in answer_text(refusal)
    assert answer_text(make_answer([citation(1)])) == "Practice deliberately [1]."


def test_an_essay_title_in_an_answer_cannot_become_a_masked_link():
    """An essay's title is written into answers ("The author of “…” writes:") and
    refusals ("The closest essays are “…”"); in a bot message it stays text, while the
    citation markers stay markers."""
    evil = "[Claim your bonus](https://phish.example) **now**"
    said = replace(make_answer(), text=f"The author of “{evil}” writes: Ask for more [1, 2].")
    text = answer_text(said)
    assert "](" not in text and "**" not in text
    assert "\\[Claim your bonus\\]\\(<https://phish.example>\\)" in text  # a plain link
    assert text.endswith("Ask for more [1, 2].")
    refused = replace(make_answer(refused=True), text=f"The closest essays are “{evil}”.")
    assert answer_text(refused).startswith("**Not covered by the essays.** ")
    assert "](" not in answer_text(refused)


def test_a_web_address_in_an_answer_stays_a_link():
    """Discord links a bare address with the backslashes in it: "tech\\-interview" would
    lead nowhere. The sentence's full stop stays outside, and the address is sent in
    "<…>" so the link ends where it does."""
    said = replace(
        make_answer(),
        text="Practice on https://tech-interview-handbook.org/coding_interview_prep. Done [1].",
    )
    assert answer_text(said) == (
        "Practice on <https://tech-interview-handbook.org/coding_interview_prep>. Done [1]."
    )
    said = replace(make_answer(), text="Read http://a.example/x_y, then **rest** [2].")
    assert answer_text(said) == "Read <http://a.example/x_y>, then \\*\\*rest\\*\\* [2]."
    # Balanced brackets belong to it, an apostrophe does not.
    said = replace(
        make_answer(), text="(https://x.example/wiki/Foo_(bar)) and https://x.example's [1]"
    )
    assert (
        answer_text(said)
        == "\\(<https://x.example/wiki/Foo_(bar)>\\) and <https://x.example>'s [1]"
    )
    # A backslash ends the address: it would otherwise free the character after it.
    said = replace(make_answer(), text="See https://a.example/\\**bold** [3].")
    assert answer_text(said) == "See <https://a.example/>\\\\\\*\\*bold\\*\\* [3]."


@pytest.mark.parametrize("base_url", ["", "https://careers.example/chat/"])
def test_source_fields_stay_within_embed_limits(base_url):
    answer = make_answer([citation(n) for n in range(1, 31)])
    fields = source_fields(answer, base_url)
    assert 0 < len(fields) <= MAX_FIELDS
    assert all(len(name) <= FIELD_NAME and len(value) <= FIELD_VALUE for name, value in fields)
    assert sum(len(n) + len(v) for n, v in fields) < EMBED_TOTAL
    # discord.py's own accounting of the embed Discord would receive.
    embed = discord.Embed(title="Sources")
    for name, value in fields:
        embed.add_field(name=name, value=value, inline=False)
    assert len(embed) < EMBED_TOTAL
    # Fields are the first citations, in order.
    assert [n.split("]")[0] for n, _ in fields] == [f"[{i}" for i in range(1, len(fields) + 1)]


def test_source_fields_link_to_the_passage_only_with_a_public_url():
    answer = make_answer([citation(1, long=False), citation(2, long=False)])
    with_links = source_fields(answer, "https://careers.example/")
    for (name, value), c in zip(with_links, answer.citations, strict=True):
        assert name == f"[{c.n}] {c.title} — {c.heading}"
        assert c.quote in value
        url = re.search(r"https?://\S+", value)
        assert url is not None
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url.group()).query)
        assert url.group().startswith("https://careers.example/?")
        assert query == {"source": [c.source], "start": [str(c.start)], "end": [str(c.end)]}
    without = source_fields(answer, "")
    assert len(without) == 2
    assert not any("http" in value or "source=" in value for _, value in without)


def test_source_fields_link_survives_special_characters_in_the_source():
    answer = make_answer([citation(1, source="notes/c++ & rust careers.md", long=False)])
    ((_, value),) = source_fields(answer, "https://careers.example")
    url = value.splitlines()[-1]
    assert " " not in url
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["source"] == ["notes/c++ & rust careers.md"]


def test_rate_limiter_with_a_fake_clock():
    now = [1000.0]
    limiter = RateLimiter(2, 60.0, clock=lambda: now[0])
    assert limiter.retry_after(1) == 0
    now[0] += 10
    assert limiter.retry_after(1) == 0
    wait = limiter.retry_after(1)
    assert wait > 0
    assert wait == pytest.approx(50.0)
    assert limiter.retry_after(2) == 0  # users are independent
    now[0] += 5
    assert limiter.retry_after(1) == pytest.approx(45.0)  # refused questions don't count
    now[0] += 45  # the first question has left the window
    assert limiter.retry_after(1) == 0
    assert limiter.retry_after(1) == pytest.approx(10.0)
    now[0] += 10
    assert limiter.retry_after(1) == 0


def test_rate_limiter_forgets_users_whose_questions_left_the_window():
    """Memory stays bounded by the users seen in the last window, however many came."""
    now = [0.0]
    limiter = RateLimiter(2, 3600.0, clock=lambda: now[0])
    for user in range(1000):
        assert limiter.retry_after(user) == 0
        now[0] += 1.0
    assert len(limiter) == 1000
    assert limiter.retry_after(0) == 0  # still within the window: kept, and counted
    now[0] += 3600.0  # every question above has left the window
    assert limiter.retry_after(5000) == 0
    assert len(limiter) == 1  # only the newcomer is remembered
    # A forgotten user starts afresh, and the limit still holds within a window.
    assert limiter.retry_after(0) == 0
    assert limiter.retry_after(0) == 0
    assert limiter.retry_after(0) == pytest.approx(3600.0)
    assert len(limiter) == 2


def test_strip_mentions():
    assert strip_mentions("<@123> How do I   start? <@!456>") == "How do I start?"
    assert strip_mentions("<@&789>hello<@1>there") == "hello there"
    assert strip_mentions("<@123>") == ""
    assert strip_mentions("no mentions here") == "no mentions here"


def test_thread_history_keeps_user_turns_in_order():
    bot_id = 42

    def msg(author_id: int, content: str | None, *, bot: bool = False) -> Any:
        return SimpleNamespace(author=SimpleNamespace(id=author_id, bot=bot), content=content)

    messages = [
        msg(7, "<@42> How do I negotiate?"),
        msg(bot_id, "Negotiate with data [1]."),
        msg(8, "Same question from me", bot=True),  # another bot
        msg(7, ""),
        msg(7, None),
        msg(7, "<@42>"),
        SimpleNamespace(author=None, content="system"),
        msg(9, "And <@!42> equity?"),
    ]
    assert thread_history(messages, bot_id) == ["How do I negotiate?", "And equity?"]
    assert thread_history([], bot_id) == []


# -- the Cog, with discord.py's own objects and a fake network ---------------------

BOT_ID = 1_290_000_000_000_000_001
GUILD_ID = 1_290_000_000_000_000_100
CHANNEL_ID = 1_290_000_000_000_000_200
COMMAND_ID = 1_290_000_000_000_000_300
BOT_USER = {
    "id": str(BOT_ID),
    "username": "career-assistant",
    "discriminator": "0",
    "global_name": "Career Assistant",
    "avatar": None,
    "bot": True,
    "verified": True,
    "mfa_enabled": False,
    "flags": 0,
}


def user_payload(user_id: int, name: str) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "discriminator": "0",
        "global_name": name.title(),
        "avatar": None,
    }


ALICE = user_payload(1_290_000_000_000_001_001, "alice")
BOB = user_payload(1_290_000_000_000_001_002, "bob")


def timestamp(snowflake: int) -> str:
    return discord.utils.snowflake_time(snowflake).isoformat()


def member_payload(snowflake: int) -> dict[str, Any]:
    return {
        "roles": [],
        "joined_at": timestamp(snowflake),
        "deaf": False,
        "mute": False,
        "flags": 0,
        "nick": None,
    }


def message_payload(
    message_id: int, channel_id: int, author: dict[str, Any], content: str, **extra: Any
) -> dict[str, Any]:
    return {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": timestamp(message_id),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
        "flags": 0,
        "components": [],
        **extra,
    }


def thread_payload(thread_id: int, parent_id: int, name: str, owner_id: int) -> dict[str, Any]:
    return {
        "id": str(thread_id),
        "guild_id": str(GUILD_ID),
        "parent_id": str(parent_id),
        "owner_id": str(owner_id),
        "type": 11,  # public thread
        "name": name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "total_message_sent": 0,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": timestamp(thread_id),
            "locked": False,
        },
    }


@dataclass
class Call:
    """One request discord.py sent: its route and what it carried."""

    method: str
    path: str  # the route template, e.g. "/channels/{channel_id}/messages"
    ids: dict[str, str]  # the template's values, e.g. {"channel_id": "…"}
    json: Any = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def content(self) -> str:
        return str((self.json or {}).get("content") or "")

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return list((self.json or {}).get("embeds") or [])


class FakeResponse:
    """What ``discord.HTTPException`` reads from an aiohttp response."""

    def __init__(self, status: int, reason: str) -> None:
        self.status, self.reason = status, reason


class FakeDiscord:
    """Discord's REST API, as far as the bot uses it: records every request and answers
    like Discord does (new snowflakes, messages authored by the bot, threads owned by it,
    history newest first). An unexpected route fails the test."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.history: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self.threads: set[int] = set()  # channel ids that are threads
        self.interaction_channels: dict[str, int] = {}  # interaction token -> channel id
        self.dropping: set[tuple[str, str]] = set()  # (method, path): the connection drops
        self._ids = itertools.count(1_300_000_000_000_000_000, 1 << 22)

    def next_id(self) -> int:
        return next(self._ids)

    def store(self, data: dict[str, Any]) -> dict[str, Any]:
        self.history[int(data["channel_id"])].append(data)
        return data

    def answer(self, route: Route, json: Any, params: dict[str, Any] | None) -> Any:
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", route.path)
        match = re.fullmatch(pattern, route.url[len(Route.BASE) :].split("?")[0])
        assert match is not None, route.url
        ids = {k: urllib.parse.unquote(v) for k, v in match.groupdict().items()}
        call = Call(route.method, route.path, ids, json, dict(params or {}))
        self.calls.append(call)
        if (route.method, route.path) in self.dropping:  # not an OSError: aiohttp's own
            raise aiohttp.ServerDisconnectedError()
        handler = {
            ("POST", "/channels/{channel_id}/messages"): self._send,
            ("POST", "/channels/{channel_id}/typing"): lambda c: None,
            ("POST", "/channels/{channel_id}/messages/{message_id}/threads"): self._thread,
            ("GET", "/channels/{channel_id}/messages"): self._history,
            ("GET", "/channels/{channel_id}/messages/{message_id}"): self._message,
            ("POST", "/interactions/{webhook_id}/{webhook_token}/callback"): self._callback,
            ("POST", "/webhooks/{webhook_id}/{webhook_token}"): self._followup,
        }.get((route.method, route.path))
        if handler is None:
            pytest.fail(f"unexpected Discord request {route.method} {route.path}")
        return handler(call)

    def _send(self, call: Call) -> dict[str, Any]:
        body = call.json or {}
        extra = {}
        if ref := body.get("message_reference"):
            extra["message_reference"] = {**ref, "type": 0}
        return self.store(
            message_payload(
                self.next_id(),
                int(call.ids["channel_id"]),
                BOT_USER,
                body.get("content") or "",
                embeds=body.get("embeds") or [],
                **extra,
            )
        )

    def _thread(self, call: Call) -> dict[str, Any]:
        channel_id = int(call.ids["channel_id"])
        if channel_id in self.threads:  # threads don't nest
            raise discord.HTTPException(
                FakeResponse(400, "Bad Request"),
                {"code": 50024, "message": "Cannot execute action on this channel type"},
            )
        thread_id = int(call.ids["message_id"])  # a thread takes its starter message's id
        self.threads.add(thread_id)
        return thread_payload(thread_id, channel_id, call.json["name"], BOT_ID)

    def _history(self, call: Call) -> list[dict[str, Any]]:
        messages = sorted(self.history[int(call.ids["channel_id"])], key=lambda m: int(m["id"]))
        limit = int(call.params.get("limit", 50))
        if "after" in call.params:  # the `limit` messages just after, newest first
            after = int(call.params["after"])
            return list(reversed([m for m in messages if int(m["id"]) > after][:limit]))
        if "before" in call.params:
            before = int(call.params["before"])
            messages = [m for m in messages if int(m["id"]) < before]
        return list(reversed(messages))[:limit]

    def _message(self, call: Call) -> dict[str, Any]:
        wanted = call.ids["message_id"]
        for m in self.history[int(call.ids["channel_id"])]:
            if m["id"] == wanted:
                return m
        raise discord.NotFound(
            FakeResponse(404, "Not Found"), {"code": 10008, "message": "Unknown Message"}
        )

    def _callback(self, call: Call) -> dict[str, Any]:
        body = call.json or {}
        kind, data = body["type"], body.get("data") or {}
        interaction = {
            "id": call.ids["webhook_id"],
            "type": 2,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(data.get("flags", 0) & 64),
        }
        resource: dict[str, Any] = {"type": kind}
        if kind == 4:
            channel_id = self.interaction_channels[call.ids["webhook_token"]]
            message = message_payload(
                self.next_id(), channel_id, BOT_USER, data.get("content") or "", type=20
            )
            resource["message"] = message
            interaction["response_message_id"] = message["id"]
        return {"interaction": interaction, "resource": resource}

    def _followup(self, call: Call) -> dict[str, Any] | None:
        assert call.params.get("wait") in (0, 1)
        body = call.json or {}
        channel_id = self.interaction_channels[call.ids["webhook_token"]]
        message = message_payload(
            self.next_id(),
            channel_id,
            BOT_USER,
            body.get("content") or "",
            embeds=body.get("embeds") or [],
            type=20,
            webhook_id=call.ids["webhook_id"],
            application_id=str(BOT_ID),
        )
        return self.store(message) if call.params.get("wait") else None

    # What the tests look at.

    def find(self, method: str, path: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path == path]

    def posts(self) -> list[Call]:
        return self.find("POST", "/channels/{channel_id}/messages")

    def threads_created(self) -> list[Call]:
        return self.find("POST", "/channels/{channel_id}/messages/{message_id}/threads")

    def typing(self) -> list[Call]:
        return self.find("POST", "/channels/{channel_id}/typing")

    def callbacks(self) -> list[Call]:
        return self.find("POST", "/interactions/{webhook_id}/{webhook_token}/callback")

    def followups(self) -> list[Call]:
        return self.find("POST", "/webhooks/{webhook_id}/{webhook_token}")

    def everything_sent(self) -> str:
        return " ".join(str(c.json) for c in self.calls)


class RecordingHTTPClient(HTTPClient):
    """discord.py's real HTTPClient (every endpoint method builds its own Route and
    payload) whose single network call is answered by FakeDiscord."""

    def __init__(self, server: FakeDiscord, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop)
        self.server = server
        self.token = "fake-token"

    async def request(self, route: Route, *, files: Any = None, form: Any = None, **kw: Any) -> Any:
        assert not files and not form, "the bot sends no files"
        return self.server.answer(route, kw.get("json"), kw.get("params"))


class RecordingWebhookAdapter(AsyncWebhookAdapter):
    """discord.py's real webhook adapter (interaction callbacks, followups) whose
    single network call is answered by FakeDiscord."""

    def __init__(self, server: FakeDiscord) -> None:
        super().__init__()
        self.server = server

    async def request(self, route: Route, session: Any, **kw: Any) -> Any:
        assert not kw.get("files") and not kw.get("multipart"), "the bot sends no files"
        return self.server.answer(route, kw.get("payload"), kw.get("params"))


@dataclass
class Harness:
    bot: commands.Bot
    state: Any  # discord.state.ConnectionState
    server: FakeDiscord
    guild: discord.Guild
    channel: discord.TextChannel
    cog: Any

    def user_message(
        self,
        channel: discord.abc.Messageable,
        author: dict[str, Any],
        content: str,
        *,
        mention_bot: bool = False,
        message_id: int | None = None,
        **extra: Any,
    ) -> discord.Message:
        """A MESSAGE_CREATE payload from the gateway, stored in the channel's history."""
        message_id = message_id or self.server.next_id()
        mentions = [{**BOT_USER, "member": member_payload(message_id)}] if mention_bot else []
        data = message_payload(
            message_id,
            channel.id,
            author,
            content,
            guild_id=str(GUILD_ID),
            member=member_payload(message_id),
            mentions=mentions,
            **extra,
        )
        self.server.store(data)
        return discord.Message(state=self.state, channel=channel, data=data)

    def bot_thread(self, thread_id: int, name: str) -> discord.Thread:
        """A thread the bot created (it owns it) in the text channel."""
        self.server.threads.add(thread_id)
        thread = discord.Thread(
            guild=self.guild,
            state=self.state,
            data=thread_payload(thread_id, CHANNEL_ID, name, BOT_ID),
        )
        self.guild._add_thread(thread)
        return thread

    def interaction(self, question: str, user: dict[str, Any] = ALICE) -> discord.Interaction:
        """An INTERACTION_CREATE payload: `/ask question:` typed in the text channel."""
        interaction_id = self.server.next_id()
        token = f"interaction-token-{interaction_id}"
        self.server.interaction_channels[token] = CHANNEL_ID
        data = {
            "id": str(interaction_id),
            "application_id": str(BOT_ID),
            "type": 2,  # application command
            "token": token,
            "version": 1,
            "guild_id": str(GUILD_ID),
            "guild": {"id": str(GUILD_ID), "locale": "en-US", "features": []},
            "channel_id": str(CHANNEL_ID),
            "channel": channel_payload(),
            "member": {
                **member_payload(interaction_id),
                "user": user,
                "permissions": "2248473465835073",
            },
            "data": {
                "id": str(COMMAND_ID),
                "name": "ask",
                "type": 1,
                "options": [{"name": "question", "type": 3, "value": question}],
            },
            "app_permissions": "2248473465835073",
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(GUILD_ID)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        return discord.Interaction(data=data, state=self.state)

    async def ask(self, question: str, user: dict[str, Any] = ALICE) -> BaseException | None:
        """Run `/ask` through the command's callback; what it raised, if anything."""
        try:
            await self.cog.ask.callback(self.cog, self.interaction(question, user), question)
        except Exception as exc:
            return exc
        return None


def channel_payload() -> dict[str, Any]:
    return {
        "id": str(CHANNEL_ID),
        "type": 0,
        "guild_id": str(GUILD_ID),
        "name": "careers",
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": "Ask the career essays",
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "default_auto_archive_duration": 1440,
        "flags": 0,
    }


def guild_payload() -> dict[str, Any]:
    return {
        "id": str(GUILD_ID),
        "name": "Careers",
        "icon": None,
        "owner_id": ALICE["id"],
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "preferred_locale": "en-US",
        "premium_tier": 0,
        "nsfw_level": 0,
        "features": [],
        "emojis": [],
        "stickers": [],
        "roles": [
            {
                "id": str(GUILD_ID),
                "name": "@everyone",
                "permissions": "2248473465835073",
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
        ],
        "member_count": 3,
    }


@pytest.fixture(scope="module")
def seed(tmp_path_factory, embeddings) -> tuple[Settings, Assistant]:
    """The seed corpus ingested once, and a real Assistant over it."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("discord") / "data", corpus=(CORPUS,))
    Ingester(settings, embeddings=embeddings).run()
    assistant = Assistant(
        settings, embeddings, PassageRetriever.from_settings(settings, embeddings)
    )
    return settings, assistant


async def make_harness(assistant: Assistant, settings: Settings) -> Harness:
    from assistant.apps.discord_bot import AssistantCog

    intents = discord.Intents.default()
    intents.message_content = True
    bot = commands.Bot(command_prefix=commands.when_mentioned, intents=intents)
    server = FakeDiscord()
    state = bot._connection
    bot.http = state.http = RecordingHTTPClient(server, asyncio.get_running_loop())
    await bot._async_setup_hook()  # what login() does first: bind the running loop
    state.user = discord.ClientUser(state=state, data=BOT_USER)  # what READY does
    state.application_id = BOT_ID
    guild = discord.Guild(data=guild_payload(), state=state)
    state._add_guild(guild)
    channel = discord.TextChannel(state=state, guild=guild, data=channel_payload())
    guild._add_channel(channel)
    async_context.set(RecordingWebhookAdapter(server))  # this task's context only
    cog = AssistantCog(bot, assistant, settings)
    await bot.add_cog(cog)
    return Harness(bot, state, server, guild, channel, cog)


def run(
    seed: tuple[Settings, Assistant],
    scenario: Callable[[Harness], Coroutine[Any, Any, Any]],
    **settings_changes: Any,
) -> Any:
    settings, assistant = seed

    async def main() -> Any:
        harness = await make_harness(assistant, settings.replace(**settings_changes))
        return await scenario(harness)

    return asyncio.run(main())


def expected_text(assistant: Assistant, question: str, history: list[Any] | None = None) -> str:
    """What the bot should post: the same assistant's answer, computed directly."""
    return answer_text(assistant.ask(question, history or []))


def test_the_follow_ups_used_below_need_their_history(seed):
    """Guards the scenarios: without history these follow-ups are refused."""
    _, assistant = seed
    assert assistant.ask(FOLLOW_UP).refused
    assert not assistant.ask(FOLLOW_UP, [PORTFOLIO]).refused
    assert not assistant.ask(FOLLOW_UP, [QUESTION]).refused
    assert not assistant.ask(FOLLOW_UP, ["Got it.", PORTFOLIO]).refused


def test_cog_is_built_lazily_and_registers_ask_and_the_listener(seed):
    async def scenario(h: Harness) -> None:
        command = h.bot.tree.get_command("ask")
        assert command is h.cog.ask
        assert [p.name for p in command.parameters] == ["question"]
        assert h.cog.on_message in [f for _, f in h.cog.get_listeners()]
        assert h.cog.limiter.limit == 3

    run(seed, scenario, discord_user_rate=3)


def test_slash_command_defers_then_follows_up_with_cited_answer_and_sources(seed):
    _, assistant = seed

    async def scenario(h: Harness) -> BaseException | None:
        error = await h.ask(QUESTION)
        (callback,) = h.server.callbacks()
        assert callback.json["type"] == 5  # deferred channel message: "is thinking…"
        assert not (callback.json.get("data") or {}).get("flags")  # visible to everyone
        (followup,) = h.server.followups()
        assert followup.params["wait"] == 1
        assert followup.ids["webhook_id"] == str(BOT_ID)
        assert "[1]" in followup.content
        assert followup.content == expected_text(assistant, QUESTION)
        (embed,) = followup.embeds
        assert embed["title"] == "Sources"
        assert embed["fields"] and embed["fields"][0]["name"].startswith("[1] ")
        assert h.server.calls.index(callback) < h.server.calls.index(followup)
        assert h.server.posts() == []
        return error

    error = run(seed, scenario)
    assert error is None  # and the thread: test_slash_command_opens_a_thread_from_its_answer


def test_slash_command_opens_a_thread_from_its_answer(seed):
    async def scenario(h: Harness) -> None:
        error = await h.ask(QUESTION)
        if error is not None:
            raise error
        (followup,) = h.server.followups()
        (thread,) = h.server.threads_created()
        answer_message = h.server.history[CHANNEL_ID][-1]
        assert answer_message["content"] == followup.content
        assert thread.ids == {"channel_id": str(CHANNEL_ID), "message_id": answer_message["id"]}
        assert thread.json["name"] == QUESTION

    run(seed, scenario)


def test_mention_opens_a_thread_from_the_message_and_answers_in_it(seed):
    _, assistant = seed

    async def scenario(h: Harness) -> None:
        message = h.user_message(h.channel, ALICE, f"<@{BOT_ID}> {QUESTION}", mention_bot=True)
        assert h.bot.user in message.mentions
        await h.cog.on_message(message)
        (thread,) = h.server.threads_created()
        assert thread.ids == {"channel_id": str(CHANNEL_ID), "message_id": str(message.id)}
        assert thread.json["name"] == QUESTION
        (typing,) = h.server.typing()
        (post,) = h.server.posts()
        assert typing.ids["channel_id"] == post.ids["channel_id"] == str(message.id)
        assert "[1]" in post.content
        assert post.content == expected_text(assistant, QUESTION)
        (embed,) = post.embeds
        assert embed["title"] == "Sources"
        # With a public URL the sources link to the passage in the web chat.
        for f in embed["fields"]:
            assert "https://careers.example/?source=building-an-ai-career.md&start=" in f["value"]
        assert h.server.callbacks() == [] and h.server.followups() == []

    run(seed, scenario, public_base_url="https://careers.example/")


def test_messages_that_are_not_for_the_bot_are_ignored(seed):
    async def scenario(h: Harness) -> None:
        await h.cog.on_message(h.user_message(h.channel, ALICE, QUESTION))  # no mention
        other_bot = {**BOB, "bot": True}
        await h.cog.on_message(
            h.user_message(h.channel, other_bot, f"<@{BOT_ID}> {QUESTION}", mention_bot=True)
        )
        await h.cog.on_message(h.user_message(h.channel, ALICE, f"<@{BOT_ID}>", mention_bot=True))
        assert h.server.calls == []

    run(seed, scenario)


def test_refusal_says_not_covered_without_sources(seed):
    async def scenario(h: Harness) -> None:
        await h.cog.on_message(
            h.user_message(h.channel, ALICE, f"<@{BOT_ID}> {OFF_TOPIC}", mention_bot=True)
        )
        (post,) = h.server.posts()
        assert "Not covered" in post.content
        assert "[1]" not in post.content
        assert not post.embeds

        await h.ask(OFF_TOPIC, BOB)
        (followup,) = h.server.followups()
        assert "Not covered" in followup.content
        assert not followup.embeds

    run(seed, scenario)


def test_follow_up_in_the_bots_thread_uses_its_earlier_turns(seed):
    _, assistant = seed

    async def scenario(h: Harness) -> None:
        server = h.server
        opener_id = server.next_id()
        opener = f"<@{BOT_ID}> Should I choose industry or research?"
        # The question that opened the thread, in the channel and in the bot's cache.
        starter = h.user_message(h.channel, ALICE, opener, mention_bot=True, message_id=opener_id)
        h.state._messages.append(starter)
        thread = h.bot_thread(opener_id, "Should I choose industry or research?")
        server.store(  # Discord's "thread starter" system message opens the thread
            message_payload(
                server.next_id(),
                thread.id,
                ALICE,
                "",
                type=21,
                message_reference={"message_id": str(opener_id), "channel_id": str(CHANNEL_ID)},
            )
        )
        server.store(message_payload(server.next_id(), thread.id, BOT_USER, "Both work [1]."))
        h.user_message(thread, ALICE, f"<@{BOT_ID}> {PORTFOLIO}", mention_bot=True)
        server.store(message_payload(server.next_id(), thread.id, BOT_USER, "Build things [1]."))
        message = h.user_message(thread, ALICE, FOLLOW_UP)  # no mention needed in its thread
        h.user_message(thread, BOB, "A later message")  # after the follow-up: not history

        await h.cog.on_message(message)

        (history,) = server.find("GET", "/channels/{channel_id}/messages")
        assert history.ids["channel_id"] == str(thread.id)
        assert server.threads_created() == []  # already in its thread
        (post,) = server.posts()
        assert post.ids["channel_id"] == str(thread.id)
        want = expected_text(
            assistant, FOLLOW_UP, ["Should I choose industry or research?", PORTFOLIO]
        )
        assert post.content == want
        assert "[1]" in post.content and "Not covered" not in post.content
        assert post.embeds[0]["title"] == "Sources"

    run(seed, scenario)


def test_follow_up_in_a_long_thread_uses_the_latest_turns(seed):
    _, assistant = seed

    async def scenario(h: Harness) -> None:
        server = h.server
        thread = h.bot_thread(server.next_id(), "Portfolio")
        for _ in range(30):
            h.user_message(thread, ALICE, "Got it.")
            server.store(message_payload(server.next_id(), thread.id, BOT_USER, "Glad to help."))
        h.user_message(thread, ALICE, PORTFOLIO)
        server.store(message_payload(server.next_id(), thread.id, BOT_USER, "Build [1]."))
        message = h.user_message(thread, ALICE, FOLLOW_UP)

        await h.cog.on_message(message)

        (post,) = server.posts()
        want = expected_text(assistant, FOLLOW_UP, ["Got it."] * 30 + [PORTFOLIO])
        assert post.content == want

    run(seed, scenario)


@pytest.mark.parametrize("cached", [False, True])
def test_follow_up_in_a_slash_command_thread_knows_the_question(seed, cached):
    _, assistant = seed

    async def scenario(h: Harness) -> None:
        server = h.server
        # The state /ask leaves behind: its answer in the channel, a thread from it.
        answer = server.store(
            message_payload(
                server.next_id(),
                CHANNEL_ID,
                BOT_USER,
                expected_text(assistant, QUESTION),
                type=20,
                webhook_id=str(BOT_ID),
                application_id=str(BOT_ID),
                interaction_metadata={
                    "id": str(server.next_id()),
                    "type": 2,
                    "user": ALICE,
                    "name": "ask",
                    "authorizing_integration_owners": {"0": str(GUILD_ID)},
                },
            )
        )
        if cached:  # the bot saw its answer go out: discord.py keeps it as the starter
            h.state._messages.append(discord.Message(state=h.state, channel=h.channel, data=answer))
        thread = h.bot_thread(int(answer["id"]), QUESTION)
        server.store(
            message_payload(
                server.next_id(),
                thread.id,
                BOT_USER,
                "",
                type=21,
                message_reference={"message_id": answer["id"], "channel_id": str(CHANNEL_ID)},
            )
        )
        message = h.user_message(thread, ALICE, FOLLOW_UP)

        await h.cog.on_message(message)

        # The thread's starter is our answer: fetched when the cache lost it (a restart).
        # Either way the follow-up is asked after the question and its answer, not after
        # the question alone.
        fetched = server.find("GET", "/channels/{channel_id}/messages/{message_id}")
        assert [c.ids for c in fetched] == (
            [] if cached else [{"channel_id": str(CHANNEL_ID), "message_id": answer["id"]}]
        )
        (post,) = server.posts()
        said = {"role": "assistant", "content": answer["content"]}
        assert post.content == expected_text(assistant, FOLLOW_UP, [QUESTION, said])

    run(seed, scenario)


def test_follow_up_is_answered_when_the_thread_cannot_be_read_back(seed):
    _, assistant = seed

    async def scenario(h: Harness) -> None:
        server = h.server
        answer = server.store(
            message_payload(server.next_id(), CHANNEL_ID, BOT_USER, "An earlier answer.")
        )
        thread = h.bot_thread(int(answer["id"]), QUESTION)
        message = h.user_message(thread, ALICE, FOLLOW_UP)
        server.dropping = {
            ("GET", "/channels/{channel_id}/messages"),
            ("GET", "/channels/{channel_id}/messages/{message_id}"),
        }

        await h.cog.on_message(message)

        # Neither the history nor the starter came back: the thread's name (the
        # question) is all the history there is, and the follow-up is still answered.
        assert server.find("GET", "/channels/{channel_id}/messages")
        assert server.find("GET", "/channels/{channel_id}/messages/{message_id}")
        (post,) = server.posts()
        assert post.content == expected_text(assistant, FOLLOW_UP, [QUESTION])

    run(seed, scenario)


def test_mention_inside_someone_elses_thread_is_answered_there(seed):
    async def scenario(h: Harness) -> None:
        thread_id = h.server.next_id()
        h.server.threads.add(thread_id)
        data = thread_payload(thread_id, CHANNEL_ID, "Alice's thread", int(ALICE["id"]))
        thread = discord.Thread(guild=h.guild, state=h.state, data=data)
        h.guild._add_thread(thread)
        message = h.user_message(thread, ALICE, f"<@{BOT_ID}> {QUESTION}", mention_bot=True)

        await h.cog.on_message(message)

        (post,) = h.server.posts()
        assert post.ids["channel_id"] == str(thread_id)
        assert "[1]" in post.content

    run(seed, scenario)


def test_rate_limit_answers_try_again_without_asking_the_assistant(seed, monkeypatch):
    _, assistant = seed
    questions: list[str] = []
    real_aask = assistant.aask

    async def recording_aask(question: str, history: Any = (), **kw: Any) -> Answer:
        questions.append(question)  # records, then lets the real assistant answer
        return await real_aask(question, history, **kw)

    monkeypatch.setattr(assistant, "aask", recording_aask)

    async def scenario(h: Harness) -> None:
        first = h.user_message(h.channel, ALICE, f"<@{BOT_ID}> {QUESTION}", mention_bot=True)
        await h.cog.on_message(first)
        assert len(h.server.posts()) == 1 and len(h.server.threads_created()) == 1
        second = h.user_message(h.channel, ALICE, f"<@{BOT_ID}> {PORTFOLIO}", mention_bot=True)
        await h.cog.on_message(second)
        reply = h.server.posts()[-1]
        assert "try again in" in reply.content
        assert re.search(r"try again in [1-9]\d* s", reply.content)
        assert reply.ids["channel_id"] == str(CHANNEL_ID)
        assert reply.json["message_reference"]["message_id"] == second.id
        assert len(h.server.threads_created()) == 1 and len(h.server.typing()) == 1
        assert questions == [QUESTION]

        # The slash command shares the limit: an ephemeral notice, nothing deferred.
        await h.ask(PORTFOLIO)
        (callback,) = h.server.callbacks()
        assert callback.json["type"] == 4
        assert callback.json["data"]["flags"] & 64  # only Alice sees it
        assert "try again in" in callback.json["data"]["content"]
        assert h.server.followups() == []
        assert questions == [QUESTION]

        # Another user is not limited by Alice's questions.
        await h.ask(QUESTION, BOB)
        assert h.server.callbacks()[-1].json["type"] == 5
        assert "[1]" in h.server.followups()[-1].content
        assert questions == [QUESTION, QUESTION]

    run(seed, scenario, discord_user_rate=1)


def test_failure_inside_the_assistant_posts_a_short_apology(seed, monkeypatch):
    _, assistant = seed

    async def broken(question: str, history: Any = (), **kw: Any) -> Answer:
        raise RuntimeError("Traceback (most recent call last): secret at /srv/model.py")

    monkeypatch.setattr(assistant, "aask", broken)

    async def scenario(h: Harness) -> None:
        message = h.user_message(h.channel, ALICE, f"<@{BOT_ID}> {QUESTION}", mention_bot=True)
        await h.cog.on_message(message)
        (post,) = h.server.posts()
        assert post.content == APOLOGY
        assert post.ids["channel_id"] == str(message.id)  # in the thread it opened

        assert await h.ask(QUESTION, BOB) is None
        assert h.server.callbacks()[0].json["type"] == 5
        (followup,) = h.server.followups()
        assert followup.content == APOLOGY
        assert len(h.server.threads_created()) == 1  # the mention's; none for /ask's apology
        sent = h.server.everything_sent()
        for leak in ("Traceback", "RuntimeError", "secret", "/srv/model.py"):
            assert leak not in sent

    run(seed, scenario)


def test_assistant_error_message_is_posted_as_the_fix(seed):
    settings, _ = seed
    too_long = "Why? " * (settings.max_question_chars // 5 + 1)

    async def scenario(h: Harness) -> None:
        assert await h.ask(too_long) is None
        (followup,) = h.server.followups()
        assert followup.content.startswith("The question is ")
        assert "Shorten it." in followup.content
        assert h.server.threads_created() == []

    run(seed, scenario)


PINGS = f"@everyone @here <@&{GUILD_ID + 7}> <@{ALICE['id']}>"  # what would notify people


def test_nothing_the_bot_sends_can_ping_anyone(seed, monkeypatch):
    """Every message the bot sends, on every path, tells Discord to notify nobody, even
    when the question, the essay text or an error carries @everyone or a role mention."""
    _, assistant = seed
    real_aask = assistant.aask

    async def pinging_aask(question: str, history: Any = (), **kw: Any) -> Answer:
        if "broken" in question:
            raise RuntimeError("boom")
        if "refuse" in question:
            raise AssistantError(f"{PINGS} cannot be answered.")
        answer = await real_aask(QUESTION, history, **kw)
        return replace(answer, text=f"{PINGS} {answer_like_text()}")  # several messages

    monkeypatch.setattr(assistant, "aask", pinging_aask)
    carol, dave = (
        user_payload(1_290_000_000_000_001_003, "carol"),
        user_payload(1_290_000_000_000_001_004, "dave"),
    )

    async def scenario(h: Harness) -> None:
        ask_bot = f"<@{BOT_ID}> {PINGS} {QUESTION}"
        await h.cog.on_message(h.user_message(h.channel, ALICE, ask_bot, mention_bot=True))
        await h.cog.on_message(h.user_message(h.channel, ALICE, ask_bot, mention_bot=True))
        await h.ask(f"{PINGS} {QUESTION}")  # Alice again: the ephemeral rate-limit notice
        assert await h.ask(f"{PINGS} {QUESTION}", BOB) is None
        assert await h.ask(f"{PINGS} refuse", carol) is None
        broken = f"<@{BOT_ID}> {PINGS} broken"
        await h.cog.on_message(h.user_message(h.channel, dave, broken, mention_bot=True))

        bodies = [c.json for c in h.server.posts() + h.server.followups()]
        bodies += [c.json["data"] for c in h.server.callbacks() if c.json.get("data")]
        assert all(b["allowed_mentions"] == {"parse": []} for b in bodies), bodies
        sent = [b.get("content") or "" for b in bodies]
        # Each path was taken: the answer split in several posts and followed up, the
        # rate-limit reply and notice, the error text and the apology.
        # Answers carry the pings escaped (an answer's words are no markup), the error
        # as sent; either way allowed_mentions above is what keeps them silent.
        escaped = re.sub(r"([<>])", r"\\\1", PINGS)
        assert sum(PINGS in s or escaped in s for s in sent) == 3  # both answers, the error
        assert any("try again in" in s for s in sent)
        assert any(s.startswith(PINGS) and "cannot be answered" in s for s in sent)
        assert APOLOGY in sent
        assert any(p.json.get("message_reference") for p in h.server.posts())
        assert len(h.server.posts()) >= 5 and len(h.server.followups()) == 2

    run(seed, scenario, discord_user_rate=1)


# -- without discord.py, and the CLI -----------------------------------------------


def test_module_imports_without_discord_and_says_what_to_install():
    code = textwrap.dedent(
        """
        import sys
        sys.modules["discord"] = None  # discord.py not installed
        import assistant.apps.discord_bot
        from assistant.apps.discord_format import split_message
        from assistant.errors import AssistantError
        assert split_message("One. Two.") == ["One. Two."]
        try:
            from assistant.apps.discord_bot import AssistantCog
        except AssistantError as exc:
            print(f"AssistantError: {exc}")
        else:
            print("imported", AssistantCog)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("AssistantError: ")
    assert "pip install 'career-assistant[discord]'" in done.stdout


@pytest.mark.parametrize("token", [None, "   "])
def test_cli_discord_without_token_exits_1_with_one_line(tmp_path, monkeypatch, capsys, token):
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.delenv("CAREER_ASSISTANT_DISCORD_TOKEN", raising=False)
    if token is not None:
        monkeypatch.setenv("DISCORD_TOKEN", token)
    assert main(["discord", "--data-dir", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ") and "DISCORD_TOKEN" in lines[0]
    assert "Traceback" not in err


def test_other_missing_names_are_attribute_errors():
    import assistant.apps.discord_bot as bot

    with pytest.raises(AttributeError):
        _ = bot.NoSuchThing


def test_the_embed_ends_with_read_more_linked_only_with_a_public_url():
    more = tuple(
        ReadMore(
            f"essay{i}.md",
            f"Essay {i}",
            f"Part {i}",
            10 * i,
            10 * i + 9,
            0.5,
            f"Also about: x{i}",
            f"c{i}",
        )
        for i in range(1, 4)
    )
    answer = replace(make_answer([citation(1, long=False)]), read_more=more)
    name, value = source_fields(answer, "https://careers.example/")[-1]
    assert name == "Read more"
    assert value.count("https://careers.example/?source=essay") == 3
    for r in more:
        assert f"{r.title} — {r.heading} \\({r.why}\\)" in value
    name, value = source_fields(answer, "")[-1]
    assert name == "Read more" and "http" not in value
    # No room is taken from the citations: with 25 of them, Read more is left out.
    crowded = replace(make_answer([citation(n, long=False) for n in range(1, 26)]), read_more=more)
    fields = source_fields(crowded, "")
    assert len(fields) <= MAX_FIELDS and all(n != "Read more" for n, _ in fields)


def test_read_more_titles_cannot_become_masked_links():
    """An essay's title is untrusted (a fetched page's og:title): in an embed value Discord
    would render `[text](url)` as a link the bot vouches for."""
    evil = ReadMore("e.md", "[Claim your bonus](https://phish.example)", "", 0, 9, 0.5, "x", "c")
    answer = replace(make_answer([citation(1, long=False)]), read_more=(evil,))
    name, value = source_fields(answer, "")[-1]
    assert name == "Read more"
    assert "](" not in value and "\\[Claim your bonus\\]\\(https://phish.example\\)" in value
