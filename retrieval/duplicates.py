"""Near-duplicate detection: a story reprinted by several outlets is indexed once, with every outlet kept."""

import dataclasses
import re
from collections.abc import Sequence

from datasketch import MinHash, MinHashLSH

from retrieval.articles import Article

SHINGLE = 5  # characters per shingle: long enough that unrelated Chinese texts rarely share many
NUM_PERM = 128
THRESHOLD = 0.8  # estimated Jaccard similarity of the shingle sets above which two bodies are the same story
MIN_CHARS = 80  # shorter bodies (briefs, captions) carry too little text to call them reprints
_SPACE = re.compile(r"\s+")


def _shingles(text: str) -> list[bytes]:
    body = _SPACE.sub("", text)
    return [body[i : i + SHINGLE].encode() for i in range(max(len(body) - SHINGLE + 1, 1))]


def find_duplicates(articles: Sequence[Article]) -> dict[str, str]:
    """{reprint id: id of the first article with the same story}, in input order (stable across runs)."""
    candidates = [a for a in articles if len(a.text) >= MIN_CHARS]
    if len(candidates) < 2:
        return {}
    hashes = MinHash.bulk([_shingles(a.text) for a in candidates], num_perm=NUM_PERM)
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    kept: dict[str, MinHash] = {}
    rank = {a.id: i for i, a in enumerate(candidates)}
    original: dict[str, str] = {}
    for article, minhash in zip(candidates, hashes, strict=True):
        # LSH proposes candidates; the estimated similarity confirms them (LSH alone admits some below the threshold).
        # LSH returns its candidates in hash order, which changes from one process to the next: taking the earliest
        # kept original keeps the folding (and so the corpus fingerprint) the same on every run.
        found = sorted(lsh.query(minhash), key=rank.__getitem__)
        match = next((key for key in found if kept[key].jaccard(minhash) >= THRESHOLD), None)
        if match is not None:
            original[article.id] = match
            continue
        lsh.insert(article.id, minhash)
        kept[article.id] = minhash
    return original


def fold_duplicates(articles: Sequence[Article]) -> list[Article]:
    """Every article, reprints marked `duplicate_of` their original, originals listing every outlet in `sources`."""
    original = find_duplicates(articles)
    outlets: dict[str, list[str]] = {a.id: [a.source] if a.source else [] for a in articles}
    for reprint_id, first_id in original.items():
        outlets[first_id].extend(s for s in outlets[reprint_id] if s not in outlets[first_id])
    return [
        dataclasses.replace(
            a, sources=tuple(outlets[a.id]) if a.id not in original else a.sources, duplicate_of=original.get(a.id)
        )
        for a in articles
    ]
