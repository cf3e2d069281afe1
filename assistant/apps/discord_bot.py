"""The assistant inside Discord: `/ask question:` and @mentions, one thread per answer.

Extra ``[discord]`` (discord.py), imported lazily: the Cog lives in
:mod:`assistant.apps.discord_cog`, imported on first use. Add it to an existing bot with::

    from assistant.apps.discord_bot import AssistantCog
    await bot.add_cog(AssistantCog.from_settings(bot))

Answers keep their ``[n]`` markers; sources go in an embed. Long answers are split
within Discord's limits without breaking a sentence or a citation
(:mod:`assistant.apps.discord_format`). Answers run off the event loop
(``Assistant.aask`` runs in a worker thread), under a global concurrency limit and a
per-user rate limit (:mod:`assistant.apps.discord_questions`).

:func:`run_bot` is `career-assistant discord`: it checks the gateway before loading the
model, syncs the slash commands only when they changed, and turns Discord's failures
(token, intents, network) into one line naming the next step.
"""

import asyncio
import hashlib
import json
import logging
import socket
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import AssistantError

log = logging.getLogger(__name__)

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
