"""The Discord stand-in with what `doctor` and sharding need: several servers with roles,
channels and permission overwrites, the application's flags, and one gateway connection per
shard (guilds go to shard `(guild_id >> 22) % shard_count`, as Discord assigns them).

    stand_in = ServersStandIn(servers=[make_server(...), ...], application_flags=0)

Like the base stand-in it speaks only the wire protocol (no discord import): permissions are
plain integers, which tests build from `discord.Permissions(...).value`. As Discord does, it
closes an IDENTIFY that asks for the Message Content intent with code 4014 when the
application's flags do not allow it, and answers 403 for the commands of a server the bot
is not in. It does not replay missed events on RESUME: it asks the client to identify again.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

from tests.support.discord_standin import (
    OP_DISPATCH,
    OP_HEARTBEAT,
    OP_HEARTBEAT_ACK,
    OP_HELLO,
    OP_IDENTIFY,
    OP_INVALID_SESSION,
    OP_RESUME,
    DiscordStandIn,
    SentEvent,
)

# application flags (Discord's values)
GATEWAY_MESSAGE_CONTENT = 1 << 18
GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 19
INTENT_MESSAGE_CONTENT = 1 << 15
MISSING_ACCESS = {"message": "Missing Access", "code": 50001}


@dataclass(frozen=True)
class Role:
    id: int
    name: str
    permissions: int
    position: int = 0
    managed: bool = False


@dataclass(frozen=True)
class Overwrite:
    """A channel permission overwrite for a role (kind 0) or a member (kind 1)."""

    id: int
    kind: int = 0
    allow: int = 0
    deny: int = 0


@dataclass(frozen=True)
class Channel:
    id: int
    name: str
    overwrites: tuple[Overwrite, ...] = ()
    type: int = 0  # 0: text


@dataclass
class Server:
    id: int
    name: str
    roles: list[Role]  # the first is @everyone (its id is the server's)
    channels: list[Channel]
    bot_role_ids: tuple[int, ...] = ()
    owner_id: int = 900_000_000_000_000_002

    def channel(self, channel_id: int) -> Channel:
        return next(c for c in self.channels if c.id == channel_id)


def make_server(
    server_id: int,
    name: str,
    channels: list[Channel],
    *,
    everyone: int,
    bot_role: int,
    bot_name: str = "SurveyBot",
    extra_roles: tuple[Role, ...] = (),
) -> Server:
    """A server with @everyone, the managed role Discord gives the bot on joining (id
    server_id + 1), any further roles, and the given channels."""
    roles = [Role(server_id, "@everyone", everyone), Role(server_id + 1, bot_name, bot_role, position=1, managed=True), *extra_roles]
    return Server(server_id, name, roles, channels, bot_role_ids=(server_id + 1,))


def shard_of(guild_id: int, shard_count: int) -> int:
    return (guild_id >> 22) % shard_count


class ServersStandIn(DiscordStandIn):
    def __init__(
        self,
        *,
        servers: list[Server] | None = None,
        application_flags: int = GATEWAY_MESSAGE_CONTENT,
        recommended_shards: int = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.servers = list(servers) if servers is not None else [self.default_server()]
        self.application_flags = application_flags
        self.recommended_shards = recommended_shards  # what GET /gateway/bot advises
        self.shard_identifies: dict[int, dict[str, Any]] = {}  # shard id -> its IDENTIFY payload
        self.refused_intents = 0  # IDENTIFYs closed with 4014
        self._shard_ws: dict[int, web.WebSocketResponse] = {}
        self._shard_seq: dict[int, int] = {}
        self._shard_total = 1

    def default_server(self) -> Server:
        """The base stand-in's guild: every permission for everyone, two text channels."""
        every = (1 << 50) - 1
        channels = [Channel(cid, f"channel-{i}") for i, cid in enumerate(self.channel_ids)]
        return make_server(self.guild_id, "Stand-in Guild", channels, everyone=every, bot_role=every, bot_name=self.bot_name)

    def server(self, server_id: int) -> Server:
        return next(s for s in self.servers if s.id == server_id)

    # ------------------------------------------------------------ payloads

    def role_payload(self, role: Role) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": str(role.id),
            "name": role.name,
            "permissions": str(role.permissions),
            "position": role.position,
            "color": 0,
            "hoist": False,
            "managed": role.managed,
            "mentionable": False,
            "flags": 0,
        }
        if role.managed:
            out["tags"] = {"bot_id": str(self.bot_id)}
        return out

    def channel_payload(self, server: Server, channel: Channel, position: int) -> dict[str, Any]:
        return {
            "id": str(channel.id),
            "guild_id": str(server.id),
            "type": channel.type,
            "name": channel.name,
            "position": position,
            "permission_overwrites": [{"id": str(o.id), "type": o.kind, "allow": str(o.allow), "deny": str(o.deny)} for o in channel.overwrites],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }

    def server_payload(self, server: Server) -> dict[str, Any]:
        return {
            **self.guild_payload(),
            "id": str(server.id),
            "name": server.name,
            "owner_id": str(server.owner_id),
            "roles": [self.role_payload(r) for r in server.roles],
            "channels": [self.channel_payload(server, c, i) for i, c in enumerate(server.channels)],
            "members": [self.member(self.bot_user(), roles=server.bot_role_ids)],
        }

    def _application(self) -> dict[str, Any]:
        return {**super()._application(), "flags": self.application_flags}

    # ------------------------------------------------------------ events

    async def dispatch(self, name: str, data: dict[str, Any], shard_id: int | None = None) -> SentEvent:
        """Send an event on the connection of the shard that holds its guild (shard 0 without one)."""
        if shard_id is None:
            guild_id = data.get("guild_id") if isinstance(data, dict) else None
            shard_id = shard_of(int(guild_id), self._shard_total) if guild_id else 0
        async with self._send_lock:
            self._shard_seq[shard_id] = self._shard_seq.get(shard_id, 0) + 1
            event = SentEvent(name, data, self._shard_seq[shard_id], time.perf_counter())
            ws = self._shard_ws.get(shard_id)
            if ws is not None and not ws.closed:
                await ws.send_str(json.dumps({"op": OP_DISPATCH, "t": name, "s": event.seq, "d": data}))
            return event

    async def send_message_in(self, server_id: int, channel_id: int, author: dict[str, Any], content: str, *, mention_bot: bool = False) -> dict[str, Any]:
        """A MESSAGE_CREATE in any of the servers (the base `send_message` is for the first one)."""
        mentions: tuple[dict[str, Any], ...] = ({**self.bot_user(), "member": self.member()},) if mention_bot else ()
        data = self.message_payload(channel_id, author, content, mentions=mentions)
        data["guild_id"] = str(server_id)
        await self.dispatch("MESSAGE_CREATE", data)
        return data

    async def drop_gateway(self, code: int = 4000) -> None:
        self._ready.clear()
        for ws in list(self._shard_ws.values()):
            if not ws.closed:
                await ws.close(code=code)

    async def stop(self) -> None:
        for ws in list(self._shard_ws.values()):
            if not ws.closed:
                await ws.close(code=1001)
        await super().stop()

    # ------------------------------------------------------------ gateway, one connection per shard

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=16 * 1024 * 1024, autoping=True)
        await ws.prepare(request)
        self.connections += 1
        shard_id: int | None = None
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
                    shard_id = await self._identify_shard(ws, frame["d"])
                elif op == OP_RESUME:
                    await ws.send_str(json.dumps({"op": OP_INVALID_SESSION, "d": False, "s": None, "t": None}))
        finally:
            if shard_id is not None and self._shard_ws.get(shard_id) is ws:
                del self._shard_ws[shard_id]
        return ws

    async def _identify_shard(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> int | None:
        if data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        allowed = self.application_flags & (GATEWAY_MESSAGE_CONTENT | GATEWAY_MESSAGE_CONTENT_LIMITED)
        if int(data.get("intents") or 0) & INTENT_MESSAGE_CONTENT and not allowed:
            self.refused_intents += 1
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return None
        shard_id, total = (int(n) for n in (data.get("shard") or (0, 1)))
        old = self._shard_ws.get(shard_id)
        if old is not None and not old.closed:
            await old.close(code=4000)
        self.identify = data
        self.shard_identifies[shard_id] = data
        self._shard_total = total
        self._shard_ws[shard_id] = ws
        self._shard_seq[shard_id] = 0
        mine = [s for s in self.servers if shard_of(s.id, total) == shard_id]
        ready = {
            "v": 10,
            "user": self.bot_user(),
            "guilds": [{"id": str(s.id), "unavailable": True} for s in mine],
            "session_id": f"session-{shard_id}-{self.connections}",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": self.application_flags},
            "private_channels": [],
            "relationships": [],
            "shard": [shard_id, total],
        }
        await self.dispatch("READY", ready, shard_id)
        for server in mine:
            await self.dispatch("GUILD_CREATE", self.server_payload(server), shard_id)
        if all(n in self._shard_ws for n in range(total)):
            self._ready.set()
        return shard_id

    # ------------------------------------------------------------ REST

    async def _answer(
        self, method: str, path: str, query: dict[str, str], body: Any, auth: str, fault_headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if len(parts) == 5 and parts[0] == "applications" and parts[2] == "guilds" and parts[4] == "commands" and auth == f"Bot {self.token}":
            if not any(str(s.id) == parts[3] for s in self.servers):
                return 403, MISSING_ACCESS
        status, answer = await super()._answer(method, path, query, body, auth, fault_headers)
        if status == 200 and method == "GET" and path == "/gateway/bot":
            answer = {**answer, "shards": self.recommended_shards}
        return status, answer


__all__ = ["Channel", "Overwrite", "Role", "Server", "ServersStandIn", "make_server", "shard_of"]
