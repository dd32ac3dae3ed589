"""Write the time-question sets as BEIR folders: build/eval/time-tune and build/eval/time-holdout.

The questions (eval/time/questions.jsonl) ask about launches, meetings, fairs and anniversaries in the news corpus,
with time in them the way people put it: a year, a month, 去年, 最近, a range, a year the corpus does not cover, and
the same event reported on different days. The corpus is every article of ../shared/corpora/xwlb-news.jsonl.gz whose
title names one of TOPICS, with its publication date (the text belongs to CCTV and is never committed).

Each line of the questions file: {"id", "text", "answers": [gold strings], "article_ids": [articles that answer it;
empty = the corpus cannot], "kind", "half": "tune" or "holdout"}. A gold string must occur in one of its articles,
or be a date written in full (2024年4月25日) — the article itself says 昨天 or 4月25日. Halves were assigned by kind
with random.Random(12), alternating within each kind from a random start.

usage: python -m bench.time_sets [NEWS.jsonl.gz] [OUT_DIR]
"""

import gzip
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "eval" / "time" / "questions.jsonl"
DEFAULT_NEWS = ROOT.parent / "shared" / "corpora" / "xwlb-news.jsonl.gz"
TOPICS = ("神舟", "天舟", "嫦娥", "进博会", "进口博览会", "服贸会", "广交会", "亚冬会", "世界互联网大会", "夏季达沃斯", "春运")
_FULL_DATE = re.compile(r"^[12]\d{3}年(?:\d{1,2}月(?:\d{1,2}日)?)?$")


def corpus(news: Path) -> list[dict[str, str]]:
    """The news articles on TOPICS, as BEIR corpus rows with their dates."""
    rows = []
    with gzip.open(news, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if any(t in row.get("title", "") for t in TOPICS):
                keys = ("title", "text", "date", "source", "url")
                rows.append({"_id": row["id"], **{k: row.get(k) or "" for k in keys}})
    return rows


def main() -> None:
    news = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_NEWS
    out_root = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "build" / "eval"
    docs = corpus(news)
    texts = {d["_id"]: d["text"] for d in docs}
    questions = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    for q in questions:
        missing = [a for a in q["article_ids"] if a not in texts]
        if missing:
            raise SystemExit(f"{q['id']}: article {missing[0]} is not in the corpus")
        for gold in q["answers"]:
            if not _FULL_DATE.match(gold) and not any(gold in texts[a] for a in q["article_ids"]):
                raise SystemExit(f"{q['id']}: gold answer {gold!r} is in none of its articles")
    for half in ("tune", "holdout"):
        folder = out_root / f"time-{half}"
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
            fh.writelines(f"{q['id']}\t{a}\t1\n" for q in mine for a in q["article_ids"])
        answerable = sum(bool(q["article_ids"]) for q in mine)
        print(f"{folder}: {len(docs)} documents, {answerable} answerable and {len(mine) - answerable} unanswerable questions")


if __name__ == "__main__":
    main()
