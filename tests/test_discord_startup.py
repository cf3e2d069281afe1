"""Starting the bot: the real discord.py client against a Discord on loopback.

:class:`LoopbackDiscord` is an aiohttp server that speaks enough of Discord's REST API
(login, application info, command sync) and gateway (HELLO, then a close after IDENTIFY)
for `career-assistant discord` to log in and connect. discord.py is pointed at it
through its own class-level URLs (``Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY``);
nothing else of the client is replaced. Each start ends with Discord's "disallowed
intents" close (4014), which is what a bot without the Message Content intent gets.
Only the cog's Assistant is the seed one, already loaded, rather than a new one per start.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import discord
import pytest
import yarl
from aiohttp import WSMsgType, web
from discord import app_commands
from discord.ext import commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from assistant.apps.cli import main
from assistant.apps.discord_bot import INTENT_HINT, TOKEN_HINT, run_bot
from assistant.config import Settings
from assistant.errors import AssistantError
from tests.conftest import REPO
from tests.test_discord import ALICE, BOT_ID, BOT_USER, seed  # noqa: F401 - `seed` is a fixture

DISALLOWED_INTENTS = 4014  # Discord's close code for intents the app may not use
AUTHENTICATION_FAILED = 4004  # and for a token it doesn't accept
MESSAGE_CONTENT = 1 << 15  # discord.Intents.message_content


def as_json(data: Any) -> web.Response:
    # Exactly "application/json": discord.py reads any other content type as text.
    return web.Response(body=json.dumps(data).encode(), content_type="application/json")


class LoopbackDiscord:
    """Discord's login, application, command-sync and gateway endpoints on 127.0.0.1,
    served from a thread of its own (discord.py runs its own event loop)."""

    def __init__(self, application_id: int = BOT_ID) -> None:
        self.application_id = application_id
        self.close_code = DISALLOWED_INTENTS  # how the gateway answers IDENTIFY
        self.requests: list[tuple[str, str]] = []  # (method, path) of every REST call
        self.synced: list[list[dict[str, Any]]] = []  # bodies of command syncs
        self.identified: list[dict[str, Any]] = []  # IDENTIFY payloads
        self.gateway_connections = 0
        self._ids = itertools.count(1_310_000_000_000_000_000, 1 << 22)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0

    def __enter__(self) -> LoopbackDiscord:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def syncs(self) -> int:
        return sum(path.endswith("/commands") for method, path in self.requests if method == "PUT")

    async def _start(self) -> None:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/api/v10/users/@me", self._me)
        app.router.add_get("/api/v10/oauth2/applications/@me", self._application)
        app.router.add_put("/api/v10/applications/{app}/commands", self._sync)
        app.router.add_get("/gateway", self._gateway)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith("/api/"):
            self.requests.append((request.method, request.path))
            assert request.headers.get("Authorization") == "Bot fake.bot.token"
        return await handler(request)  # type: ignore[no-any-return]

    async def _me(self, request: web.Request) -> web.Response:
        return as_json(BOT_USER)

    async def _application(self, request: web.Request) -> web.Response:
        return as_json(
            {
                "id": str(self.application_id),
                "name": "Career Assistant",
                "description": "",
                "icon": None,
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": ALICE,
                "verify_key": "0" * 64,
                "flags": 0,
            }
        )

    async def _sync(self, request: web.Request) -> web.Response:
        assert request.match_info["app"] == str(self.application_id)
        commands = await request.json()
        self.synced.append(commands)
        app = str(self.application_id)
        return as_json([{**c, "id": str(next(self._ids)), "application_id": app} for c in commands])

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        self.gateway_connections += 1
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 45_000}, "s": None, "t": None})
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                break
            payload = json.loads(message.data)
            if payload["op"] == 2:  # IDENTIFY
                self.identified.append(payload["d"])
                await ws.close(code=self.close_code, message=b"Refused.")
        return ws


@pytest.fixture
def discord_on_loopback(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackDiscord]:
    monkeypatch.setenv("DISCORD_TOKEN", "fake.bot.token")
    monkeypatch.delenv("CAREER_ASSISTANT_DISCORD_TOKEN", raising=False)
    with LoopbackDiscord() as server:
        monkeypatch.setattr(Route, "BASE", server.api)
        monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway))
        yield server


@dataclass
class Starts:
    """What the tests see of each start: the bots built, and commands to add to them."""

    bots: list[commands.Bot] = field(default_factory=list)
    extra_commands: list[app_commands.Command[Any, Any, Any]] = field(default_factory=list)


@pytest.fixture
def starts(seed, monkeypatch) -> Starts:  # noqa: F811 - the fixture imported above
    """The Cog built on the seed corpus's Assistant, already loaded, instead of a fresh
    one per start (each start would load the embedding model again). Commands a test
    adds to ``extra_commands`` sit beside `/ask`, as in a later version."""
    from assistant.apps.discord_cog import AssistantCog

    _, assistant = seed
    seen = Starts()

    def from_settings(cls: Any, bot: Any, settings: Settings | None = None) -> Any:
        seen.bots.append(bot)
        for command in seen.extra_commands:
            bot.tree.add_command(command)
        return cls(bot, assistant, settings or Settings())

    monkeypatch.setattr(AssistantCog, "from_settings", classmethod(from_settings))
    return seen


async def about(interaction: discord.Interaction) -> None:
    """A second slash command, for a command set that changed."""


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    ("close_code", "hint"), [(DISALLOWED_INTENTS, INTENT_HINT), (AUTHENTICATION_FAILED, TOKEN_HINT)]
)
def test_a_gateway_refusal_is_one_line_saying_what_to_change(
    discord_on_loopback, starts, tmp_path, capsys, close_code, hint
):
    """Without the Message Content intent: how to enable it in the Developer Portal."""
    discord_on_loopback.close_code = close_code
    assert main(["discord", "--data-dir", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert one_error_line(err) == f"error: {hint}"
    assert "Message Content Intent" in INTENT_HINT and "Developer Portal" in INTENT_HINT
    # It got there by asking for the intent, in a real IDENTIFY.
    (identify,) = discord_on_loopback.identified
    assert identify["token"] == "fake.bot.token"
    assert identify["intents"] & MESSAGE_CONTENT
    # The client's own default, under the Cog's per-message setting: no pings.
    (bot,) = starts.bots
    assert bot.allowed_mentions is not None
    assert bot.allowed_mentions.to_dict() == {"parse": []}


def test_slash_commands_are_synced_once_then_only_when_they_change_or_asked(
    discord_on_loopback, starts, tmp_path, capsys
):
    server = discord_on_loopback
    assert main(["discord", "--data-dir", str(tmp_path)]) == 1
    assert server.syncs() == 1  # the first start registers /ask
    (commands,) = server.synced
    assert [c["name"] for c in commands] == ["ask"]

    assert main(["discord", "--data-dir", str(tmp_path)]) == 1
    assert main(["discord", "--data-dir", str(tmp_path)]) == 1
    assert server.syncs() == 1  # nothing changed: no sync
    assert len(server.identified) == 3  # yet each start did log in and connect

    settings = Settings(data_dir=tmp_path, discord_token="fake.bot.token")
    with pytest.raises(AssistantError, match="Message Content"):
        run_bot(settings, sync=True)  # `career-assistant discord --sync`
    assert server.syncs() == 2

    # A command set that differs from the one last synced (e.g. after an upgrade).
    starts.extra_commands.append(
        app_commands.Command(name="about", description="About", callback=about)
    )
    assert main(["discord", "--data-dir", str(tmp_path)]) == 1
    assert server.syncs() == 3
    assert sorted(c["name"] for c in server.synced[-1]) == ["about", "ask"]
    assert main(["discord", "--data-dir", str(tmp_path)]) == 1
    assert server.syncs() == 3
    # Another application (another token) has its own commands to register.
    server.application_id = BOT_ID + 1
    assert main(["discord", "--data-dir", str(tmp_path)]) == 1
    assert server.syncs() == 4
    capsys.readouterr()


CLI_WITH_URLS = textwrap.dedent(
    """
    import sys
    import yarl
    from discord.gateway import DiscordWebSocket
    from discord.http import Route
    Route.BASE, gateway = sys.argv[1], sys.argv[2]
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    from assistant.apps.cli import main
    sys.exit(main(sys.argv[3:]))
    """
)


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound, never listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.mark.parametrize("unreachable", ["gateway", "api"])
def test_unreachable_discord_is_one_line_naming_the_next_step(
    seed,  # noqa: F811 - the fixture imported above
    closed_port,
    discord_on_loopback,
    unreachable,
):
    """The real `career-assistant discord` process, with an index to serve."""
    settings, _ = seed
    server = discord_on_loopback
    api, gateway = server.api, server.gateway
    if unreachable == "gateway":  # logging in works; the gateway refuses connections
        gateway = f"ws://127.0.0.1:{closed_port}/"
    else:
        api = f"http://127.0.0.1:{closed_port}/api/v10"
    env = {k: v for k, v in os.environ.items() if "DISCORD" not in k}
    env["DISCORD_TOKEN"] = "fake.bot.token"
    cli = ["discord", "--data-dir", str(settings.data_dir)]
    done = subprocess.run(
        [sys.executable, "-c", CLI_WITH_URLS, api, gateway, *cli],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,  # a safety net: it answers in seconds
    )
    assert done.returncode == 1, done.stderr[-3000:]
    assert done.stdout == ""
    line = one_error_line(done.stderr)
    assert "reach Discord" in line and f"127.0.0.1:{closed_port}" in line
    assert "`career-assistant discord`" in line  # the next step: run it again once fixed
    assert "fake.bot.token" not in done.stderr
    if unreachable == "gateway":
        assert server.requests[0] == ("GET", "/api/v10/users/@me")  # it did log in
        assert server.syncs() == 0 and server.gateway_connections == 0
    else:
        assert server.requests == []
