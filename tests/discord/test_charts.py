"""/chart and the Chart button under answers: through simcord (discord.py's real HTTP and
gateway code against an in-memory Discord) and, for Japanese locales and a restart, over
the loopback stand-in."""

from __future__ import annotations

import json
import re
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from bot.app import apology_text
from bot.charts import available_charts, chart_data, chart_for_fact, render_chart
from bot.exts.charts import chart_embed, ranked_charts, resolve_chart
from bot.knowledge import default_knowledge_path
from bot.service import KnowledgeService
from tests.discord.conftest import mention, unloaded_service
from tests.discord.test_app import assert_within_limits
from tests.support import discord_standin
from tests.support.live_bot import is_reply_to, running_bot

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
USAGE_Q = "What is the usage rate of the My Number health insurance card?"
USAGE_Q_JA = "マイナ保険証の利用率は？"
DIGITS_Q = "How many digits does the My Number have?"


def custom_ids(message: Any) -> list[str]:
    """The custom ids of a message's buttons (simcord hands back dicts or discord.py rows)."""
    out = []
    for row in message.components:
        children = row["components"] if isinstance(row, dict) else row.children
        for child in children:
            custom_id = child.get("custom_id") if isinstance(child, dict) else child.custom_id
            if custom_id:
                out.append(custom_id)
    return out


def chart_ids(message: Any) -> list[str]:
    return [c for c in custom_ids(message) if c.startswith("chart:")]


def callbacks(g) -> list[Any]:
    return [r for r in g.env.http_requests if r.method == "POST" and re.fullmatch(r"/interactions/\d+/[^/]+/callback", r.path)]


@pytest.fixture
def render_threads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The thread each chart was drawn in; the real renderer still draws them. (The extension
    module is executed afresh by load_extension, and takes render_chart from bot.charts.render
    then: patching there, before the bot starts, reaches it.)"""
    import bot.charts.render as charts_render

    threads: list[int] = []

    def recording_render(*args: Any, **kwargs: Any) -> bytes:
        threads.append(threading.get_ident())
        return render_chart(*args, **kwargs)

    monkeypatch.setattr(charts_render, "render_chart", recording_render)
    return threads


# ---------------------------------------------------------------- /chart


async def test_chart_uploads_the_png_in_an_embed_that_shows_it(make_guild, loaded_service: KnowledgeService, render_threads: list[int]) -> None:
    kb = loaded_service.answerer.kb
    spec = next(s for s in available_charts(kb) if s.key == "usage-rate")
    async with make_guild() as g:
        result = await g.alice.slash(g.general, "chart", topic="usage-rate")
        assert result.acknowledged and not result.ephemeral
        message = result.response
        [attachment] = message.attachments
        assert attachment.filename.endswith(".png")
        image = await attachment.read()
        assert image.startswith(PNG_SIGNATURE)
        assert image == render_chart(kb, "usage-rate", "en")
        [embed] = message.embeds
        assert embed.image.url == f"attachment://{attachment.filename}"
        assert embed.title == spec.title("en")
        assert_within_limits(embed)
        data = chart_data(kb, spec, "en")
        first = next(i for i, field in enumerate(embed.fields) if field.name == "Sources")
        # the sources spread over as many fields as they need, none cut off, none clipped
        sources = "\n\n".join(field.value or "" for field in embed.fields[first:])
        assert all(field.name == "\u200b" for field in embed.fields[first + 1 :]) and len(data.source_ids) > 1
        assert "…" not in sources
        for line, source_id in zip(data.footer, data.source_ids, strict=False):
            assert line in sources  # the same line as under the image
            assert kb.sources[source_id].url in sources
        # deferred first ("thinking…"), then the image as the follow-up, pinging nobody
        [callback] = callbacks(g)
        assert callback.json["type"] == 5
        upload = next(r for r in g.env.http_requests if r.method == "POST" and r.path.startswith("/webhooks/"))
        assert g.env.http_requests.index(upload) > g.env.http_requests.index(callback)
        assert upload.json["allowed_mentions"] == {"parse": []}
        assert g.env.errors == []
    # drawn in a worker thread, never on the event loop's thread
    assert render_threads and threading.get_ident() not in render_threads


async def test_every_chart_is_posted_with_its_own_image(make_guild, loaded_service: KnowledgeService) -> None:
    kb = loaded_service.answerer.kb
    async with make_guild() as g:
        images = set()
        for spec in available_charts(kb):
            message = (await g.alice.slash(g.general, "chart", topic=spec.key)).response
            [attachment] = message.attachments
            images.add(await attachment.read())
            assert message.embeds[0].title == spec.title("en")
            assert message.embeds[0].image.url == f"attachment://{attachment.filename}"
        assert len(images) == len(available_charts(kb)) >= 5


async def test_chart_private_is_ephemeral(make_guild) -> None:
    async with make_guild() as g:
        result = await g.alice.slash(g.general, "chart", topic="hospital-merits", private=True)
        assert result.ephemeral and result.response.ephemeral
        assert len(result.response.attachments) == 1


async def test_an_unknown_chart_gets_a_short_private_message(make_guild) -> None:
    async with make_guild() as g:
        result = await g.alice.slash(g.general, "chart", topic="no-such-chart @everyone")
        assert result.ephemeral
        content = result.response.content
        assert "no chart called" in content and len(content) < 200
        assert "@everyone" not in content  # the typed text is shown, defused
        assert "Traceback" not in content and result.response.attachments == []
        assert [c.json["type"] for c in callbacks(g)] == [4]  # answered at once, never deferred
        # a fact whose only figures are dates cannot be drawn: said so, just as briefly
        result = await g.alice.slash(g.general, "chart", topic="my-number-digits")
        assert result.ephemeral and "no figures that can be drawn" in result.response.content
        assert g.env.errors == []


async def test_chart_with_no_knowledge_loaded_apologises(make_guild, tmp_path: Path) -> None:
    async with make_guild(service=unloaded_service(tmp_path)) as g:
        result = await g.alice.slash(g.general, "chart", topic="usage-rate")
        assert result.ephemeral and result.response.content == apology_text("en")
        assert ["knowledge base not loaded" in str(e) for e in g.env.errors] == [True]  # the error the tree logged


def test_a_title_typed_out_in_full_finds_its_chart(loaded_service: KnowledgeService) -> None:
    kb = loaded_service.answerer.kb
    for spec in available_charts(kb):
        assert resolve_chart(kb, f"  {spec.title_en.upper()} ", "en") == spec
        assert resolve_chart(kb, spec.title_ja, "ja") == spec
    assert resolve_chart(kb, "patient-survey", "en").key == "patient-merits"  # a topic with one chart
    assert "グラフはありません" in resolve_chart(kb, "hospital-survey", "ja")  # two charts: pick one


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_chart_embed_fits_discord_and_links_every_source(loaded_service: KnowledgeService, lang: str) -> None:
    kb = loaded_service.answerer.kb
    for spec in available_charts(kb):
        data = chart_data(kb, spec, lang)
        embed = chart_embed(kb, data, "chart.png")
        assert_within_limits(embed)
        assert embed.title == spec.title(lang)
        name = "出典" if lang == "ja" else "Source" if len(data.source_ids) == 1 else "Sources"
        first = next(i for i, field in enumerate(embed.fields) if field.name == name)
        sources = "\n\n".join(field.value or "" for field in embed.fields[first:])
        for source_id in data.source_ids:
            assert kb.sources[source_id].url in sources, (spec.key, source_id)
        for note in data.footer[len(data.source_ids) :]:
            assert note in embed.description  # e.g. a figure reported beside a series


# ---------------------------------------------------------------- autocomplete


async def test_chart_autocomplete_lists_charts_by_title_with_keys_as_values(make_guild, loaded_service: KnowledgeService) -> None:
    kb = loaded_service.answerer.kb
    charts = available_charts(kb)
    async with make_guild() as g:
        everything = await g.alice.autocomplete(g.general, "chart", "topic", "")
        assert [c["value"] for c in everything] == [s.key for s in charts]
        assert [c["name"] for c in everything] == [s.title_en for s in charts]
        assert (await g.alice.autocomplete(g.general, "chart", "topic", "usage rate"))[0]["value"] == "usage-rate"  # in its questions, not its title
        assert (await g.alice.autocomplete(g.general, "chart", "topic", "registered"))[0]["value"] == "registrations"
        assert (await g.alice.autocomplete(g.general, "chart", "topic", "利用率"))[0]["value"] == "usage-rate"
        misspelt = await g.alice.autocomplete(g.general, "chart", "topic", "hospitl")
        assert len(misspelt) == len(charts) and misspelt[0]["value"].startswith("hospital")
        # picking a choice draws that chart
        picked = await g.alice.autocomplete(g.general, "chart", "topic", "patients")
        message = (await g.alice.slash(g.general, "chart", topic=picked[0]["value"])).response
        assert message.embeds[0].title == picked[0]["name"] and len(message.attachments) == 1


def test_ranking_puts_title_matches_first(loaded_service: KnowledgeService) -> None:
    kb = loaded_service.answerer.kb
    ranked = ranked_charts(kb, "hospital", "en")
    in_title = [s.key for s in available_charts(kb) if "hospital" in s.title_en.lower()]
    assert [s.key for s in ranked[: len(in_title)]] == in_title
    assert len(ranked) == len(available_charts(kb))


CHART_WORDS = (
    "apple banana cherry damson elder fig grape hazel iris juniper kiwi lemon mango nectar olive peach quince "
    "raisin sloe tamarind ugli vanilla walnut yam zucchini acorn birch cedar dogwood larch"
).split()


@pytest.fixture
def many_charts_service(tmp_path: Path) -> KnowledgeService:
    """The shipped knowledge plus 30 chart groups whose titles are far over 100 characters."""
    assert len(CHART_WORDS) == 30
    folder = tmp_path / "knowledge"
    shutil.copytree(default_knowledge_path(), folder)
    long_title = "A deliberately long topic title about many generated hospital survey charts, " * 2
    lines = ["topic:", "  id: generated-charts", f'  title: {{en: "{long_title.strip()}", ja: "{"生成されたグラフの長い話題名" * 8}"}}', "facts:"]
    for i, word in enumerate(CHART_WORDS):
        lines += [
            f"  - id: generated-chart-fact-{i}",
            "    questions:",
            f'      en: ["{word} chart figures, {word} by {word}, {word} again"]',
            f'      ja: ["{word}のグラフ、{word}ごとの{word}、また{word}"]',
            "    answer:",
            f'      en: "The generated share is {i + 1}%."',
            f'      ja: "生成された割合は{i + 1}%です。"',
            "    figures:",
            f"      - value: {i + 1}",
            "        unit: percent",
            f'        counts: {{en: "generated share of {word}", ja: "{word}の割合"}}',
            '        as_of: "2023-12-03"',
            "    source: kyodo-2023-12-03",
            f"    chart: generated-group-{i}",
        ]
    (folder / "generated_charts.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    service = KnowledgeService(folder, max_chars=500)
    result = service.reload()
    assert result.ok, "\n".join(str(p) for p in result.problems)
    assert len(available_charts(service.answerer.kb)) > 30
    return service


async def test_chart_autocomplete_caps_at_25_choices_of_100_characters(make_guild, many_charts_service: KnowledgeService) -> None:
    keys = {s.key for s in available_charts(many_charts_service.answerer.kb)}
    async with make_guild(service=many_charts_service) as g:
        for typed in ("", "generated", "generated share of hazel", "zzz"):
            choices = await g.alice.autocomplete(g.general, "chart", "topic", typed)
            assert len(choices) == 25, typed
            assert all(1 <= len(c["name"]) <= 100 and c["value"] in keys for c in choices)
        choices = await g.alice.autocomplete(g.general, "chart", "topic", "generated share of hazel")
        assert choices[0]["value"] == "generated-group-7" and choices[0]["name"].endswith("…")
        message = (await g.alice.slash(g.general, "chart", topic="generated-group-7")).response
        assert len(message.attachments) == 1 and len(message.embeds[0].title) <= 256


# ---------------------------------------------------------------- the Chart button


async def test_the_chart_button_is_only_on_answers_of_charted_facts(make_guild, loaded_service: KnowledgeService, suggest_question: str) -> None:
    answerer = loaded_service.answerer
    kb = answerer.kb
    async with make_guild() as g:
        await g.alice.send(g.general, mention(g, USAGE_Q))
        assert chart_ids(g.bot_messages(g.general)[-1]) == ["chart:en:usage-rate"]
        await g.alice.send(g.general, mention(g, DIGITS_Q))
        assert chart_ids(g.bot_messages(g.general)[-1]) == []
        await g.alice.send(g.general, mention(g, suggest_question))
        assert chart_ids(g.bot_messages(g.general)[-1]) == []  # "did you mean" is no answer
        # every fact, both languages: a button exactly when the fact is in a chart group or series
        charted = 0
        for fact in kb.facts:
            for lang in ("en", "ja"):
                view = g.bot.renderer.view(answerer.fact_reply(fact, lang, question=""))
                ids = [c for c in (getattr(i, "custom_id", None) for i in (view.children if view else [])) if c and c.startswith("chart:")]
                expected = [f"chart:{lang}:{fact.id}"] if chart_for_fact(kb, fact.id) else []
                assert ids == expected, fact.id
                charted += bool(ids)
        assert charted >= 2 * 5


async def test_clicking_chart_adds_the_image_to_the_answer(make_guild, loaded_service: KnowledgeService, render_threads: list[int]) -> None:
    kb = loaded_service.answerer.kb
    async with make_guild() as g:
        await g.alice.send(g.general, mention(g, USAGE_Q))
        answer = g.bot_messages(g.general)[-1]
        title = answer.embeds[0].title
        clicked = await g.bob.click(answer, custom_id="chart:en:usage-rate")
        assert clicked.deferred and [c.json["type"] for c in callbacks(g)] == [6]  # a deferred update of the answer
        [after] = g.bot_messages(g.general)  # no new message: the answer itself now shows the chart
        assert after.id == answer.id
        [attachment] = after.attachments
        assert await attachment.read() == render_chart(kb, "usage-rate", "en")
        assert after.embeds[0].title == title and after.embeds[0].fields == answer.embeds[0].fields
        assert after.embeds[0].image.url == f"attachment://{attachment.filename}"
        assert chart_ids(after) == []  # the image is there; the button has done its work
        edit = next(r for r in g.env.http_requests if r.method == "PATCH" and r.path.endswith("/messages/@original"))
        assert edit.json["allowed_mentions"] == {"parse": []}
        assert g.env.errors == []
    assert render_threads and threading.get_ident() not in render_threads


def ours(message: Any) -> list[str]:
    """The chart and suggestion buttons, whatever other features add beside them."""
    return [c for c in custom_ids(message) if c.startswith(("chart:", "suggest:"))]


async def test_other_buttons_under_the_answer_stay_and_still_work(make_guild) -> None:
    from bot.exts.ask import SuggestionButton

    def another_button(reply: Any) -> list[Any]:
        # stands for any other feature's button under answers (feedback votes, say)
        return [SuggestionButton("my-number-digits", "en", DIGITS_Q)] if reply.kind == "answer" else []

    async with make_guild() as g:
        g.bot.renderer.add_buttons(another_button)
        await g.alice.send(g.general, mention(g, USAGE_Q))
        answer = g.bot_messages(g.general)[-1]
        assert ours(answer) == ["chart:en:usage-rate", "suggest:en:my-number-digits"]
        await g.alice.click(answer, custom_id="chart:en:usage-rate")
        after = g.bot_messages(g.general)[-1]
        assert len(after.attachments) == 1 and ours(after) == ["suggest:en:my-number-digits"]
        assert len(custom_ids(after)) == len(custom_ids(answer)) - 1
        other = await g.alice.click(after, custom_id="suggest:en:my-number-digits")
        assert "12" in other.response.embeds[0].title


async def test_the_chart_button_on_a_private_answer_stays_private(make_guild) -> None:
    async with make_guild() as g:
        result = await g.alice.slash(g.general, "ask", question=USAGE_Q, private=True)
        assert result.ephemeral and chart_ids(result.response) == ["chart:en:usage-rate"]
        clicked = await g.alice.click(result.response, custom_id="chart:en:usage-rate")
        assert clicked.deferred
        edited = result.response  # read again: the same ephemeral message, edited
        assert edited.ephemeral and len(edited.attachments) == 1
        assert edited.embeds[0].image.url == f"attachment://{edited.attachments[0].filename}"
        assert g.bot_messages(g.general) == []  # nothing public appeared


async def test_a_chart_button_whose_fact_left_its_chart_says_so(make_guild, tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(default_knowledge_path(), folder)
    service = KnowledgeService(folder, max_chars=500)
    assert service.reload().ok
    async with make_guild(service=service) as g:
        await g.alice.send(g.general, mention(g, USAGE_Q))
        answer = g.bot_messages(g.general)[-1]
        assert chart_ids(answer) == ["chart:en:usage-rate"]
        usage = folder / "usage.yaml"
        text = usage.read_text(encoding="utf-8")
        assert "    series: usage-rate\n" in text
        usage.write_text(text.replace("    series: usage-rate\n", ""), encoding="utf-8")
        assert service.reload().ok
        clicked = await g.alice.click(answer, custom_id="chart:en:usage-rate")
        assert clicked.ephemeral and "no chart any more" in clicked.response.content
        assert g.bot_messages(g.general)[-1].attachments == []  # the answer is left as it was
        assert g.env.errors == []


# ---------------------------------------------------------------- over the wire: Japanese, and a restart


@pytest.fixture
def uploads_over_the_wire(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the stand-in read requests that carry files, and keep what they carried.

    The stand-in finds the multipart boundary in `request.content_type`, which aiohttp gives
    without its parameters, so the JSON part of an upload is never found and the request fails
    (reported; the fix is to pass `request.headers["Content-Type"]`). Until then this reads the
    boundary from the body's first line, as a multipart body always starts with it, and adds
    the files it carried to the recorded JSON under "_files" (file name -> bytes).
    """

    def payload_json(raw: bytes, content_type: str) -> Any:
        delimiter = raw.split(b"\r\n", 1)[0]
        body: Any = None
        files: dict[str, bytes] = {}
        for part in raw.split(delimiter):
            head, _, content = part.partition(b"\r\n\r\n")
            content = content.removesuffix(b"\r\n")
            if b'name="payload_json"' in head:
                body = json.loads(content)
            elif (name := re.search(rb'filename="([^"]+)"', head)) is not None:
                files[name.group(1).decode()] = content
        if isinstance(body, dict):
            body["_files"] = files
        return body

    monkeypatch.setattr(discord_standin, "_payload_json_from_multipart", payload_json)


def _webhook_calls(stand_in, token: str, method: str) -> Any:
    return lambda c: c.method == method and c.path.startswith(f"/webhooks/{stand_in.application_id}/{token}")


async def test_chart_in_a_japanese_client_over_the_wire(loaded_service: KnowledgeService, uploads_over_the_wire: None) -> None:
    kb = loaded_service.answerer.kb
    spec = next(s for s in available_charts(kb) if s.key == "usage-rate")
    async with running_bot(loaded_service) as live:
        s = live.stand_in
        typed = await s.send_slash(live.general, live.alice, "chart", {"topic": ""}, locale="ja", focused="topic")
        offered = await s.wait_for_call(lambda c: c.path == f"/interactions/{typed['id']}/{typed['token']}/callback")
        assert offered.json["type"] == 8
        assert [c["name"] for c in offered.json["data"]["choices"]] == [x.title_ja for x in available_charts(kb)]

        asked = await s.send_slash(live.general, live.alice, "chart", {"topic": "usage-rate"}, locale="ja")
        deferred = await s.wait_for_call(lambda c: c.path == f"/interactions/{asked['id']}/{asked['token']}/callback")
        assert deferred.json["type"] == 5
        upload = await s.wait_for_call(_webhook_calls(s, asked["token"], "POST"))
        [embed] = upload.embeds
        # the sources under 出典, continued in unnamed fields when they do not fit one
        assert embed["title"] == spec.title_ja and [f["name"] for f in embed["fields"]][0] == "出典"
        assert all(f["name"] == "\u200b" for f in embed["fields"][1:])
        assert [a["filename"] for a in upload.json["attachments"]] == ["chart-usage-rate-ja.png"]
        assert upload.json["_files"] == {"chart-usage-rate-ja.png": render_chart(kb, "usage-rate", "ja")}
        assert embed["image"]["url"] == "attachment://chart-usage-rate-ja.png"
        assert upload.json["allowed_mentions"] == {"parse": []}


async def test_a_chart_button_still_works_after_a_restart(loaded_service: KnowledgeService, uploads_over_the_wire: None) -> None:
    async with running_bot(loaded_service) as first:
        s = first.stand_in
        sent = await s.send_message(first.general, first.alice, first.mention(USAGE_Q_JA), mention_bot=True)
        reply = await s.wait_for_call(is_reply_to(sent["id"]))
        [button] = [b for row in reply.json["components"] for b in row["components"] if b["custom_id"].startswith("chart:")]
        assert button["custom_id"] == "chart:ja:usage-rate" and button["label"] == "グラフ"
        answer_payload = s.message_payload(first.general, s.bot_user(), "")
        answer_payload["embeds"], answer_payload["components"] = reply.json["embeds"], reply.json["components"]
    # a new process: nothing of the first bot's views is left in memory
    async with running_bot(loaded_service) as second:
        s = second.stand_in
        click = await s.click(second.general, second.alice, answer_payload, "chart:ja:usage-rate")
        deferred = await s.wait_for_call(lambda c: c.path == f"/interactions/{click['id']}/{click['token']}/callback")
        assert deferred.json["type"] == 6
        edit = await s.wait_for_call(_webhook_calls(s, click["token"], "PATCH"))
        assert edit.path.endswith("/messages/@original")
        assert [a["filename"] for a in edit.json["attachments"]] == ["chart-usage-rate-ja.png"]
        assert edit.json["_files"]["chart-usage-rate-ja.png"] == render_chart(loaded_service.answerer.kb, "usage-rate", "ja")
        assert edit.json["embeds"][0]["image"]["url"] == "attachment://chart-usage-rate-ja.png"
        assert edit.json["embeds"][0]["title"] == reply.json["embeds"][0]["title"]
        others = [b["custom_id"] for row in reply.json["components"] for b in row["components"] if not b["custom_id"].startswith("chart:")]
        assert [b["custom_id"] for row in edit.json["components"] for b in row["components"]] == others  # only the chart's button went
        assert edit.json["allowed_mentions"] == {"parse": []}
