"""👍/👎 under answers, through simcord: one vote per person per answer message, a second
click changes it, votes survive a restart, and nothing is offered where nothing can be stored."""

from __future__ import annotations

from pathlib import Path

import discord

from bot.client import SurveyBot
from bot.exts.feedback import VoteButton
from bot.knowledge.model import KnowledgeBase
from bot.service import KnowledgeService
from tests.discord.test_moderation import NOT_ANSWERED_CANDIDATES, USAGE_Q, ModGuild, answer_of, mod_guild


def vote_ids(message) -> list[str]:
    rows = message.components
    ids = [c["custom_id"] if isinstance(c, dict) else c.custom_id for row in rows for c in (row["components"] if isinstance(row, dict) else row.children)]
    return [i for i in ids if i.startswith("vote:")]


async def ask(g: ModGuild, member, question: str = USAGE_Q, private: bool = False):
    result = await member.slash(g.general, "ask", question=question, private=private)
    return result.response


def votes_for(g: ModGuild, fact_id: str) -> tuple[int, int]:
    stats = g.storage.stats(fact_ids=[fact_id])
    entry = next(s for s in stats.facts if s.fact_id == fact_id)
    return entry.votes_up, entry.votes_down


async def test_answers_carry_vote_buttons_and_other_replies_do_not(tmp_path: Path) -> None:
    async with mod_guild(tmp_path) as g:
        answer = await ask(g, g.alice)
        fact_id = g.service.answerer.ask(USAGE_Q).fact_id
        assert vote_ids(answer) == [f"vote:up:{fact_id}", f"vote:down:{fact_id}"]
        labels = [c.get("emoji", {}).get("name") for row in answer.components for c in row["components"] if c["custom_id"].startswith("vote:")]
        assert labels == ["👍", "👎"]
        for question in NOT_ANSWERED_CANDIDATES:
            if g.service.answerer.ask(question).kind != "answer":
                assert vote_ids(await ask(g, g.alice, question)) == []
        await g.bob.send(g.general, f"<@{g.bot.user.id}> {USAGE_Q}")  # chat answers have them too
        chat_answer = [m for m in g.general.history() if m.author.id == g.bot.user.id][-1]
        assert vote_ids(chat_answer) == [f"vote:up:{fact_id}", f"vote:down:{fact_id}"]


async def test_one_vote_per_person_per_answer_and_a_second_click_changes_it(tmp_path: Path) -> None:
    async with mod_guild(tmp_path) as g:
        answer = await ask(g, g.alice)
        fact_id = g.service.answerer.ask(USAGE_Q).fact_id
        up, down = f"vote:up:{fact_id}", f"vote:down:{fact_id}"

        first = await g.bob.click(answer, custom_id=up)
        assert first.ephemeral and first.response.content == "Thanks, your 👍 is recorded. Clicking the other button changes it."
        again = await g.bob.click(answer, custom_id=up)
        assert "already" in again.response.content
        assert votes_for(g, fact_id) == (1, 0)  # the same click twice is one vote

        changed = await g.bob.click(answer, custom_id=down)
        assert changed.ephemeral and changed.response.content == "Your vote on this answer is now 👎 (it was 👍)."
        assert votes_for(g, fact_id) == (0, 1)
        assert g.storage.vote_of(answer.id, g.bob.id) == -1

        await g.alice.click(answer, custom_id=up)  # another person: another vote
        assert votes_for(g, fact_id) == (1, 1)
        second_answer = await ask(g, g.alice)  # another answer message: bob may vote on it too
        await g.bob.click(second_answer, custom_id=down)
        assert votes_for(g, fact_id) == (1, 2)
        assert g.storage.vote_of(second_answer.id, g.bob.id) == -1 and g.storage.vote_of(answer.id, g.alice.id) == 1
        # voters are stored as salted hashes, never as user ids
        import sqlite3

        with sqlite3.connect(g.storage.path) as conn:
            voters = {row[0] for row in conn.execute("SELECT voter FROM votes")}
        assert len(voters) == 2 and not voters & {str(g.alice.id), str(g.bob.id)}

        stats = answer_of(await g.mod.slash(g.general, "kb stats")).embeds[0]
        row = next(line for line in stats.description.splitlines() if line.startswith(fact_id + " "))
        assert row.split()[-2:] == ["1", "2"]  # up, down


async def test_a_vote_on_a_private_answer_is_acknowledged_privately(tmp_path: Path) -> None:
    async with mod_guild(tmp_path) as g:
        answer = await ask(g, g.alice, private=True)
        fact_id = g.service.answerer.ask(USAGE_Q).fact_id
        result = await g.alice.click(answer, custom_id=f"vote:down:{fact_id}")
        assert result.ephemeral and "👎" in result.response.content
        assert votes_for(g, fact_id) == (0, 1)


async def test_vote_buttons_still_work_after_a_restart(tmp_path: Path) -> None:
    async with mod_guild(tmp_path) as g:
        answer = await ask(g, g.alice)
        fact_id = g.service.answerer.ask(USAGE_Q).fact_id
        restarted = SurveyBot(g.bot.config, g.service, storage=g.storage)
        await g.env.restart_bot(restarted)
        result = await g.bob.click(answer, custom_id=f"vote:up:{fact_id}")
        assert result.ephemeral and "👍" in result.response.content
        assert votes_for(g, fact_id) == (1, 0)


async def test_without_a_database_no_vote_buttons_are_offered(tmp_path: Path) -> None:
    async with mod_guild(tmp_path, with_storage=False) as g:
        answer = await ask(g, g.alice)
        assert answer.embeds and vote_ids(answer) == []


def test_every_fact_id_fits_a_vote_button(loaded_service: KnowledgeService) -> None:
    kb: KnowledgeBase = loaded_service.answerer.kb
    for fact in kb.facts:
        custom_id = f"vote:down:{fact.id}"
        assert len(custom_id) <= 100 and VoteButton.__discord_ui_compiled_template__.fullmatch(custom_id), fact.id
    assert isinstance(VoteButton("usage-rate", True).item, discord.ui.Button)
