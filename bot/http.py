"""FastAPI app: the JSON API for web clients, the web page, health and metrics. A thin adapter over Engine."""

import asyncio
import hashlib
import hmac
import json
import logging
import math
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import Depends, FastAPI, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, Info, generate_latest
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.limits import RateLimiter
from bot.logs import configure_logging, request_id_var
from retrieval import __version__, crosslingual
from retrieval.answer import MAX_HISTORY
from retrieval.conversation import Turn
from retrieval.engine import Engine
from retrieval.errors import BadQuery, IndexMissing, NewsqaError, NotFound
from retrieval.search import Filters
from retrieval.settings import Settings

log = logging.getLogger("newsqa.http")

MAX_BODY_BYTES = 64 * 1024
MAX_K = 20
ARTICLE_ID = r"^[0-9A-Za-z_.:-]{1,120}$"
PROBLEM = "application/problem+json"
# HTTP methods that may appear as metric labels; any other (clients can invent them) is counted as "other".
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Domain errors → HTTP status. Bad input is the client's (4xx); a missing or broken index is the service's (503).
STATUS = {BadQuery: 422, NotFound: 404, IndexMissing: 503}


# ---------------------------------------------------------------- request and response models

Question = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
IsoDate = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]


class FiltersIn(BaseModel):
    """Optional restrictions of the corpus searched."""

    model_config = ConfigDict(extra="forbid")
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = Field(
        None, description="outlet name or part of it", examples=["新疆平安网"]
    )
    date_from: IsoDate | None = Field(None, description="earliest publication date, YYYY-MM-DD", examples=["2022-01-01"])
    date_to: IsoDate | None = Field(None, description="latest publication date, YYYY-MM-DD", examples=["2023-12-31"])


MAX_TURN_ANSWER_CHARS = 5_000


class TurnIn(BaseModel):
    """One earlier exchange of the conversation, as the client showed it."""

    model_config = ConfigDict(extra="forbid")
    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    answer: Annotated[str, StringConstraints(max_length=MAX_TURN_ANSWER_CHARS)]


class AskIn(BaseModel):
    """A question to answer from the corpus."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"question": "自治区高院院长是谁？", "k": 5, "filters": {"date_from": "2023-01-01"}}]},
    )
    question: Question = Field(description="the question, in Chinese (1–500 characters after stripping)")
    k: int = Field(5, ge=1, le=MAX_K, strict=True, description="passages to draw the answer from")
    filters: FiltersIn | None = None
    history: list[TurnIn] | None = Field(
        None,
        max_length=MAX_HISTORY,
        description="up to 10 earlier turns of the conversation, oldest first; a follow-up (他呢？) is read against them",
    )


class CitationOut(BaseModel):
    """A numbered source of the answer."""

    n: int
    article_id: str
    chunk_id: str
    title: str
    source: str | None
    date: str | None
    url: str | None
    quote: str = Field(description="the sentence(s) of the passage used in the answer")
    passage: str = Field(description="the whole passage")
    score: float


class TimeWindowOut(BaseModel):
    """The date window an answer was restricted to, and where it came from."""

    from_: str | None = Field(alias="from")
    to: str | None
    source: str = Field(description='"question" (a time in the question) or "filter" (explicit filters)')


class AskOut(BaseModel):
    """An answer with numbered citations, or an abstention."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "question": "自治区高院院长是谁？",
                    "standalone_question": "自治区高院院长是谁？",
                    "short_answer": "迪里夏提·沙依木",
                    "answer": "自治区高院院长迪里夏提·沙依木、自治区检察院检察长高继明出席会议并讲话。[1]",
                    "abstained": False,
                    "citations": [
                        {
                            "n": 1,
                            "article_id": "000_3f7618c90cdecb59",
                            "chunk_id": "…",
                            "title": "自治区高院、检察院举行首次交流会商会",
                            "source": "新疆平安网",
                            "date": "2023-12-16",
                            "url": "http://www.xjpeace.cn/content/2023-12/15/content_49975.html",
                            "quote": "自治区高院院长迪里夏提·沙依木、自治区检察院检察长高继明出席会议并讲话。",
                            "passage": "…",
                            "score": 1.9,
                        }
                    ],
                    "timings_ms": {"encode": 20.0, "search": 2.0, "answer": 3.0, "total": 25.0},
                }
            ]
        }
    )
    question: str
    standalone_question: str = Field(description="what was searched: the question, or its rewrite from `history`")
    short_answer: str | None = Field(description="the answer in a few words (name, number, date, title), or null")
    answer: str
    abstained: bool
    citations: list[CitationOut]
    timings_ms: dict[str, float]
    time_window: TimeWindowOut | None = Field(None, description="the publication-date window applied, or null")


class HitOut(BaseModel):
    """One ranked passage."""

    rank: int
    chunk_id: str
    article_id: str
    title: str
    source: str | None
    date: str | None
    url: str | None
    text: str
    score: float


class SearchOut(BaseModel):
    """Ranked passages for a query."""

    query: str
    mode: str
    hits: list[HitOut]


class ArticleOut(BaseModel):
    """An article's metadata and clean text."""

    id: str
    title: str
    text: str
    source: str | None
    author: str | None
    date: str | None
    url: str | None
    sources: list[str]


class CorpusOut(BaseModel):
    """What the corpus holds, for a client's empty page."""

    articles: int
    chunks: int
    sources: list[str] = Field(description="outlets, the most frequent first")
    date_from: str | None
    date_to: str | None
    max_question_chars: int = Field(description="the longest question accepted")
    examples: list[str] = Field(description="3–5 questions the corpus answers, drawn from the index")


class Problem(BaseModel):
    """An error (RFC 9457 problem details)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = None
    request_id: str | None = None


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {PROBLEM: {}}, "description": title}
    for code, title in (
        (404, "Not found"),
        (413, "Body too large"),
        (422, "Invalid input"),
        (429, "Too many requests (when NEWSQA_API_RATE_LIMIT is set)"),
        (503, "No index loaded, or too busy (with Retry-After)"),
    )
}


# ---------------------------------------------------------------- problems


def problem(
    status: int, title: str, detail: str, kind: str = "about:blank", errors: list[dict[str, str]] | None = None
) -> JSONResponse:
    """An RFC 9457 problem response."""
    body: dict[str, Any] = {
        "type": kind if kind == "about:blank" else f"urn:newsqa:problem:{kind}",
        "title": title,
        "status": status,
        "detail": detail,
        "request_id": request_id_var.get(),
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _error_field(error: dict[str, Any]) -> str:
    # A body that is not JSON is located at a character offset ("body", 42): the field is the body itself.
    return "body" if error.get("type") == "json_invalid" else _field_name(tuple(error.get("loc", ())))


def _validation_problem(exc: RequestValidationError) -> JSONResponse:
    errors = [{"field": _error_field(e), "message": str(e.get("msg", "invalid"))} for e in exc.errors()]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
    return problem(422, "Invalid input", detail, "validation", errors)


def _field_problem(field: str, message: str) -> JSONResponse:
    return problem(422, "Invalid input", f"{field}: {message}", "validation", [{"field": field, "message": message}])


# ---------------------------------------------------------------- middleware


class BodyLimit:
    """Refuse request bodies over a size limit with 413, whether or not Content-Length is sent."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        too_large = problem(413, "Body too large", f"request bodies are limited to {self.limit // 1024} KiB", "body-too-large")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await too_large(scope, receive, send)
            return
        # Bodies are small (≤ limit): read them whole here, so the limit holds for chunked uploads too.
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:
                await too_large(scope, receive, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class Gate:
    """Back-pressure and rate limiting for the API. The CPU-heavy routes (ask, search) admit at most `max_pending`
    requests in flight or waiting for a worker thread; one more is answered 503 with Retry-After at once, so a
    saturated service sheds load instead of queueing without bound. With `per_minute` > 0, each client address gets at
    most that many /v1/ requests a minute (429 with Retry-After beyond)."""

    HEAVY = ("/v1/ask", "/v1/search")

    def __init__(self, app: ASGIApp, max_pending: int, per_minute: int = 0, retry_after: int = 1) -> None:
        self.app = app
        self.max_pending = max_pending
        self.retry_after = retry_after
        self.limiter = RateLimiter(per_minute) if per_minute > 0 else None
        self.pending = 0  # only touched on the event loop: no lock needed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if self.limiter is not None and path.startswith("/v1/"):
            wait = self.limiter.acquire((scope.get("client") or ("unknown",))[0])
            if wait > 0:
                seconds = max(1, math.ceil(wait))
                limited = problem(429, "Too many requests", f"rate limit reached; retry in {seconds} s", "rate-limited")
                limited.headers["Retry-After"] = str(seconds)
                await limited(scope, receive, send)
                return
        if path not in self.HEAVY:
            await self.app(scope, receive, send)
            return
        if self.pending >= self.max_pending:
            busy = problem(503, "Service busy", f"{self.pending} requests are already being answered; retry shortly", "busy")
            busy.headers["Retry-After"] = str(self.retry_after)
            await busy(scope, receive, send)
            return
        self.pending += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.pending -= 1


# ---------------------------------------------------------------- metrics


class Metrics:
    """Prometheus metrics of one app (own registry, so tests and workers do not collide)."""

    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("newsqa_requests_total", "HTTP requests", ["route", "method", "status"], registry=self.registry)
        self.latency = Histogram(
            "newsqa_request_seconds",
            "HTTP request latency",
            ["route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.chunks = Gauge("newsqa_index_chunks", "chunks in the served index", registry=self.registry)
        self.articles = Gauge("newsqa_index_articles", "articles in the served index", registry=self.registry)
        self.info = Info("newsqa", "service and encoder", registry=self.registry)
        self.engine = engine

    def render(self) -> bytes:
        """Text exposition of every metric, index gauges refreshed."""
        ready = self.engine.ready
        self.chunks.set(self.engine.searcher.index.size if ready else 0)
        self.articles.set(len(self.engine.searcher.index.articles) if ready else 0)
        self.info.info({"version": __version__, "encoder": self.engine.settings.encoder})
        return generate_latest(self.registry)


# ---------------------------------------------------------------- app


def _page() -> tuple[str, str]:
    """The web page and the Content-Security-Policy that allows exactly its inline style and script."""
    html = files("bot").joinpath("static/index.html").read_text(encoding="utf-8")

    def hashes(tag: str) -> str:
        import base64

        found = re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.S)
        return " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in found)

    csp = (
        f"default-src 'self'; script-src 'self' {hashes('script')}; style-src 'self' {hashes('style')}; "
        "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    return html, csp


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the app; the engine (encoder + index) loads in the lifespan, once per process."""
    settings = settings or Settings()
    engine = engine or Engine(settings)
    metrics = Metrics(engine)
    page, csp = _page()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not engine.ready:
            await to_thread.run_sync(engine.load)
        await to_thread.run_sync(crosslingual.warm_up)  # the English → Chinese glossary, not on the first English question

        async def watch() -> None:
            # A new `newsqa index` switches CURRENT atomically: load the new build beside the old one, then swap.
            while True:
                await asyncio.sleep(settings.reload_interval)
                try:
                    await to_thread.run_sync(engine.reload_if_changed)
                except Exception:  # never let the watcher die; the old index keeps serving
                    log.exception("index reload failed")

        watcher = asyncio.create_task(watch())
        try:
            yield
        finally:
            watcher.cancel()

    app = FastAPI(
        title="newsqa",
        version=__version__,
        summary="Answers with citations from a corpus of Chinese news articles.",
        lifespan=lifespan,
        responses=PROBLEM_RESPONSES,
    )
    app.state.engine = engine
    app.state.metrics = metrics

    @app.exception_handler(NewsqaError)
    async def domain_error(request: Request, exc: NewsqaError) -> JSONResponse:
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 503)
        if isinstance(exc, BadQuery) and exc.field:
            return _field_problem(exc.field, str(exc))
        title = {422: "Invalid input", 404: "Not found"}.get(status, "Service unavailable")
        return problem(status, title, public(str(exc)), exc.kind)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation_problem(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = problem(exc.status_code, str(exc.detail) if exc.status_code != 404 else "Not Found", str(exc.detail))
        response.headers.update(exc.headers or {})  # WWW-Authenticate on 401, Allow on 405
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return problem(500, "Internal error", "something went wrong on our side; the error was logged")

    # Added before `observe` so that they sit inside it: refusals (busy, rate limit, body too large) get a request id,
    # a log line and metrics too.
    app.add_middleware(Gate, max_pending=settings.max_pending, per_minute=settings.api_rate_limit)
    app.add_middleware(BodyLimit)
    routes: set[str] = set()  # the app's route paths, filled in on the first request (routes are added below)

    @app.middleware("http")
    async def observe(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        incoming = request.headers.get("x-request-id", "")
        rid = incoming if re.fullmatch(r"[A-Za-z0-9._-]{1,64}", incoming) else uuid.uuid4().hex
        token = request_id_var.set(rid)
        started = time.perf_counter()
        try:
            try:
                response = await call_next(request)
            except Exception:  # answered here, so that a 500 has its request id, log line and metrics too
                log.exception("unhandled error")
                response = problem(500, "Internal error", "something went wrong on our side; the error was logged")
            # A refusal before routing (busy, rate limit) is labelled with the route it was for, when there is one.
            path = request.url.path
            routes.update(() if routes else (getattr(r, "path", "") for r in app.routes))
            route = getattr(request.scope.get("route"), "path", path if path in routes else "unmatched")
            elapsed = time.perf_counter() - started
            method = request.method if request.method in KNOWN_METHODS else "other"  # labels from a closed set only
            metrics.requests.labels(route, method, str(response.status_code)).inc()
            metrics.latency.labels(route).observe(elapsed)
            response.headers["X-Request-ID"] = rid
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            log.info("%s %s %s %.1fms", request.method, route, response.status_code, elapsed * 1000)
            return response
        finally:
            request_id_var.reset(token)

    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Authorization", "X-Request-ID"],
            expose_headers=["X-Request-ID"],
        )

    def public(detail: str) -> str:
        """A detail fit for clients: the server's folders are named by role, not by their path on disk."""
        for folder in {str(settings.index_dir.resolve()), str(settings.index_dir)}:
            detail = detail.replace(folder, "the index folder")
        return detail

    def filters_of(body: FiltersIn | None, prefix: str = "") -> Filters | None:
        if body is None:
            return None
        try:
            filters = Filters(source=body.source, date_from=body.date_from, date_to=body.date_to)
        except BadQuery as exc:
            raise BadQuery(str(exc), field=f"{prefix}{exc.field}") from None
        return None if filters.empty else filters

    def check_question(question: str) -> None:
        if len(question) > settings.max_question_chars:
            raise BadQuery(f"at most {settings.max_question_chars} characters, got {len(question)}", field="question")

    @app.post("/v1/ask", response_model=AskOut, tags=["questions"])
    async def ask(
        body: AskIn,
        request: Request,
        stream: bool = Query(False, description="stream Server-Sent Events: citations, answer, done"),
    ) -> Any:
        """Answer a question with numbered citations, or say that the corpus does not contain the answer."""
        check_question(body.question)
        filters = filters_of(body.filters, prefix="filters.")
        history = [Turn(t.question, t.answer) for t in body.history or ()]
        reply = await to_thread.run_sync(lambda: engine.answer(body.question, k=body.k, filters=filters, history=history))
        data = reply.to_dict()
        if not (stream or "text/event-stream" in request.headers.get("accept", "")):
            return JSONResponse(data)

        async def events() -> AsyncIterator[str]:
            yield _sse("citations", data["citations"])
            keys = ("question", "standalone_question", "short_answer", "answer", "abstained", "time_window")
            yield _sse("answer", {key: data[key] for key in keys})
            yield _sse("done", {"timings_ms": data["timings_ms"]})

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    @app.get("/v1/search", response_model=SearchOut, tags=["questions"])
    def search(
        q: Annotated[str, Query(description="the query")],
        k: Annotated[int, Query(ge=1, le=MAX_K)] = 10,
        mode: Literal["hybrid", "dense", "bm25"] = "hybrid",
        source: Annotated[str | None, Query(max_length=200)] = None,
        date_from: Annotated[IsoDate | None, Query()] = None,
        date_to: Annotated[IsoDate | None, Query()] = None,
    ) -> Any:
        """Ranked passages for a query."""
        query = q.strip()
        if not query:
            raise BadQuery("must not be empty", field="q")
        if len(query) > settings.max_question_chars:
            raise BadQuery(f"at most {settings.max_question_chars} characters, got {len(query)}", field="q")
        try:
            given = FiltersIn(source=source, date_from=date_from, date_to=date_to)
        except ValidationError as exc:  # e.g. a blank `source` (found by schemathesis: it was a 500)
            raise RequestValidationError(exc.errors()) from None
        filters = filters_of(given)
        result = engine.search(query, k=k, mode=mode, filters=filters)
        return JSONResponse({"query": result.query, "mode": result.mode, "hits": [h.to_dict() for h in result.hits]})

    @app.get("/v1/articles/{article_id}", response_model=ArticleOut, tags=["articles"])
    def article(article_id: Annotated[str, Path(pattern=ARTICLE_ID)]) -> Any:
        """An article's metadata and clean text."""
        return JSONResponse(engine.article(article_id).to_dict())

    # Liveness and readiness run on the event loop, not in the worker thread pool that answers questions, so they
    # answer in milliseconds however busy the pool is.
    @app.api_route("/healthz", methods=["GET", "HEAD"], tags=["operations"])
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.api_route(
        "/readyz", methods=["GET", "HEAD"], tags=["operations"], responses={503: {"model": Problem, "content": {PROBLEM: {}}}}
    )
    async def readyz() -> Any:
        """Ready when an index is loaded; reports the manifest it serves."""
        if not engine.ready:
            return problem(503, "Not ready", public(engine.error or "no index loaded"), "not-ready")
        return {"status": "ready", "manifest": engine.manifest()}

    @app.get("/v1/corpus", response_model=CorpusOut, tags=["questions"])
    def corpus() -> Any:
        """What the corpus holds (articles, outlets, date range), the question length limit, and example questions."""
        summary = engine.corpus_summary()
        return {**summary, "max_question_chars": settings.max_question_chars, "examples": engine.examples()}

    @app.get("/metrics", tags=["operations"], response_class=Response)
    def prometheus() -> Response:
        """Prometheus metrics: requests and latency per route, index size, encoder."""
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index_page() -> HTMLResponse:
        return HTMLResponse(
            page, headers={"Content-Security-Policy": csp, "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}
        )

    if settings.admin_token is not None and settings.admin_token.get_secret_value():
        expected = settings.admin_token.get_secret_value().encode()

        def require_admin(authorization: Annotated[str | None, Header()] = None) -> None:
            scheme, _, token = (authorization or "").partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise StarletteHTTPException(401, "an admin bearer token is required", headers={"WWW-Authenticate": "Bearer"})
            if not hmac.compare_digest(token.strip().encode(), expected):
                raise StarletteHTTPException(403, "the admin token is not valid")

        @app.post("/v1/admin/reload", tags=["admin"], dependencies=[Depends(require_admin)])
        def reload() -> Any:
            """Load the newest index now (it is also picked up automatically)."""
            if not engine.load():
                return problem(503, "Reload failed", engine.error or "index could not be loaded", "reload-failed")
            return {"status": "reloaded", "manifest": engine.manifest()}

    if settings.telegram_webhook_url:  # Telegram updates by webhook: POST /telegram/webhook (bot/telegram.py)
        from bot.telegram import mount_webhook

        mount_webhook(app, settings, engine)

    return app


def app_factory() -> FastAPI:
    """Entry point for uvicorn (`--factory`, once per worker): settings from the environment, JSON logs."""
    settings = Settings()
    secrets = [s.get_secret_value() for s in (settings.admin_token, settings.telegram_token) if s is not None]
    configure_logging(secrets=secrets)
    return create_app(settings)
