"""/privacy show and /privacy delete through simcord: a member sees only what is kept about
them, deletes it after confirming, in a server or a DM, and a locked database delays the
deletion without losing it."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.exts.privacy import CONFIRM_WAIT, SELF_ACTOR, privacy_embed
from bot.messages import message
from bot.storage import KeptQuestion, PersonalData, personal_data
from bot.storage.privacy import FORGET_ACTION, PendingDeletion
from tests.discord.test_moderation import USAGE_Q, ModGuild, answer_of, mod_guild, not_answered_question

HOSTILE = "@everyone **bold** see https://evil.example <@123456789012345678> what about dentists"


def custom_ids(msg) -> list[str]:
    return [c["custom_id"] for row in msg.components for c in row["components"]]


async def ask_things(g: ModGuild) -> str:
    """alice asks two questions the bot does not answer and votes once; bob asks one."""
    missed = not_answered_question(g.service)
    await g.alice.slash(g.general, "ask", question=missed)
    await g.alice.slash(g.general, "ask", question=HOSTILE)
    answer = (await g.alice.slash(g.general, "ask", question=USAGE_Q)).response
    fact_id = g.service.answerer.ask(USAGE_Q).fact_id
    await g.alice.click(answer, custom_id=f"vote:up:{fact_id}")
    await g.bob.slash(g.general, "ask", question="bob's own question about dentists and apples")
    assert g.storage.flush(5)
    return missed


async def test_show_lists_the_members_own_questions_and_votes_privately(tmp_path: Path) -> None:
    async with mod_guild(tmp_path) as g:
        missed = await ask_things(g)
        shown = await g.alice.slash(g.general, "privacy show")
        reply = answer_of(shown)
        assert shown.ephemeral and reply.ephemeral
        (embed,) = reply.embeds
        assert "**2**" in embed.description and "**1**" in embed.description  # 2 questions, 1 vote
        assert "180 days" in embed.description
        listed = embed.fields[0].value
        assert missed in listed and "bob" not in listed
        hostile_line = listed.splitlines()[0]  # the newest first
        assert "@\u200beveryone" in hostile_line and "\\*\\*bold\\*\\*" in hostile_line and "https:\u200b//" in hostile_line
        assert "<@123456789012345678>" not in hostile_line
        assert embed.fields[-1].name == "Never kept"
        assert custom_ids(reply) == ["privacy:ask"]

        bobs = answer_of(await g.bob.slash(g.general, "privacy show")).embeds[0]
        assert "bob's own question" in bobs.fields[0].value and missed not in bobs.fields[0].value
        nobody = answer_of(await g.mod.slash(g.general, "privacy show")).embeds[0]
        assert "**0**" in nobody.description and [f.name for f in nobody.fields] == ["Never kept"]


async def test_delete_asks_first_then_removes_exactly_the_members_data(tmp_path: Path) -> None:
    async with mod_guild(tmp_path) as g:
        await ask_things(g)
        stats_before = g.storage.stats()
        shown = answer_of(await g.alice.slash(g.general, "privacy show"))
        confirm = answer_of(await g.alice.click(shown, custom_id="privacy:ask"))
        assert confirm.ephemeral and "2 unanswered question(s) and 1 vote(s)" in confirm.content
        assert custom_ids(confirm) == ["privacy:confirm", "privacy:cancel"]
        assert personal_data(g.storage, g.alice.id).questions == 2  # asking deletes nothing

        cancelled = await g.alice.click(confirm, custom_id="privacy:cancel")
        assert cancelled.response.content == "Nothing was deleted." and custom_ids(cancelled.response) == []
        assert personal_data(g.storage, g.alice.id).questions == 2

        confirm = answer_of(await g.alice.slash(g.general, "privacy delete"))
        done = await g.alice.click(confirm, custom_id="privacy:confirm")
        assert done.response.content == message("privacy.deleted", "en", questions=2, votes=1)
        assert custom_ids(done.response) == []
        assert personal_data(g.storage, g.alice.id).empty
        assert personal_data(g.storage, g.bob.id).questions == 1
        stats_after = g.storage.stats()
        assert (stats_after.questions, stats_after.declined, stats_after.suggested) == (
            stats_before.questions,
            stats_before.declined,
            stats_before.suggested,
        )

        again = answer_of(await g.alice.slash(g.general, "privacy delete"))
        second = await g.alice.click(again, custom_id="privacy:confirm")
        assert second.response.content == message("privacy.nothing", "en")

        entries = [e for e in g.storage.audit_entries() if e.action == FORGET_ACTION]
        assert [e.actor for e in entries] == [SELF_ACTOR, SELF_ACTOR]
        assert entries[1].details.endswith("2 unanswered question(s) and 1 vote(s) deleted")
        for e in entries:
            assert str(g.alice.id) not in e.details + e.actor and "alice" not in e.details + e.actor


async def test_privacy_works_in_a_dm_with_the_bot(tmp_path: Path) -> None:
    async with mod_guild(tmp_path) as g:
        await ask_things(g)
        shown = await g.alice.user.slash("privacy show")
        assert shown.ephemeral and "**2**" in answer_of(shown).embeds[0].description
        confirm = answer_of(await g.alice.user.slash("privacy delete"))
        done = await g.alice.user.click(confirm, custom_id="privacy:confirm")
        assert done.response.content == message("privacy.deleted", "en", questions=2, votes=1)


async def test_a_locked_database_queues_the_deletion_and_a_follow_up_reports_it(tmp_path: Path, monkeypatch) -> None:
    async with mod_guild(tmp_path) as g:
        await ask_things(g)
        confirm = answer_of(await g.alice.slash(g.general, "privacy delete"))
        # the bot waits on the storage's writer thread: declared to simcord as the outside input it is,
        # so its timeouts run on the virtual clock and the click settles while the database is locked
        waiting = PendingDeletion.wait_async
        monkeypatch.setattr(PendingDeletion, "wait_async", lambda self, timeout: g.env.external_wait(waiting(self, timeout), reason="the database is locked"))
        blocker = sqlite3.connect(g.storage.path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        try:
            clicked = await g.alice.click(confirm, custom_id="privacy:confirm")
            await g.env.advance_time(CONFIRM_WAIT)  # the confirm click gives up waiting
            assert clicked.response.content == message("privacy.queued", "en")
            assert clicked.followups == []
            assert personal_data(g.storage, g.alice.id).questions == 2  # not yet
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        for _ in range(100):
            if clicked.followups:
                break
            await asyncio.sleep(0.05)
        (followup,) = clicked.followups
        assert followup.ephemeral and followup.content == message("privacy.deleted", "en", questions=2, votes=1)
        assert personal_data(g.storage, g.alice.id).empty


async def test_without_a_database_privacy_says_nothing_is_stored(tmp_path: Path) -> None:
    async with mod_guild(tmp_path, with_storage=False) as g:
        shown = await g.alice.slash(g.general, "privacy show")
        assert shown.ephemeral and shown.response.content == message("privacy.no_storage", "en")


def test_the_embed_in_japanese_and_within_limits() -> None:
    questions = tuple(KeptQuestion(1_700_000_000 + i, "歯医者では使えますか？" * 40) for i in range(10))
    embed = privacy_embed(PersonalData(25, 3, questions, 0), "ja")
    assert embed.title == message("privacy.title", "ja")
    assert "**25**件" in embed.description and message("privacy.retention_none", "ja") in embed.description
    assert embed.fields[0].name == message("privacy.newest", "ja", n=10, total=25)
    assert len(embed.fields[0].value) <= 1024 and len(embed) <= 6000
