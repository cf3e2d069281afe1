"""The assistant inside Discord: `/ask question:` and @mentions, one thread per answer.

Extra ``[discord]`` (discord.py), imported lazily: the Cog lives in
:mod:`assistant.apps.discord_cog`, imported on first use. Add it to an existing bot with::

    from assistant.apps.discord_bot import AssistantCog
    await bot.add_cog(AssistantCog.from_settings(bot))

Answers keep their ``[n]`` markers; sources go in an embed. Long answers are split
within Discord's limits without breaking a sentence or a citation. Answers run off
the event loop (``Assistant.aask`` runs in a worker thread), under a global
concurrency limit and a per-user rate limit.
"""

import re
import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from assistant.config import Settings
from assistant.domain import Answer
from assistant.errors import AssistantError
from assistant.search import split_sentences

MESSAGE_LIMIT = 2000
EMBED_TOTAL = 6000
FIELD_NAME, FIELD_VALUE, MAX_FIELDS = 256, 1024, 25
APOLOGY = "Sorry, I couldn't answer that just now. Please try again in a moment."
INSTALL_HINT = "The Discord bot needs discord.py: `pip install 'career-assistant[discord]'`."


def _discord() -> Any:
    try:
        import discord
        from discord.ext import commands  # noqa: F401 - imported for its side effect
    except ImportError as exc:
        raise AssistantError(INSTALL_HINT) from exc
    return discord


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pieces of at most ``limit`` characters, cut between sentences (a sentence keeps
    its ``[n]``), or between words when one sentence alone is too long."""
    pieces: list[str] = []
    current = ""
    for paragraph in text.split("\n"):
        units = split_sentences(paragraph) or [""]
        for i, sentence in enumerate(units):
            sep = "" if not current else ("\n" if i == 0 else " ")
            if len(current) + len(sep) + len(sentence) <= limit:
                current += sep + sentence
                continue
            if current:
                pieces.append(current)
            current = ""
            # A marker group ("[1, 2].") is one token: never cut between its numbers.
            for token in re.findall(r"\[[\d,\s]+\][.,;:!?]*|\S+", sentence):
                word = token
                if len(word) > limit:  # one absurd token: flush, then hard cut it
                    if current:
                        pieces.append(current)
                        current = ""
                    while len(word) > limit:
                        pieces.append(word[:limit])
                        word = word[limit:]
                if len(current) + len(word) + (1 if current else 0) > limit:
                    pieces.append(current)
                    current = word
                else:
                    current = f"{current} {word}" if current else word
    if current:
        pieces.append(current)
    return [p for p in pieces if p.strip()]


def answer_text(answer: Answer) -> str:
    if answer.refused:
        return f"**Not covered by the essays.** {answer.text}"
    return answer.text


def source_fields(answer: Answer, base_url: str = "") -> list[tuple[str, str]]:
    """(name, value) embed fields for the citations, within Discord's embed limits."""
    fields: list[tuple[str, str]] = []
    total = 0
    for c in answer.citations[:MAX_FIELDS]:
        heading = f" — {c.heading}" if c.heading else ""
        name = f"[{c.n}] {c.title}{heading}"
        if len(name) > FIELD_NAME:
            name = name[: FIELD_NAME - 1] + "…"
        quote = c.quote if len(c.quote) <= 300 else c.quote[:299] + "…"
        value = f"“{quote}”"
        if base_url:
            query = urlencode({"source": c.source, "start": c.start, "end": c.end})
            value += f"\n{base_url.rstrip('/')}/?{query}"
        value = value[:FIELD_VALUE]
        if total + len(name) + len(value) > EMBED_TOTAL - 100:
            break
        total += len(name) + len(value)
        fields.append((name, value))
    return fields


class RateLimiter:
    """At most ``limit`` questions per user in any ``window`` seconds."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._seen: dict[int, deque[float]] = defaultdict(deque)

    def retry_after(self, user_id: int) -> float:
        """0 when the user may ask now (and counts it); else seconds until they may."""
        now = self.clock()
        seen = self._seen[user_id]
        while seen and now - seen[0] >= self.window:
            seen.popleft()
        if len(seen) >= self.limit:
            return self.window - (now - seen[0])
        seen.append(now)
        return 0.0


def strip_mentions(text: str) -> str:
    return " ".join(re.sub(r"<@!?&?\d+>", " ", text).split())


def thread_history(messages: Sequence[Any], bot_id: int) -> list[str]:
    """Earlier user questions in a thread, oldest first, mentions removed."""
    turns = []
    for m in messages:
        author = getattr(m, "author", None)
        if author is None or getattr(author, "id", None) == bot_id or getattr(author, "bot", False):
            continue
        content = strip_mentions(getattr(m, "content", "") or "")
        if content:
            turns.append(content)
    return turns


def make_cog_class() -> Any:
    """The Cog class (:mod:`assistant.apps.discord_cog`), importing discord.py only now."""
    _discord()
    from assistant.apps.discord_cog import AssistantCog

    return AssistantCog


def __getattr__(name: str) -> Any:
    # `from assistant.apps.discord_bot import AssistantCog` imports the Cog's module on first
    # use, so this module imports without discord.py and says what to install when needed.
    if name == "AssistantCog":
        return make_cog_class()
    raise AttributeError(name)


def run_bot(settings: Settings) -> int:
    """`career-assistant discord`: a bot of its own, with ``settings.discord_token``
    (CAREER_ASSISTANT_DISCORD_TOKEN or DISCORD_TOKEN, read by assistant.config)."""
    discord = _discord()
    from discord.ext import commands

    token = settings.discord_token.strip()
    if not token:
        raise AssistantError(
            "Set DISCORD_TOKEN (or CAREER_ASSISTANT_DISCORD_TOKEN) to your bot's token "
            "(Discord developer portal)."
        )
    intents = discord.Intents.default()
    intents.message_content = True
    bot = commands.Bot(command_prefix=commands.when_mentioned, intents=intents)
    cog_class = make_cog_class()

    async def setup_hook() -> None:
        await bot.add_cog(cog_class.from_settings(bot, settings))
        await bot.tree.sync()

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    try:
        bot.run(token, log_handler=None)
    except discord.LoginFailure as exc:
        raise AssistantError("Discord rejected the bot token: check DISCORD_TOKEN.") from exc
    return 0
