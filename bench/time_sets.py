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

import sys
from pathlib import Path

from bench.own_sets import build_halves, news_rows

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "eval" / "time" / "questions.jsonl"
TOPICS = ("神舟", "天舟", "嫦娥", "进博会", "进口博览会", "服贸会", "广交会", "亚冬会", "世界互联网大会", "夏季达沃斯", "春运")


def corpus(news: Path) -> list[dict[str, str]]:
    """The news articles on TOPICS, as BEIR corpus rows with their dates."""
    return news_rows(news, lambda row: any(t in row.get("title", "") for t in TOPICS))


def main() -> None:
    build_halves("time", QUESTIONS, corpus, lambda q: q["article_ids"], sys.argv[1:])


if __name__ == "__main__":
    main()
