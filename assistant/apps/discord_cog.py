"""The Discord Cog itself: `/ask question:`, @mentions, and follow-ups in a thread.

This module imports discord.py at the top, so it is only ever imported lazily, by
:mod:`assistant.apps.discord_bot` (``make_cog_class`` and its module ``__getattr__``),
which turns a missing discord.py into a message naming the ``[discord]`` extra. The
message handling that needs no discord.py lives beside it: splitting and embeds' fields
in :mod:`assistant.apps.discord_format`, rate limits and thread history in
:mod:`assistant.apps.discord_questions`.
"""

import asyncio
import logging
import re
from dataclasses import replace
from typing import Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from assistant.apps.discord_format import APOLOGY, answer_text, source_fields, split_message
from assistant.apps.discord_questions import RateLimiter, strip_mentions, thread_history
from assistant.config import Settings, load_settings
from assistant.domain import Answer
from assistant.errors import AssistantError
from assistant.evaluation import QuestionLog

__all__ = ["AssistantCog"]

log = logging.getLogger(__name__)
# Questions, essays and error texts may hold "@everyone", "@here" or role and user mentions:
# whatever the text says, nothing the bot sends notifies anyone. Set on each send (not
# only as the client's default) so it holds in a host bot with other defaults.
NO_MENTIONS = discord.AllowedMentions.none()
# Thread starters fetched from Discord and kept (see ``AssistantCog.fetch_starter``).
STARTERS_KEPT = 512
# What reading a thread back from Discord raises when Discord refuses (a rate limit a host
# bot's max_ratelimit_timeout turns into RateLimited, too) or can't be reached (aiohttp's
# own errors are not all OSErrors: a dropped connection, say).
UNREACHABLE = (
    discord.HTTPException,
    discord.RateLimited,
    aiohttp.ClientError,
    TimeoutError,
    OSError,
)
# Discord writes a mention as the id it names (user, role, channel, emoji): the question
# log keeps no Discord id, so these go before a question is logged.
DISCORD_IDS = re.compile(r"<(?:@[!&]?|#|a?:\w+:)\d+>")


class AssistantCog(commands.Cog):  # type: ignore[misc]
    """Slash command `/ask`, @mentions and follow-ups in the answer's thread."""

    def __init__(self, bot: commands.Bot, assistant: Any, settings: Settings) -> None:
        self.bot = bot
        self.assistant = assistant
        self.settings = settings
        self.limiter = RateLimiter(settings.discord_user_rate, settings.discord_rate_window)
        self.slots = asyncio.Semaphore(settings.discord_concurrency)
        self.questions = QuestionLog.from_settings(settings)
        self._starters: dict[int, discord.Message | None] = {}  # thread id -> its starter

    @classmethod
    def from_settings(cls, bot: commands.Bot, settings: Settings | None = None) -> Any:
        from assistant.answer import Assistant

        settings = settings or load_settings()
        return cls(bot, Assistant.from_settings(settings), settings)

    async def answer(self, question: str, history: list[str | dict[str, str]]) -> Answer:
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
            embed = self.embed(answer) if last else None
            await channel.send(part, embed=embed, allowed_mentions=NO_MENTIONS)

    async def safely(self, question: str, history: list[str | dict[str, str]]) -> Answer | str:
        try:
            answer = await self.answer(question, history)
        except AssistantError as exc:
            return str(exc)
        except Exception:
            log.exception("answer failed for %r", question)
            return APOLOGY
        # The query may carry an earlier turn of the thread, with its mentions too.
        logged = replace(answer, query=without_ids(answer.query))
        await asyncio.to_thread(self.questions.record, without_ids(question), logged, "discord")
        return answer

    @app_commands.command(name="ask", description="Ask the career essays a question")
    @app_commands.describe(question="Your question")
    async def ask(self, interaction: discord.Interaction, question: str) -> None:
        if wait := self.too_fast(interaction.user.id):
            await interaction.response.send_message(
                wait, ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return
        await interaction.response.defer(thinking=True)
        result = await self.safely(question, [])
        if isinstance(result, str):
            await interaction.followup.send(result, allowed_mentions=NO_MENTIONS)
            return
        parts = split_message(answer_text(result))
        embed: Any = self.embed(result) if len(parts) == 1 else None  # None: no embed
        message = await interaction.followup.send(
            parts[0], embed=embed, wait=True, allowed_mentions=NO_MENTIONS
        )
        # A followup message carries no guild, so the thread is made from the channel;
        # its name is the question, which later turns use as the first turn of history.
        channel = interaction.channel
        target: Any = channel
        if isinstance(channel, discord.TextChannel):
            target = await channel.create_thread(name=question[:90] or "answer", message=message)
        if len(parts) > 1 and target is not None:
            await self.reply_in(target, _rest(result, parts[1:]))

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if me is None or message.author.bot:
            return
        channel = message.channel
        thread = channel if isinstance(channel, discord.Thread) else None
        in_our_thread = thread is not None and thread.owner_id == me.id
        if not in_our_thread and me not in message.mentions:
            return
        question = strip_mentions(message.content)
        if not question:
            return
        if wait := self.too_fast(message.author.id):
            await message.reply(wait, allowed_mentions=NO_MENTIONS)
            return
        history: list[str | dict[str, str]] = []
        target: Any = channel
        if in_our_thread and thread is not None:
            history = await self.thread_turns(thread, message, me.id)
        elif thread is None:
            target = await message.create_thread(name=question[:90])
        # (in someone else's thread, answer right there: threads can't nest)
        async with target.typing():
            result = await self.safely(question, history)
        if isinstance(result, str):
            await target.send(result, allowed_mentions=NO_MENTIONS)
        else:
            await self.reply_in(target, result)

    async def thread_turns(
        self, thread: discord.Thread, before: discord.Message, bot_id: int
    ) -> list[str | dict[str, str]]:
        """The questions asked in one of our threads before ``before``, oldest first, and
        our answer to the last of them."""
        # The 50 most recent messages, oldest first: the turns just before this one.
        try:
            recent = [m async for m in thread.history(limit=50, before=before)]
        except UNREACHABLE as exc:
            # The question is still answered, read with what the thread itself tells.
            log.warning("thread history unavailable: %s", exc)
            recent = []
        starter = getattr(thread, "starter_message", None) or await self.fetch_starter(thread)
        history = thread_history([starter, *recent[::-1]] if starter else recent[::-1], bot_id)
        ours = starter is not None and getattr(starter.author, "id", None) == bot_id
        if thread.name and (starter is None or ours):
            # A /ask thread opens on our answer and is named by its question.
            history.insert(0, thread.name)
        return history

    async def fetch_starter(self, thread: discord.Thread) -> discord.Message | None:
        """The message a thread was started from, when the cache lost it (a restart, or
        an /ask answer the bot never saw as a message): it shares the thread's id. Our
        /ask answer is the last answer a follow-up should not repeat."""
        if thread.id in self._starters:  # one fetch per thread: every later turn asks again
            return self._starters[thread.id]
        parent = thread.parent
        if not isinstance(parent, discord.TextChannel):
            return None
        try:
            starter: discord.Message | None = await parent.fetch_message(thread.id)
        except discord.NotFound:
            starter = None  # deleted for good: remembered, not asked for again
        except UNREACHABLE:  # forbidden, offline
            return None  # not remembered: the next turn may reach Discord again
        if len(self._starters) >= STARTERS_KEPT:
            self._starters.clear()  # a bound, not an LRU: refetched on demand
        self._starters[thread.id] = starter
        return starter


def without_ids(text: str) -> str:
    """``text`` without the Discord mentions in it (each is an id), spaces tidied."""
    return " ".join(DISCORD_IDS.sub(" ", text).split())


def _rest(answer: Answer, parts: list[str]) -> Answer:
    return replace(answer, text="\n".join(parts), refused=False)
