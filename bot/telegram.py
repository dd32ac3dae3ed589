"""Telegram front door (python-telegram-bot 22): questions in chats, cited answers back, by long polling or webhook.

A thin adapter over Engine, like bot/http.py: handlers parse the update, the engine answers off the event loop,
bot/render.py formats, and every outgoing call goes through `deliver`, which waits out flood limits and retries
server and network failures. Domain errors are mapped to messages in one place, the error handler.
"""

import asyncio
import hashlib
import hmac
import logging
import math
import random
import re
import secrets
import time
import warnings
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from telegram import (
    BotCommand,
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBDeprecationWarning

from bot.limits import RateLimiter
from bot.render import (
    MESSAGE_LIMIT,
    render_help,
    render_passage,
    render_sources,
    render_telegram,
    split_html,
    utf16_length,
    visible_text,
)
from retrieval import crosslingual
from retrieval.answer import MAX_HISTORY, Citation
from retrieval.conversation import Turn
from retrieval.engine import Engine
from retrieval.errors import BadQuery, NewsqaError
from retrieval.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger("newsqa.telegram")

App = Application[Any, Any, Any, Any, Any, Any]
Context = ContextTypes.DEFAULT_TYPE
T = TypeVar("T")

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
# What @BotFather hands out: the bot's numeric id, a colon, then 35 URL-safe characters.
TOKEN_FORMAT = re.compile(r"\d{1,20}:[A-Za-z0-9_-]{30,64}")
PASSAGES_PER_ANSWER = 5  # k: passages an answer is drawn from
TYPING_EVERY = 4.0  # Telegram shows a chat action for about 5 seconds
SEND_ATTEMPTS = 6  # server or network failures in a row before a call is given up (429s are always waited out)
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 30.0
CACHE_SIZE, CACHE_TTL = 4096, 48 * 3600.0  # answers whose buttons still work, and for how long (seconds)
CALLBACK = re.compile(r"p:([A-Za-z0-9_-]{1,24}):(\d{1,3})")
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
COMMANDS = [
    BotCommand("ask", "提问，例如 /ask 自治区高院院长是谁？"),
    BotCommand("new", "开始新对话：之后的问题不再接着前面的问"),
    BotCommand("sources", "新闻来源和时间范围"),
    BotCommand("help", "我知道什么、怎么问"),
]

NEW_CONVERSATION = "好的，开始新对话。"
NOT_TEXT = "我只能读文字。请用文字提问，例如：自治区高院院长是谁？"
EMPTY_QUESTION = "请把问题写在 /ask 后面，例如：/ask 自治区高院院长是谁？"
UNKNOWN_COMMAND = "没有这个命令。发送 /help 查看用法。"
EXPIRED = "这个按钮已过期，请重新提问。"
NOT_ALLOWED = "抱歉，这个机器人只在指定的聊天中提供服务。"
FAILED = "抱歉，处理时出了点问题，请稍后再试。"
UNAVAILABLE = "知识库暂时不可用，请稍后再试。"
BAD_QUESTION = "这个问题我没法处理，请换个说法再问。"


class BotSetupError(NewsqaError):
    """The Telegram bot cannot start: no token, a malformed or rejected one, or the Bot API is unreachable."""

    kind = "bot-setup"


# ---------------------------------------------------------------- token and addresses


def bot_token(settings: Settings) -> str:
    """The bot token; BotSetupError (that never shows the token) when it is missing or malformed."""
    token = settings.telegram_token.get_secret_value().strip() if settings.telegram_token else ""
    if not token:
        raise BotSetupError("NEWSQA_TELEGRAM_TOKEN is not set: create a bot with @BotFather and put its token in the environment")
    if not TOKEN_FORMAT.fullmatch(token):
        raise BotSetupError("NEWSQA_TELEGRAM_TOKEN is malformed: @BotFather's tokens look like 123456789:AAH…(35 characters)")
    return token


def _file_base(api_base: str) -> str:
    # Telegram serves files from …/file/bot<token>/<path> beside …/bot<token>/<method>.
    return api_base[: -len("bot")] + "file/bot" if api_base.endswith("/bot") else api_base


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram sends with each webhook call: NEWSQA_TELEGRAM_WEBHOOK_SECRET, or one derived from the token."""
    if settings.telegram_webhook_secret is not None and settings.telegram_webhook_secret.get_secret_value():
        return settings.telegram_webhook_secret.get_secret_value()
    # Derived, so every worker and every restart agrees on it without another setting.
    return hashlib.sha256(b"newsqa-telegram-webhook:" + bot_token(settings).encode()).hexdigest()


# ---------------------------------------------------------------- flood limits, retries, rate limit, button cache


def _retry_after(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 warns that retry_after becomes a timedelta; accept both.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def deliver(call: Callable[[], Awaitable[T]], what: str, attempts: int = SEND_ATTEMPTS) -> T:
    """Make a Bot API call: wait out flood limits (429 with retry_after), back off and retry on server (5xx) and
    network errors; Telegram's refusals (400, 403) are raised at once."""
    delay = BACKOFF_FIRST
    failures = 0
    while True:
        try:
            return await call()
        except RetryAfter as exc:
            wait = _retry_after(exc)
            log.warning("%s: flood limit, retrying in %.1f s", what, wait)
            await asyncio.sleep(wait)
        except BadRequest:
            raise  # a NetworkError subclass, but the request itself is wrong: retrying cannot help
        except NetworkError as exc:  # 5xx, connection failures and timeouts
            failures += 1
            if failures >= attempts:
                raise
            # A timed-out send may have arrived: a rare duplicate is better than a lost answer.
            pause = min(delay, BACKOFF_MAX) * random.uniform(1.0, 1.5)
            log.warning("%s failed (%s), retry %d in %.1f s", what, exc, failures, pause)
            await asyncio.sleep(pause)
            delay *= 2


@dataclass
class Shown:
    """An answer message whose buttons show its cited passages: its own HTML, the citations, the passage open now."""

    html: str
    citations: list[Citation]
    open: int | None = None


class PassageCache:
    """Answers behind the citation buttons, by a short random key (Telegram's callback data holds 64 bytes):
    bounded, least recently used out first, and expiring."""

    def __init__(self, size: int = CACHE_SIZE, ttl: float = CACHE_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.size = size
        self.ttl = ttl
        self.clock = clock
        self._items: OrderedDict[str, tuple[float, Shown]] = OrderedDict()

    def put(self, shown: Shown) -> str:
        """Keep `shown`; returns its key."""
        key = secrets.token_urlsafe(9)
        self._items[key] = (self.clock() + self.ttl, shown)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return key

    def get(self, key: str) -> Shown | None:
        """The answer under `key`, or None when it expired or was pushed out."""
        item = self._items.get(key)
        if item is None:
            return None
        if item[0] < self.clock():
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return item[1]

    def __len__(self) -> int:
        return len(self._items)


class ConversationMemory:
    """What the bot remembers of conversations, in memory only (a restart forgets it all): per private chat its last
    turns while they are fresh, and per answer sent the turns that led to it, so a reply to that answer continues its
    thread. Bounded: at most MAX_HISTORY turns per thread, MAX_THREADS threads and MAX_CHATS chats, oldest dropped."""

    MAX_THREADS = 20_000
    MAX_CHATS = 10_000

    def __init__(self, minutes: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = minutes * 60.0
        self.clock = clock
        self._chats: OrderedDict[int, tuple[float, tuple[Turn, ...]]] = OrderedDict()
        self._threads: OrderedDict[tuple[int, int], tuple[Turn, ...]] = OrderedDict()

    def recent(self, chat_id: int) -> tuple[Turn, ...]:
        """The private chat's turns, if its last answer is recent enough."""
        found = self._chats.get(chat_id)
        if found is None or self.clock() - found[0] > self.window:
            self._chats.pop(chat_id, None)
            return ()
        return found[1]

    def thread(self, chat_id: int, message_id: int) -> tuple[Turn, ...]:
        """The turns up to and including the answer sent as `message_id`."""
        return self._threads.get((chat_id, message_id), ())

    def remember(self, chat_id: int, message_ids: Sequence[int], turns: Sequence[Turn], private: bool) -> None:
        """Store a new answer's thread under the messages that carried it (and as the private chat's latest)."""
        kept = tuple(turns)[-MAX_HISTORY:]
        for message_id in message_ids:
            self._threads[(chat_id, message_id)] = kept
            self._threads.move_to_end((chat_id, message_id))
        if private:
            self._chats[chat_id] = (self.clock(), kept)
            self._chats.move_to_end(chat_id)
        while len(self._threads) > self.MAX_THREADS:
            self._threads.popitem(last=False)
        while len(self._chats) > self.MAX_CHATS:
            self._chats.popitem(last=False)

    def forget(self, chat_id: int) -> None:
        """/new: the chat starts afresh (replies to older answers still continue their own threads)."""
        self._chats.pop(chat_id, None)


def citation_keyboard(key: str, citations: Sequence[Citation], open_n: int | None = None) -> InlineKeyboardMarkup:
    """One button per citation, [1] [2] …, eight to a row; the open one closes its passage again."""
    buttons = [
        InlineKeyboardButton(f"[{c.n}] 收起" if c.n == open_n else f"[{c.n}]", callback_data=f"p:{key}:{c.n}") for c in citations
    ]
    return InlineKeyboardMarkup([buttons[i : i + 8] for i in range(0, len(buttons), 8)])


class InOrderPerSender(BaseUpdateProcessor):
    """Updates run concurrently, except that one person's updates in one chat run in the order they were sent: two quick
    questions in a private chat get their answers in that order."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[tuple[int, int], tuple[asyncio.Lock, int]] = {}  # sender → (lock, updates holding or awaiting it)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Await `coroutine` once earlier updates from the same sender in the same chat are done."""
        chat = update.effective_chat if isinstance(update, Update) else None
        user = update.effective_user if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        key = (chat.id, user.id if user else 0)
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]  # nobody else waits: forget the sender (memory stays bounded)
            else:
                self._locks[key] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


# ---------------------------------------------------------------- the conversation


def _without(text: str, entities: Sequence[MessageEntity]) -> str:
    """`text` with the given entities cut out (their offsets count UTF-16 code units)."""
    units = text.encode("utf-16-le")
    for e in sorted(entities, key=lambda e: -e.offset):
        units = units[: e.offset * 2] + units[(e.offset + e.length) * 2 :]
    return units.decode("utf-16-le", errors="ignore")


class Conversation:
    """The bot's handlers over one Engine: commands, questions, citation buttons, the allow-list and the error handler."""

    def __init__(self, settings: Settings, engine: Engine, strict_load: bool = False, watch_index: bool = False) -> None:
        self.settings = settings
        self.engine = engine
        self.strict_load = strict_load
        self.watch_index = watch_index
        self.limiter = RateLimiter(settings.telegram_rate_limit)
        self.passages = PassageCache()
        self.memory = ConversationMemory(settings.conversation_minutes)
        self.allowed = settings.allowed_chat_ids
        self._summary: tuple[object, dict[str, Any]] | None = None
        self._watcher: asyncio.Task[None] | None = None

    def install(self, application: App) -> None:
        """Register the handlers on `application`."""
        if self.allowed:
            application.add_handler(TypeHandler(Update, self.gate), group=-1)
        message = filters.UpdateType.MESSAGE
        application.add_handler(CommandHandler(["start", "help"], self.help, filters=message))
        application.add_handler(CommandHandler("sources", self.sources, filters=message))
        application.add_handler(CommandHandler("ask", self.ask, filters=message))
        application.add_handler(CommandHandler("new", self.new, filters=message))
        application.add_handler(MessageHandler(message & filters.TEXT & ~filters.COMMAND, self.text))
        application.add_handler(MessageHandler(message & filters.COMMAND & filters.ChatType.PRIVATE, self.unknown_command))
        application.add_handler(MessageHandler(message & ~filters.TEXT & ~filters.StatusUpdate.ALL, self.not_text))
        application.add_handler(CallbackQueryHandler(self.button))
        application.add_error_handler(self.error)

    # -------- lifecycle

    async def post_init(self, application: App) -> None:
        """Load the encoder and index once (off the event loop) and publish the command list."""
        if not self.engine.ready:
            await asyncio.to_thread(self.engine.load, self.strict_load)
        await asyncio.to_thread(crosslingual.warm_up)  # the English → Chinese glossary, not on the first English question
        if self.watch_index and self._watcher is None:
            self._watcher = asyncio.create_task(self._watch())
        try:
            await deliver(lambda: application.bot.set_my_commands(COMMANDS), "setMyCommands")
        except TelegramError as exc:  # cosmetic: the bot works without the command menu
            log.warning("could not set the command list: %s", exc)
        log.info(
            "telegram bot @%s ready (%s)", application.bot.username, "index loaded" if self.engine.ready else self.engine.error
        )

    async def post_shutdown(self, application: App) -> None:
        """Stop watching for new indexes."""
        if self._watcher is not None:
            self._watcher.cancel()
            with suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None

    async def _watch(self) -> None:
        # A new `newsqa index` switches CURRENT atomically: the bot picks it up as the HTTP app does.
        while True:
            await asyncio.sleep(self.settings.reload_interval)
            try:
                await asyncio.to_thread(self.engine.reload_if_changed)
            except Exception:  # never let the watcher die; the old index keeps serving
                log.exception("index reload failed")

    # -------- helpers

    def summary(self) -> dict[str, Any]:
        """Articles, outlets and date range of the served corpus, recomputed only when a new index is served."""
        searcher = self.engine.searcher
        if self._summary is None or self._summary[0] is not searcher:
            self._summary = (searcher, self.engine.corpus_summary())
        return self._summary[1]

    @staticmethod
    async def say(
        context: Context,
        chat: Chat,
        html: str,
        reply_to: Message | None = None,
        markup: InlineKeyboardMarkup | None = None,
        thread: int | None = None,
    ) -> Message:
        """Send one HTML message to `chat` (as a reply to `reply_to` in groups, in its forum topic), retrying until
        delivered."""
        if reply_to is not None and reply_to.is_topic_message:
            thread = reply_to.message_thread_id
        replying = ReplyParameters(reply_to.message_id, allow_sending_without_reply=True) if reply_to is not None else None
        return await deliver(
            lambda: context.bot.send_message(
                chat.id,
                html,
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                reply_parameters=replying if chat.type != ChatType.PRIVATE else None,
                message_thread_id=thread,
                reply_markup=markup,
            ),
            "sendMessage",
        )

    @asynccontextmanager
    async def typing(self, context: Context, message: Message) -> AsyncIterator[None]:
        """Show "typing…" in the chat while the block runs."""
        thread = message.message_thread_id if message.is_topic_message else None

        async def show() -> None:
            try:
                await context.bot.send_chat_action(message.chat_id, ChatAction.TYPING, message_thread_id=thread)
            except TelegramError as exc:  # cosmetic: never fail an answer over it
                log.debug("chat action failed: %s", exc)

        await show()

        async def keep_showing() -> None:
            while True:
                await asyncio.sleep(TYPING_EVERY)
                await show()

        task = asyncio.create_task(keep_showing())
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    def _to_me(self, message: Message, bot_id: int, username: str | None) -> list[MessageEntity] | None:
        """The entities that mention this bot in `message` (empty: a reply to it), or None when it is not addressed."""
        mentions = [
            e
            for e, text in message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).items()
            if (e.type == MessageEntity.MENTION and username and text.lower() == f"@{username.lower()}")
            or (e.type == MessageEntity.TEXT_MENTION and e.user is not None and e.user.id == bot_id)
        ]
        if mentions:
            return mentions
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
            return []
        return None

    async def answer(self, context: Context, message: Message, question: str) -> None:
        """Answer `question` in the message's chat: checks, typing, the engine off the event loop, the rendered reply."""
        question = question.strip()
        if not question:
            await self.say(context, message.chat, EMPTY_QUESTION, message)
            return
        limit = self.settings.max_question_chars
        if len(question) > limit:
            await self.say(context, message.chat, f"问题太长了（{len(question)} 字）。请精简到 {limit} 字以内再问。", message)
            return
        wait = self.limiter.acquire(message.from_user.id if message.from_user else message.chat_id)
        if wait:
            notice = f"提问太频繁了：每人每分钟最多 {self.limiter.per_minute} 个问题。请 {math.ceil(wait)} 秒后再试。"
            await self.say(context, message.chat, notice, message)
            return
        private = message.chat.type == ChatType.PRIVATE
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and replied.from_user.id == context.bot.id:
            history = self.memory.thread(message.chat_id, replied.message_id)  # a reply continues that answer's thread
        else:
            history = self.memory.recent(message.chat_id) if private else ()  # in groups, never another's context
        async with self.typing(context, message):
            reply = await asyncio.to_thread(self.engine.answer, question, PASSAGES_PER_ANSWER, None, list(history))
        parts = render_telegram(reply)
        markup = None
        if reply.citations:
            key = self.passages.put(Shown(parts[-1], reply.citations))
            markup = citation_keyboard(key, reply.citations)
        thread = message.message_thread_id if message.is_topic_message else None  # later parts stay in the topic
        sent: list[int] = []
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            shown = await self.say(context, message.chat, part, message if i == 0 else None, markup if last else None, thread)
            sent.append(shown.message_id)
        ids = tuple(dict.fromkeys(c.article_id for c in reply.citations)) if not reply.abstained else ()
        turn = Turn(question, reply.answer, reply.short_answer, reply.standalone_question, ids)
        self.memory.remember(message.chat_id, sent, [*history, turn], private)

    # -------- handlers

    async def gate(self, update: Update, context: Context) -> None:
        """Allow-list: updates from other chats stop here (private chats are told why)."""
        chat = update.effective_chat
        if chat is None or chat.id in self.allowed:
            return
        log.info("update from chat %s outside the allow-list ignored", chat.id)
        if update.callback_query is not None:
            with suppress(TelegramError):
                await update.callback_query.answer(NOT_ALLOWED)
        elif update.message is not None and chat.type == ChatType.PRIVATE:
            await self.say(context, chat, NOT_ALLOWED)
        raise ApplicationHandlerStop

    async def help(self, update: Update, context: Context) -> None:
        """/start and /help: what the bot knows and how to ask."""
        if update.message is None:
            return
        limit, minutes = self.settings.max_question_chars, self.settings.conversation_minutes
        text = render_help(self.summary(), context.bot.username, limit, minutes)
        await self.say(context, update.message.chat, text, update.message)

    async def new(self, update: Update, context: Context) -> None:
        """/new: forget this chat's conversation; the next question starts afresh."""
        if update.message is None:
            return
        self.memory.forget(update.message.chat_id)
        await self.say(context, update.message.chat, NEW_CONVERSATION, update.message)

    async def sources(self, update: Update, context: Context) -> None:
        """/sources: the outlets and date range of the corpus."""
        if update.message is None:
            return
        await self.say(context, update.message.chat, render_sources(self.summary()), update.message)

    async def ask(self, update: Update, context: Context) -> None:
        """/ask <question>, in any chat."""
        message = update.message
        if message is None or message.text is None:
            return
        await self.answer(context, message, re.sub(r"^/\S*", "", message.text, count=1))

    async def text(self, update: Update, context: Context) -> None:
        """Plain text: a question in private chats; in groups only when it mentions the bot or replies to it."""
        message = update.message
        if message is None or message.text is None:
            return
        if message.chat.type == ChatType.PRIVATE:
            await self.answer(context, message, message.text)
            return
        mentions = self._to_me(message, context.bot.id, context.bot.username)
        if mentions is not None:
            await self.answer(context, message, _without(message.text, mentions))

    async def unknown_command(self, update: Update, context: Context) -> None:
        """A command the bot does not know, in a private chat."""
        if update.message is not None:
            await self.say(context, update.message.chat, UNKNOWN_COMMAND)

    async def not_text(self, update: Update, context: Context) -> None:
        """Stickers, photos, voice…: a hint, where the message was meant for the bot."""
        message = update.message
        if message is None:
            return
        if message.chat.type == ChatType.PRIVATE or self._to_me(message, context.bot.id, context.bot.username) is not None:
            await self.say(context, message.chat, NOT_TEXT, message)

    async def button(self, update: Update, context: Context) -> None:
        """A citation button: open its passage under the answer (or close it); expired buttons get a notice."""
        query = update.callback_query
        if query is None:
            return
        match = CALLBACK.fullmatch(query.data or "")
        shown = self.passages.get(match.group(1)) if match else None
        number = int(match.group(2)) if match else 0
        citation = next((c for c in shown.citations if c.n == number), None) if shown else None
        if match is None or shown is None or citation is None or not isinstance(query.message, Message):
            await deliver(lambda: query.answer(EXPIRED), "answerCallbackQuery")
            return
        await deliver(lambda: query.answer(), "answerCallbackQuery")
        await self._toggle(context, query, query.message, match.group(1), shown, citation)

    async def _toggle(
        self, context: Context, query: CallbackQuery, message: Message, key: str, shown: Shown, citation: Citation
    ) -> None:
        passage = render_passage(citation)
        opening = shown.open != citation.n
        html = f"{shown.html}\n\n{passage}" if opening else shown.html
        if utf16_length(visible_text(html)) > MESSAGE_LIMIT:
            # Too long to show under the answer: the passage comes as a message of its own.
            for part in split_html(passage):
                await self.say(context, message.chat, part, message)
            return
        shown.open = citation.n if opening else None
        try:
            await deliver(
                lambda: query.edit_message_text(
                    html,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=NO_PREVIEW,
                    reply_markup=citation_keyboard(key, shown.citations, shown.open),
                ),
                "editMessageText",
            )
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():  # a double tap: the message already shows this
                raise

    async def error(self, update: object, context: Context) -> None:
        """The one error handler: log the failure, tell the user briefly (no details)."""
        exc = context.error
        if isinstance(exc, BadQuery):
            log.info("question refused: %s", exc)
            notice = BAD_QUESTION
        elif isinstance(exc, NewsqaError):
            log.warning("cannot answer: %s", exc)
            notice = UNAVAILABLE
        elif isinstance(exc, Forbidden):
            log.info("cannot write to the chat (the bot was blocked or removed): %s", exc)
            return
        else:
            update_id = update.update_id if isinstance(update, Update) else None
            log.error("telegram update %s failed", update_id, exc_info=exc)
            notice = FAILED
        if not isinstance(update, Update):
            return
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(notice)
            elif update.effective_chat is not None:
                await self.say(context, update.effective_chat, notice, update.effective_message)
        except TelegramError as failure:
            log.warning("could not tell the user about the failure: %s", failure)


# ---------------------------------------------------------------- building and running


def build_application(
    settings: Settings, engine: Engine, polling: bool = True, strict_load: bool = False, watch_index: bool = False
) -> App:
    """The PTB application for `settings` over `engine`: Bot API at NEWSQA_TELEGRAM_API_BASE, handlers installed,
    the engine loaded in post_init. Raises BotSetupError for a missing or malformed token."""
    token = bot_token(settings)
    conversation = Conversation(settings, engine, strict_load=strict_load, watch_index=watch_index)
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_api_base)
        .base_file_url(_file_base(settings.telegram_api_base))
        .concurrent_updates(InOrderPerSender())  # one slow answer must not hold up everyone else
        .post_init(conversation.post_init)
        .post_shutdown(conversation.post_shutdown)
    )
    if not polling:
        builder = builder.updater(None)
    application: App = builder.build()
    conversation.install(application)
    return application


def poll(
    application: App,
    stop_signals: Sequence[int] | None = None,
    poll_timeout: float = 10.0,
    loop: asyncio.AbstractEventLoop | None = None,
) -> None:
    """Long-poll Telegram with `application` until stopped; startup failures become one-line BotSetupErrors.
    `stop_signals` None keeps PTB's defaults (SIGINT, SIGTERM); pass () when not on the main thread."""
    loop = loop or asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # Initialize (getMe) here rather than inside run_polling, so a rejected token is one line, not PTB's traceback.
    try:
        loop.run_until_complete(deliver(application.initialize, "getMe", attempts=4))
    except InvalidToken:
        loop.run_until_complete(application.bot.shutdown())  # the HTTP clients; the application never started
        loop.close()
        raise BotSetupError("Telegram rejected NEWSQA_TELEGRAM_TOKEN: check the token with @BotFather") from None
    except TelegramError as exc:
        loop.run_until_complete(application.bot.shutdown())  # the HTTP clients; the application never started
        loop.close()
        raise BotSetupError(f"cannot reach the Telegram Bot API: {exc}".replace(application.bot.token, "***")) from None
    kwargs: dict[str, Any] = {} if stop_signals is None else {"stop_signals": stop_signals}
    application.run_polling(
        poll_interval=0.0, timeout=timedelta(seconds=poll_timeout), allowed_updates=ALLOWED_UPDATES, close_loop=True, **kwargs
    )


def run_polling(settings: Settings, engine: Engine | None = None) -> None:
    """`newsqa bot`: run the Telegram bot with long polling until interrupted (JSON logs, token redacted)."""
    from bot.logs import configure_logging

    token = bot_token(settings)
    configure_logging(secrets=[token])
    engine = engine or Engine(settings)
    poll(build_application(settings, engine, strict_load=True, watch_index=True))


# ---------------------------------------------------------------- webhook


async def _start_webhook(application: App, settings: Settings, secret: str) -> None:
    """Initialize the bot and register the webhook, retrying while Telegram is unreachable."""
    delay = 1.0
    url = settings.telegram_webhook_url or ""
    while True:
        try:
            await application.initialize()
            if application.post_init is not None:
                await application.post_init(application)
            if not application.running:
                await application.start()
            await deliver(
                lambda: application.bot.set_webhook(url, allowed_updates=ALLOWED_UPDATES, secret_token=secret), "setWebhook"
            )
            log.info("telegram webhook registered at %s", url)
            return
        except InvalidToken:
            log.error("Telegram rejected NEWSQA_TELEGRAM_TOKEN: the webhook stays off (check the token with @BotFather)")
            return
        except TelegramError as exc:
            log.warning("telegram webhook not registered (%s), retrying in %.0f s", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)


def mount_webhook(app: "FastAPI", settings: Settings, engine: Engine) -> App:
    """Serve Telegram updates at POST /telegram/webhook on `app` (secret-token header checked); the bot starts and
    registers the webhook with the app's lifespan. Raises BotSetupError for a missing or malformed token."""
    from fastapi import Request
    from fastapi.responses import JSONResponse, Response

    from bot.http import problem

    application = build_application(settings, engine, polling=False)
    secret = webhook_secret(settings).encode()
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(instance: Any) -> AsyncIterator[Any]:
        async with inner(instance) as state:
            starting = asyncio.create_task(_start_webhook(application, settings, secret.decode()))
            try:
                yield state
            finally:
                starting.cancel()
                with suppress(asyncio.CancelledError):
                    await starting
                if application.running:
                    await application.stop()
                await application.shutdown()
                if application.post_shutdown is not None:
                    await application.post_shutdown(application)

    app.router.lifespan_context = lifespan

    @app.post(WEBHOOK_PATH, include_in_schema=False)
    async def telegram_webhook(request: Request) -> Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), secret):
            return problem(403, "Forbidden", "the Telegram secret token is missing or wrong", "forbidden")
        if not application.running:
            return problem(503, "Not ready", "the Telegram bot is starting", "not-ready")  # Telegram retries later
        try:
            data = await request.json()
            update = Update.de_json(data, application.bot) if isinstance(data, dict) else None
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):  # not JSON, not an update, too deep
            update = None
        if update is None:
            return problem(400, "Invalid input", "the body is not a Telegram update", "validation")
        # Answer Telegram at once; the application answers the user from its queue.
        await application.update_queue.put(update)
        return JSONResponse({"ok": True})

    return application
