"""The assistant inside Discord: `/ask question:` and @mentions, one thread per answer.

Extra ``[discord]`` (discord.py), imported lazily. Add it to an existing bot with::

    from assistant.apps.discord_bot import AssistantCog
    await bot.add_cog(AssistantCog.from_settings(bot))

Answers keep their ``[n]`` markers; sources go in an embed. Long answers are split
within Discord's limits without breaking a sentence or a citation. Answers run off
the event loop (``Assistant.aask`` runs in a worker thread), under a global
concurrency limit and a per-user rate limit.
"""

import asyncio
import logging
import os
import re
import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from assistant.answer import split_sentences
from assistant.config import Settings, load_settings
from assistant.domain import Answer
from assistant.errors import AssistantError

if TYPE_CHECKING:
    from discord.ext import commands

log = logging.getLogger(__name__)

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
    discord = _discord()
    from discord import app_commands
    from discord.ext import commands

    class AssistantCog(commands.Cog):  # type: ignore[misc]
        """Slash command `/ask`, @mentions and follow-ups in the answer's thread."""

        def __init__(self, bot: "commands.Bot", assistant: Any, settings: Settings) -> None:
            self.bot = bot
            self.assistant = assistant
            self.settings = settings
            self.limiter = RateLimiter(settings.discord_user_rate, settings.discord_rate_window)
            self.slots = asyncio.Semaphore(settings.discord_concurrency)

        @classmethod
        def from_settings(cls, bot: "commands.Bot", settings: Settings | None = None) -> Any:
            from assistant.answer import Assistant

            settings = settings or load_settings()
            return cls(bot, Assistant.from_settings(settings), settings)

        async def answer(self, question: str, history: list[str]) -> Answer:
            async with self.slots:  # the work itself runs in a thread: the gateway stays alive
                return await self.assistant.aask(question, history)  # type: ignore[no-any-return]

        def embed(self, answer: Answer) -> Any:
            if not answer.citations:
                return None
            embed = discord.Embed(title="Sources", colour=0x6366F1)
            for name, value in source_fields(answer, self.settings.public_base_url):
                embed.add_field(name=name, value=value, inline=False)
            return embed

        def too_fast(self, user_id: int) -> str:
            wait = self.limiter.retry_after(user_id)
            return f"You're asking quickly; try again in {wait:.0f} s." if wait else ""

        async def reply_in(self, channel: Any, answer: Answer) -> None:
            parts = split_message(answer_text(answer))
            for i, part in enumerate(parts):
                last = i == len(parts) - 1
                await channel.send(part, embed=self.embed(answer) if last else None)

        async def safely(self, question: str, history: list[str]) -> Answer | str:
            try:
                return await self.answer(question, history)
            except AssistantError as exc:
                return str(exc)
            except Exception:
                log.exception("answer failed for %r", question)
                return APOLOGY

        @app_commands.command(name="ask", description="Ask the career essays a question")
        @app_commands.describe(question="Your question")
        async def ask(self, interaction: discord.Interaction, question: str) -> None:  # type: ignore[name-defined]
            if wait := self.too_fast(interaction.user.id):
                await interaction.response.send_message(wait, ephemeral=True)
                return
            await interaction.response.defer(thinking=True)
            result = await self.safely(question, [])
            if isinstance(result, str):
                await interaction.followup.send(result)
                return
            parts = split_message(answer_text(result))
            message = await interaction.followup.send(
                parts[0], embed=self.embed(result) if len(parts) == 1 else None, wait=True
            )
            # A followup message carries no guild, so the thread is made from the channel;
            # its name is the question, which later turns use as the first turn of history.
            channel = interaction.channel
            target: Any = channel
            if isinstance(channel, discord.TextChannel):
                target = await channel.create_thread(
                    name=question[:90] or "answer", message=message
                )
            if len(parts) > 1 and target is not None:
                await self.reply_in(target, _rest(result, parts[1:]))

        @commands.Cog.listener()
        async def on_message(self, message: discord.Message) -> None:  # type: ignore[name-defined]
            me = self.bot.user
            if me is None or message.author.bot:
                return
            channel = message.channel
            in_our_thread = isinstance(channel, discord.Thread) and channel.owner_id == me.id
            if not in_our_thread and me not in message.mentions:
                return
            question = strip_mentions(message.content)
            if not question:
                return
            if wait := self.too_fast(message.author.id):
                await message.reply(wait)
                return
            history: list[str] = []
            target: Any = channel
            if in_our_thread:
                # The 50 most recent messages, oldest first: the turns just before this one.
                recent = [m async for m in channel.history(limit=50, before=message)]
                starter = [getattr(channel, "starter_message", None)]
                history = thread_history([s for s in starter if s] + recent[::-1], me.id)
                if not any(s for s in starter) and channel.name:
                    history.insert(0, channel.name)  # a /ask thread is named by its question
            elif not isinstance(channel, discord.Thread):
                target = await message.create_thread(name=question[:90])
            # (in someone else's thread, answer right there: threads can't nest)
            async with target.typing():
                result = await self.safely(question, history)
            if isinstance(result, str):
                await target.send(result)
            else:
                await self.reply_in(target, result)

    return AssistantCog


def _rest(answer: Answer, parts: list[str]) -> Answer:
    from dataclasses import replace

    return replace(answer, text="\n".join(parts), refused=False)


def __getattr__(name: str) -> Any:
    # `from assistant.apps.discord_bot import AssistantCog` builds the class on first use, so the
    # module imports without discord.py and says what to install when it is needed.
    if name == "AssistantCog":
        return make_cog_class()
    raise AttributeError(name)


def run_bot(settings: Settings) -> int:
    """`career-assistant discord`: a bot of its own, token from DISCORD_TOKEN."""
    discord = _discord()
    from discord.ext import commands

    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if not token:
        raise AssistantError("Set DISCORD_TOKEN to your bot's token (Discord developer portal).")
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
        raise AssistantError("Discord rejected DISCORD_TOKEN: check the bot token.") from exc
    return 0
