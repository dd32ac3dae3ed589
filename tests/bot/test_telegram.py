"""The Telegram bot end to end: python-telegram-bot speaking real HTTP to a Bot API emulator on loopback, answering
from the seed index with the default encoder."""

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from telegram.error import BadRequest, NetworkError, RetryAfter

from bot.http import create_app
from bot.limits import RateLimiter
from bot.render import MESSAGE_LIMIT, utf16_length, visible_text
from bot.telegram import (
    EXPIRED,
    FAILED,
    NOT_ALLOWED,
    NOT_TEXT,
    SECRET_HEADER,
    UNAVAILABLE,
    WEBHOOK_PATH,
    BotSetupError,
    ConversationMemory,
    PassageCache,
    Shown,
    build_application,
    deliver,
    poll,
)
from retrieval.answer import MAX_HISTORY, Answer, Citation
from retrieval.conversation import Turn
from retrieval.engine import Engine
from retrieval.errors import IndexMissing
from retrieval.settings import Settings
from tests.bot.botapi_emulator import BotApiEmulator, Call, parse_html

TOKEN = "123456789:AAFakeTokenForTheEmulator_0123456789"
HIGH_COURT = "自治区高院院长是谁？"
USERNAME = "newsqa_test_bot"
_ids = itertools.count(1001)
STICKER = {
    "file_id": "s1",
    "file_unique_id": "u1",
    "type": "regular",
    "width": 512,
    "height": 512,
    "is_animated": False,
    "is_video": False,
}


def new_id() -> int:
    """A fresh user (and private chat) id, so tests do not share rate limits or chats."""
    return next(_ids)


def bot_settings(emulator: BotApiEmulator, engine: Engine, **overrides: Any) -> Settings:
    return engine.settings.model_copy(
        update={"telegram_token": SecretStr(emulator.token), "telegram_api_base": emulator.base_url, **overrides}
    )


@contextmanager
def running_bot(settings: Settings, engine: Engine, emulator: BotApiEmulator) -> Iterator[Any]:
    """The bot long-polling the emulator in a thread (its own event loop), stopped and joined afterwards."""
    application = build_application(settings, engine)
    loop = asyncio.new_event_loop()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            poll(application, stop_signals=(), poll_timeout=1, loop=loop)
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run, name="telegram-bot", daemon=True)
    thread.start()
    emulator.wait_for(lambda calls: any(c.method == "getUpdates" for c in calls) or failure)
    assert not failure, failure
    try:
        yield application
    finally:
        loop.call_soon_threadsafe(application.stop_running)
        thread.join(30)
        assert not thread.is_alive()


@pytest.fixture(scope="module")
def emulator() -> Iterator[BotApiEmulator]:
    with BotApiEmulator(TOKEN, username=USERNAME) as emu:
        yield emu


@pytest.fixture(scope="module")
def bot(emulator: BotApiEmulator, engine: Engine) -> Iterator[Any]:
    with running_bot(bot_settings(emulator, engine, telegram_rate_limit=3), engine, emulator) as application:
        yield application


def ask_private(emulator: BotApiEmulator, text: str | None, **extra: Any) -> tuple[dict, dict]:
    uid = new_id()
    user = emulator.user(uid)
    return user, emulator.message(emulator.private_chat(uid), user, text, **extra)


def assert_valid_html(text: str) -> str:
    """The text parses as Telegram HTML and fits one message; returns what the reader sees."""
    plain, _ = parse_html(text)
    assert utf16_length(plain) <= MESSAGE_LIMIT
    return plain


def reply_to(emulator: BotApiEmulator, message: dict) -> Call:
    """Wait for the bot's reply to a group message."""

    def found(calls: list[Call]) -> list[Call]:
        sent = emulator.sent(message["chat"]["id"], calls)
        return [c for c in sent if c.params.get("reply_parameters", {}).get("message_id") == message["message_id"]]

    return emulator.wait_for(found)[0]


def callback_answer(emulator: BotApiEmulator, query_id: str) -> Call:
    """Wait for the bot's answerCallbackQuery to a button press."""

    def found(calls: list[Call]) -> list[Call]:
        return [c for c in calls if c.method == "answerCallbackQuery" and c.params["callback_query_id"] == query_id]

    return emulator.wait_for(found)[0]


# ---------------------------------------------------------------- conversation


def test_startup_registers_commands_and_polls(bot: Any, emulator: BotApiEmulator) -> None:
    methods = [c.method for c in emulator.calls]
    assert methods[:1] == ["getMe"] and "deleteWebhook" in methods and "getUpdates" in methods
    commands = emulator.wait_for(lambda calls: [c for c in calls if c.method == "setMyCommands"])
    assert {c["command"] for c in commands[0].params["commands"]} == {"ask", "new", "sources", "help"}
    polls = [c for c in emulator.calls if c.method == "getUpdates"]
    assert polls[-1].params["allowed_updates"] == ["message", "callback_query"]


@pytest.mark.parametrize(
    ("question", "expected"),
    [(HIGH_COURT, "迪里夏提·沙依木"), ("伯西热克派出所组建了几支平安志愿者队伍？", "6支")],
)
def test_private_question_gets_a_cited_html_answer(bot: Any, emulator: BotApiEmulator, question: str, expected: str) -> None:
    user, _ = ask_private(emulator, question)
    chat_id = user["id"]
    [reply] = emulator.wait_sent(chat_id)
    text = reply.params["text"]
    plain = assert_valid_html(text)
    assert reply.params["parse_mode"] == "HTML" and expected in plain and "[1]" in plain and "来源" in plain
    assert reply.params["link_preview_options"] == {"is_disabled": True}
    if "6支" in expected:
        assert "今年5月〔2022年5月〕" in plain
    if "迪里夏提" in expected:
        assert '<a href="http://www.xjpeace.cn/content/2023-12/15/content_49975.html">' in text
        assert "新疆平安网 · 2023-12-16" in plain
    buttons = [b for row in reply.params["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons[0]["text"] == "[1]" and all(len(b["callback_data"].encode()) <= 64 for b in buttons)
    # "typing…" was shown to this chat before the answer went out.
    calls = emulator.calls
    typing = [i for i, c in enumerate(calls) if c.method == "sendChatAction" and c.params.get("chat_id") == chat_id]
    assert typing and typing[0] < calls.index(reply) and calls[typing[0]].params["action"] == "typing"
    # In a private chat the answer is not a reply (no quote clutter).
    assert "reply_parameters" not in reply.params


def test_out_of_corpus_question_abstains_with_nearest_sources(bot: Any, emulator: BotApiEmulator) -> None:
    user, _ = ask_private(emulator, "特斯拉公司的首席执行官是谁？")
    [reply] = emulator.wait_sent(user["id"])
    plain = assert_valid_html(reply.params["text"])
    assert plain.startswith("抱歉，语料库中没有找到") and "最接近的来源" in plain and "[1]" in plain
    assert reply.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "[1]"


def test_citation_button_opens_and_closes_the_passage(bot: Any, emulator: BotApiEmulator) -> None:
    user, _ = ask_private(emulator, HIGH_COURT)
    [reply] = emulator.wait_sent(user["id"])
    answer_msg = reply.result
    data = reply.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]

    query_id = emulator.press(user, emulator.stored(user["id"], answer_msg["message_id"]), data)
    edit = emulator.wait_for(lambda calls: [c for c in calls if c.method == "editMessageText" and c.status == 200])[-1]
    assert "text" not in callback_answer(emulator, query_id).params  # just stops the spinner
    opened = edit.params["text"]
    plain = assert_valid_html(opened)
    assert opened.startswith(reply.params["text"]) and "<blockquote>" in opened and "<b>自治区高院院长迪里夏提·沙依木" in opened
    assert "两院" in plain.split("[1] 自治区高院、检察院举行首次交流会商会", 2)[-1]  # the passage itself
    assert edit.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "[1] 收起"

    # Pressing again closes it: the message is the answer again.
    emulator.press(user, emulator.stored(user["id"], answer_msg["message_id"]), data)
    edits = emulator.wait_for(
        lambda calls: (e := [c for c in calls if c.method == "editMessageText" and c.status == 200]) and len(e) >= 2 and e
    )
    assert edits[-1].params["text"] == reply.params["text"]
    assert edits[-1].params["reply_markup"]["inline_keyboard"][0][0]["text"] == "[1]"


def test_expired_or_unknown_button_gets_a_polite_notice(bot: Any, emulator: BotApiEmulator) -> None:
    user, asked = ask_private(emulator, "随便")
    emulator.wait_sent(user["id"])
    for data in ("p:nosuchkey:1", "garbage"):
        query_id = emulator.press(user, asked, data)
        assert callback_answer(emulator, query_id).params["text"] == EXPIRED


def test_group_answers_only_ask_mentions_and_replies(bot: Any, emulator: BotApiEmulator) -> None:
    group = emulator.group_chat(-100_000 - new_id())
    user = emulator.user(new_id())
    other = emulator.user(new_id())  # a second member, so the rate limit (3 a minute) stays out of the way
    emulator.message(group, user, "大家好，自治区高院院长是谁？")  # not addressed to the bot
    mention = emulator.message(group, user, f"@{USERNAME} {HIGH_COURT}")
    [first] = emulator.wait_sent(group["id"])
    # The unaddressed message came first and was handled at once; the only reply is to the mention.
    assert first.params["reply_parameters"]["message_id"] == mention["message_id"]
    assert "迪里夏提·沙依木" in visible_text(first.params["text"])

    follow_up = emulator.message(group, user, "伯西热克派出所组建了几支平安志愿者队伍？", reply_to=first.result)
    second = emulator.wait_sent(group["id"], 2)[1]
    assert second.params["reply_parameters"]["message_id"] == follow_up["message_id"] and "6支" in second.params["text"]

    for command in (f"/ask {HIGH_COURT}", f"/ask@{USERNAME} {HIGH_COURT}"):
        asked = emulator.message(group, other, command)
        reply = reply_to(emulator, asked)
        assert "迪里夏提·沙依木" in reply.params["text"]
    # Commands for another bot, stickers and plain chatter in the group get nothing.
    emulator.message(group, user, f"/ask@other_bot {HIGH_COURT}")
    emulator.message(group, user, None, sticker=STICKER)
    barrier = emulator.message(group, user, "/ask")
    last = reply_to(emulator, barrier)
    assert "/ask" in last.params["text"]  # the hint how to ask
    assert len(emulator.sent(group["id"])) == 5


def test_a_private_chat_follows_the_conversation_until_new(bot: Any, emulator: BotApiEmulator) -> None:
    user, _ = ask_private(emulator, "伯西热克派出所组建了几支志愿者队伍？")
    chat = emulator.private_chat(user["id"])
    [first] = emulator.wait_sent(chat["id"])
    assert "6支" in visible_text(first.params["text"])
    emulator.message(chat, user, "该所所长叫什么名字？")
    second = emulator.wait_sent(chat["id"], 2)[1]
    plain = visible_text(second.params["text"])
    assert plain.startswith("理解为：伯西热克派出所所长叫什么名字？") and "张宝" in plain
    assert "<b>张宝</b>" in second.params["text"]  # the short answer first, in bold
    emulator.message(chat, user, "/new")
    assert "新对话" in visible_text(emulator.wait_sent(chat["id"], 3)[2].params["text"])
    emulator.message(chat, user, "该所所长叫什么名字？")
    fourth = visible_text(emulator.wait_sent(chat["id"], 4)[3].params["text"])
    assert "理解为" not in fourth and not fourth.startswith("张宝")


def test_in_groups_a_reply_continues_its_thread_and_nothing_else_does(bot: Any, emulator: BotApiEmulator) -> None:
    group = emulator.group_chat(-100_000 - new_id())
    asker, other = emulator.user(new_id()), emulator.user(new_id())
    asked = emulator.message(group, asker, "/ask 伯西热克派出所组建了几支志愿者队伍？")
    first = reply_to(emulator, asked)
    # Another member's plain /ask does not inherit the first question's context ...
    plain = emulator.message(group, other, "/ask 该所所长叫什么名字？")
    assert "理解为" not in visible_text(reply_to(emulator, plain).params["text"])
    # ... a reply to the bot's answer does, whoever sends it.
    threaded = emulator.message(group, other, "该所所长叫什么名字？", reply_to=first.result)
    text = visible_text(reply_to(emulator, threaded).params["text"])
    assert "理解为：伯西热克派出所所长叫什么名字？" in text and "张宝" in text


def test_conversation_memory_is_bounded_and_expires() -> None:
    now = [0.0]
    memory = ConversationMemory(minutes=30, clock=lambda: now[0])
    turns = [Turn(f"问题{i}", "回答") for i in range(15)]
    memory.remember(1, [10], turns, private=True)
    assert len(memory.recent(1)) == MAX_HISTORY and memory.thread(1, 10)[-1].question == "问题14"
    now[0] = 30 * 60 + 1
    assert memory.recent(1) == () and memory.thread(1, 10)  # the reply thread outlives the private window
    memory.remember(1, [11], turns[:1], private=True)
    memory.forget(1)
    assert memory.recent(1) == ()


def test_help_and_sources_describe_the_corpus(bot: Any, emulator: BotApiEmulator) -> None:
    user, _ = ask_private(emulator, "/start")
    [start] = emulator.wait_sent(user["id"])
    plain = assert_valid_html(start.params["text"])
    assert "共 2 篇新闻文章" in plain and "2022-09-14 到 2023-12-16" in plain and "新疆平安网" in plain
    assert "/ask" in plain and f"@{USERNAME}" in plain
    emulator.message(emulator.private_chat(user["id"]), user, "/help")
    emulator.message(emulator.private_chat(user["id"]), user, "/sources")
    replies = emulator.wait_sent(user["id"], 3)
    assert replies[1].params["text"] == start.params["text"]
    sources = assert_valid_html(replies[2].params["text"])
    assert "新疆平安网" in sources and "石榴云/新疆法制报" in sources and "2 家" in sources
    emulator.message(emulator.private_chat(user["id"]), user, "/frobnicate")
    assert "/help" in emulator.wait_sent(user["id"], 4)[3].params["text"]


@pytest.mark.parametrize(
    ("text", "extra", "expect"),
    [
        ("<b>", {}, None),
        ("a & b <i>x</i> &amp; </b>", {}, None),
        ("🧐📰👨‍👩‍👧 新疆的法院院长是谁？", {}, None),
        ("长" * 10_000, {}, "问题太长了（10000 字）"),
        ("   ", {}, None),
        ("", {}, NOT_TEXT),
        (None, {"sticker": STICKER}, NOT_TEXT),
        (None, {"photo": [{"file_id": "p1", "file_unique_id": "pu1", "width": 90, "height": 90}]}, NOT_TEXT),
        (None, {"voice": {"file_id": "v1", "file_unique_id": "vu1", "duration": 3}}, NOT_TEXT),
    ],
    ids=["tag", "ampersands", "emoji", "10000-chars", "blank", "empty", "sticker", "photo", "voice"],
)
def test_hostile_and_non_text_input(
    bot: Any, emulator: BotApiEmulator, text: str | None, extra: dict, expect: str | None
) -> None:
    user, _ = ask_private(emulator, text, **extra)
    [reply] = emulator.wait_sent(user["id"])
    plain = assert_valid_html(reply.params["text"])
    assert FAILED not in plain
    if expect:
        assert expect in plain
    failures = [c for c in emulator.calls if c.params.get("chat_id") == user["id"] and c.status != 200]
    assert not failures  # every HTML the bot produced parsed


def test_answers_come_in_the_order_asked(bot: Any, emulator: BotApiEmulator) -> None:
    user, _ = ask_private(emulator, HIGH_COURT)  # takes the model a while …
    emulator.message(emulator.private_chat(user["id"]), user, "/sources")  # … this takes no time at all
    first, second = emulator.wait_sent(user["id"], 2)
    assert "迪里夏提" in first.params["text"] and "新闻来源" in second.params["text"]


def test_rate_limit_per_user(bot: Any, emulator: BotApiEmulator) -> None:
    user, _ = ask_private(emulator, HIGH_COURT)
    chat = emulator.private_chat(user["id"])
    for _ in range(3):
        emulator.message(chat, user, HIGH_COURT)
    replies = emulator.wait_sent(user["id"], 4)
    notices = [c for c in replies if "提问太频繁" in c.params["text"]]
    assert len(notices) == 1 and "每分钟最多 3 个问题" in notices[0].params["text"]
    # Someone else is not affected.
    other, _ = ask_private(emulator, HIGH_COURT)
    assert "迪里夏提" in emulator.wait_sent(other["id"])[0].params["text"]


# ---------------------------------------------------------------- flood limits and faults


def test_flood_limit_is_waited_out(bot: Any, emulator: BotApiEmulator) -> None:
    uid = new_id()
    emulator.fail("sendMessage", 429, retry_after=1, chat_id=uid)
    user = emulator.user(uid)
    emulator.message(emulator.private_chat(uid), user, HIGH_COURT)
    [delivered] = emulator.wait_sent(uid)
    refused = [c for c in emulator.calls if c.method == "sendMessage" and c.params.get("chat_id") == uid and c.status == 429]
    assert len(refused) == 1 and delivered.at - refused[0].at >= 1.0
    assert delivered.params["text"] == refused[0].params["text"]  # the same answer, not lost


def test_server_and_network_errors_are_retried(bot: Any, emulator: BotApiEmulator) -> None:
    uid = new_id()
    emulator.fail("sendMessage", 502, chat_id=uid)
    emulator.fail("sendMessage", 500, chat_id=uid)
    emulator.fail("sendMessage", None, chat_id=uid)  # connection dropped without an answer
    emulator.message(emulator.private_chat(uid), emulator.user(uid), HIGH_COURT)
    [delivered] = emulator.wait_sent(uid)
    attempts = [c.status for c in emulator.calls if c.method == "sendMessage" and c.params.get("chat_id") == uid]
    assert attempts == [502, 500, 0, 200] and "迪里夏提" in delivered.params["text"]


class ScriptedEngine(Engine):
    """An engine whose answers come from `reply(question)`: failures and sizes the seed corpus cannot produce."""

    def __init__(self, real: Engine, reply: Callable[[str], Answer]) -> None:
        super().__init__(real.settings)
        self.reply = reply

    @property
    def ready(self) -> bool:
        return True

    def answer(self, question: str, k: int = 5, filters: Any = None, history: Any = None) -> Answer:
        return self.reply(question)


def test_errors_are_reported_briefly(emulator: BotApiEmulator, engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    def fail(question: str) -> Answer:
        if "索引" in question:
            raise IndexMissing("no index loaded: run newsqa index")
        raise RuntimeError("secret internal detail")

    with BotApiEmulator(TOKEN) as emu, running_bot(bot_settings(emu, engine), ScriptedEngine(engine, fail), emu):
        user, _ = ask_private(emu, "会出错的问题")
        [reply] = emu.wait_sent(user["id"])
        assert reply.params["text"] == FAILED and "secret" not in reply.params["text"]
        user, _ = ask_private(emu, "索引在吗")
        assert emu.wait_sent(user["id"])[0].params["text"] == UNAVAILABLE
    logged = [r for r in caplog.records if r.name == "newsqa.telegram" and r.levelname == "ERROR" and r.exc_info]
    assert logged and "secret internal detail" in str(logged[0].exc_info[1])  # type: ignore[index]


# ---------------------------------------------------------------- long answers


def _long_answer() -> Answer:
    sentence = "这是一句关于<b>新疆</b>政法工作的很长的话，包含 & 符号、“引号”和表情🧐，用来测试消息拆分是否正确。"
    body = "".join(f"{sentence}[{1 + i % 2}]" for i in range(120))
    assert len(body) > 6000
    cites = [
        Citation(
            n,
            f"a{n}",
            f"c{n}",
            f"标题<{n}> & “引号”",
            "新疆平安网",
            "2023-12-16",
            f"http://example.org/{n}?a=1&b=2",
            "",
            "段落",
            1.0,
        )
        for n in (1, 2)
    ]
    return Answer("长问题", body, False, cites)


def test_a_6000_character_answer_is_split_correctly(emulator: BotApiEmulator, engine: Engine) -> None:
    long_answers = ScriptedEngine(engine, lambda _: _long_answer())
    with BotApiEmulator(TOKEN) as emu, running_bot(bot_settings(emu, engine), long_answers, emu):
        user, _ = ask_private(emu, "长问题")
        # The buttons ride on the last part: once it is there, every part is.
        parts = emu.wait_for(lambda calls: (s := emu.sent(user["id"], calls)) and s[-1].params.get("reply_markup") and s)
    assert isinstance(parts, list) and len(parts) >= 2
    plains = [assert_valid_html(p.params["text"]) for p in parts]
    assert all(p.params.get("reply_markup") is None for p in parts[:-1])
    for plain in plains[:-1]:
        assert plain.rstrip().endswith(("。[1]", "。[2]")), plain[-20:]  # split after a sentence and its marker
    whole = "".join(plains).replace(" ", "").replace("\n", "")
    body = _long_answer().answer.replace(" ", "")
    assert whole.startswith(body) and "[1] 标题<1> & “引号”" in plains[-1]


# ---------------------------------------------------------------- allow-list, webhook, setup errors


def test_allow_list(emulator: BotApiEmulator, engine: Engine) -> None:
    allowed = new_id()
    with (
        BotApiEmulator(TOKEN) as emu,
        running_bot(bot_settings(emu, engine, telegram_allowed_chats=f"{allowed}, -5"), engine, emu),
    ):
        emu.message(emu.private_chat(allowed), emu.user(allowed), HIGH_COURT)
        assert "迪里夏提" in emu.wait_sent(allowed)[0].params["text"]
        stranger = new_id()
        emu.message(emu.private_chat(stranger), emu.user(stranger), HIGH_COURT)
        assert emu.wait_sent(stranger)[0].params["text"] == NOT_ALLOWED


def test_webhook_mode_in_the_http_app(engine: Engine) -> None:
    with BotApiEmulator(TOKEN) as emu:
        settings = bot_settings(
            emu,
            engine,
            telegram_webhook_url="https://bot.example.org/telegram/webhook",
            telegram_webhook_secret=SecretStr("s3cr3t-token_x"),
        )
        with TestClient(create_app(settings, engine)) as client:
            emu.wait_for(lambda calls: any(c.method == "setWebhook" for c in calls))
            hook = emu.webhook
            assert hook is not None and hook["url"] == settings.telegram_webhook_url and hook["secret_token"] == "s3cr3t-token_x"
            uid = new_id()
            update = {
                "update_id": 1,
                "message": {
                    "message_id": 5,
                    "date": 0,
                    "chat": emu.private_chat(uid),
                    "from": emu.user(uid),
                    "text": HIGH_COURT,
                },
            }
            assert client.post(WEBHOOK_PATH, json=update).status_code == 403
            assert client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: "wrong"}).status_code == 403
            bad = client.post(
                WEBHOOK_PATH, content=b"[1]", headers={SECRET_HEADER: "s3cr3t-token_x", "Content-Type": "application/json"}
            )
            assert bad.status_code == 400
            deep = b'{"update_id": 1, "message": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"  # 40 KB, under the body limit
            nested = client.post(
                WEBHOOK_PATH, content=deep, headers={SECRET_HEADER: "s3cr3t-token_x", "Content-Type": "application/json"}
            )
            assert nested.status_code == 400  # refused as input, never a 500
            response = client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: "s3cr3t-token_x"})
            assert response.status_code == 200 and response.json() == {"ok": True}
            assert "迪里夏提" in emu.wait_sent(uid)[0].params["text"]
        assert not any(c.method == "getUpdates" for c in emu.calls)


def test_webhook_without_a_token_fails_at_once(engine: Engine) -> None:
    settings = engine.settings.model_copy(update={"telegram_webhook_url": "https://bot.example.org/telegram/webhook"})
    with pytest.raises(BotSetupError, match="NEWSQA_TELEGRAM_TOKEN is not set"):
        create_app(settings, engine)


def test_no_webhook_route_without_a_webhook_url(engine: Engine) -> None:
    with TestClient(create_app(engine.settings, engine)) as client:
        assert client.post(WEBHOOK_PATH, json={}).status_code == 404


@pytest.mark.parametrize(
    ("token", "message"),
    [(None, "NEWSQA_TELEGRAM_TOKEN is not set"), ("not-a-token", "NEWSQA_TELEGRAM_TOKEN is malformed")],
)
def test_missing_or_malformed_token(engine: Engine, token: str | None, message: str) -> None:
    settings = engine.settings.model_copy(update={"telegram_token": SecretStr(token) if token else None})
    with pytest.raises(BotSetupError, match=message) as caught:
        build_application(settings, engine)
    assert "not-a-token" not in str(caught.value)


NEWSQA = str(Path(sys.executable).parent / "newsqa")


def _cli(emulator: BotApiEmulator, index_dir: Path, token: str | None, **env: str) -> subprocess.Popen[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    environ |= {"NEWSQA_INDEX_DIR": str(index_dir), "NEWSQA_TELEGRAM_API_BASE": emulator.base_url, **env}
    if token is not None:
        environ["NEWSQA_TELEGRAM_TOKEN"] = token
    return subprocess.Popen([NEWSQA, "bot"], env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (None, "NEWSQA_TELEGRAM_TOKEN is not set"),
        ("12345:short", "NEWSQA_TELEGRAM_TOKEN is malformed"),
        ("987654321:AAOtherTokenTheServerDoesNotKnow_123456", "Telegram rejected NEWSQA_TELEGRAM_TOKEN"),
        (TOKEN, "no index in"),
    ],
)
def test_cli_bot_setup_errors_are_one_line(
    emulator: BotApiEmulator, seed_index_dir: Path, tmp_path: Path, token: str | None, message: str
) -> None:
    proc = _cli(emulator, tmp_path if message == "no index in" else seed_index_dir, token)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1].startswith("newsqa: ") and message in lines[-1] and "Traceback" not in err
    assert not any(line.startswith("{") and '"level": "ERROR"' in line for line in lines), err
    if token:
        assert token not in out + err


def test_cli_serve_with_a_webhook_checks_the_token_first(seed_index_dir: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    environ |= {"NEWSQA_TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram/webhook", "NEWSQA_TELEGRAM_TOKEN": "oops"}
    done = subprocess.run([NEWSQA, "serve", "--index-dir", str(seed_index_dir)], env=environ, capture_output=True, text=True)
    assert done.returncode == 1 and done.stderr.strip() == (
        "newsqa: NEWSQA_TELEGRAM_TOKEN is malformed: @BotFather's tokens look like 123456789:AAH…(35 characters)"
    )


def test_cli_bot_answers_by_long_polling_and_never_logs_the_token(seed_index_dir: Path) -> None:
    with BotApiEmulator(TOKEN) as emu:
        proc = _cli(emu, seed_index_dir, TOKEN)
        try:
            emu.wait_for(lambda calls: any(c.method == "getUpdates" for c in calls) or proc.poll() is not None, timeout=180)
            assert proc.poll() is None
            uid = new_id()
            emu.fail("sendMessage", 502, chat_id=uid)  # a logged retry, too
            emu.message(emu.private_chat(uid), emu.user(uid), HIGH_COURT)
            assert "迪里夏提" in emu.wait_sent(uid)[0].params["text"]
        finally:
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert '"logger": "newsqa.telegram"' in err and "ready" in err and "retry 1" in err
    assert TOKEN not in out + err and TOKEN.split(":")[1] not in err


# ---------------------------------------------------------------- parts


def test_rate_limiter_slides() -> None:
    now = [0.0]
    limiter = RateLimiter(2, window=60, clock=lambda: now[0])
    assert limiter.acquire(1) == 0 and limiter.acquire(1) == 0
    assert limiter.acquire(1) == pytest.approx(60) and limiter.acquire(2) == 0
    now[0] = 30
    assert limiter.acquire(1) == pytest.approx(30)
    now[0] = 60.5
    assert limiter.acquire(1) == 0 and limiter.acquire(1) == 0 and limiter.acquire(1) > 0


def test_passage_cache_is_bounded_and_expires() -> None:
    now = [0.0]
    cache = PassageCache(size=2, ttl=10, clock=lambda: now[0])
    keys = [cache.put(Shown(f"<b>{i}</b>", [])) for i in range(3)]
    assert cache.get(keys[0]) is None and cache.get(keys[1]) is not None and len(cache) == 2
    assert all(len(f"p:{k}:99".encode()) <= 64 for k in keys)
    now[0] = 11
    assert cache.get(keys[2]) is None


def test_deliver_retries_only_what_can_succeed() -> None:
    async def scenario() -> None:
        attempts: list[str] = []

        async def flaky() -> str:
            attempts.append("x")
            if len(attempts) == 1:
                raise RetryAfter(0)
            if len(attempts) == 2:
                raise NetworkError("Bad Gateway")
            return "ok"

        assert await deliver(flaky, "test") == "ok" and len(attempts) == 3

        async def refused() -> str:
            attempts.append("bad")
            raise BadRequest("Can't parse entities")

        with pytest.raises(BadRequest):
            await deliver(refused, "test")
        assert attempts.count("bad") == 1

        async def down() -> str:
            attempts.append("down")
            raise NetworkError("Bad Gateway")

        with pytest.raises(NetworkError):
            await deliver(down, "test", attempts=2)
        assert attempts.count("down") == 2

    asyncio.run(scenario())


def test_sigterm_lets_a_reply_in_flight_finish_then_exits_0(seed_index_dir: Path) -> None:
    with BotApiEmulator(TOKEN) as emu:
        proc = _cli(emu, seed_index_dir, TOKEN)
        try:
            emu.wait_for(lambda calls: any(c.method == "getUpdates" for c in calls) or proc.poll() is not None, timeout=180)
            assert proc.poll() is None
            uid = new_id()
            emu.fail("sendMessage", 429, retry_after=2, chat_id=uid)  # the reply will be waiting out a flood limit
            emu.message(emu.private_chat(uid), emu.user(uid), HIGH_COURT)
            emu.wait_for(lambda calls: any(c.method == "sendMessage" and c.params.get("chat_id") == uid for c in calls))
            proc.send_signal(signal.SIGTERM)  # while the reply is still owed
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0, err
        assert "迪里夏提" in emu.sent(uid)[-1].params["text"]  # delivered after the wait, before exiting
