"""Chunking: split article text into sentences and pack whole sentences into overlapping chunks."""

import hashlib
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from retrieval.articles import Article

MAX_CHARS = 400
MIN_CHARS = 200
OVERLAP_SENTENCES = 1

# A sentence runs to its end mark (。！？；…!?), then takes any closing quotes or brackets with it;
# a line break always ends a sentence.
_SENTENCE = re.compile(r"[^\n]*?(?:[。！？；!?;…]+[”’」』）)\]】》〉\"'」]*|$)", re.MULTILINE)
_CLAUSE_END = re.compile(r"[，,、：:]")


@dataclass(frozen=True)
class Chunk:
    """A passage of an article: whole sentences, with character offsets into `Article.text`."""

    id: str
    article_id: str
    text: str
    start: int
    end: int
    #: what the encoder sees: the article title, then the passage
    embed_text: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of all fields."""
        return asdict(self)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of `text`, surrounding whitespace excluded."""
    spans: list[tuple[int, int]] = []
    for m in _SENTENCE.finditer(text):
        start, end = m.start(), m.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


def _split_long(text: str, start: int, end: int, limit: int) -> Iterator[tuple[int, int]]:
    """Cut one over-long sentence into pieces of at most `limit`, preferring clause boundaries."""
    while end - start > limit:
        window = text[start : start + limit]
        cut = max((m.end() for m in _CLAUSE_END.finditer(window)), default=0)
        if cut < limit // 2:
            cut = limit
        yield start, start + cut
        start += cut
    if end > start:
        yield start, end


def embedding_text(title: str, text: str) -> str:
    """What the encoder sees for a passage: the article title, then the passage."""
    return text if not title or text.startswith(title) else f"{title}\n{text}"


def chunk_id(article_id: str, text: str) -> str:
    """Stable content hash of a chunk within its article."""
    return hashlib.sha256(f"{article_id}\x00{text}".encode()).hexdigest()[:20]


def chunk_article(article: Article, max_chars: int = MAX_CHARS) -> list[Chunk]:
    """Pack whole sentences into chunks of at most `max_chars` (about 200–400) with one sentence of overlap."""
    text = article.text
    sentences = [piece for s, e in split_sentences(text) for piece in _split_long(text, s, e, max_chars)]
    groups: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for sent in sentences:
        length = sent[1] - current[0][0] if current else sent[1] - sent[0]
        if current and length > max_chars:
            groups.append(current)
            # Overlap: the next chunk repeats the last sentence, unless that alone would overflow it.
            tail = current[-OVERLAP_SENTENCES:]
            current = tail if sent[1] - tail[0][0] <= max_chars and len(current) > OVERLAP_SENTENCES else []
        current.append(sent)
    if current:
        groups.append(current)

    chunks: list[Chunk] = []
    for group in groups:
        start, end = group[0][0], group[-1][1]
        body = text[start:end]
        chunks.append(Chunk(chunk_id(article.id, body), article.id, body, start, end, embedding_text(article.title, body)))
    return chunks
