"""A Telegram Bot API emulator: an HTTP server on loopback that answers the methods the bot uses as the Bot API
documents them (https://core.telegram.org/bots/api), records every call, and injects faults on request.

It is strict where Telegram is: HTML must parse (supported tags only, properly nested, `<`, `>` and `&` escaped),
a message holds at most 4096 UTF-16 code units after parsing, callback data at most 64 bytes, and getUpdates
conflicts with an active webhook.
"""

import html
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MESSAGE_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
# Parameters the Bot API takes as plain strings; every other form value is JSON (numbers, booleans, objects).
STRING_PARAMS = {
    "text",
    "parse_mode",
    "action",
    "callback_query_id",
    "url",
    "secret_token",
    "inline_message_id",
    "business_connection_id",
    "language_code",
    "ip_address",
}
ENTITY_OF_TAG = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)((?:\s+[\w-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)\s*>")
_ATTR = re.compile(r"([\w-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+)))?")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def _u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's HTML parse mode: the plain text and its entities (UTF-16 offsets); ApiError(400) when it does not parse."""
    plain: list[str] = []
    length = 0
    stack: list[tuple[str, int, dict[str, str]]] = []
    entities: list[dict[str, Any]] = []
    i = 0

    def fail(why: str) -> ApiError:
        return ApiError(400, f"Bad Request: can't parse entities: {why} at byte offset {len(text[:i].encode())}")

    while i < len(text):
        ch = text[i]
        if ch == "<":
            m = _TAG.match(text, i)
            if m is None:
                raise fail('Unexpected "<"')
            closing, name, attrs = m.group(1), m.group(2).lower(), m.group(3)
            if name not in ENTITY_OF_TAG:
                raise fail(f'Unsupported start tag "{name}"')
            if closing:
                if not stack or stack[-1][0] != name:
                    raise fail(f'Unmatched end tag "{name}"')
                tag, start, values = stack.pop()
                if length > start:
                    entity: dict[str, Any] = {"type": ENTITY_OF_TAG[tag], "offset": start, "length": length - start}
                    if tag == "a":
                        entity["url"] = values["href"]
                    if tag == "blockquote" and "expandable" in values:
                        entity["type"] = "expandable_blockquote"
                    entities.append(entity)
            else:
                values = {
                    a.group(1).lower(): html.unescape(a.group(2) or a.group(3) or a.group(4) or "") for a in _ATTR.finditer(attrs)
                }
                if name == "a":
                    href = values.get("href", "")
                    if urlsplit(href).scheme not in ("http", "https", "tg"):
                        raise fail(f'Unsupported URL "{href}"')
                if name == "span" and values.get("class") != "tg-spoiler":
                    raise fail('Tag "span" must have class "tg-spoiler"')
                stack.append((name, length, values))
            i = m.end()
        elif ch == "&":
            m = _ENTITY.match(text, i)
            if m is None:
                raise fail('Unsupported HTML entity or unescaped "&"')
            char = html.unescape(m.group(0))
            plain.append(char)
            length += _u16(char)
            i = m.end()
        elif ch == ">":
            raise fail('Unexpected ">"')
        else:
            plain.append(ch)
            length += _u16(ch)
            i += 1
    if stack:
        raise ApiError(
            400, f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1][0]}\""
        )
    return "".join(plain), sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def auto_entities(text: str) -> list[dict[str, Any]]:
    """The entities Telegram detects in a user's text: a leading bot command and @mentions (UTF-16 offsets)."""
    found: list[dict[str, Any]] = []
    for m in re.finditer(r"(?:^/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?)|(?:@[A-Za-z0-9_]{5,32})", text):
        kind = "bot_command" if m.group(0).startswith("/") else "mention"
        found.append({"type": kind, "offset": _u16(text[: m.start()]), "length": _u16(m.group(0))})
    return found


@dataclass
class Call:
    """One request the bot made: method, decoded parameters, the HTTP status answered, and when (monotonic seconds)."""

    method: str
    params: dict[str, Any]
    status: int
    at: float
    result: Any = None


@dataclass
class Fault:
    """A scripted failure for the next calls of a method (optionally to one chat)."""

    method: str
    status: int | None  # None: drop the connection without an answer
    times: int
    retry_after: int | None = None
    chat_id: int | None = None


@dataclass
class _State:
    updates: list[dict[str, Any]] = field(default_factory=list)
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    webhook: dict[str, Any] | None = None
    commands: list[dict[str, Any]] = field(default_factory=list)


class BotApiEmulator:
    """The Bot API for one bot token on 127.0.0.1; unknown tokens get 401 as from Telegram."""

    def __init__(self, token: str, username: str = "newsqa_test_bot", bot_id: int = 7000001) -> None:
        self.token = token
        self.me = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "新闻问答",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self._state = _State()
        self._changed = threading.Condition()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(100)
        self._query_ids = itertools.count(1)
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                emulator._handle(self)

            def do_POST(self) -> None:
                emulator._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="botapi-emulator", daemon=True)
        self._closing = False

    # -------- lifecycle

    @property
    def base_url(self) -> str:
        """The value for NEWSQA_TELEGRAM_API_BASE (the token and method are appended)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    def __enter__(self) -> "BotApiEmulator":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        self._server.shutdown()
        self._server.server_close()

    # -------- what the bot did

    @property
    def calls(self) -> list[Call]:
        """Every call so far, in order."""
        with self._changed:
            return list(self._state.calls)

    @property
    def webhook(self) -> dict[str, Any] | None:
        """The registered webhook (url, secret_token, …), if any."""
        with self._changed:
            return self._state.webhook

    def wait_for(self, condition: Callable[[list[Call]], Any], timeout: float = 60.0) -> Any:
        """Block until `condition(calls)` is truthy and return it; AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = condition(list(self._state.calls))
                if found:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    methods = [(c.method, c.status) for c in self._state.calls[-20:]]
                    raise AssertionError(f"condition not met in {timeout} s; last calls: {methods}")
                self._changed.wait(left)

    def sent(self, chat_id: int, calls: list[Call] | None = None) -> list[Call]:
        """The messages delivered to a chat (successful sendMessage calls)."""
        return [
            c
            for c in (self.calls if calls is None else calls)
            if c.method == "sendMessage" and c.status == 200 and c.params.get("chat_id") == chat_id
        ]

    def wait_sent(self, chat_id: int, count: int = 1, timeout: float = 60.0) -> list[Call]:
        """Block until `count` messages were delivered to the chat; returns them all."""

        def enough(calls: list[Call]) -> list[Call] | None:
            found = self.sent(chat_id, calls)
            return found if len(found) >= count else None

        result: list[Call] = self.wait_for(enough, timeout)
        return result

    def fail(
        self, method: str, status: int | None, times: int = 1, retry_after: int | None = None, chat_id: int | None = None
    ) -> None:
        """Make the next `times` calls of `method` (to `chat_id`, if given) fail with `status` (None: connection dropped)."""
        with self._changed:
            self._state.faults.append(Fault(method, status, times, retry_after, chat_id))

    # -------- what users do

    def user(self, user_id: int, name: str = "测试用户") -> dict[str, Any]:
        """A Telegram User object."""
        return {"id": user_id, "is_bot": False, "first_name": name, "language_code": "zh-hans"}

    def private_chat(self, user_id: int) -> dict[str, Any]:
        """The private chat with a user (its id is the user's)."""
        return {"id": user_id, "type": "private", "first_name": "测试用户"}

    def group_chat(self, chat_id: int) -> dict[str, Any]:
        """A supergroup."""
        return {"id": chat_id, "type": "supergroup", "title": "测试群"}

    def message(
        self,
        chat: dict[str, Any],
        user: dict[str, Any],
        text: str | None = None,
        reply_to: dict[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """A user writes in a chat: the message arrives as an update (with the entities Telegram would detect)."""
        msg: dict[str, Any] = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat, "from": user}
        if text is not None:
            msg["text"] = text
            if entities := auto_entities(text):
                msg["entities"] = entities
        if reply_to is not None:
            msg["reply_to_message"] = reply_to
        msg.update(extra)
        with self._changed:
            self._state.messages[(chat["id"], msg["message_id"])] = msg
        self.push({"message": msg})
        return msg

    def press(self, user: dict[str, Any], message: dict[str, Any], data: str) -> str:
        """A user presses an inline button under a message; returns the callback query id."""
        query_id = str(next(self._query_ids))
        self.push(
            {"callback_query": {"id": query_id, "from": user, "message": message, "chat_instance": "emulated", "data": data}}
        )
        return query_id

    def stored(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """A message as Telegram holds it now (after edits)."""
        with self._changed:
            return self._state.messages[(chat_id, message_id)]

    def push(self, update: dict[str, Any]) -> int:
        """Queue a raw update for getUpdates; returns its update_id."""
        with self._changed:
            update = {"update_id": next(self._update_ids), **update}
            self._state.updates.append(update)
            self._changed.notify_all()
        return int(update["update_id"])

    # -------- the HTTP side

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        match = re.fullmatch(r"/bot([^/]+)/(\w+)", parts.path)
        try:
            params = self._params(request, parts.query)
        except ApiError as exc:
            self._reply(request, exc.code, {"ok": False, "error_code": exc.code, "description": exc.description})
            return
        if match is None:
            self._reply(request, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        token, method = match.groups()
        if token != self.token:
            self._reply(request, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        fault = self._take_fault(method, params)
        if fault is not None:
            self._record(Call(method, params, fault.status or 0, time.monotonic()))
            if fault.status is None:
                request.close_connection = True
                return  # no answer at all: the client sees the connection close
            body: dict[str, Any] = {"ok": False, "error_code": fault.status}
            if fault.status == 429:
                body["description"] = f"Too Many Requests: retry after {fault.retry_after}"
                body["parameters"] = {"retry_after": fault.retry_after}
            else:
                body["description"] = {500: "Internal Server Error", 502: "Bad Gateway"}.get(fault.status, "Server Error")
            self._reply(request, fault.status, body)
            return
        try:
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            result = handler(params)
        except ApiError as exc:
            self._record(Call(method, params, exc.code, time.monotonic(), exc.description))
            body = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.parameters:
                body["parameters"] = exc.parameters
            self._reply(request, exc.code, body)
            return
        self._record(Call(method, params, 200, time.monotonic(), result))
        self._reply(request, 200, {"ok": True, "result": result})

    @staticmethod
    def _params(request: BaseHTTPRequestHandler, query: str) -> dict[str, Any]:
        raw: dict[str, str] = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        kind = (request.headers.get("Content-Type") or "").split(";")[0].strip()
        if body and kind == "application/json":
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ApiError(400, "Bad Request: parameters must be a JSON object")
            return data
        if body and kind == "application/x-www-form-urlencoded":
            raw.update({k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()})
        elif body:
            raise ApiError(400, f"Bad Request: the emulator does not take {kind or 'this body'}")
        params: dict[str, Any] = {}
        for key, value in raw.items():
            if key in STRING_PARAMS:
                params[key] = value
                continue
            try:
                params[key] = json.loads(value)
            except ValueError:
                params[key] = value
        return params

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a long poll cut short at shutdown)

    def _record(self, call: Call) -> None:
        with self._changed:
            self._state.calls.append(call)
            self._changed.notify_all()

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        with self._changed:
            for fault in self._state.faults:
                if fault.method == method and fault.times > 0 and fault.chat_id in (None, params.get("chat_id")):
                    fault.times -= 1
                    return fault
        return None

    # -------- methods

    def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.me

    def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = min(int(params.get("limit") or 100), 100)
        timeout = float(params.get("timeout") or 0)
        allowed = params.get("allowed_updates") or None
        deadline = time.monotonic() + timeout
        with self._changed:
            if self._state.webhook is not None:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            # Asking from `offset` confirms every earlier update: Telegram forgets them.
            self._state.updates = [u for u in self._state.updates if u["update_id"] >= offset]
            while True:
                ready = [u for u in self._state.updates if allowed is None or any(k in u for k in allowed)]
                left = deadline - time.monotonic()
                if ready or left <= 0 or self._closing:
                    return ready[:limit]
                self._changed.wait(left)

    def _chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        kind = "private" if chat_id > 0 else "supergroup"
        return {"id": chat_id, "type": kind} | ({"first_name": "测试用户"} if kind == "private" else {"title": "测试群"})

    def _formatted(self, params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        text = params.get("text")
        if not isinstance(text, str):
            raise ApiError(400, "Bad Request: message text is empty")
        mode = (params.get("parse_mode") or "").lower()
        plain, entities = parse_html(text) if mode == "html" else (text, [])
        if not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if _u16(plain) > MESSAGE_LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        return plain, entities

    @staticmethod
    def _check_markup(params: dict[str, Any]) -> None:
        markup = params.get("reply_markup")
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        plain, entities = self._formatted(params)
        self._check_markup(params)
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self.me,
            "text": plain,
        }
        if entities:
            msg["entities"] = entities
        if params.get("reply_markup"):
            msg["reply_markup"] = params["reply_markup"]
        reply = params.get("reply_parameters")
        with self._changed:
            if reply and (chat["id"], reply["message_id"]) in self._state.messages:
                msg["reply_to_message"] = self._state.messages[(chat["id"], reply["message_id"])]
            elif reply and not reply.get("allow_sending_without_reply"):
                raise ApiError(400, "Bad Request: message to be replied not found")
            self._state.messages[(chat["id"], msg["message_id"])] = msg
        return msg

    def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        plain, entities = self._formatted(params)
        self._check_markup(params)
        with self._changed:
            msg = self._state.messages.get((chat["id"], int(params.get("message_id") or 0)))
            if msg is None:
                raise ApiError(400, "Bad Request: message to edit not found")
            if msg.get("from", {}).get("id") != self.me["id"]:
                raise ApiError(400, "Bad Request: message can't be edited")
            if (
                msg.get("text") == plain
                and msg.get("entities", []) == entities
                and msg.get("reply_markup") == params.get("reply_markup")
            ):
                raise ApiError(
                    400,
                    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
                    "the same as a current content and reply markup of the message",
                )
            msg = {**msg, "text": plain, "entities": entities, "edit_date": int(time.time())}
            if params.get("reply_markup"):
                msg["reply_markup"] = params["reply_markup"]
            else:
                msg.pop("reply_markup", None)
            self._state.messages[(chat["id"], msg["message_id"])] = msg
        return msg

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        if not params.get("callback_query_id"):
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        if len(params.get("text") or "") > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    def _api_sendChatAction(self, params: dict[str, Any]) -> bool:
        self._chat(params)
        if params.get("action") not in ("typing", "upload_photo", "record_video", "upload_document", "find_location"):
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or not all(re.fullmatch(r"[a-z0-9_]{1,32}", c.get("command", "")) for c in commands):
            raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        with self._changed:
            self._state.commands = commands
        return True

    def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        with self._changed:
            self._state.webhook = None
            if params.get("drop_pending_updates"):
                self._state.updates.clear()
        return True

    def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url") or ""
        if url and urlsplit(url).scheme != "https":
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        with self._changed:
            self._state.webhook = {k: v for k, v in params.items()} if url else None
        return True


def iter_texts(calls: list[Call]) -> Iterator[str]:
    """The HTML texts of the given sendMessage/editMessageText calls."""
    for c in calls:
        if isinstance(c.params.get("text"), str):
            yield c.params["text"]
