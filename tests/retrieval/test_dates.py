"""Time: relative dates resolved against the article's day, time read from questions, and answers that state it."""

from datetime import date
from pathlib import Path

import pytest

from retrieval.answer import answer
from retrieval.articles import Article, load_articles
from retrieval.dates import (
    DateSpan,
    annotate,
    question_time,
    resolve_articles,
    resolve_dates,
    time_table,
)
from retrieval.encoders import load_encoder
from retrieval.search import Filters, Searcher
from retrieval.store import build_index, load_index
from tests.conftest import DATA, searcher_over


def _said(text: str, published: str | None) -> dict[str, str]:
    return {text[s.start : s.end]: s.label for s in resolve_dates(text, published)}


def test_relative_days_resolve_against_the_publication_date() -> None:
    said = _said("昨天（4月25日）20时59分发射。今天上午举行。前天抵达。明天返回。", "2024-04-26")
    assert said == {
        "昨天": "2024年4月25日",
        "4月25日": "2024年4月25日",
        "今天": "2024年4月26日",
        "前天": "2024年4月24日",
        "明天": "2024年4月27日",
    }


def test_years_months_and_weeks_resolve() -> None:
    said = _said("今年5月，公安部命名。去年完成试验。上个月开工。本周举行。5月份以来。", "2022-09-14")
    assert said["今年5月"] == "2022年5月"
    assert said["去年"] == "2021年"
    assert said["上个月"] == "2022年8月"
    assert said["本周"] == "2022年9月12日至18日"
    assert said["5月份"] == "2022年5月"


def test_parts_of_a_year() -> None:
    said = _said("今年上半年增长。一季度出口。2023年前三季度。去年底完成。四季度将开工。", "2025-01-10")
    assert said == {
        "今年上半年": "2025年1月至6月",
        "一季度": "2025年1月至3月",
        "2023年前三季度": "2023年1月至9月",
        "去年底": "2024年11月至12月",
        "四季度": "2024年10月至12月",  # not begun by 2025-01-10: last year's
    }
    asked = question_time("2024年上半年广交会有多少家企业参展", date(2026, 8, 19))
    assert asked.question == "广交会有多少家企业参展" and asked.window == (date(2024, 1, 1), date(2024, 6, 30))


def test_a_bare_month_day_takes_the_year_nearest_the_article() -> None:
    assert _said("12月28日消息", "2024-01-03") == {"12月28日": "2023年12月28日"}
    assert _said("1月5日将举行", "2023-12-28") == {"1月5日": "2024年1月5日"}
    assert _said("李强27日上午出席", "2023-06-27") == {"27日": "2023年6月27日"}
    assert _said("28日晚抵达", "2023-07-03") == {"28日": "2023年6月28日"}


def test_the_second_end_of_a_range_is_read_against_the_first() -> None:
    said = _said("第140届将于2026年10月15日至11月4日举办。", "2026-05-05")
    assert said["11月4日"] == "2026年11月4日"  # not 2025, which is nearer the article's day
    spans = resolve_dates("峰会11月8日至10日举行。", "2023-11-08")
    assert [s.label for s in spans] == ["2023年11月8日", "2023年11月10日"]


def test_dates_with_their_year_need_no_publication_date() -> None:
    assert _said("2021年10月16日发射，二〇二二年返回，十二月十四日开会，昨天", None) == {
        "2021年10月16日": "2021年10月16日",
        "二〇二二年": "2022年",
    }
    spans = resolve_dates("2021年10月16日发射", "2024-01-01")
    assert not spans[0].relative  # the text says it all: nothing to spell out


def test_approximate_words_and_non_dates() -> None:
    spans = resolve_dates("日前，筹备完成。3个月后，为期15日内，2月30日", "2025-11-05")
    assert [(s.start, s.approximate) for s in spans] == [(0, True)]
    assert spans[0].label == "2025年11月5日前后"


def test_annotate_spells_out_relative_dates_once_and_leaves_absolute_ones() -> None:
    text = "昨天（4月25日）发射。今年5月测试。2021年10月16日首飞。"
    assert annotate(text, resolve_dates(text, "2024-04-26")) == (
        "昨天（4月25日〔2024年4月25日〕）发射。今年5月〔2024年5月〕测试。2021年10月16日首飞。"
    )
    text = "论坛将于6月24日至25日举行。"  # a range stays whole, with both ends in full after it
    assert annotate(text, resolve_dates(text, "2025-06-20")) == "论坛将于6月24日至25日〔2025年6月24日至2025年6月25日〕举行。"


@pytest.mark.parametrize(
    ("question", "rest", "window", "newest"),
    [
        ("2023年发射的卫星有哪些？", "发射的卫星有哪些？", ("2023-01-01", "2023-12-31"), False),
        ("2024年4月发射的是哪颗卫星", "发射的是哪颗卫星", ("2024-04-01", "2024-04-30"), False),
        ("2022年6月5日发生了什么", "发生了什么", ("2022-06-05", "2022-06-05"), False),
        ("2022年到2023年发射了几颗卫星", "发射了几颗卫星", ("2022-01-01", "2023-12-31"), False),
        ("去年的博览会在哪开的", "博览会在哪开的", ("2025-01-01", "2025-12-31"), False),
        ("去年10月底发射的卫星", "发射的卫星", ("2025-10-01", "2025-10-31"), False),
        ("上个月有什么新闻", "有什么新闻", ("2026-07-01", "2026-07-31"), False),
        ("最近一次卫星发射是哪天", "卫星发射是哪天", None, True),
        ("天鹊三号是哪一年哪一天发射的", "天鹊三号是哪一年哪一天发射的", None, False),
        # a month or day without its year: the last one the corpus has reached ("now" is 2026-08-19)
        ("9月18号财政部公布的债务是多少", "财政部公布的债务是多少", ("2025-09-18", "2025-09-18"), False),
        ("8月12日开的什么会", "开的什么会", ("2026-08-12", "2026-08-12"), False),
        ("3月份的CPI涨了多少", "CPI涨了多少", ("2026-03-01", "2026-03-31"), False),
        ("每年9月举办的是什么节", "每年9月举办的是什么节", None, False),
    ],
)
def test_time_in_questions(question: str, rest: str, window: tuple[str, str] | None, newest: bool) -> None:
    asked = question_time(question, date(2026, 8, 19))
    assert asked.question == rest
    got = asked.window
    assert (got[0].isoformat(), got[1].isoformat()) == window if got else window is None
    assert asked.newest is newest


def test_a_question_that_is_only_time_is_left_whole() -> None:
    assert question_time("2023年？", date(2026, 1, 1)).window is None
    assert question_time("2023年发射的卫星", None).window is None  # no "now": an undated corpus


def test_windows_match_publication_and_event_days_but_not_vague_or_planned_ones() -> None:
    articles = [
        Article("a", "首飞", "今天首飞。2021年10月16日也曾发射。比去年增长。明年7月将再飞。", date="2022-04-16"),
        Article("b", "旧闻", "没有日期的话。", date="2023-03-01"),
    ]
    spans, offsets = resolve_articles([(a.text, a.date) for a in articles])
    table = time_table(
        ["a", "b"], ["2022-04-16", "2023-03-01"], [("a", 0, 5), ("a", 5, len(articles[0].text)), ("b", 0, 7)], spans, offsets
    )
    assert table.window_mask(date(2021, 10, 1), date(2021, 10, 31)).tolist() == [False, True, False]  # the event
    assert table.window_mask(date(2023, 1, 1), date(2023, 12, 31)).tolist() == [False, False, True]  # publication
    assert not table.window_mask(date(2021, 1, 1), date(2021, 6, 30)).any()  # 去年 (all of 2021) places nothing
    assert not table.window_mask(date(2023, 7, 1), date(2023, 7, 31)).any()  # 明年7月: a plan
    assert table.coverage == (date(2022, 4, 16), date(2023, 3, 1))
    assert isinstance(table.article_spans("a")[0], DateSpan)


# ---------------------------------------------------------------- end to end, with the real encoder


@pytest.fixture(scope="module")
def dated_searcher(tmp_path_factory: pytest.TempPathFactory) -> Searcher:
    index_dir = tmp_path_factory.mktemp("dated-index")
    encoder = load_encoder("e5-small-q4")
    build_index(load_articles([DATA / "dated_launches.jsonl"]).articles, encoder, index_dir, progress=False)
    return Searcher(load_index(index_dir, encoder.id, encoder.dim), encoder)


def test_a_launch_reported_as_yesterday_is_dated_to_its_day(dated_searcher: Searcher) -> None:
    reply = answer(dated_searcher, "天鹊三号是哪天发射的？")
    assert not reply.abstained
    assert reply.short_answer == "2024年4月25日"
    assert "〔2024年4月25日〕" in reply.answer  # shown beside the words…
    cited = reply.citations[0]
    assert "〔" not in cited.quote  # …while the quote stays verbatim
    resolved = [d for c in reply.citations for d in c.dates if d["resolved"] == "2024年4月25日"]
    assert resolved and resolved[0]["text"] in ("昨天", "4月25日", "明天")
    assert all(c.quote[d["start"] : d["end"]] == d["text"] for c in reply.citations for d in c.dates)
    assert reply.time_window is None


def test_a_year_in_the_question_narrows_the_search_to_it(dated_searcher: Searcher) -> None:
    reply = answer(dated_searcher, "2023年发射的天鹊卫星是谁领衔研制的？")
    assert reply.time_window == {"from": "2023-01-01", "to": "2023-12-31", "source": "question"}
    assert not reply.abstained
    assert {c.article_id for c in reply.citations} == {"tq2-launch"}
    assert "陈林" in reply.answer


def test_newest_first_for_recent(dated_searcher: Searcher) -> None:
    reply = answer(dated_searcher, "最近一次天鹊卫星发射是哪天？")
    assert reply.short_answer == "2024年4月25日"


def test_relative_time_in_a_question_reads_against_the_newest_article(dated_searcher: Searcher) -> None:
    reply = answer(dated_searcher, "去年发射的天鹊卫星是几号？")  # now = 2025-11-05, the corpus's newest day
    assert reply.time_window == {"from": "2024-01-01", "to": "2024-12-31", "source": "question"}
    assert {c.article_id for c in reply.citations} <= {"tq3-launch", "tq3-window"}
    configured = answer(dated_searcher, "去年发射的天鹊卫星是几号？", now=date(2024, 6, 1))
    assert configured.time_window is not None and configured.time_window["from"] == "2023-01-01"


def test_a_time_the_corpus_does_not_cover_is_refused_with_its_dates(dated_searcher: Searcher) -> None:
    reply = answer(dated_searcher, "2030年天鹊卫星哪天发射？")
    assert reply.abstained and not reply.citations
    assert "2030年" in reply.answer and "2023年5月30日至2025年11月5日" in reply.answer


def test_explicit_filters_and_question_time_combine(dated_searcher: Searcher) -> None:
    only_filter = answer(dated_searcher, "天鹊卫星哪天发射？", filters=Filters(date_from="2023-01-01", date_to="2023-12-31"))
    assert only_filter.time_window == {"from": "2023-01-01", "to": "2023-12-31", "source": "filter"}
    both = answer(dated_searcher, "2024年天鹊卫星哪天发射？", filters=Filters(date_from="2024-04-25"))
    assert both.time_window == {"from": "2024-04-25", "to": "2024-12-31", "source": "question"}
    clash = answer(dated_searcher, "2023年天鹊卫星哪天发射？", filters=Filters(date_from="2024-01-01"))
    assert clash.abstained and "没有交集" in clash.answer


def test_an_undated_corpus_keeps_time_as_words(tmp_path: Path, hash_encoder) -> None:
    articles = [Article("x", "卫星", "2023年，天鹊二号卫星成功发射。"), Article("y", "其他", "别的新闻。")]
    build_index(articles, hash_encoder, tmp_path, progress=False)
    searcher = Searcher(load_index(tmp_path, hash_encoder.id, hash_encoder.dim), hash_encoder)
    reply = answer(searcher, "2023年发射的是哪颗卫星？")
    assert reply.time_window is None
    assert not searcher.index.time.dated


def test_last_year_in_an_article_of_this_year_answers_a_question_about_last_year(tmp_path: Path) -> None:
    articles = [
        Article("income", "天鹊村村民写信", "村民写信。去年，天鹊村村民人均可支配收入4.12万元。", date="2025-06-30"),
        Article("launch", "天鹊三号卫星成功发射", "2024年4月25日，天鹊三号卫星在酒泉卫星发射中心成功发射。", date="2024-04-26"),
    ]
    searcher = searcher_over(articles, tmp_path)
    reply = answer(searcher, "天鹊村去年村民人均可支配收入有多少？")  # now = 2025-06-30: 去年 is 2024
    assert reply.time_window == {"from": "2024-01-01", "to": "2024-12-31", "source": "question"}
    assert not reply.abstained and reply.short_answer == "4.12万元"
    assert answer(searcher, "天鹊村前年村民人均可支配收入有多少？").abstained  # 2023: the text's 去年 is not it


def test_a_time_after_the_newest_news_is_answered_by_what_was_announced_for_it(tmp_path: Path) -> None:
    articles = [
        Article("talks", "天鹊省长会见议会代表团", "省长表示，明年是两省结好30周年，双方将举办系列活动。", date="2025-06-20"),
        Article("launch", "天鹊三号卫星成功发射", "2024年4月25日，天鹊三号卫星在酒泉卫星发射中心成功发射。", date="2024-04-26"),
    ]
    searcher = searcher_over(articles, tmp_path)
    reply = answer(searcher, "明年是两省结好多少周年？")  # now = 2025-06-20: 明年 is 2026, after every article
    assert not reply.abstained and reply.short_answer == "30周年"
    refused = answer(searcher, "明年天鹊四号卫星什么时候发射？")  # nothing written about 2026 says so
    assert refused.abstained and not refused.citations and "2024年4月26日至2025年6月20日" in refused.answer


def test_which_days_is_answered_with_the_whole_range(tmp_path: Path) -> None:
    text = "李强将于6月24日至25日出席在天津举行的夏季达沃斯论坛。"
    articles = [Article("forum", "夏季达沃斯论坛将在天津举行", text, date="2025-06-20")]
    searcher = searcher_over(articles, tmp_path)
    reply = answer(searcher, "李强去天津参加夏季达沃斯论坛是哪几天？")
    assert reply.short_answer == "6月24日至25日"
    assert "6月24日至25日〔2025年6月24日至2025年6月25日〕" in reply.answer
    assert answer(searcher, "天津的夏季达沃斯论坛哪天结束？").short_answer == "2025年6月25日"  # the range's last day
    assert answer(searcher, "天津的夏季达沃斯论坛哪天举行？").short_answer == "2025年6月24日"


def test_the_full_date_follows_the_time_of_day_said_with_it() -> None:
    text = "赵乐际26日下午在人民大会堂会谈。专机20日中午12时许抵达。"
    assert annotate(text, resolve_dates(text, date(2025, 8, 26))) == (
        "赵乐际26日下午〔2025年8月26日〕在人民大会堂会谈。专机20日中午12时许〔2025年8月20日〕抵达。"
    )
