"""A stand-in for Discord's REST API and gateway on 127.0.0.1, served by aiohttp.

The real discord.py client logs in, connects its websocket, receives READY and
GUILD_CREATE, and then whatever events a test sends; every REST call it makes is
recorded and answered the way Discord answers it. Used by the end-to-end tests, the
latency benchmark and soak tests. No discord import here: the stand-in speaks the wire
protocol only, so it checks the client rather than sharing its assumptions.

    stand_in = DiscordStandIn()
    await stand_in.start()
    with stand_in.patch_discord():          # point discord.py at 127.0.0.1
        ...start the bot with stand_in.token...
        await stand_in.wait_ready()
        sent = await stand_in.send_message(stand_in.channel_id, stand_in.user(1), "hi <@bot>")
        call = await stand_in.wait_for_call(lambda c: c.replies_to == sent["id"])
    await stand_in.stop()

Faults: `inject_fault` makes matching REST calls fail or slow down (`inject_rate_limit`: a
429 as Discord sends it); `drop_gateway` closes the websocket so the client reconnects and
resumes (missed events are replayed).
`ThreadedStandIn` runs one in its own thread and event loop, for a bot under measurement.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import itertools
import json
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiohttp import WSMsgType, web

API_PREFIX = "/api/v10"
DISCORD_EPOCH_MS = 1420070400000
# op codes of the gateway protocol
OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_PRESENCE, OP_RESUME, OP_RECONNECT, OP_INVALID_SESSION, OP_HELLO, OP_HEARTBEAT_ACK = 0, 1, 2, 3, 6, 7, 9, 10, 11
ALL_PERMISSIONS = str((1 << 50) - 1)
JSON_HEADERS = {"Content-Type": "application/json"}  # exactly this: discord.py rejects "; charset=utf-8"

T = TypeVar("T")


@dataclass(frozen=True)
class RestCall:
    """One REST request the client made, as received."""

    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    json: Any
    received: float  # time.perf_counter() when the request arrived
    status: int = 200  # what the stand-in answered

    @property
    def replies_to(self) -> str | None:
        """The id of the message this request replies to, for a message create."""
        ref = self.json.get("message_reference") if isinstance(self.json, dict) else None
        return str(ref["message_id"]) if ref and ref.get("message_id") is not None else None

    @property
    def embeds(self) -> list[dict[str, Any]]:
        body = self.json if isinstance(self.json, dict) else {}
        if "data" in body and isinstance(body["data"], dict):  # interaction callbacks
            body = body["data"]
        return list(body.get("embeds") or [])


@dataclass
class Fault:
    method: str  # "*" for any
    path: str  # fnmatch pattern against the path without /api/v10, e.g. "/channels/*/messages"
    status: int = 500
    times: int | None = 1  # None: until cleared
    delay: float = 0.0  # seconds before answering (with `status`, or normally when status is 0)
    body: dict[str, Any] = field(default_factory=lambda: {"message": "injected fault", "code": 0})
    headers: dict[str, str] = field(default_factory=dict)  # sent with the fault's answer

    def matches(self, method: str, path: str) -> bool:
        return (self.method == "*" or self.method == method) and fnmatch.fnmatchcase(path, self.path)


@dataclass
class SentEvent:
    name: str
    data: dict[str, Any]
    seq: int
    sent: float  # time.perf_counter() just before the frame was written


def point_discord_at(api_base: str, gateway_url: str) -> tuple[str, object]:
    """Send discord.py's REST calls and gateway connection to these addresses (a stand-in's);
    returns the previous ones. discord.py is imported here only, when a test asks for it."""
    import discord.gateway
    import discord.http
    import yarl

    previous = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    return previous


class DiscordStandIn:
    """Discord, as far as a bot needs it, on 127.0.0.1: REST routes, a gateway, a record."""

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_id: int = 900_000_000_000_000_001,
        application_id: int | None = None,
        owner_id: int = 900_000_000_000_000_002,
        guild_id: int = 900_000_000_000_000_100,
        channel_ids: tuple[int, ...] = (900_000_000_000_000_200, 900_000_000_000_000_201),
        heartbeat_interval_ms: int = 41_250,
        bot_name: str = "SurveyBot",
    ) -> None:
        self.token = token or ("standin." + secrets.token_urlsafe(24))
        self.bot_id = bot_id
        self.application_id = application_id or bot_id
        self.owner_id = owner_id
        self.guild_id = guild_id
        self.channel_ids = channel_ids
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.bot_name = bot_name
        self.bot_role_id = guild_id + 1
        self.calls: list[RestCall] = []
        self.keep_calls = True  # a long soak turns this off and watches `on_call` instead
        self.on_call: Callable[[RestCall], None] | None = None  # told of every call as it is answered
        self.faults: list[Fault] = []
        self.identify: dict[str, Any] | None = None  # the last IDENTIFY payload
        self.connections = 0
        self.resumes = 0
        self.heartbeats = 0
        self.commands: dict[str, list[dict[str, Any]]] = {}  # "global" or guild id -> registered commands
        self.interaction_deadline: float | None = 3.0  # seconds for the first response; None: no limit
        self.expired_interactions = 0  # first responses refused for coming too late
        self._acknowledged: set[str] = set()
        self._events: deque[SentEvent] = deque(maxlen=10_000)  # replayed on RESUME
        self._seq = 0
        self._ids = itertools.count(1)
        self._session_id = ""
        self._ws: web.WebSocketResponse | None = None
        self._live = False  # the connection has identified or resumed: events may go to it
        self._send_lock = asyncio.Lock()
        self._ready = asyncio.Event()
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py's REST base and gateway at this stand-in, and restore them after."""
        old_base, old_gateway = point_discord_at(self.api_base, self.gateway_url)
        try:
            yield
        finally:
            point_discord_at(old_base, str(old_gateway))

    async def wait_ready(self, timeout: float = 10.0) -> None:
        """Until the client has identified and been sent READY and GUILD_CREATE."""
        await asyncio.wait_for(self._ready.wait(), timeout)

    # ------------------------------------------------------------ payloads

    def snowflake(self) -> str:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return str((ms << 22) | (next(self._ids) & 0x3FFFFF))

    def user(self, user_id: int, name: str | None = None, *, bot: bool = False) -> dict[str, Any]:
        return {
            "id": str(user_id),
            "username": name or f"user{user_id % 10000}",
            "global_name": None,
            "discriminator": "0",
            "avatar": None,
            "bot": bot,
            "public_flags": 0,
        }

    def bot_user(self) -> dict[str, Any]:
        return {**self.user(self.bot_id, self.bot_name, bot=True), "verified": True, "mfa_enabled": False, "flags": 0}

    def member(self, user: dict[str, Any] | None = None, roles: tuple[int, ...] = ()) -> dict[str, Any]:
        out: dict[str, Any] = {
            "roles": [str(r) for r in roles],
            "joined_at": _iso_now(),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
            "avatar": None,
            "pending": False,
        }
        if user is not None:
            out["user"] = user
        return out

    def guild_payload(self) -> dict[str, Any]:
        channels = [
            {
                "id": str(cid),
                "type": 0,
                "name": f"channel-{i}",
                "position": i,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "topic": None,
                "last_message_id": None,
                "rate_limit_per_user": 0,
            }
            for i, cid in enumerate(self.channel_ids)
        ]
        everyone = {
            "id": str(self.guild_id),
            "name": "@everyone",
            "permissions": ALL_PERMISSIONS,
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        # Discord gives every bot a managed role named after it when it joins a guild
        bot_role = {**everyone, "id": str(self.bot_role_id), "name": self.bot_name, "position": 1, "managed": True, "tags": {"bot_id": str(self.bot_id)}}
        return {
            "id": str(self.guild_id),
            "name": "Stand-in Guild",
            "icon": None,
            "owner_id": str(self.owner_id),
            "roles": [everyone, bot_role],
            "channels": channels,
            "threads": [],
            "members": [self.member(self.bot_user(), roles=(self.bot_role_id,))],
            "member_count": 2,
            "large": False,
            "unavailable": False,
            "features": [],
            "emojis": [],
            "stickers": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "joined_at": _iso_now(),
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "afk_timeout": 300,
        }

    def message_payload(
        self,
        channel_id: int,
        author: dict[str, Any],
        content: str,
        *,
        mentions: tuple[dict[str, Any], ...] = (),
        mention_roles: tuple[int, ...] = (),
        mention_everyone: bool = False,
        guild: bool = True,
        message_id: str | None = None,
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": message_id or self.snowflake(),
            "channel_id": str(channel_id),
            "author": author,
            "content": content,
            "timestamp": _iso_now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": mention_everyone,
            "mentions": list(mentions),
            "mention_roles": [str(r) for r in mention_roles],
            "attachments": [],
            "embeds": [],
            "components": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
        }
        if guild:
            data["guild_id"] = str(self.guild_id)
            if not author.get("bot"):
                data["member"] = self.member()
        return data

    # ------------------------------------------------------------ events

    async def dispatch(self, name: str, data: dict[str, Any]) -> SentEvent:
        """Send one event over the gateway; returns it with the time it was sent."""
        async with self._send_lock:
            self._seq += 1
            event = SentEvent(name, data, self._seq, time.perf_counter())
            self._events.append(event)
            # as Discord does, nothing is sent to a new connection before it has identified or
            # resumed; what happens meanwhile is replayed on RESUME (sending it as well would
            # deliver it twice)
            if self._ws is not None and not self._ws.closed and self._live:
                event.sent = time.perf_counter()
                await self._ws.send_str(json.dumps({"op": OP_DISPATCH, "t": name, "s": event.seq, "d": data}))
            return event

    async def send_message(self, channel_id: int, author: dict[str, Any], content: str, *, mention_bot: bool = False, **kw: Any) -> dict[str, Any]:
        """A MESSAGE_CREATE. `mention_bot` adds the bot to `mentions` (what Discord does for "<@id>")."""
        mentions = tuple(kw.pop("mentions", ()))
        if mention_bot:
            mentions += ({**self.bot_user(), "member": self.member()},)
        data = self.message_payload(channel_id, author, content, mentions=mentions, **kw)
        await self.dispatch("MESSAGE_CREATE", data)
        return data

    def interaction_payload(
        self,
        channel_id: int,
        user: dict[str, Any],
        data: dict[str, Any],
        *,
        kind: int = 2,
        locale: str = "en-US",
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": self.snowflake(),
            "application_id": str(self.application_id),
            "type": kind,
            "data": data,
            "guild_id": str(self.guild_id),
            "channel_id": str(channel_id),
            "channel": {
                "id": str(channel_id),
                "type": 0,
                "guild_id": str(self.guild_id),
                "name": "channel",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
            },
            "member": {**self.member(user), "permissions": ALL_PERMISSIONS},
            "token": "itoken." + secrets.token_urlsafe(16),
            "version": 1,
            "locale": locale,
            "guild_locale": "en-US",
            "app_permissions": ALL_PERMISSIONS,
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(self.guild_id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if message is not None:
            payload["message"] = message
        return payload

    async def send_slash(
        self, channel_id: int, user: dict[str, Any], name: str, options: dict[str, Any] | None = None, *, locale: str = "en-US", focused: str | None = None
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE for a slash command, or its autocomplete when `focused` names an option."""
        opts = []
        for key, value in (options or {}).items():
            kind = 5 if isinstance(value, bool) else 4 if isinstance(value, int) else 3
            opt: dict[str, Any] = {"name": key, "type": kind, "value": value}
            if key == focused:
                opt["focused"] = True
            opts.append(opt)
        registered = self._registered_command(name)
        data = {"id": registered.get("id", self.snowflake()), "name": name, "type": 1, "options": opts}
        payload = self.interaction_payload(channel_id, user, data, kind=4 if focused else 2, locale=locale)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def click(self, channel_id: int, user: dict[str, Any], message: dict[str, Any], custom_id: str, *, locale: str = "en-US") -> dict[str, Any]:
        """An INTERACTION_CREATE for a button click on a message the bot sent."""
        data = {"custom_id": custom_id, "component_type": 2}
        payload = self.interaction_payload(channel_id, user, data, kind=3, locale=locale, message=message)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    def _registered_command(self, name: str) -> dict[str, Any]:
        for cmds in self.commands.values():
            for cmd in cmds:
                if cmd.get("name") == name:
                    return cmd
        return {}

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close the websocket as Discord does on an error: the client reconnects and resumes."""
        if self._ws is not None and not self._ws.closed:
            self._ready.clear()
            await self._ws.close(code=code)

    # ------------------------------------------------------------ the record

    def inject_fault(
        self,
        method: str,
        path: str,
        *,
        status: int = 500,
        times: int | None = 1,
        delay: float = 0.0,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Fault:
        fault = Fault(method.upper() if method != "*" else "*", path, status, times, delay, body or {"message": "injected fault", "code": 0}, headers or {})
        self.faults.append(fault)
        return fault

    def inject_rate_limit(self, method: str, path: str, retry_after: float, *, is_global: bool = False, times: int | None = 1) -> Fault:
        """A 429 as Discord sends it: retry_after in the body and headers, and a Via header,
        without which discord.py takes the 429 for a Cloudflare ban and does not retry."""
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": is_global, "code": 0}
        headers = {"Retry-After": str(math.ceil(retry_after)), "Via": "1.1 google", "X-RateLimit-Scope": "global" if is_global else "user"}
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        return self.inject_fault(method, path, status=429, times=times, body=body, headers=headers)

    def clear_faults(self) -> None:
        self.faults.clear()

    def calls_to(self, method: str, pattern: str) -> list[RestCall]:
        return [c for c in self.calls if c.method == method and fnmatch.fnmatchcase(c.path, pattern)]

    async def wait_for_call(self, predicate: Callable[[RestCall], bool], timeout: float = 5.0, *, start: int = 0) -> RestCall:
        """The first recorded call (from index `start`) for which predicate is true, waiting for it."""

        def found() -> RestCall | None:
            return next((c for c in self.calls[start:] if predicate(c)), None)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: found() is not None), timeout)
        hit = found()
        assert hit is not None
        return hit

    async def _record(self, call: RestCall) -> None:
        if self.on_call is not None:
            self.on_call(call)
        if not self.keep_calls:
            return
        self.calls.append(call)
        async with self._changed:
            self._changed.notify_all()

    # ------------------------------------------------------------ gateway

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=16 * 1024 * 1024, autoping=True)
        await ws.prepare(request)
        if self._ws is not None and not self._ws.closed:
            await self._ws.close(code=4000)
        self._ws = ws
        self._live = False
        self.connections += 1
        await ws.send_str(json.dumps({"op": OP_HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}, "s": None, "t": None}))
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op = frame.get("op")
                if op == OP_HEARTBEAT:
                    self.heartbeats += 1
                    await ws.send_str(json.dumps({"op": OP_HEARTBEAT_ACK, "d": None, "s": None, "t": None}))
                elif op == OP_IDENTIFY:
                    await self._on_identify(ws, frame["d"])
                elif op == OP_RESUME:
                    await self._on_resume(ws, frame["d"])
        finally:
            if self._ws is ws:
                self._ws = None
        return ws

    async def _on_identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        if data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        self.identify = data
        self._session_id = secrets.token_hex(16)
        self._events.clear()
        self._seq = 0
        ready = {
            "v": 10,
            "user": self.bot_user(),
            "guilds": [{"id": str(self.guild_id), "unavailable": True}],
            "session_id": self._session_id,
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        self._live = True
        await self.dispatch("READY", ready)
        await self.dispatch("GUILD_CREATE", self.guild_payload())
        self._ready.set()

    async def _on_resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        if data.get("token") != self.token or data.get("session_id") != self._session_id:
            await ws.send_str(json.dumps({"op": OP_INVALID_SESSION, "d": False, "s": None, "t": None}))
            return
        self.resumes += 1
        last = int(data.get("seq") or 0)
        async with self._send_lock:
            for event in list(self._events):
                if event.seq > last:
                    await ws.send_str(json.dumps({"op": OP_DISPATCH, "t": event.name, "s": event.seq, "d": event.data}))
            self._seq += 1
            await ws.send_str(json.dumps({"op": OP_DISPATCH, "t": "RESUMED", "s": self._seq, "d": {}}))
            self._live = True
        self._ready.set()

    # ------------------------------------------------------------ REST

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        received = time.perf_counter()
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            if request.content_type == "application/json" and raw:
                body = json.loads(raw)
            elif request.content_type.startswith("multipart/") and raw:
                body = _payload_json_from_multipart(raw, request.headers.get("Content-Type", ""))
        query = dict(request.query)
        fault_headers: dict[str, str] = {}
        status, answer = await self._answer(request.method, path, query, body, request.headers.get("Authorization", ""), fault_headers)
        await self._record(RestCall(request.method, path, query, body, received, status))
        if status == 204:
            return web.Response(status=204, headers=fault_headers)
        return web.Response(status=status, body=json.dumps(answer).encode(), headers={**fault_headers, **JSON_HEADERS})

    async def _answer(
        self, method: str, path: str, query: dict[str, str], body: Any, auth: str, fault_headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        for fault in list(self.faults):
            if fault.matches(method, path):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.status:
                    if fault_headers is not None:
                        fault_headers.update(fault.headers)
                    return fault.status, fault.body
                break
        if not path.startswith(("/interactions/", "/webhooks/")) and auth != f"Bot {self.token}":
            return 401, {"message": "401: Unauthorized", "code": 0}
        parts = path.strip("/").split("/")
        route = (method, *[p if not p.isdigit() else "#" for p in parts])
        if route == ("GET", "users", "@me"):
            return 200, self.bot_user()
        if route == ("GET", "oauth2", "applications", "@me"):
            return 200, self._application()
        if route == ("GET", "gateway") or route == ("GET", "gateway", "bot"):
            return 200, {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1},
            }
        if route == ("POST", "channels", "#", "messages"):
            return 200, self._bot_message(parts[1], body or {})
        if route == ("POST", "channels", "#", "typing"):
            return 204, None
        if method in {"PUT", "DELETE"} and len(parts) >= 6 and parts[0] == "channels" and parts[4] == "reactions":
            return 204, None
        if method == "POST" and len(parts) == 4 and parts[0] == "interactions" and parts[3] == "callback":
            # as Discord does: the first response must come within 3 s of the interaction, and only once
            if self.interaction_deadline is not None and _snowflake_age(parts[1]) > self.interaction_deadline:
                self.expired_interactions += 1
                return 404, {"message": "Unknown interaction", "code": 10062}
            if parts[1] in self._acknowledged:
                return 400, {"message": "Interaction has already been acknowledged.", "code": 40060}
            self._acknowledged.add(parts[1])
            return 200, self._interaction_callback(parts[1], body or {}, query)
        if len(parts) >= 3 and parts[0] == "webhooks" and method == "POST":
            return 200, self._bot_message("0", body or {}, webhook=True)
        if len(parts) >= 5 and parts[0] == "webhooks" and parts[3] == "messages" and method == "PATCH":
            return 200, self._bot_message("0", body or {}, webhook=True)
        if route == ("PUT", "applications", "#", "commands"):
            return 200, self._register("global", body or [])
        if route == ("PUT", "applications", "#", "guilds", "#", "commands"):
            return 200, self._register(parts[3], body or [])
        if route == ("GET", "applications", "#", "commands"):
            return 200, self.commands.get("global", [])
        if route == ("GET", "applications", "#", "guilds", "#", "commands"):
            return 200, self.commands.get(parts[3], [])
        return 404, {"message": f"404: Not Found ({method} {path} is not part of the stand-in)", "code": 0}

    def _application(self) -> dict[str, Any]:
        return {
            "id": str(self.application_id),
            "name": self.bot_name,
            "icon": None,
            "description": "",
            "summary": "",
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "owner": self.user(self.owner_id, "owner"),
            "team": None,
            "flags": 0,
            "rpc_origins": [],
            "interactions_endpoint_url": None,
        }

    def _bot_message(self, channel_id: str, body: dict[str, Any], *, webhook: bool = False) -> dict[str, Any]:
        data = self.message_payload(int(channel_id), self.bot_user(), body.get("content") or "", guild=not webhook)
        data["embeds"] = body.get("embeds") or []
        data["components"] = body.get("components") or []
        data["flags"] = body.get("flags") or 0
        if body.get("message_reference"):
            data["type"] = 19
            data["message_reference"] = body["message_reference"]
        if webhook:
            data["webhook_id"] = str(self.application_id)
            data["application_id"] = str(self.application_id)
        return data

    def _interaction_callback(self, interaction_id: str, body: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        kind = body.get("type")
        data = body.get("data") or {}
        out: dict[str, Any] = {
            "interaction": {
                "id": interaction_id,
                "type": 2,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool((data.get("flags") or 0) & 64),
            }
        }
        if kind in (4, 5, 7):
            message = self._bot_message("0", data, webhook=True)
            message["interaction_metadata"] = {"id": interaction_id, "type": 2, "user": self.user(self.owner_id)}
            out["interaction"]["response_message_id"] = message["id"]
            out["resource"] = {"type": kind, "message": message}
        elif kind is not None:
            out["resource"] = {"type": kind}
        return out

    def _register(self, scope: str, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
        registered = []
        for cmd in commands:
            previous = next((c for c in self.commands.get(scope, []) if c["name"] == cmd.get("name")), None)
            registered.append(
                {
                    "type": 1,
                    "options": [],
                    "default_member_permissions": None,
                    "dm_permission": True,
                    "nsfw": False,
                    **cmd,
                    "id": previous["id"] if previous else self.snowflake(),
                    "application_id": str(self.application_id),
                    "version": self.snowflake(),
                    **({"guild_id": scope} if scope != "global" else {}),
                }
            )
        self.commands[scope] = registered
        return registered


def _snowflake_age(snowflake: str) -> float:
    """Seconds since the id was made (ids carry their creation time in milliseconds)."""
    return time.time() - ((int(snowflake) >> 22) + DISCORD_EPOCH_MS) / 1000


def _iso_now() -> str:
    return datetime.now(UTC).isoformat()


def _payload_json_from_multipart(raw: bytes, content_type: str) -> Any:
    """The JSON part of a multipart request (discord.py sends files that way)."""
    boundary = content_type.split("boundary=")[-1].strip('"')
    for part in raw.split(b"--" + boundary.encode()):
        if b'name="payload_json"' in part:
            _, _, content = part.partition(b"\r\n\r\n")
            return json.loads(content.rstrip(b"\r\n-"))
    return None


class ThreadedStandIn:
    """A DiscordStandIn in its own thread and event loop, so a bot measured in the main
    loop does not share its loop with the stand-in's work.

    `run(coro_fn)` runs `await coro_fn(stand_in)` in the stand-in's loop and returns the
    result to the calling thread (blocking); `arun` does the same from async code.
    """

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="discord-standin", daemon=True)
        self.stand_in: DiscordStandIn | None = None

    def start(self) -> DiscordStandIn:
        self._thread.start()

        async def make() -> DiscordStandIn:
            stand_in = DiscordStandIn(**self._kwargs)
            await stand_in.start()
            return stand_in

        self.stand_in = asyncio.run_coroutine_threadsafe(make(), self._loop).result(10)
        return self.stand_in

    def run(self, coro_fn: Callable[[DiscordStandIn], Coroutine[Any, Any, T]], timeout: float | None = None) -> T:
        assert self.stand_in is not None, "start() first"
        return asyncio.run_coroutine_threadsafe(coro_fn(self.stand_in), self._loop).result(timeout)

    async def arun(self, coro_fn: Callable[[DiscordStandIn], Coroutine[Any, Any, T]]) -> T:
        assert self.stand_in is not None, "start() first"
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro_fn(self.stand_in), self._loop))

    def stop(self) -> None:
        if self.stand_in is not None:
            asyncio.run_coroutine_threadsafe(self.stand_in.stop(), self._loop).result(10)
            self.stand_in = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
