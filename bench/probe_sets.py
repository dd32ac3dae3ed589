"""Write the probe sets as BEIR folders: build/eval/probe-tune, probe-tune2, probe-tune4, probe-tune5, probe-tune6,
probe-tune7, probe-tune8, probe-tune9, probe-tune10, probe-holdout and probe-holdout2.

Eleven probes of 40 questions each (eval/probes/questions.jsonl), written the way people type over random articles of
eleven months of the news corpus that no other set uses, each blind (its writer saw neither the code nor its answers)
and after the mends of the one before:
- June 2025 (`tune`): defects it showed were mended;
- March 2026 (`tune2`): held out for one round of changes, then mended on too;
- October 2025 (`tune4`): held out for two rounds, then mended on too;
- August 2025 (`tune5`): written for tuning, beside
- December 2025 (`holdout`): written after the October mends and never tuned on;
- April 2025 (`tune6`): written in the fourth round, measured blind once, then tuned on;
- September 2023 (`tune7`): written in the fifth round, measured blind once, then tuned on;
- July 2024 (`tune8`): written in the sixth round, measured blind once, then tuned on;
- May 2022 (`tune9`): written in the seventh round, measured blind once, then tuned on;
- March 2023 (`tune10`): written in the eighth round, measured blind once, then tuned on;
- September 2022 (`holdout2`): written in the eighth round after its mends, never tuned on (aggregates only).
Each has 30 answerable questions (4 in traditional script, 2 in English) and 10 the corpus cannot answer (5 near
misses, 5 about things the month does not report). Each half's corpus is its own month's articles, assembled from
../shared/corpora/xwlb-news.jsonl.gz (the news text belongs to CCTV and is never committed). The March, October,
August, April, September, July, May, March 2023, December and September 2022 probes have 12 dialogues each:
eval/dialogues/probe-tune2.jsonl, probe-tune4.jsonl … probe-tune10.jsonl, probe-holdout.jsonl and
probe-holdout2.jsonl.
February 2025 (`tune3`) has no single questions, only 24 dialogues written to tune follow-ups:
eval/dialogues/probe-tune3.jsonl.

Each line of the questions file has the fields of the own sets' (bench/own_sets.py).

usage: python -m bench.probe_sets [NEWS.jsonl.gz] [OUT_DIR]
"""

import sys

from bench.own_sets import ROOT, build_halves, news_rows

QUESTIONS = ROOT / "eval" / "probes" / "questions.jsonl"
#: each half over its own month: a question's 今年 and 去年 are read against that month's newest article
MONTH_OF_HALF = {
    "tune": "2025-06",
    "tune2": "2026-03",
    "tune3": "2025-02",
    "tune4": "2025-10",
    "tune5": "2025-08",
    "tune6": "2025-04",
    "tune7": "2023-09",
    "tune8": "2024-07",
    "tune9": "2022-05",
    "tune10": "2023-03",
    "tune11": "2024-11",
    "holdout": "2025-12",
    "holdout2": "2022-09",
    "holdout3": "2023-06",
}


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
