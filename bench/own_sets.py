"""Write the project's own answer sets as BEIR folders: build/eval/own-tune and build/eval/own-holdout.

The questions (eval/answers/questions.jsonl) were written the way people type them — short, colloquial, traditional
script, English, near misses and questions the corpus cannot answer — over the two seed articles and the April 2024
articles of the news corpus. The news text belongs to CCTV and is never committed: the corpus is assembled here from
../shared/corpora/xwlb-news.jsonl.gz. Each answerable question's gold strings are checked to occur in its article (a
date with its year, the form short answers take, may stand beside the article's own 12月14日).

Each line of the questions file: {"id", "text", "answers": [gold strings], "article_id": str or null (null = the corpus
cannot answer it), "kind": person/org/place/time/quantity/thing/open/unanswerable/near-miss/english/traditional,
"half": "tune" or "holdout"}. own-000..095 were split at random by kind (seed 2026); own-096..155 were added later and
split by kind with random.Random(10), each going to the half with fewer questions of its kind (ties at random).

usage: python -m bench.own_sets [NEWS.jsonl.gz] [OUT_DIR]
"""

import gzip
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from retrieval.articles import load_articles

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "eval" / "answers" / "questions.jsonl"
DEFAULT_NEWS = ROOT.parent / "shared" / "corpora" / "xwlb-news.jsonl.gz"
MONTH = "2024-04"
# A date with its year (2024年4月25日, 2022年5月): the form short answers take; the article itself may say 昨天.
FULL_DATE = re.compile(r"^[12]\d{3}年(?:\d{1,2}月(?:\d{1,2}日)?)?$")


def news_rows(news: Path, keep: Callable[[dict[str, Any]], bool]) -> list[dict[str, str]]:
    """The articles of the news corpus that `keep` accepts, as BEIR corpus rows with their dates."""
    rows = []
    with gzip.open(news, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if keep(row):
                keys = ("title", "text", "date", "source", "url")
                rows.append({"_id": row["id"], **{k: row.get(k) or "" for k in keys}})
    return rows


def write_halves(
    out_root: Path,
    name: str,
    docs: list[dict[str, str]],
    questions: list[dict[str, Any]],
    answered_by: Callable[[dict[str, Any]], list[str]],
    halves: tuple[str, ...] = ("tune", "holdout"),
) -> None:
    """Write `name`-tune and `name`-holdout BEIR folders (or only those of `halves`): the same corpus, each half's
    questions, and qrels from `answered_by` (the articles that answer a question; none: it is unanswerable)."""
    for half in halves:
        folder = out_root / f"{name}-{half}"
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "corpus.jsonl", "w", encoding="utf-8") as fh:
            for d in docs:
                fh.write(json.dumps(d, ensure_ascii=False) + "\n")
        mine = [q for q in questions if q["half"] == half]
        with open(folder / "queries.jsonl", "w", encoding="utf-8") as fh:
            for q in mine:
                fh.write(json.dumps({"_id": q["id"], "text": q["text"], "answers": q["answers"]}, ensure_ascii=False) + "\n")
        with open(folder / "qrels.tsv", "w", encoding="utf-8") as fh:
            fh.write("query-id\tcorpus-id\tscore\n")
            fh.writelines(f"{q['id']}\t{a}\t1\n" for q in mine for a in answered_by(q))
        answerable = sum(bool(answered_by(q)) for q in mine)
        print(f"{folder}: {len(docs)} documents, {answerable} answerable and {len(mine) - answerable} unanswerable questions")


def corpus(news: Path) -> list[dict[str, str]]:
    """The seed articles (as ingested) and the month's news articles, as BEIR corpus rows."""
    rows = [
        {"_id": a.id, "title": a.title, "text": a.text, "date": a.date or "", "source": a.source or "", "url": a.url or ""}
        for a in load_articles([ROOT / "seeds"]).articles
    ]
    return rows + news_rows(news, lambda row: row.get("date", "").startswith(MONTH))


def build_halves(
    name: str,
    questions_path: Path,
    corpus_of: Callable[[Path], list[dict[str, str]]],
    answered_by: Callable[[dict[str, Any]], list[str]],
    argv: list[str],
    halves: tuple[str, ...] = ("tune", "holdout"),
) -> None:
    """Build the `name` sets from the command line ([NEWS.jsonl.gz] [OUT_DIR]): the corpus, the questions checked
    against it (each of a question's articles is in the corpus, and each gold string is in one of them unless it is a
    date written in full, which the article may say as 昨天 or 12月14日), then the two halves (or only `halves`)."""
    news = Path(argv[0]) if argv else DEFAULT_NEWS
    out_root = Path(argv[1]) if len(argv) > 1 else ROOT / "build" / "eval"
    docs = corpus_of(news)
    texts = {d["_id"]: d["text"] for d in docs}
    lines = questions_path.read_text(encoding="utf-8").splitlines()
    questions = [q for q in (json.loads(line) for line in lines if line.strip()) if q["half"] in halves]
    for q in questions:
        articles = answered_by(q)
        missing = [a for a in articles if a not in texts]
        if missing:
            raise SystemExit(f"{q['id']}: article {missing[0]} is not in the corpus")
        for gold in q["answers"]:
            if not FULL_DATE.match(gold) and not any(gold in texts[a] for a in articles):
                raise SystemExit(f"{q['id']}: gold answer {gold!r} is in none of its articles")
    write_halves(out_root, name, docs, questions, answered_by, halves)


def main() -> None:
    build_halves("own", QUESTIONS, corpus, lambda q: [q["article_id"]] if q["article_id"] is not None else [], sys.argv[1:])


if __name__ == "__main__":
    main()
