"""Structured logging for the services: one JSON object per line, with the request id, and secrets redacted."""

import contextvars
import json
import logging
import sys
import time
from collections.abc import Iterable

#: the id of the request being handled (set by the HTTP middleware; "-" outside requests)
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line, replacing every known secret with `***`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        """The record as JSON: time, level, logger, message, request id (and the exception, if any)."""
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        line = json.dumps(entry, ensure_ascii=False)
        for secret in self.secrets:
            line = line.replace(secret, "***")
        return line


def configure_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """Send every log record (ours, uvicorn's, httpx's) to stderr as JSON lines with secrets redacted."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # The app logs each request itself, with its request id; uvicorn's access line would only repeat it without one.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    # httpx logs every request URL at INFO; Bot API URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
