"""Write a BEIR folder for the news question set: the March 2024 articles of the xwlb corpus plus the
hand-written questions in bench/news-2024-03 (the corpus text is CCTV's and is never committed).

usage: python bench/make_news_eval.py [CORPUS.jsonl.gz] [OUT_DIR]
"""

import gzip
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "corpora" / "xwlb-news.jsonl.gz"
MONTH = "2024-03"


def main() -> None:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else HERE.parent / "build" / f"news-{MONTH}"
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    with gzip.open(corpus, "rt", encoding="utf-8") as src, open(out / "corpus.jsonl", "w", encoding="utf-8") as dst:
        for line in src:
            row = json.loads(line)
            if row.get("date", "").startswith(MONTH):
                doc = {
                    "_id": row["id"],
                    "title": row["title"],
                    "text": row["text"],
                    "date": row["date"],
                    "source": row.get("source"),
                    "url": row.get("url"),
                }
                dst.write(json.dumps(doc, ensure_ascii=False) + "\n")
                n += 1
    for name in ("queries.jsonl", "qrels.tsv"):
        shutil.copy(HERE / f"news-{MONTH}" / name, out / name)
    print(f"{out}: {n} articles")


if __name__ == "__main__":
    main()
