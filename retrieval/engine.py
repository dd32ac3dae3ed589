"""The engine behind every front door: loads the encoder and index once, answers, and hot-swaps new indexes."""

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from retrieval.answer import Answer, answer
from retrieval.articles import Article
from retrieval.conversation import Turn
from retrieval.encoders import Encoder, load_encoder
from retrieval.errors import IndexMissing, NewsqaError, NotFound
from retrieval.examples import example_questions
from retrieval.questions import analyse_question
from retrieval.search import Filters, Searcher, SearchResult
from retrieval.settings import Settings
from retrieval.store import current_build, load_index
from retrieval.tokens import warm_up

log = logging.getLogger("newsqa.engine")


class Engine:
    """Holds the current Searcher; requests keep the one they started with while a new index is swapped in."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._searcher: Searcher | None = None
        self._encoder: Encoder | None = None
        self._pointer: str | None = None  # content of CURRENT for the loaded build
        self._refused: str | None = None  # a build that failed to load: not retried until CURRENT changes again
        self.error: str | None = "not loaded yet"
        self._reload_lock = threading.Lock()
        self._examples: tuple[Searcher, list[str]] | None = None

    @property
    def pointer_path(self) -> Path:
        """The file whose change means a new index was switched in."""
        return self.settings.index_dir / "CURRENT"

    def _read_pointer(self) -> str | None:
        try:
            return self.pointer_path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):  # a damaged pointer is reported by the load that follows
            return None

    def load(self, strict: bool = False) -> bool:
        """(Re)load the current index; True if loaded. On failure keep serving the previous one and record why
        (or raise, when `strict`)."""
        with self._reload_lock:
            pointer = self._read_pointer()
            try:
                current_build(self.settings.index_dir)  # fail fast, before paying for the model, with no index
                if self._encoder is None:
                    self._encoder = load_encoder(self.settings.encoder)
                    warm_up()  # jieba's dictionary loads here, once, not on the first question
                    analyse_question("预热是谁？")  # and its part-of-speech tagger
                index = load_index(self.settings.index_dir, self._encoder.id, self._encoder.dim)
            except NewsqaError as exc:
                self.error = str(exc)
                self._refused = pointer
                if strict:  # the caller reports it (the CLI: one line on stderr)
                    raise
                log.warning("index not loaded: %s", exc)
                return False
            self._searcher = Searcher(index, self._encoder, self.settings.max_question_chars)
            self._pointer = pointer
            self.error = None
            log.info("index loaded: %s (%d chunks)", index.path.name, index.size)
            return True

    def reload_if_changed(self) -> bool:
        """Load the index again when CURRENT points somewhere new; True if a new index was loaded."""
        pointer = self._read_pointer()
        if pointer is None or pointer in (self._pointer, self._refused):
            return False
        return self.load()

    @property
    def ready(self) -> bool:
        """True when an index is loaded and questions can be answered."""
        return self._searcher is not None

    @property
    def searcher(self) -> Searcher:
        """The current searcher; raises IndexMissing (with the reason) when none is loaded."""
        searcher = self._searcher
        if searcher is None:
            raise IndexMissing(self.error or 'no index loaded: run "newsqa index" first')
        return searcher

    def answer(self, question: str, k: int = 5, filters: Filters | None = None, history: Sequence[Turn] | None = None) -> Answer:
        """Answer a question with citations, a follow-up read against `history` (see retrieval.answer)."""
        return answer(self.searcher, question, k=k, filters=filters, history=history, now=self.settings.today())

    def search(self, query: str, k: int = 10, mode: str = "hybrid", filters: Filters | None = None) -> SearchResult:
        """Ranked passages (see retrieval.search)."""
        return self.searcher.search(query, k=k, mode=mode, filters=filters)

    def article(self, article_id: str) -> Article:
        """One article by id; raises NotFound."""
        found = self.searcher.index.articles.get(article_id)
        if found is None:
            raise NotFound(f"no article with id {article_id!r} in the index")
        return found

    def manifest(self) -> dict[str, Any]:
        """The manifest of the index being served, without the file list."""
        index = self.searcher.index
        return {k: v for k, v in index.manifest.items() if k != "files"} | {"build": index.path.name}

    def examples(self) -> list[str]:
        """Questions the served index answers, for an empty chat (worked out once per index loaded)."""
        searcher = self.searcher
        cached = self._examples
        if cached is None or cached[0] is not searcher:
            cached = (searcher, example_questions(searcher))
            self._examples = cached
        return cached[1]

    def corpus_summary(self) -> dict[str, Any]:
        """Article count, outlets and date range of the served corpus (for help texts)."""
        articles = self.searcher.index.articles.values()
        dates = sorted(a.date for a in articles if a.date)
        outlets: dict[str, int] = {}
        for a in articles:
            for s in a.sources:
                outlets[s] = outlets.get(s, 0) + 1
        return {
            "articles": len(articles),
            "chunks": self.searcher.index.size,
            "sources": sorted(outlets, key=lambda s: -outlets[s]),
            "date_from": dates[0] if dates else None,
            "date_to": dates[-1] if dates else None,
        }
