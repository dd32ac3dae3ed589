"""Write the probe sets as BEIR folders: build/eval/probe-tune and build/eval/probe-holdout.

Two probes of 40 questions each (eval/probes/questions.jsonl), written the way people type over random articles of
two months of the news corpus that no other set uses: June 2025 (the tune half: defects it showed were mended) and
March 2026 (the holdout half: written after those mends and never tuned on). Each has 30 answerable questions (4 in
traditional script, 2 in English) and 10 the corpus cannot answer (5 near misses, 5 about things the month does not
report). Each half's corpus is its own month's articles, assembled from ../shared/corpora/xwlb-news.jsonl.gz (the news
text belongs to CCTV and is never committed). The March probe's 12 dialogues are eval/dialogues/probe-holdout.jsonl.

Each line of the questions file has the fields of the own sets' (bench/own_sets.py).

usage: python -m bench.probe_sets [NEWS.jsonl.gz] [OUT_DIR]
"""

import sys

from bench.own_sets import ROOT, build_halves, news_rows

QUESTIONS = ROOT / "eval" / "probes" / "questions.jsonl"
#: each half over its own month: a question's 今年 and 去年 are read against that month's newest article
MONTH_OF_HALF = {"tune": "2025-06", "holdout": "2026-03"}


def main() -> None:
    for half, month in MONTH_OF_HALF.items():
        build_halves(
            "probe",
            QUESTIONS,
            lambda news, month=month: news_rows(news, lambda row: row.get("date", "").startswith(month)),
            lambda q: [q["article_id"]] if q["article_id"] is not None else [],
            sys.argv[1:],
            halves=(half,),
        )


if __name__ == "__main__":
    main()
