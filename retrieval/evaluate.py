"""Evaluation on BEIR-format folders: retrieval quality per mode and answer quality."""

import json
import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from retrieval.answer import Answer, answer
from retrieval.articles import Article, article_from_record
from retrieval.conversation import Turn
from retrieval.encoders import Encoder
from retrieval.entities import ANALYSER
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
    #: questions the corpus cannot answer (`"answers": []` and no qrels row): the right reply is an abstention
    unanswerable: dict[str, str] = field(default_factory=dict)


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
    declared_unanswerable: set[str] = set()
    for r in _jsonl(folder / "queries.jsonl"):
        queries[str(r["_id"])] = str(r["text"])
        if r.get("answers"):
            answers[str(r["_id"])] = [str(a) for a in r["answers"]]
        elif isinstance(r.get("answers"), list):
            declared_unanswerable.add(str(r["_id"]))
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
    unanswerable = {q: t for q, t in queries.items() if q in declared_unanswerable and q not in qrels}
    queries = {q: t for q, t in queries.items() if q in qrels}
    return EvalSet(folder.resolve().name, articles, queries, answers, qrels, unanswerable)


def sample(evalset: EvalSet, limit: int | None, seed: int = 0) -> EvalSet:
    """At most `limit` questions of each kind (answerable, unanswerable), drawn with a fixed seed."""
    if not limit:
        return evalset

    def draw(items: dict[str, str]) -> dict[str, str]:
        keys = sorted(items)
        random.Random(seed).shuffle(keys)
        return {k: items[k] for k in sorted(keys[:limit])}

    return EvalSet(
        evalset.name, evalset.articles, draw(evalset.queries), evalset.answers, evalset.qrels, draw(evalset.unanswerable)
    )


_PUNCTUATION = re.compile(r"[\s\W_]+", re.UNICODE)


def _fold(text: str) -> str:
    """CMRC 2018's normalisation: lower case, punctuation and whitespace removed."""
    return _PUNCTUATION.sub("", text.lower())


def _longest_common_substring(a: str, b: str) -> int:
    best = 0
    previous = [0] * (len(b) + 1)
    for ch in a:
        current = [0] * (len(b) + 1)
        for j, other in enumerate(b, start=1):
            if ch == other:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def short_scores(prediction: str | None, golds: list[str]) -> tuple[float, float]:
    """(exact match, F1) of a short answer against the best gold answer, as CMRC 2018 scores them (None scores 0)."""
    if not prediction:
        return 0.0, 0.0
    pred = _fold(prediction)
    em = f1 = 0.0
    for gold in (_fold(g) for g in golds):
        if not gold or not pred:
            continue
        em = max(em, float(pred == gold))
        common = _longest_common_substring(pred, gold)
        if common:
            precision, recall = common / len(pred), common / len(gold)
            f1 = max(f1, 2 * precision * recall / (precision + recall))
    return em, f1


def eval_searcher(evalset: EvalSet, encoder: Encoder, index_root: Path, progress: bool = True) -> Searcher:
    """A searcher over the eval corpus, reusing its cached index when the corpus and encoder are unchanged."""
    folder = index_root / "eval" / f"{evalset.name}-{corpus_fingerprint(evalset.articles)}"
    try:
        index = load_index(folder, encoder.id, encoder.dim)
        if index.manifest.get("analyser") != ANALYSER:  # built before the current mention analyser: find them again
            raise IndexMismatch("mentions of another analyser")
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
    contains = abstained = cited = 0
    em = f1 = 0.0
    for qid in tqdm(with_gold, desc="eval answer", unit="q", disable=not progress):
        try:
            reply = answer(searcher, evalset.queries[qid])
        except BadQuery:  # an empty question in the set counts as abstained
            abstained += 1
            continue
        text = "".join(reply.answer.split())
        abstained += reply.abstained
        golds = evalset.answers[qid]
        contains += any("".join(g.split()) in text for g in golds if g.strip())
        cited += not reply.abstained and bool(evalset.qrels.get(qid, set()) & {c.article_id for c in reply.citations})
        q_em, q_f1 = short_scores(reply.short_answer, golds)
        em += q_em
        f1 += q_f1
    n = max(len(with_gold), 1)
    metrics = {
        "gold_in_answer": round(contains / n, 4),
        "abstained": round(abstained / n, 4),
        "short_em": round(em / n, 4),
        "short_f1": round(f1 / n, 4),
        "cited_right": round(cited / n, 4),
    }
    if evalset.unanswerable:
        refused = 0
        for text in tqdm(evalset.unanswerable.values(), desc="eval abstain", unit="q", disable=not progress):
            try:
                refused += answer(searcher, text).abstained
            except BadQuery:
                refused += 1
        # Abstaining is the positive decision: precision = right refusals / all refusals, recall = refusals of the
        # questions the corpus cannot answer.
        metrics["abstain_precision"] = round(refused / max(refused + abstained, 1), 4)
        metrics["abstain_recall"] = round(refused / len(evalset.unanswerable), 4)
    return metrics


def evaluate(
    folder: Path,
    encoder: Encoder,
    index_root: Path,
    k: int = 10,
    progress: bool = True,
    modes: tuple[str, ...] = MODES,
    limit: int | None = None,
) -> dict[str, Any]:
    """Evaluate every mode and the answers on a BEIR folder (on a fixed sample of `limit` questions, when given);
    returns the `newsqa eval --json` body."""
    evalset = sample(load_eval_set(folder), limit)
    searcher = eval_searcher(evalset, encoder, index_root, progress)
    report: dict[str, Any] = {"corpus": len(evalset.articles), "queries": len(evalset.queries), "k": k, "modes": {}}
    for mode in ("bm25", "dense", "hybrid"):
        if mode in modes:
            report["modes"][mode] = _retrieval_metrics(searcher, evalset, k, mode, progress)
    report["answer"] = _answer_metrics(searcher, evalset, progress)
    return report


def _dialogue_right(reply: Answer, gold: list[str], article_id: str | None) -> bool:
    """The last turn is right when it cites the article and holds a gold string, or abstains where it should."""
    if article_id is None:
        return reply.abstained
    text = "".join(reply.answer.split())
    cited = {c.article_id for c in reply.citations}
    return not reply.abstained and article_id in cited and any("".join(g.split()) in text for g in gold)


def evaluate_dialogues(searcher: Searcher, path: Path, progress: bool = True) -> dict[str, Any]:
    """Follow-up accuracy on a JSONL of dialogues (GUIDE §2): the last turn, asked after the turns before it, beside
    the same question written out standalone (optional `standalone`) and the share of topic switches (optional
    `"kind": "switch"`) left unrewritten; returns the `newsqa eval --dialogues --json` body."""
    dialogues = _jsonl(path)
    right = standalone_right = with_standalone = switches = kept = 0
    for n, d in enumerate(tqdm(dialogues, desc="eval dialogues", unit="dialogue", disable=not progress), start=1):
        turns, gold, article_id = d.get("turns"), d.get("gold") or [], d.get("article_id")
        if not isinstance(turns, list) or not turns or not all(isinstance(t, str) and t.strip() for t in turns):
            raise CorpusError(f'{path}:{n}: a dialogue needs "turns": a list of questions')
        history: list[Turn] = []
        for question in turns[:-1]:
            reply = answer(searcher, question, history=history)
            ids = tuple(dict.fromkeys(c.article_id for c in reply.citations)) if not reply.abstained else ()
            history.append(Turn(question, reply.answer, reply.short_answer, reply.standalone_question, ids))
        last = answer(searcher, turns[-1], history=history)
        right += _dialogue_right(last, gold, article_id)
        if d.get("standalone"):
            with_standalone += 1
            standalone_right += _dialogue_right(answer(searcher, d["standalone"]), gold, article_id)
        if d.get("kind") == "switch":
            switches += 1
            kept += last.standalone_question == last.question
    total = max(len(dialogues), 1)
    report: dict[str, Any] = {"dialogues": len(dialogues), "follow_up_accuracy": round(right / total, 4)}
    if with_standalone:
        report["standalone_accuracy"] = round(standalone_right / with_standalone, 4)
    if switches:
        report["switches_unrewritten"] = round(kept / switches, 4)
    return report
