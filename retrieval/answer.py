"""Extractive answers: the sentences of the top passages that best answer the question, each with a citation."""

import math
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from retrieval.chunks import split_sentences
from retrieval.search import Filters, Hit, Searcher
from retrieval.tokens import bigrams, normalize

MAX_ANSWER_CHARS = 300
MAX_SENTENCES = 3
NEAREST_ON_ABSTAIN = 3
ABSTAIN_TEXT = "抱歉，语料库中没有找到能回答这个问题的内容。"

# Abstain when the best sentence (with its article's title) covers less than this share of the question's term
# weight. Calibrated with bench/calibrate_abstention.py (README, "Abstention"); the dense similarity did not help.
MIN_COVERAGE = 0.55
# A further sentence joins the answer only when it scores nearly as well as the best one.
FOLLOWER_RATIO = 0.6
# Sentence score = term coverage + BIGRAM_WEIGHT × character-bigram overlap + RANK_PRIOR / passage rank.
TITLE_CREDIT = 0.8
BIGRAM_WEIGHT = 0.3
RANK_PRIOR = 0.1

_CLAUSE = re.compile(r"[^，,；;：:]+[，,；;：:]?")


@dataclass
class Citation:
    """A numbered source of the answer: the passage, its article, and the sentence(s) quoted."""

    n: int
    article_id: str
    chunk_id: str
    title: str
    source: str | None
    date: str | None
    url: str | None
    quote: str
    passage: str
    score: float


@dataclass
class Answer:
    """The reply to a question: answer text with [n] markers, citations, and timings."""

    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    timings_ms: dict[str, float] = field(default_factory=dict)
    #: the answer itself in a few words (a name, number, date, title) when the question asks for one, else None
    short_answer: str | None = None
    #: what was searched: the question, or its rewrite from the conversation for a follow-up
    standalone_question: str | None = None
    #: the publication-date window applied: {"from", "to", "source": "question"|"filter"}, or None
    time_window: dict[str, str | None] | None = None
    #: evidence strength behind the abstention decision (not part of the public JSON)
    evidence: dict[str, float] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The public JSON shape (GUIDE §2, /v1/ask)."""
        return {
            "question": self.question,
            "standalone_question": self.standalone_question or self.question,
            "short_answer": self.short_answer,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [{**asdict(c), "score": round(c.score, 6)} for c in self.citations],
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items()},
            "time_window": self.time_window,
        }


@dataclass
class _Sentence:
    hit: Hit
    text: str
    score: float
    coverage: float


class TermWeights:
    """Inverse document frequencies of terms in the index's BM25 vocabulary."""

    def __init__(self, searcher: Searcher) -> None:
        bm25 = searcher.index.bm25
        self._vocab: dict[str, int] = bm25.vocab_dict
        self._indptr = bm25.scores["indptr"]
        self._n = max(int(bm25.scores["num_docs"]), 1)

    def idf(self, term: str) -> float:
        """BM25 idf of `term`; unseen terms weigh like the rarest ones."""
        col = self._vocab.get(term)
        df = 0 if col is None else int(self._indptr[col + 1] - self._indptr[col])
        return math.log(1 + (self._n - df + 0.5) / (df + 0.5))


def _weights(terms: list[str], idf: TermWeights) -> dict[str, float]:
    # jieba's search mode emits a word and its parts (检察院, 检察, 察院); count each distinct term once.
    return {t: idf.idf(t) for t in dict.fromkeys(terms)}


def _coverage(text: str, weights: dict[str, float], total: float, title_credit: dict[str, float] | None = None) -> float:
    """Share of the question's term weight found in `text` (terms only in the title count their title credit)."""
    norm = normalize(text)
    credit = title_credit or {}
    return sum(w if t in norm else credit.get(t, 0.0) for t, w in weights.items()) / total if total > 0 else 0.0


def _citation(n: int, hit: Hit) -> Citation:
    return Citation(n, hit.article_id, hit.chunk_id, hit.title, hit.source, hit.date, hit.url, "", hit.text, hit.score)


def _trim(sentence: str, weights: dict[str, float], total: float, limit: int) -> str:
    """An over-long sentence shrinks to the run of clauses around its best-matching clause."""
    if len(sentence) <= limit:
        return sentence
    clauses = _CLAUSE.findall(sentence) or [sentence]
    best = max(range(len(clauses)), key=lambda i: _coverage(clauses[i], weights, total))
    lo = hi = best
    length = len(clauses[best])
    while True:
        grew = False
        for j in (hi + 1, lo - 1):
            if 0 <= j < len(clauses) and length + len(clauses[j]) <= limit:
                length += len(clauses[j])
                lo, hi = min(lo, j), max(hi, j)
                grew = True
        if not grew:
            break
    return "".join(clauses[lo : hi + 1])[:limit]


def _candidates(hits: list[Hit], weights: dict[str, float], total: float, qgrams: set[str]) -> list[_Sentence]:
    found: list[_Sentence] = []
    seen: set[str] = set()
    for hit in hits:
        # Later passages must be clearly better to win: retrieval rank is evidence too.
        prior = RANK_PRIOR / hit.rank
        # Terms the title already settles (the event, the person) count in each of its sentences, a little less.
        title = normalize(hit.title)
        title_credit = {t: TITLE_CREDIT * w for t, w in weights.items() if t in title}
        for s, e in split_sentences(hit.text):
            text = hit.text[s:e]
            key = normalize(text)
            if key in seen or len(key) < 4:
                continue
            seen.add(key)
            coverage = _coverage(text, weights, total, title_credit)
            overlap = len(qgrams & bigrams(text)) / len(qgrams) if qgrams else 0.0
            found.append(_Sentence(hit, text, coverage + BIGRAM_WEIGHT * overlap + prior, coverage))
    return sorted(found, key=lambda c: -c.score)


def answer(searcher: Searcher, question: str, k: int = 5, filters: Filters | None = None) -> Answer:
    """Answer `question` from the index with cited sentences, or abstain when the evidence is weak."""
    t0 = time.perf_counter()
    result = searcher.search(question, k=k, mode="hybrid", filters=filters)
    t1 = time.perf_counter()
    idf = TermWeights(searcher)
    weights = _weights(result.terms, idf)
    total = sum(weights.values())
    qgrams = bigrams(result.query)
    ranked = _candidates(result.hits, weights, total, qgrams)

    evidence = {
        "coverage": ranked[0].coverage if ranked else 0.0,
        "dense": max((h.dense for h in result.hits), default=0.0),
    }
    chosen: list[_Sentence] = []
    if ranked:
        best = ranked[0]
        chosen.append(best)
        length = len(best.text)
        for cand in ranked[1:]:
            if len(chosen) == MAX_SENTENCES or cand.score < FOLLOWER_RATIO * best.score:
                break
            if length + len(cand.text) <= MAX_ANSWER_CHARS:
                chosen.append(cand)
                length += len(cand.text)

    abstained = not chosen or evidence["coverage"] < MIN_COVERAGE
    citations: list[Citation] = []
    if abstained:
        text = ABSTAIN_TEXT
        citations = [_citation(n, hit) for n, hit in enumerate(result.hits[:NEAREST_ON_ABSTAIN], start=1)]
    else:
        numbers: dict[str, int] = {}
        parts: list[str] = []
        budget = MAX_ANSWER_CHARS
        for sent in chosen:
            hit = sent.hit
            if hit.chunk_id not in numbers:
                numbers[hit.chunk_id] = len(numbers) + 1
                citations.append(_citation(numbers[hit.chunk_id], hit))
            n = numbers[hit.chunk_id]
            marker = f"[{n}]"
            quote = _trim(sent.text, weights, total, budget - len(marker))
            budget -= len(quote) + len(marker)
            parts.append(f"{quote}{marker}")
            cit = citations[n - 1]
            cit.quote = f"{cit.quote}{quote}" if cit.quote else quote
            if budget <= 10:
                break
        text = "".join(parts)
    t2 = time.perf_counter()
    timings = {
        "encode": result.timings_ms["encode"],
        "search": result.timings_ms["search"],
        "answer": (t2 - t1) * 1000,
        "total": (t2 - t0) * 1000,
    }
    return Answer(result.query, text, abstained, citations, timings, evidence)
