"""Evaluation on BEIR-format folders: retrieval quality per mode and answer quality."""

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from retrieval.answer import answer
from retrieval.articles import Article, article_from_record
from retrieval.encoders import Encoder
from retrieval.errors import BadQuery, CorpusError, IndexCorrupt, IndexMismatch, IndexMissing
from retrieval.search import MODES, Searcher
from retrieval.store import build_index, corpus_fingerprint, load_index

# Chunks fetched per query so that `k` distinct documents can be ranked (a document ranks at its best chunk).
CHUNKS_PER_DOC = 5


@dataclass
class EvalSet:
    """A BEIR folder: corpus documents, queries (with optional gold answers) and relevance judgements."""

    name: str
    articles: list[Article]
    queries: dict[str, str]
    answers: dict[str, list[str]] = field(default_factory=dict)
    qrels: dict[str, set[str]] = field(default_factory=dict)


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise CorpusError(f"{path} is missing (a BEIR folder has corpus.jsonl, queries.jsonl and qrels.tsv)")
    rows = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise CorpusError(f"{path}:{n}: invalid JSON ({exc.msg})") from None
    return rows


def load_eval_set(folder: Path) -> EvalSet:
    """Read a BEIR folder (`corpus.jsonl`, `queries.jsonl`, `qrels.tsv`)."""
    articles = [article_from_record(r, f"doc-{i}") for i, r in enumerate(_jsonl(folder / "corpus.jsonl"))]
    queries: dict[str, str] = {}
    answers: dict[str, list[str]] = {}
    for r in _jsonl(folder / "queries.jsonl"):
        queries[str(r["_id"])] = str(r["text"])
        if r.get("answers"):
            answers[str(r["_id"])] = [str(a) for a in r["answers"]]
    qrels: dict[str, set[str]] = {}
    qrels_path = folder / "qrels.tsv"
    if not qrels_path.is_file():
        raise CorpusError(f"{qrels_path} is missing")
    for n, line in enumerate(qrels_path.read_text(encoding="utf-8").splitlines()):
        parts = line.split("\t")
        if n == 0 and parts[0] == "query-id":
            continue
        if len(parts) >= 2 and (len(parts) < 3 or float(parts[2]) > 0):
            qrels.setdefault(parts[0], set()).add(parts[1])
    queries = {q: t for q, t in queries.items() if q in qrels}
    return EvalSet(folder.resolve().name, articles, queries, answers, qrels)


def eval_searcher(evalset: EvalSet, encoder: Encoder, index_root: Path, progress: bool = True) -> Searcher:
    """A searcher over the eval corpus, reusing its cached index when the corpus and encoder are unchanged."""
    folder = index_root / "eval" / f"{evalset.name}-{corpus_fingerprint(evalset.articles)}"
    try:
        index = load_index(folder, encoder.id, encoder.dim)
    except (IndexMissing, IndexCorrupt, IndexMismatch):
        build_index(evalset.articles, encoder, folder, progress=progress, cache_dir=index_root / "cache")
        index = load_index(folder, encoder.id, encoder.dim)
    return Searcher(index, encoder, max_query_chars=10_000)


def _doc_ranking(searcher: Searcher, query: str, k: int, mode: str) -> list[str]:
    try:
        hits = searcher.search(query, k=min(k * CHUNKS_PER_DOC, 100), mode=mode).hits
    except BadQuery:  # e.g. an empty question in the set: it counts, as a miss
        return []
    return list(dict.fromkeys(h.article_id for h in hits))[:k]


def _retrieval_metrics(searcher: Searcher, evalset: EvalSet, k: int, mode: str, progress: bool) -> dict[str, float]:
    cutoffs = sorted({1, 5, k})
    recall = dict.fromkeys(cutoffs, 0.0)
    mrr = 0.0
    started = time.perf_counter()
    for qid, text in tqdm(evalset.queries.items(), desc=f"eval {mode}", unit="q", disable=not progress):
        relevant = evalset.qrels[qid]
        ranking = _doc_ranking(searcher, text, k, mode)
        for c in cutoffs:
            recall[c] += len(relevant & set(ranking[:c])) / len(relevant)
        mrr += next((1.0 / r for r, doc in enumerate(ranking, start=1) if doc in relevant), 0.0)
    n = max(len(evalset.queries), 1)
    out = {f"recall@{c}": round(v / n, 4) for c, v in recall.items()}
    out[f"mrr@{k}"] = round(mrr / n, 4)
    out["ms_per_query"] = round((time.perf_counter() - started) * 1000 / n, 2)
    return out


def _answer_metrics(searcher: Searcher, evalset: EvalSet, progress: bool) -> dict[str, float]:
    with_gold = [q for q in evalset.queries if q in evalset.answers]
    contains = abstained = 0
    for qid in tqdm(with_gold, desc="eval answer", unit="q", disable=not progress):
        try:
            reply = answer(searcher, evalset.queries[qid])
        except BadQuery:  # an empty question in the set counts as abstained
            abstained += 1
            continue
        text = "".join(reply.answer.split())
        abstained += reply.abstained
        contains += any("".join(g.split()) in text for g in evalset.answers[qid] if g.strip())
    n = max(len(with_gold), 1)
    return {"gold_in_answer": round(contains / n, 4), "abstained": round(abstained / n, 4)}


def evaluate(
    folder: Path, encoder: Encoder, index_root: Path, k: int = 10, progress: bool = True, modes: tuple[str, ...] = MODES
) -> dict[str, Any]:
    """Evaluate every mode and the answers on a BEIR folder; returns the `newsqa eval --json` body."""
    evalset = load_eval_set(folder)
    searcher = eval_searcher(evalset, encoder, index_root, progress)
    report: dict[str, Any] = {"corpus": len(evalset.articles), "queries": len(evalset.queries), "k": k, "modes": {}}
    for mode in ("bm25", "dense", "hybrid"):
        if mode in modes:
            report["modes"][mode] = _retrieval_metrics(searcher, evalset, k, mode, progress)
    report["answer"] = _answer_metrics(searcher, evalset, progress)
    return report
