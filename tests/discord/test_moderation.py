"""/kb moderator commands, recorded outcomes and the audit log, through simcord and the
loopback stand-in: the real discord.py code paths, a real SQLite file, a real knowledge folder."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import discord
import pytest
import simcord

from bot.client import SurveyBot
from bot.config import ChatSettings, Config, DiscordSettings
from bot.exts.moderation import REFUSAL, fit_lines, reload_text
from bot.knowledge import default_knowledge_path, load_knowledge
from bot.knowledge.loader import ADDITIONS_FILE
from bot.knowledge.store import Addition, QuestionStore
from bot.service import KnowledgeService
from bot.storage import Storage
from tests.discord.test_app import assert_within_limits
from tests.support.discord_standin import DiscordStandIn, RestCall
from tests.support.live_bot import followup_of, running_bot

NOT_ANSWERED_CANDIDATES = (
    "what do clinics think of the new card system",
    "is the card liked by nurses",
    "are nurses fans of the card",
    "what do hospital managers make of the new card system",
    "is the card system a success in the eyes of hospital staff",
)
UNKNOWN_WORDS = (
    "apple banana cherry damson elder fig grape hazel iris juniper kiwi lemon mango nectar olive peach quince "
    "raisin sloe tamarind ugli vanilla walnut yam zucchini acorn birch cedar dogwood elm spruce gorse holly ivy"
).split()
USAGE_Q = "What is the usage rate of the My Number health insurance card?"
NO_PINGS = {"parse": []}


# ---------------------------------------------------------------- a guild with moderators


@dataclass
class ModGuild:
    env: simcord.Env
    bot: SurveyBot
    service: KnowledgeService
    storage: Storage
    folder: Path
    general: simcord.ChannelHandle
    mod_log: simcord.ChannelHandle
    mod: simcord.MemberActor  # has the moderator role, not Manage Server
    admin: simcord.MemberActor  # has Manage Server, not the moderator role
    alice: simcord.MemberActor  # neither; the server's admins let her see /kb (Integrations settings)
    bob: simcord.MemberActor  # neither, and cannot see /kb

    def mod_log_messages(self) -> list[discord.Message]:
        return [m for m in self.mod_log.history() if m.author.id == self.bot.user.id]

    def mod_log_posts(self) -> list[simcord.HttpLogEntry]:
        return [r for r in self.env.http_requests if r.method == "POST" and r.path == f"/channels/{self.mod_log.id}/messages"]


def knowledge_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(default_knowledge_path(), folder)
    return folder


@contextlib.asynccontextmanager
async def mod_guild(tmp_path: Path, *, with_storage: bool = True) -> AsyncIterator[ModGuild]:
    """A running bot over a copy of the shipped knowledge and its own database, in a guild
    with a moderator role, an admin role (Manage Server) and a mod-log channel."""
    folder = knowledge_copy(tmp_path)
    service = KnowledgeService(folder, max_chars=500)
    assert service.reload().ok
    storage = Storage(tmp_path / "data" / "bot.sqlite3", retry_seconds=0.05, busy_timeout=0.2)
    chat = ChatSettings(user_cooldown_seconds=0, channel_cooldown_seconds=0)
    bot = SurveyBot(Config(chat=chat), service, storage=storage if with_storage else None)
    try:
        async with simcord.run(bot) as env:
            guild = env.create_guild("Survey fans")
            general = guild.create_text_channel("general")
            mod_log = guild.create_text_channel("mod-log")
            moderators = guild.create_role("moderators")
            admins = guild.create_role("admins", permissions=discord.Permissions(manage_guild=True))
            mod = guild.add_member(env.create_user("mod"), roles=[moderators])
            admin = guild.add_member(env.create_user("admin"), roles=[admins])
            alice = guild.add_member(env.create_user("alice"))
            bob = guild.add_member(env.create_user("bob"))
            bot.config = Config(discord=DiscordSettings(moderator_role_ids=(moderators.id,), mod_log_channel_id=mod_log.id), chat=chat)
            synced = await bot.tree.sync()
            kb_command = next(c for c in synced if c.name == "kb")
            # what a server admin does in Server Settings > Integrations: /kb for the moderator role, and for alice
            guild.set_command_permissions(kb_command.id, {moderators: True, alice: True})
            yield ModGuild(env, bot, service, storage, folder, general, mod_log, mod, admin, alice, bob)
    finally:
        storage.close(timeout=2.0)


def answer_of(result: simcord.InteractionResult) -> simcord.ResponseMessage:
    """The message a command ended with: the follow-up after a deferral, else the response."""
    if result.followups:
        return result.followups[-1]
    assert result.response is not None, result
    return result.response


def not_answered_question(service: KnowledgeService, addable: bool = False) -> str:
    """A question the bot does not answer; `addable`: one a moderator may add as a phrasing (it
    names no subject not_covered.yaml declares, which the validator refuses in a phrasing)."""
    for question in NOT_ANSWERED_CANDIDATES:
        if service.answerer.ask(question).kind != "answer" and not (addable and service.answerer.search(question).gaps):
            return question
    raise AssertionError("every candidate question is answered now; add one the knowledge does not answer")


def replace_text(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    temp = path.with_name("." + path.name + ".tmp")
    temp.write_text(text.replace(old, new, 1), encoding="utf-8")
    os.replace(temp, path)


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


# ---------------------------------------------------------------- who may


async def test_a_non_moderator_is_refused_by_every_kb_command_nothing_changes_and_it_is_audited(tmp_path: Path) -> None:
    async with mod_guild(tmp_path) as g:
        version = g.service.answerer.kb.version
        attempts = {
            "kb reload": {},
            "kb misses": {},
            "kb stats": {},
            "kb add-question": {"fact": "usage-rate", "question": "how popular is the card at pharmacies"},
            "kb audit": {},
        }
        for name, options in attempts.items():
            result = await g.alice.slash(g.general, name, **options)
            assert result.ephemeral and result.response.content == REFUSAL, name
            assert result.followups == []  # refused before any work was started
        assert not (g.folder / ADDITIONS_FILE).exists()
        assert g.service.answerer.kb.version == version
        entries = g.storage.audit_entries()
        assert [e.action for e in entries] == ["refused"] * 5
        assert {e.actor for e in entries} == {f"alice ({g.alice.id})"}
        assert sorted(e.details.split(" in channel")[0] for e in entries) == sorted(f"/{name}" for name in attempts)
        posts = g.mod_log_messages()
        assert len(posts) == 5 and all("is not a moderator" in m.content and f"**alice** ({g.alice.id})" in m.content for m in posts)
        assert all(p.json["allowed_mentions"] == NO_PINGS for p in g.mod_log_posts())
        assert all(m.mentions == [] and not m.mention_everyone for m in posts)  # named, never pinged
        # autocomplete tells a non-moderator nothing either
        assert await g.alice.autocomplete(g.general, "kb add-question", "fact", "usage") == []
        # default_permissions hides /kb from members the admins did not allow
        assert "kb reload" in g.alice.available_commands(g.general)
        assert not any(name.startswith("kb") for name in g.bob.available_commands(g.general))


async def test_a_moderator_role_or_manage_server_is_enough(tmp_path: Path) -> None:
    async with mod_guild(tmp_path) as g:
        for member in (g.mod, g.admin):
            result = await member.slash(g.general, "kb reload")
            assert result.ephemeral
            assert answer_of(result).content.startswith("Knowledge reloaded (version "), member
        assert [e.action for e in g.storage.audit_entries()] == ["reload", "reload"]


# ---------------------------------------------------------------- reload


async def test_a_broken_edit_keeps_the_old_answers_and_reports_the_line_then_a_fix_reports_the_change(tmp_path: Path) -> None:
    async with mod_guild(tmp_path) as g:
        usage = g.folder / "usage.yaml"
        before = (await g.alice.slash(g.general, "ask", question=USAGE_Q)).response.embeds[0]
        old_sentence = g.service.answerer.kb.fact("usage-rate").answer.get("en")
        replace_text(usage, "unit: percent", "unit: percnt")
        broken_line = line_of(usage, "unit: percnt")

        result = await g.mod.slash(g.general, "kb reload")
        text = answer_of(result).content
        assert result.ephemeral and "NOT reloaded" in text and "Still answering from the previous knowledge" in text
        assert f"usage.yaml:{broken_line}:" in text and "percnt" in text
        assert str(tmp_path) not in text  # the path inside the knowledge folder, not the server's
        after = (await g.alice.slash(g.general, "ask", question=USAGE_Q)).response.embeds[0]
        assert after.title == before.title and after.description == before.description
        [post] = g.mod_log_messages()
        assert f"usage.yaml:{broken_line}:" in post.content and "/kb reload" in post.content
        [entry] = g.storage.audit_entries()
        assert entry.action == "reload-failed" and f"usage.yaml:{broken_line}:" in entry.details

        replace_text(usage, "unit: percnt", "unit: percent")
        replace_text(usage, old_sentence, old_sentence + " Fixed wording of the usage rate answer.")
        result = await g.mod.slash(g.general, "kb reload")
        text = answer_of(result).content
        assert text.startswith("Knowledge reloaded (version ") and "changed 1: usage-rate" in text
        answered = (await g.alice.slash(g.general, "ask", question=USAGE_Q)).response.embeds[0]
        assert "Fixed wording of the usage rate answer" in answered.description
        assert "changed 1: usage-rate" in g.mod_log_messages()[-1].content
        assert [e.action for e in g.storage.audit_entries()] == ["reload", "reload-failed"]


def test_a_reload_report_with_many_problems_fits_a_message_and_counts_the_rest(tmp_path: Path) -> None:
    folder = knowledge_copy(tmp_path)
    usage = folder / "usage.yaml"
    usage.write_text(usage.read_text(encoding="utf-8").replace("unit: percent", "unit: percnt"), encoding="utf-8")
    service = KnowledgeService(folder)
    result = service.reload()
    assert not result.ok and len(result.problems) >= 3
    text = reload_text(result, folder, limit=400)
    assert len(text) <= 400
    assert "more problem(s): run `python -m bot validate`" in text
    shown = text.count("`knowledge/usage.yaml:")
    assert 1 <= shown < len(result.problems) and f"… and {len(result.problems) - shown} more" in text


def test_fit_lines_keeps_whole_lines_and_counts_what_it_left_out() -> None:
    lines = [f"line {i} " + "x" * 50 for i in range(100)]
    text = fit_lines(["head"], lines, 500, "… and {n} more")
    assert len(text) <= 500 and text.startswith("head\nline 0 ")
    kept = text.count("\nline ")
    assert text.endswith(f"… and {100 - kept} more")
    assert fit_lines(["head"], lines[:2], 500, "… and {n} more") == "head\n" + "\n".join(lines[:2])


# ---------------------------------------------------------------- concurrent reloads


async def test_concurrent_reloads_while_the_file_changes_one_wins_never_a_mix(tmp_path: Path) -> None:
    """Six /kb reload commands at once over real sockets, while another program keeps switching
    a knowledge file between two versions. Every reload succeeds and names its version, and the
    knowledge answering afterwards is wholly one of the two: its facts and its search index agree.

    (The version label itself is not compared with the content here: the loader hashes a second
    read of each file, so under this much churn a label can name the other version; reported.)"""
    folder = knowledge_copy(tmp_path)
    usage = folder / "usage.yaml"
    v1_text = usage.read_text(encoding="utf-8")
    old_sentence = load_knowledge([folder]).kb.fact("usage-rate").answer.get("en")
    new_phrasing = "are nurses fans of the card"
    v2_text = v1_text.replace(old_sentence, old_sentence + " Version two of the usage answer.", 1)
    v2_text = v2_text.replace('        - "usage rate latest"\n', f'        - "usage rate latest"\n        - "{new_phrasing}"\n', 1)
    versions = set()
    for text in (v2_text, v1_text):
        usage.write_text(text, encoding="utf-8")
        versions.add(load_knowledge([folder]).kb.version)
    assert len(versions) == 2

    service = KnowledgeService(folder)
    assert service.reload().ok
    assert service.answerer.ask(new_phrasing).fact_id != "usage-rate"  # only version two knows the phrasing
    storage = Storage(tmp_path / "bot.sqlite3", retry_seconds=0.05)
    stop = threading.Event()
    flips = 0

    def flip() -> None:
        nonlocal flips
        while not stop.is_set():
            temp = folder / ".usage.yaml.tmp"
            temp.write_text((v2_text, v1_text)[flips % 2], encoding="utf-8")
            os.replace(temp, usage)
            flips += 1

    async with live_bot(service, storage) as (stand_in, bot, mod_log):
        flipper = threading.Thread(target=flip)
        flipper.start()
        try:
            start = len(stand_in.calls)
            sent = await asyncio.gather(*(send_kb(stand_in, "reload") for _ in range(6)))
            followups = [await stand_in.wait_for_call(followup_of(s), timeout=20, start=start) for s in sent]
        finally:
            stop.set()
            flipper.join()
        assert flips > 6  # the file really changed while the reloads ran
        for call in followups:
            text = call.json["content"]
            assert text.startswith("Knowledge reloaded (version "), text
            assert text.split("(version ")[1].split(")")[0] in versions
            assert call.json["flags"] & 64  # ephemeral
        answerer = service.answerer
        sentence = answerer.kb.fact("usage-rate").answer.get("en")
        phrasings = answerer.kb.fact("usage-rate").questions["en"]
        by_new_phrasing = answerer.ask(new_phrasing)
        if sentence.endswith("Version two of the usage answer."):
            assert new_phrasing in phrasings and by_new_phrasing.kind == "answer" and by_new_phrasing.fact_id == "usage-rate"
        else:
            assert sentence == old_sentence and new_phrasing not in phrasings and by_new_phrasing.fact_id != "usage-rate"
        await wait_for_count(stand_in, lambda c: c.method == "POST" and c.path == f"/channels/{mod_log}/messages", 6)
    assert [e.action for e in storage.audit_entries()] == ["reload"] * 6


# ---------------------------------------------------------------- the inbox


async def test_misses_are_recorded_grouped_and_shown(tmp_path: Path) -> None:
    async with mod_guild(tmp_path) as g:
        question = not_answered_question(g.service)
        typo = question.replace("card", "crad", 1)
        other = "is the card liked by nurses" if "nurses" not in question else "what do clinics think of the new card system"
        assert g.service.answerer.ask(typo).kind != "answer"
        await g.alice.slash(g.general, "ask", question=question)
        await g.bob.send(g.general, f"<@{g.bot.user.id}> {question.capitalize()}?")
        await g.bob.slash(g.general, "ask", question=typo, private=True)
        await g.alice.slash(g.general, "ask", question=other)
        await g.alice.slash(g.general, "ask", question=USAGE_Q)  # answered: counted, not in the inbox

        rows = g.storage.misses(days=1)
        assert len(rows) == (4 if g.service.answerer.ask(other).kind != "answer" else 3)
        assert {r.channel_id for r in rows} == {g.general.id}
        hashes = {r.asker for r in rows}
        assert len(hashes) == 2 and all(h and str(g.alice.id) not in h and str(g.bob.id) not in h for h in hashes)

        result = await g.mod.slash(g.general, "kb misses", days=7)
        assert result.ephemeral
        embed = answer_of(result).embeds[0]
        assert_within_limits(embed)
        first = embed.description.split("\n**2.**")[0]
        assert first.startswith("**1.** 3× by 2 people:") and question in first.lower()
        assert "+2 other wording(s)" in first and ("closest `" in first or "no close fact" in first)
        assert "now gets did-you-mean" in first or "still declined" in first
        assert embed.footer.text.startswith(f"{len(rows)} asked, ")
        stats = answer_of(await g.mod.slash(g.general, "kb stats")).embeds[0]
        assert stats.description.startswith(f"{len(rows) + 1} question(s): answered 1 ")
        assert "usage-rate" in stats.description


async def test_a_question_answered_only_in_part_reaches_the_inbox(tmp_path: Path) -> None:
    async with mod_guild(tmp_path) as g:
        await g.alice.slash(g.general, "ask", question="since when can people cancel the insurance registration, and roughly how many have cancelled?")
        (row,) = g.storage.misses(days=1)
        assert (row.kind, row.reason, row.best_fact) == ("answer", "partly_declined", "registration-cancellation")
        inbox = answer_of(await g.mod.slash(g.general, "kb misses", days=7)).embeds[0]
        assert "answered in part by `registration-cancellation`, the rest still declined" in inbox.description


async def test_misses_page_through_a_long_inbox(tmp_path: Path) -> None:
    async with mod_guild(tmp_path) as g:
        now = time.time()
        rng = random.Random(4)
        questions = [" ".join(rng.sample(UNKNOWN_WORDS, 6)) + "?" for _ in range(30)]
        for i, question in enumerate(questions):
            reply = g.service.answerer.ask(question)
            assert reply.kind == "decline" and reply.reason != "no_content"
            for asker in range(30 - i):  # the i-th question asked 30-i times: a known order
                g.storage.record_reply(reply, g.general.id, asker, when=now - i)
        assert g.storage.flush(5)
        first = answer_of(await g.mod.slash(g.general, "kb misses")).embeds[0]
        assert_within_limits(first)
        assert "page 1 of 3" in first.footer.text and "next: /kb misses days:7 page:2" in first.footer.text
        third = answer_of(await g.mod.slash(g.general, "kb misses", page=3)).embeds[0]
        assert "page 3 of 3" in third.footer.text and "next:" not in third.footer.text
        assert third.description.startswith("**25.** ")
        beyond = answer_of(await g.mod.slash(g.general, "kb misses", page=9)).embeds[0]
        assert "page 3 of 3" in beyond.footer.text


async def test_a_did_you_mean_click_and_a_chat_answer_are_recorded(tmp_path: Path) -> None:
    async with mod_guild(tmp_path) as g:
        offer = None
        for question in NOT_ANSWERED_CANDIDATES:
            reply = g.service.answerer.ask(question)
            if reply.kind == "suggest":
                offer = (await g.alice.slash(g.general, "ask", question=question)).response
                break
        if offer is None:
            pytest.skip("no candidate question gets did-you-mean with today's knowledge")
        button = next(c for row in offer.components for c in row["components"] if c["custom_id"].startswith("suggest:"))
        picked = button["custom_id"].split(":")[2]
        await g.bob.click(offer, custom_id=button["custom_id"])
        await g.bob.send(g.general, f"<@{g.bot.user.id}> {USAGE_Q}")
        stats = g.storage.stats(fact_ids=[f.id for f in g.service.answerer.kb.facts])
        assert (stats.questions, stats.answered, stats.suggested) == (3, 2, 1)
        by_fact = {s.fact_id: s for s in stats.facts}
        assert by_fact[picked].answered == 1 and by_fact[picked].suggested == 1
        assert by_fact["usage-rate"].answered == 1


async def test_without_a_database_the_bot_answers_and_says_there_is_nothing_to_show(tmp_path: Path) -> None:
    async with mod_guild(tmp_path, with_storage=False) as g:
        assert (await g.alice.slash(g.general, "ask", question=USAGE_Q)).response.embeds
        for name in ("kb misses", "kb stats", "kb audit"):
            result = await g.mod.slash(g.general, name)
            assert result.ephemeral and "without its database" in answer_of(result).content
        assert not (tmp_path / "data" / "bot.sqlite3").exists()


# ---------------------------------------------------------------- adding a phrasing


async def test_add_question_then_the_next_identical_question_is_answered(tmp_path: Path) -> None:
    async with mod_guild(tmp_path) as g:
        question = not_answered_question(g.service, addable=True)
        target = "no-merit-for-hospitals"
        assert g.service.answerer.kb.fact(target) is not None
        first = (await g.alice.slash(g.general, "ask", question=question)).response.embeds[0]
        assert first.title != g.service.answerer.fact_reply(g.service.answerer.kb.fact(target), "en").headline

        choices = await g.mod.autocomplete(g.general, "kb add-question", "fact", "no-merit-for-h")
        assert choices[0]["value"] == target and choices[0]["name"].startswith(f"{target} — ")
        assert all(1 <= len(c["name"]) <= 100 for c in choices) and len(choices) <= 25

        result = await g.mod.slash(g.general, "kb add-question", fact=target, question=question)
        text = answer_of(result).content
        assert result.ephemeral
        assert text.startswith(f"Added “{question}” (en) to `{target}` in {ADDITIONS_FILE}.")
        assert f"changed 1: {target}" in text and f"Asking it now gets the answer from `{target}`." in text

        # the bot-owned file round-trips: what it holds is read back, and the folder validates
        assert QuestionStore(g.folder).additions() == [Addition(target, question, "en")]
        loaded = load_knowledge([g.folder])
        assert loaded.problems == [] and question in loaded.kb.fact(target).questions["en"]

        answered = (await g.bob.slash(g.general, "ask", question=question)).response.embeds[0]
        expected = g.service.answerer.ask(question)
        assert expected.kind == "answer" and expected.fact_id == target
        assert answered.title == expected.headline and expected.sentence in answered.description

        [entry] = g.storage.audit_entries()
        assert entry.action == "add-question" and entry.actor == f"mod ({g.mod.id})"
        assert repr(question) in entry.details and target in entry.details
        [post] = g.mod_log_messages()
        assert "/kb add-question" in post.content and question in post.content
        assert g.mod_log_posts()[-1].json["allowed_mentions"] == NO_PINGS


async def test_add_question_refusals_say_why_and_write_nothing(tmp_path: Path) -> None:
    async with mod_guild(tmp_path) as g:
        kb = g.service.answerer.kb
        other_phrasing = kb.fact("usage-rate").questions["en"][0]
        cases = [
            ("my-number-digits", other_phrasing, "could not tell them apart"),  # collides with another fact's phrasing
            ("usage-rate", "how often " * 30, "at most 200"),
            ("usage-rate", "@everyone how often is the card used", "contains a mention"),
            ("usage-rate", f"{g.bob.mention} how often is it used", "contains a mention"),
            ("no-such-fact", "how often is the card used at pharmacies", "no fact with id 'no-such-fact'"),
            ("usage-rate", other_phrasing.upper(), "already has the phrasing"),
        ]
        version = kb.version
        for fact, question, reason in cases:
            result = await g.admin.slash(g.general, "kb add-question", fact=fact, question=question)
            text = answer_of(result).content
            assert result.ephemeral and text.startswith("Not added: ") and reason in text, (question, text)
            assert len(text) <= 2000
        assert not (g.folder / ADDITIONS_FILE).exists()
        assert g.service.answerer.kb.version == version
        entries = g.storage.audit_entries()
        assert [e.action for e in entries] == ["add-question-refused"] * len(cases)
        posts = g.mod_log_messages()
        assert len(posts) == len(cases) and all("refused" in m.content for m in posts)
        assert all(p.json["allowed_mentions"] == NO_PINGS for p in g.mod_log_posts())
        assert all(not m.mention_everyone and m.mentions == [] for m in posts)
        assert "@everyone" not in posts[2].content  # shown defused, not as a ping


# ---------------------------------------------------------------- the audit log


async def test_audit_lists_reloads_additions_and_refusals_newest_first(tmp_path: Path) -> None:
    async with mod_guild(tmp_path) as g:
        await g.alice.slash(g.general, "kb reload")
        await g.mod.slash(g.general, "kb reload")
        await g.mod.slash(g.general, "kb add-question", fact="usage-rate", question="**bold** usage <#1> question")
        result = await g.admin.slash(g.general, "kb audit")
        embed = answer_of(result).embeds[0]
        assert result.ephemeral
        assert_within_limits(embed)
        actions = [line.split("**")[1] for line in embed.description.splitlines() if line.startswith("`")]
        assert actions == ["add-question-refused", "reload", "refused"]
        assert "\\*\\*bold\\*\\*" in embed.description  # what people typed cannot format the log
        assert g.storage.audit_entries()[0].action == "add-question-refused"


# ---------------------------------------------------------------- over real sockets


@contextlib.asynccontextmanager
async def live_bot(service: KnowledgeService, storage: Storage | None, *, watch: bool = False) -> AsyncIterator[tuple[DiscordStandIn, SurveyBot, int]]:
    """The real client connected to the stand-in on 127.0.0.1, the stand-in's second channel
    as the mod log; the bot is closed (storage flushed) on the way out."""

    def mod_log_config(general: int, second: int) -> Config:
        return Config(discord=DiscordSettings(mod_log_channel_id=second), chat=ChatSettings(user_cooldown_seconds=0, channel_cooldown_seconds=0))

    async with running_bot(service, config=mod_log_config, storage=storage, watch_knowledge=watch) as live:
        yield live.stand_in, live.bot, live.second


async def send_kb(stand_in: DiscordStandIn, sub: str, options: list[dict] | None = None) -> dict:
    """An INTERACTION_CREATE for /kb <sub>, from a member with every permission (Manage Server)."""
    data = {"id": stand_in.snowflake(), "name": "kb", "type": 1, "options": [{"type": 1, "name": sub, "options": options or []}]}
    payload = stand_in.interaction_payload(stand_in.channel_ids[0], stand_in.user(4242, "mod"), data)
    await stand_in.dispatch("INTERACTION_CREATE", payload)
    return payload


async def wait_for_count(stand_in: DiscordStandIn, predicate, count: int, timeout: float = 10.0) -> list[RestCall]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        found = [c for c in stand_in.calls if predicate(c)]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {count} calls, saw {len([c for c in stand_in.calls if predicate(c)])}")


async def test_the_watcher_reloads_on_a_file_change_and_reports_to_the_mod_log(tmp_path: Path) -> None:
    folder = knowledge_copy(tmp_path)
    service = KnowledgeService(folder)
    assert service.reload().ok
    storage = Storage(tmp_path / "bot.sqlite3", retry_seconds=0.05)
    usage = folder / "usage.yaml"
    async with live_bot(service, storage, watch=True) as (stand_in, bot, mod_log):
        watcher = bot.get_cog("Moderation").watcher
        assert watcher is not None and await watcher.wait_ready(10)
        to_mod_log = lambda c: c.method == "POST" and c.path == f"/channels/{mod_log}/messages"  # noqa: E731
        replace_text(usage, "unit: percent", "unit: percnt")
        [broken] = await wait_for_count(stand_in, to_mod_log, 1, timeout=20)
        line = line_of(usage, "unit: percnt")
        assert "Knowledge files changed (usage.yaml)" in broken.json["content"] and f"usage.yaml:{line}:" in broken.json["content"]
        assert broken.json["allowed_mentions"] == NO_PINGS
        assert service.answerer.ask(USAGE_Q).kind == "answer"  # still the previous knowledge
        replace_text(usage, "unit: percnt", "unit: percent")
        sentence = service.answerer.kb.fact("usage-rate").answer.get("en")
        replace_text(usage, sentence, sentence + " Watched wording.")
        calls = await wait_for_count(stand_in, to_mod_log, 2, timeout=20)
        assert "changed 1: usage-rate" in calls[1].json["content"]
        assert service.answerer.kb.fact("usage-rate").answer.get("en").endswith("Watched wording.")
    # the bot closed its storage on the way out: everything it accepted is in the file
    assert storage.status.pending == 0
    entries = Storage(tmp_path / "bot.sqlite3").audit_entries()
    assert [(e.actor, e.action) for e in entries] == [("knowledge watcher (file change)", "reload"), ("knowledge watcher (file change)", "reload-failed")]


async def test_closing_the_bot_writes_what_it_recorded(tmp_path: Path) -> None:
    folder = knowledge_copy(tmp_path)
    service = KnowledgeService(folder)
    assert service.reload().ok
    storage = Storage(tmp_path / "bot.sqlite3", retry_seconds=0.05)
    question = not_answered_question(service)
    async with live_bot(service, storage) as (stand_in, bot, _mod_log):
        sent = await stand_in.send_message(stand_in.channel_ids[0], stand_in.user(4242, "alice"), f"<@{stand_in.bot_id}> {question}", mention_bot=True)
        await stand_in.wait_for_call(lambda c: c.method == "POST" and c.replies_to == sent["id"])
    assert storage.record_audit("late", "after close") is False  # closed: refused, not silently dropped
    [row] = Storage(tmp_path / "bot.sqlite3").misses(days=1)
    assert row.question == question and row.channel_id == stand_in.channel_ids[0]


def test_kb_command_texts_fit_discord_limits(tmp_path: Path) -> None:
    service = KnowledgeService(knowledge_copy(tmp_path))
    bot = SurveyBot(Config(), service, extensions=("bot.exts.moderation",))

    async def load() -> dict:
        await bot.setup_hook()
        return bot.tree.get_command("kb").to_dict(bot.tree)

    kb = asyncio.run(load())
    assert int(kb["default_member_permissions"]) == discord.Permissions(manage_guild=True).value
    assert kb["dm_permission"] is False  # servers only: a DM has no moderators
    assert sorted(sub["name"] for sub in kb["options"]) == ["add-question", "audit", "misses", "reload", "stats"]
    for sub in kb["options"]:
        assert 1 <= len(sub["name"]) <= 32 and 1 <= len(sub["description"]) <= 100, sub["name"]
        for opt in sub.get("options", []):
            assert 1 <= len(opt["description"]) <= 100, (sub["name"], opt["name"])
