"""Hybrid search: dense (FAISS inner product) and lexical (BM25 over jieba terms), fused by tuned score fusion."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import faiss
import numpy as np

from retrieval.encoders import Encoder
from retrieval.errors import BadQuery
from retrieval.store import Index
from retrieval.tokens import bm25_terms, simplify, tokenize

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[str, ...] = ("hybrid", "dense", "bm25")
MAX_K = 100
CANDIDATES = 100  # per retriever, before fusion

# Fusion (see docs/answers.md, "Fusion by query form"): each retriever's scores over the candidate pool are
# standardised (z-scores), then mixed. The weights were chosen on data with `newsqa eval`.
DENSE_WEIGHT = 0.6
# Queries shorter than SHORT_QUERY_CHARS (typed keywords: 非洲气候带, 保时捷总部在哪) lean on dense retrieval more.
# Chosen with bench/tune_fusion.py on cmrc2018-train and dureader-robust-train-sample: the only rule measured that
# beats both single retrievers on both (docs/quality.md, "Fusion").
SHORT_QUERY_CHARS, SHORT_QUERY_DENSE_WEIGHT = 12, 0.8


@dataclass(frozen=True)
class Filters:
    """Restrict search to an outlet (substring, case-insensitive) and/or a publication date range."""

    source: str | None = None
    date_from: str | None = None
    date_to: str | None = None

    def __post_init__(self) -> None:
        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            if value is not None:
                try:
                    valid = len(value) == 10 and bool(date.fromisoformat(value))
                except ValueError:
                    valid = False
                if not valid:
                    raise BadQuery(f"{name} must be a date as YYYY-MM-DD, not {value!r}", field=name)
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise BadQuery(f"date_from ({self.date_from}) is after date_to ({self.date_to})", field="date_to")

    @property
    def empty(self) -> bool:
        """True when nothing is filtered."""
        return not (self.source or self.date_from or self.date_to)


@dataclass(frozen=True)
class Hit:
    """One ranked passage with its article's metadata."""

    rank: int
    chunk_id: str
    article_id: str
    title: str
    source: str | None
    date: str | None
    url: str | None
    text: str
    score: float
    #: row of the chunk in the index, and the query's cosine similarity to it (0 in bm25 mode);
    #: used by the answer stage, not part of the public JSON
    row: int = field(repr=False, compare=False)
    dense: float = field(default=0.0, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The public JSON shape of a hit (GUIDE §2, /v1/search)."""
        return {
            "rank": self.rank,
            "chunk_id": self.chunk_id,
            "article_id": self.article_id,
            "title": self.title,
            "source": self.source,
            "date": self.date,
            "url": self.url,
            "text": self.text,
            "score": round(self.score, 6),
        }


@dataclass
class SearchResult:
    """Ranked hits plus where the time went."""

    query: str
    mode: str
    hits: list[Hit]
    timings_ms: dict[str, float]
    #: normalised content terms of the query (reused by the answer stage)
    terms: list[str]
    #: hybrid mode: BM25's best passage when fusion left it out of `hits` (a rare name the question shares with one
    #: passage that dense search ranks low); the answer stage reads it too, the ranking does not show it
    lexical_best: Hit | None = None


def _zscores(values: np.ndarray) -> np.ndarray:
    std = float(values.std())
    return (values - values.mean()) / std if std > 1e-9 else np.zeros_like(values)


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    """Rows of the `n` highest positive scores (unordered)."""
    top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
    return top[scores[top] > 0]


@contextmanager
def one_openmp_thread() -> Iterator[None]:
    """Run FAISS with one OpenMP thread in this thread (the setting is per thread; restored after).

    A single query gains little from FAISS's thread team and pays for its synchronisation: a flat search of 10,000
    vectors took 16 ms with 2 threads against 1 ms with one, on 2 cores busy with other work; concurrent requests
    already use the cores."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def dense_weight_for(query: str) -> float:
    """The dense retriever's share for `query`: larger for short keyword queries, where few terms leave BM25 little
    to go on (real search queries), than for full questions written against a text (CMRC)."""
    return SHORT_QUERY_DENSE_WEIGHT if len(query.strip()) < SHORT_QUERY_CHARS else DENSE_WEIGHT


def fuse_scores(
    dense: np.ndarray, lexical: np.ndarray, dense_weight: float | None = None, query: str | None = None
) -> np.ndarray:
    """Fused relevance of candidates from their dense (cosine) and BM25 scores (the weight from `query`, unless
    given)."""
    if dense_weight is None:
        dense_weight = dense_weight_for(query) if query is not None else DENSE_WEIGHT
    if not lexical.any():  # no query term occurs anywhere: BM25 has nothing to add
        return _zscores(dense)
    return dense_weight * _zscores(dense) + (1 - dense_weight) * _zscores(lexical)


class Searcher:
    """Searches one loaded index with one encoder; safe to share between threads."""

    def __init__(self, index: Index, encoder: Encoder, max_query_chars: int = 500) -> None:
        self.index = index
        self.encoder = encoder
        self.max_query_chars = max_query_chars

    def check_query(self, query: str) -> str:
        """The stripped query; raises BadQuery when it is empty or too long."""
        if not isinstance(query, str):
            raise BadQuery("the question must be text")
        query = query.strip()
        if not query:
            raise BadQuery("the question is empty: ask something, e.g. 两院会商会是哪天召开的？")
        if len(query) > self.max_query_chars:
            raise BadQuery(f"the question is {len(query)} characters long; the limit is {self.max_query_chars}")
        return query

    def _mask(self, filters: Filters | None, window: tuple[date, date] | None = None) -> np.ndarray | None:
        """Boolean mask of the chunk rows that pass the filters and lie in the time window (published in it or
        reporting an event in it), or None for no filtering."""
        ix = self.index
        if window is not None:
            within = ix.time.window_mask(*window)
            rest = self._mask(filters)
            return within if rest is None else within & rest
        if filters is None or filters.empty:
            return None
        if filters.source:
            # The substring test runs over the distinct outlet strings (a handful), not over every chunk.
            needle = filters.source.strip().lower()
            mask = np.zeros(ix.size, dtype=bool)
            for outlets, rows in ix.source_rows.items():
                if needle in outlets:
                    mask[rows] = True
        else:
            mask = np.ones(ix.size, dtype=bool)
        if filters.date_from:
            mask &= (ix.chunk_dates >= filters.date_from) & (ix.chunk_dates != "")
        if filters.date_to:
            mask &= (ix.chunk_dates <= filters.date_to) & (ix.chunk_dates != "")
        return mask

    def _dense(self, qvec: np.ndarray, n: int, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        params: Any = None
        if mask is not None:
            vectors: Any = self.index.vectors
            params = faiss.SearchParameters()
            if isinstance(vectors, faiss.IndexHNSW):  # HNSW insists on its own parameter type, with its efSearch
                params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
                params.efSearch = vectors.hnsw.efSearch
            params.sel = faiss.IDSelectorBatch(np.flatnonzero(mask).astype("int64"))
        with one_openmp_thread():
            scores, rows = self.index.vectors.search(qvec.reshape(1, -1), n, params=params)
        keep = rows[0] >= 0
        return rows[0][keep], scores[0][keep]

    def dense_scores(self, qvec: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact inner products of the query with the stored vectors of `rows`."""
        if len(rows) == 0:
            return np.zeros(0, dtype=np.float32)
        vecs = self.index.vectors.reconstruct_batch(rows.astype("int64"))
        return np.asarray(vecs @ qvec.reshape(-1), dtype=np.float32)

    def _bm25(self, terms: list[str], mask: np.ndarray | None) -> np.ndarray:
        if not terms:
            return np.zeros(self.index.size, dtype=np.float32)
        scores = np.asarray(self.index.bm25.get_scores(terms), dtype=np.float32)[: self.index.size]
        if mask is not None:
            scores = np.where(mask, scores, 0.0).astype(np.float32)
        return scores

    def search(
        self,
        query: str,
        k: int = 10,
        mode: str = "hybrid",
        filters: Filters | None = None,
        window: tuple[date, date] | None = None,
        dense_query: str | None = None,
    ) -> SearchResult:
        """Rank the index's passages for `query` (within the days of `window`: see retrieval.dates; the encoder reads
        `dense_query` instead when given); raises BadQuery for an unusable query or mode."""
        t0 = time.perf_counter()
        query = self.check_query(query)
        if mode not in MODES:
            raise BadQuery(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if not 1 <= k <= MAX_K:
            raise BadQuery(f"k must be between 1 and {MAX_K}, not {k}")
        mask = self._mask(filters, window)
        terms = tokenize(query)
        size = self.index.size if mask is None else int(mask.sum())
        if size == 0:
            return SearchResult(query, mode, [], {"encode": 0.0, "search": 0.0}, terms)
        n = min(max(CANDIDATES, k), size)

        t1 = time.perf_counter()
        qvec = self.encoder.encode_queries([simplify(dense_query or query)])[0] if mode != "bm25" else None
        t2 = time.perf_counter()

        if mode == "dense":
            assert qvec is not None
            rows, scores = self._dense(qvec, k, mask)
            dense = scores
        elif mode == "bm25":
            lexical = self._bm25(bm25_terms(query), mask)
            rows = _top(lexical, n)
            scores, dense = lexical[rows], np.zeros(len(rows), dtype=np.float32)
        else:
            assert qvec is not None
            rows, dense, lex = self.candidates(query, qvec, n, mask)
            scores = fuse_scores(dense, lex, query=query)
        order = np.argsort(-scores, kind="stable")[:k]
        hits = [self._hit(rank, int(rows[i]), float(scores[i]), float(dense[i])) for rank, i in enumerate(order, start=1)]
        lexical_best = None
        if mode == "hybrid" and lex.any() and (best := int(np.argmax(lex))) not in order:
            lexical_best = self._hit(k + 1, int(rows[best]), float(scores[best]), float(dense[best]))
        t3 = time.perf_counter()
        timings = {"encode": (t2 - t1) * 1000, "search": ((t1 - t0) + (t3 - t2)) * 1000}
        return SearchResult(query, mode, hits, timings, terms, lexical_best)

    def candidates(
        self, query: str, qvec: np.ndarray, n: int, mask: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The union of both retrievers' top `n` rows, with the dense and the BM25 score of each."""
        lexical = self._bm25(bm25_terms(query), mask)
        dense_rows, _ = self._dense(qvec, n, mask)
        rows = np.union1d(dense_rows, _top(lexical, n)).astype("int64")
        return rows, self.dense_scores(qvec, rows), lexical[rows]

    def _hit(self, rank: int, row: int, score: float, dense: float) -> Hit:
        chunk = self.index.chunks[row]
        article = self.index.articles[chunk.article_id]
        return Hit(
            rank, chunk.id, article.id, article.title, article.source, article.date, article.url, chunk.text, score, row, dense
        )
