"""Every text the bot says to a user, in English and Japanese, and the one lookup for them.

`message(id, lang, **values)` returns the text for `lang` ("ja" gives Japanese, anything
else English) with the `{placeholders}` filled. The core's replies (bot/answer) and the
Discord front end (bot/app.py, bot/exts) read from this one table, so a wording is
changed, or a language checked, in one place. A leaf module: it imports nothing of the bot.

Moderator-only texts (/kb, the command line) are English only and stay with their commands.
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # ---- replies of the core (bot/answer/reply.py), also printed by the command line
    "suggest": {"en": "I'm not sure which of these you mean:", "ja": "どの質問のことでしょうか："},
    "decline": {"en": "I don't have a sourced figure that answers this.", "ja": "この質問に答えられる出典付きの数字がありません。"},
    "too_long": {
        "en": "That question is too long for me ({n} characters, limit {limit}). Please ask it in a sentence or two.",
        "ja": "質問が長すぎます（{n}文字、上限{limit}文字）。短くまとめて質問してください。",
    },
    "no_content": {
        "en": "I couldn't find a question in that. Ask me about My Number health insurance cards.",
        "ja": "質問が見つかりませんでした。マイナ保険証について質問してください。",
    },
    "not_covered": {"en": "I have no sourced figure about {what}.", "ja": "{what}について出典のある数字はありません。"},
    "no_precise_figure": {
        "en": "The sources give only “{value}” for {what}; I have no more precise figure.",
        "ja": "{what}について出典にあるのは「{value}」までで、より正確な数字はありません。",
    },
    "other_part": {"en": "For the other part of your question I have no sourced figure.", "ja": "質問のもう一方については、出典のある数字がありません。"},
    "knows": {"en": "I can answer questions about:", "ja": "答えられる話題："},
    "latest": {"en": "latest", "ja": "最新"},
    "latest_on": {"en": "latest, {basis}", "ja": "最新・{basis}"},
    "as_of.lead": {"en": "As of {date}: {values}", "ja": "{date}時点：{values}"},
    "sources.lead": {"en": "Sources of that answer:", "ja": "この回答の出典："},
    "article": {"en": "at the time of the 2023 survey report", "ja": "2023年の調査報道の時点"},
    "as_of": {"en": "as of {date}", "ja": "{date}時点"},
    # ---- reply embeds (bot/app.py)
    "title.answer": {"en": "Answer", "ja": "回答"},
    "title.suggest": {"en": "Did you mean…", "ja": "もしかして…"},
    "title.decline": {"en": "No sourced answer", "ja": "出典付きの回答がありません"},
    "source": {"en": "Source", "ja": "出典"},
    "sources": {"en": "Sources", "ja": "出典"},
    "base": {"en": "Base", "ja": "母数"},
    "period": {"en": "Period", "ja": "期間"},
    "as_of.field": {"en": "As of {date}", "ja": "{date}時点"},
    "more_figures": {"en": "{n} more figure(s): use /fact to see them all", "ja": "ほかに{n}件の数字があります。/fact ですべて表示できます"},
    "version": {"en": "Knowledge version {v}", "ja": "知識ベースの版 {v}"},
    "topics_hint": {"en": "Use /topics to see what I can answer.", "ja": "/topics で答えられる話題を確認できます。"},
    "apology": {
        "en": "Sorry, something went wrong while answering. It has been logged; please try again later.",
        "ja": "すみません、回答中に問題が発生しました。記録しましたので、しばらくしてからもう一度お試しください。",
    },
    "unknown_fact": {
        "en": "I have no fact called “{fact}”. Pick one from the list while you type, or see /topics.",
        "ja": "「{fact}」という事実はありません。入力中に表示される一覧から選ぶか、/topics を確認してください。",
    },
    # ---- /topics, /sources, /about (bot/app.py)
    "topics.title": {"en": "What I can answer", "ja": "答えられる話題"},
    "topics.footer": {"en": "Ask with /ask, or pick one fact with /fact.", "ja": "/ask で質問するか、/fact で一つの事実を表示できます。"},
    "sources.title": {"en": "Sources", "ja": "出典一覧"},
    "sources.survey_by": {"en": "Survey by: {who}", "ja": "調査: {who}"},
    "sources.more": {"en": "{n} more source(s)", "ja": "ほかに{n}件"},
    "about.title": {"en": "About this bot", "ja": "このボットについて"},
    "about.text": {
        "en": (
            "I answer questions about Japan's My Number health insurance cards with sourced figures. "
            "Every answer comes from a fact in my knowledge base, with its source and date; when no fact answers a question, I say so."
            "\nAsk with /ask, show one fact with /fact, list topics with /topics and sources with /sources."
        ),
        "ja": (
            "マイナ保険証（マイナンバーカードの健康保険証利用）についての質問に、出典付きの数字で答えます。"
            "答えは知識ベースに登録された事実だけから作られ、該当する事実がないときはそう伝えます。"
            "\n/ask で質問、/fact で一つの事実、/topics で話題の一覧、/sources で出典の一覧を表示します。"
        ),
    },
    "about.facts": {"en": "Facts", "ja": "事実"},
    "about.topics": {"en": "Topics", "ja": "話題"},
    "about.sources": {"en": "Sources", "ja": "出典"},
    "about.version": {"en": "Knowledge version", "ja": "知識ベースの版"},
    "about.newest": {"en": "Newest figure", "ja": "最新の数字"},
    "newest_figure": {"en": "Newest figure in the knowledge base: {date}", "ja": "知識ベースで最も新しい数字：{date}時点"},
    # ---- charts (bot/exts/charts.py)
    "chart.button": {"en": "Chart", "ja": "グラフ"},
    "chart.unknown": {
        "en": "I have no chart called “{name}”. Pick one from the list while you type.",
        "ja": "「{name}」というグラフはありません。入力中に表示される一覧から選んでください。",
    },
    "chart.nothing": {"en": "“{name}” has no figures that can be drawn as a chart.", "ja": "「{name}」にはグラフにできる数値がありません。"},
    "chart.gone": {
        "en": "This answer has no chart any more (the knowledge base has changed since). Ask again to see the current figures.",
        "ja": "この回答のグラフはもうありません（知識ベースが更新されました）。もう一度質問すると最新の数値を表示します。",
    },
    # ---- 👍/👎 under answers (bot/exts/feedback.py)
    "vote.new": {
        "en": "Thanks, your {emoji} is recorded. Clicking the other button changes it.",
        "ja": "{emoji} を記録しました。もう一方のボタンを押すと変更できます。",
    },
    "vote.same": {
        "en": "You had already given this answer {emoji}; your vote stays as it is.",
        "ja": "この回答にはすでに {emoji} が記録されています。投票はそのままです。",
    },
    "vote.changed": {"en": "Your vote on this answer is now {emoji} (it was {old}).", "ja": "この回答への投票を {emoji} に変更しました（以前は {old}）。"},
    "vote.unknown": {
        "en": "Your {emoji} is recorded; a second click changes your vote, it never adds one.",
        "ja": "{emoji} を記録しました。もう一度押すと投票が変わるだけで、票は増えません。",
    },
    "vote.failed": {
        "en": "Sorry, your vote could not be recorded just now. Please try again later.",
        "ja": "すみません、投票を記録できませんでした。しばらくしてからもう一度お試しください。",
    },
    # ---- /privacy: what the bot keeps about you, and deleting it (bot/exts/privacy.py)
    "privacy.title": {"en": "What this bot keeps about you", "ja": "このボットが保存しているあなたの情報"},
    "privacy.counts": {
        "en": "Questions of yours it could not answer, kept for the moderators: **{questions}**\nYour 👍/👎 votes on its answers: **{votes}**",
        "ja": "答えられなかったあなたの質問（モデレーター用に保存）：**{questions}**件\n回答へのあなたの👍/👎：**{votes}**件",
    },
    "privacy.retention": {"en": "Both are deleted automatically after {days} days.", "ja": "どちらも{days}日後に自動で削除されます。"},
    "privacy.retention_none": {
        "en": "This server keeps them until they are deleted (no time limit is set).",
        "ja": "このサーバーでは保存期間が設定されていないため、削除するまで保存されます。",
    },
    "privacy.how": {
        "en": "You are kept only as a salted hash of your user id, never your name or id. Use the button or /privacy delete to delete it all.",
        "ja": "あなたはユーザーIDのソルト付きハッシュとしてのみ記録され、名前やIDは保存されません。ボタンまたは /privacy delete ですべて削除できます。",
    },
    "privacy.newest": {"en": "Your unanswered questions (newest {n} of {total})", "ja": "答えられなかったあなたの質問（新しい順に{total}件中{n}件）"},
    "privacy.never.title": {"en": "Never kept", "ja": "保存しないもの"},
    "privacy.never": {
        "en": (
            "Your user name and user id; questions the bot answered (they only add to daily counts that name nobody; "
            "your last question is held in memory for 5 minutes to read a follow-up, never written down); "
            "messages not addressed to the bot; attachments, avatars, roles."
        ),
        "ja": "ユーザー名とユーザーID、回答できた質問（誰のものか分からない日ごとの件数に加算するだけ。続けての質問を読むため直前の質問を5分間だけメモリに置き、書き込みはしません）、ボット宛てでないメッセージ、添付ファイル、アイコン、ロール。",
    },
    "privacy.delete.button": {"en": "Delete my data", "ja": "データを削除"},
    "privacy.confirm": {
        "en": (
            "Delete the {questions} unanswered question(s) and {votes} vote(s) this bot keeps about you, "
            "and anything of yours still being saved? This cannot be undone. Daily counts that name nobody stay."
        ),
        "ja": "このボットが保存しているあなたの質問{questions}件と投票{votes}件（保存中のものも含む）を削除しますか？元に戻せません。誰のものか分からない日ごとの件数は残ります。",
    },
    "privacy.confirm.button": {"en": "Yes, delete it all", "ja": "すべて削除する"},
    "privacy.cancel.button": {"en": "Cancel", "ja": "キャンセル"},
    "privacy.cancelled": {"en": "Nothing was deleted.", "ja": "何も削除していません。"},
    "privacy.deleted": {
        "en": "Deleted: {questions} unanswered question(s) and {votes} vote(s). The bot keeps nothing else about you.",
        "ja": "削除しました：質問{questions}件、投票{votes}件。ほかにあなたについて保存している情報はありません。",
    },
    "privacy.nothing": {
        "en": "There was nothing to delete: the bot keeps no questions or votes of yours.",
        "ja": "削除するものはありませんでした。あなたの質問や投票は保存されていません。",
    },
    "privacy.queued": {
        "en": "Your deletion is queued: the database is busy right now. It will be done as soon as the database accepts writes, and I will tell you here.",
        "ja": "削除を受け付けました。データベースが使用中のため、書き込めるようになりしだい削除し、ここでお知らせします。",
    },
    "privacy.still_queued": {
        "en": "Your deletion is still queued: the database has not accepted writes yet. It stays queued and will be done once it does.",
        "ja": "削除はまだ待機中です（データベースに書き込めません）。書き込めるようになりしだい実行されます。",
    },
    "privacy.failed": {
        "en": "Sorry, that could not be done just now. Please try again later; nothing has been changed.",
        "ja": "すみません、いまは実行できませんでした。何も変更していません。しばらくしてからもう一度お試しください。",
    },
    "privacy.no_storage": {
        "en": "This bot stores nothing about anyone: it runs without a database.",
        "ja": "このボットはデータベースなしで動作しているため、誰の情報も保存していません。",
    },
}


def message(key: str, lang: str, **values: object) -> str:
    """The text `key` in `lang` (Japanese for "ja", else English), placeholders filled from `values`."""
    return MESSAGES[key]["ja" if lang == "ja" else "en"].format(**values)
