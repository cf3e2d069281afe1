"""The assistant inside Discord: `/ask question:` and @mentions, one thread per answer.

Extra ``[discord]`` (discord.py), imported lazily: the Cog lives in
:mod:`assistant.apps.discord_cog`, imported on first use. Add it to an existing bot with::

    from assistant.apps.discord_bot import AssistantCog
    await bot.add_cog(AssistantCog.from_settings(bot))

Answers keep their ``[n]`` markers; sources go in an embed. Long answers are split
within Discord's limits without breaking a sentence or a citation. Answers run off
the event loop (``Assistant.aask`` runs in a worker thread), under a global
concurrency limit and a per-user rate limit.

:func:`run_bot` is `career-assistant discord`: it checks the gateway before loading the
model, syncs the slash commands only when they changed, and turns Discord's failures
(token, intents, network) into one line naming the next step.
"""

import asyncio
import hashlib
import json
import logging
import re
import socket
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from assistant.config import Settings
from assistant.domain import Answer
from assistant.errors import AssistantError
from assistant.search import split_sentences

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 2000
EMBED_TOTAL = 6000
FIELD_NAME, FIELD_VALUE, MAX_FIELDS = 256, 1024, 25
APOLOGY = "Sorry, I couldn't answer that just now. Please try again in a moment."
INSTALL_HINT = "The Discord bot needs discord.py: `pip install 'career-assistant[discord]'`."
# Seconds to wait for Discord's gateway at start; could become a setting.
GATEWAY_TIMEOUT = 30.0
# In the data dir: the slash commands last synced, as {application id: fingerprint}.
COMMANDS_FILE = "discord-commands.json"
INTENT_HINT = (
    "Discord refused the Message Content intent the bot needs: in the Discord Developer "
    "Portal (https://discord.com/developers/applications) open the application, then Bot, "
    "Privileged Gateway Intents, turn on Message Content Intent and save; then run "
    "`career-assistant discord` again."
)
TOKEN_HINT = "Discord rejected the bot token: check DISCORD_TOKEN."
AUTHENTICATION_FAILED = 4004  # the gateway's close code for a bad token


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
        value = f"“{quote}”" + _link(base_url, c.source, c.start, c.end)
        value = value[:FIELD_VALUE]
        if total + len(name) + len(value) > EMBED_TOTAL - 100:
            break
        total += len(name) + len(value)
        fields.append((name, value))
    more = _read_more_field(answer, base_url)
    if (
        more
        and len(fields) < MAX_FIELDS
        and total + len(more[0]) + len(more[1]) <= EMBED_TOTAL - 100
    ):
        fields.append(more)
    return fields


def _read_more_field(answer: Answer, base_url: str) -> tuple[str, str] | None:
    """One last field naming the sections to read on (``Answer.read_more``), if any."""
    lines = []
    for r in answer.read_more:
        heading = f" — {r.heading}" if r.heading else ""
        text = _no_markdown(f"{r.title}{heading} ({r.why})")
        lines.append(f"• {text}{_link(base_url, r.source, r.start, r.end)}")
    if not lines:
        return None
    value = "\n".join(lines)
    return "Read more", value if len(value) <= FIELD_VALUE else value[: FIELD_VALUE - 1] + "…"


# Discord renders Markdown in a field's value, masked links included: an essay's title
# `[Claim your bonus](https://phish.example)` must stay the text it is.
_DISCORD_MARKDOWN = re.compile(r"([\\`*_~|<>\[\]()#-])")


def _no_markdown(text: str) -> str:
    return _DISCORD_MARKDOWN.sub(r"\\\1", text)


def _link(base_url: str, source: str, start: int, end: int) -> str:
    """A new line with the web chat's link to a passage, when it has a public URL."""
    if not base_url:
        return ""
    return f"\n{base_url.rstrip('/')}/?{urlencode({'source': source, 'start': start, 'end': end})}"


class RateLimiter:
    """At most ``limit`` questions per user in any ``window`` seconds.

    Only users who asked within the last window are remembered, so memory stays bounded
    by recent users however many people ever ask."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        # Oldest latest-question first: a counted question moves its user to the end.
        self._seen: OrderedDict[int, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        """Users remembered right now."""
        return len(self._seen)

    def retry_after(self, user_id: int) -> float:
        """0 when the user may ask now (and counts it); else seconds until they may."""
        now = self.clock()
        self._forget_before(now - self.window)
        seen = self._seen.setdefault(user_id, deque())
        while seen and now - seen[0] >= self.window:
            seen.popleft()
        if len(seen) >= self.limit:
            return self.window - (now - seen[0])
        seen.append(now)
        self._seen.move_to_end(user_id)
        return 0.0

    def _forget_before(self, cutoff: float) -> None:
        # The front user's latest question is the oldest of all: once it is out of the
        # window, so is everything that user asked.
        while self._seen:
            user_id, seen = next(iter(self._seen.items()))
            if seen and seen[-1] > cutoff:
                return
            del self._seen[user_id]


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


def run_bot(settings: Settings, *, sync: bool = False) -> int:
    """`career-assistant discord`: a bot of its own, with ``settings.discord_token``
    (CAREER_ASSISTANT_DISCORD_TOKEN or DISCORD_TOKEN, read by assistant.config).
    ``sync`` (``--sync``) registers the slash commands even when they seem unchanged."""
    discord = _discord()
    token = settings.discord_token.strip()
    if not token:
        raise AssistantError(
            "Set DISCORD_TOKEN (or CAREER_ASSISTANT_DISCORD_TOKEN) to your bot's token "
            "(Discord developer portal)."
        )
    cogs: list[Any] = []
    bot = _make_bot(discord, settings, sync, cogs)
    try:
        bot.run(token, log_handler=None)
    except Exception as exc:
        error = _one_line(discord, exc)
        if error is None:
            raise
        raise error from exc
    finally:
        for cog in cogs:  # the model must not be mid-computation as the process exits
            cog.assistant.close()
    return 0


def _make_bot(discord: Any, settings: Settings, sync: bool, cogs: list[Any]) -> Any:
    from discord.ext import commands

    intents = discord.Intents.default()
    intents.message_content = True  # privileged: see INTENT_HINT
    bot = commands.Bot(
        command_prefix=commands.when_mentioned,
        intents=intents,
        allowed_mentions=discord.AllowedMentions.none(),  # the Cog also sets it per send
    )
    cog_class = make_cog_class()

    async def setup_hook() -> None:  # after login, before the gateway connection
        await reach_gateway(bot)  # before loading the model: a setup problem shows at once
        cogs.append(cog_class.from_settings(bot, settings))
        await bot.add_cog(cogs[-1])
        await sync_commands(bot, settings.data_dir, force=sync)

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    return bot


def _one_line(discord: Any, exc: Exception) -> AssistantError | None:
    """What went wrong with Discord, as one line naming the next step; None if the error
    is not Discord's (a bug: its traceback is wanted)."""
    import aiohttp

    again = "then run `career-assistant discord` again."
    reason = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, discord.LoginFailure):
        return AssistantError(TOKEN_HINT)
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return AssistantError(INTENT_HINT)
    if isinstance(exc, discord.ConnectionClosed):
        if exc.code == AUTHENTICATION_FAILED:
            return AssistantError(TOKEN_HINT)
        return AssistantError(f"Discord closed the connection (code {exc.code}): {again}")
    if isinstance(exc, discord.HTTPException):
        return AssistantError(f"Discord answered {exc.status} ({reason}): wait a moment, {again}")
    if isinstance(exc, aiohttp.ClientError | ConnectionError | TimeoutError | socket.gaierror):
        return AssistantError(
            f"Can't reach Discord ({reason}): check the network, proxy or firewall, {again}"
        )
    if isinstance(exc, discord.GatewayNotFound):
        return AssistantError(f"Can't reach Discord's gateway ({reason}): {again}")
    return None


async def reach_gateway(bot: Any) -> None:
    """Open, then close, one connection to Discord's gateway.

    discord.py's reconnect loop assumes an earlier connection: when the first one fails
    it logs a traceback, waits, then dies of an unrelated AttributeError. At start, an
    unreachable gateway is a setup problem (network, proxy, firewall) to report plainly;
    once online, discord.py's own reconnecting handles blips."""
    from discord.gateway import DiscordWebSocket

    url = str(DiscordWebSocket.DEFAULT_GATEWAY)
    ws = await asyncio.wait_for(bot.http.ws_connect(url), GATEWAY_TIMEOUT)
    await ws.close()


def commands_fingerprint(payloads: Iterable[dict[str, Any]]) -> str:
    """A digest of the slash commands as Discord receives them, in any order."""
    canonical = sorted(json.dumps(p, sort_keys=True, ensure_ascii=False) for p in payloads)
    return hashlib.sha256("\n".join(canonical).encode()).hexdigest()


async def sync_commands(bot: Any, data_dir: Path, *, force: bool = False) -> bool:
    """Register the slash commands with Discord only when ``force`` (``--sync``) or when
    they differ from the set last synced for this application (kept in the data dir).
    Syncing on every start is slow and rate-limited by Discord. True if it synced."""
    tree = bot.tree
    fingerprint = commands_fingerprint(c.to_dict(tree) for c in tree.get_commands())
    path = data_dir / COMMANDS_FILE
    try:
        synced = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        synced = {}  # never synced from here, or unreadable: sync, then rewrite it
    if not isinstance(synced, dict):
        synced = {}
    key = str(bot.application_id)  # another token may be another application
    if not force and synced.get(key) == fingerprint:
        return False
    await tree.sync()
    synced[key] = fingerprint
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(synced, indent=1), encoding="utf-8")
        partial.replace(path)
    except OSError as exc:
        log.warning("Can't record the synced commands (%s): the next start syncs again.", exc)
    return True
