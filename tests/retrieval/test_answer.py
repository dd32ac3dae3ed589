"""Answers on the seed corpus: the seed question set, citation numbering and abstention."""

import re

import pytest

from retrieval.answer import ABSTAIN_OTHER_LANGUAGE, ABSTAIN_TEXT, MAX_ANSWER_CHARS, answer
from retrieval.search import Searcher


def test_seed_question_set_is_big_enough(seed_questions: list[dict]) -> None:
    assert sum(q["article_id"] is not None for q in seed_questions) >= 15
    assert sum(q["article_id"] is None for q in seed_questions) >= 5


def test_in_corpus_questions_cite_the_right_article_and_contain_the_answer(
    searcher: Searcher, seed_questions: list[dict]
) -> None:
    failures = []
    for q in seed_questions:
        if q["article_id"] is None:
            continue
        reply = answer(searcher, q["question"])
        if reply.abstained or q["answer"] not in reply.answer or q["article_id"] not in {c.article_id for c in reply.citations}:
            failures.append((q["question"], reply.answer))
    assert failures == []


def test_out_of_corpus_questions_abstain(searcher: Searcher, seed_questions: list[dict]) -> None:
    for q in seed_questions:
        if q["article_id"] is None:
            reply = answer(searcher, q["question"])
            assert reply.abstained, (q["question"], reply.answer)
            if reply.time_window is not None and not reply.citations:  # a year the corpus has no news of
                assert "语料库收录的新闻发布于2022年9月14日至2023年12月16日" in reply.answer
                continue
            assert reply.answer in (ABSTAIN_TEXT, ABSTAIN_OTHER_LANGUAGE)
            assert 1 <= len(reply.citations) <= 3 and all(c.quote == "" for c in reply.citations)


def test_answer_shape_and_citation_numbering(searcher: Searcher) -> None:
    reply = answer(searcher, "两院首次交流会商会形成了多少项会商事项？")
    body = reply.to_dict()
    assert list(body) == [
        "question",
        "standalone_question",
        "short_answer",
        "answer",
        "abstained",
        "citations",
        "timings_ms",
        "time_window",
    ]
    assert body["short_answer"] == "12项" and body["standalone_question"] == body["question"]
    assert set(body["timings_ms"]) == {"encode", "search", "answer", "total"}
    assert body["timings_ms"]["total"] >= body["timings_ms"]["encode"] > 0
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", reply.answer)]
    assert markers and markers[0] == 1
    # Numbered in order of first use, every marker has its citation, every citation is used.
    first_use = list(dict.fromkeys(markers))
    assert first_use == list(range(1, len(first_use) + 1)) == [c.n for c in reply.citations]
    assert len(re.sub(r"\[\d+\]", "", reply.answer)) <= MAX_ANSWER_CHARS
    for c in reply.citations:
        assert (c.quote and c.quote in c.passage) or all(part in c.passage for part in c.quote.split("。") if part)
        assert set(body["citations"][c.n - 1]) == {
            "n",
            "article_id",
            "chunk_id",
            "title",
            "source",
            "date",
            "url",
            "quote",
            "passage",
            "score",
            "dates",
        }
    assert reply.citations[0].url == "http://www.xjpeace.cn/content/2023-12/15/content_49975.html"


def test_each_sentence_ends_with_its_marker(searcher: Searcher) -> None:
    reply = answer(searcher, "自治区党委政法委在哪里开设了学习专栏？")
    assert re.fullmatch(r"(?:[^\[\]]+\[\d+\]){1,3}", reply.answer), reply.answer


@pytest.mark.parametrize("k", [1, 3, 10])
def test_k_bounds_the_passages_used(searcher: Searcher, k: int) -> None:
    reply = answer(searcher, "自治区高院院长是谁？", k=k)
    assert len(reply.citations) <= k and not reply.abstained


def test_a_number_the_articles_lead_names_pins_down_its_later_sentences(searcher: Searcher) -> None:
    # 12月14日 is written in the lead only; the seven aspects are two paragraphs further on.
    for question in ("12月14号两院会商形成了几个方面的会商事项？", "12月14日两院会商形成了几个方面的会商事项？"):
        reply = answer(searcher, question)
        assert not reply.abstained and reply.short_answer == "7个方面", (question, reply.answer)
