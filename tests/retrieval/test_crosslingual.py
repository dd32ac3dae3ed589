"""English questions put into Chinese words with the real CC-CEDICT, and searched so on the seed corpus."""

from retrieval.answer import ABSTAIN_OTHER_LANGUAGE, answer
from retrieval.crosslingual import chinese_question
from retrieval.search import Searcher

# How often a small corpus uses some words: the most used translation of a phrase is taken.
USAGE = {"开普敦": 3.0, "市长": 5.0, "镇长": 1.0, "龙舟": 2.0, "鼓手": 1.0, "冰岛": 2.0, "总统": 9.0, "北京": 20.0, "会晤": 6.0}


def usage(word: str) -> float:
    return USAGE.get(word, 0.0)


def test_an_english_question_becomes_its_chinese_words_and_question_word() -> None:
    assert chinese_question("Who is the Cape Town mayor?", usage) == "开普敦市长是谁"
    assert chinese_question("who is the iceland president xi met in beijing", usage) == "冰岛总统会晤北京是谁"


def test_how_many_people_asks_for_a_count_of_people() -> None:
    known = {**USAGE, "人民": 9.0}
    question = chinese_question("How many people did the Cape Town mayor meet?", lambda w: known.get(w, 0.0))
    assert question == "开普敦市长会晤多少人"  # not 人民 among the words and 多少 at the end


def test_dates_and_codes_are_written_as_the_corpus_writes_them() -> None:
    known = {**USAGE, "c919": 1.0}
    question = chinese_question("When did the Cape Town mayor see the C919 on May 2025?", lambda w: known.get(w, 0.0))
    assert question is not None and "2025年5月" in question and "C919" in question and question.endswith("什么时候")


def test_names_written_in_pinyin_are_the_chinese_names() -> None:
    known = {**USAGE, "成都": 4.0, "深圳": 6.0, "中山": 2.0, "火炬": 1.0, "接力": 1.0, "总长": 1.0}
    torch = chinese_question("When is the torch relay in Chengdu?", lambda w: known.get(w, 0.0))
    assert torch is not None and "成都" in torch
    link = chinese_question("What is the total length of the Shenzhen-Zhongshan Link?", lambda w: known.get(w, 0.0))
    assert link is not None and "深圳中山" in link


def test_a_one_character_translation_counts_as_none() -> None:
    known = {"新疆": 3.0, "人民": 5.0, "检察院": 4.0, "总": 9.0}  # chief → 总 says nothing of a procurator
    question = "Who is the chief procurator of the Xinjiang People's Procuratorate?"
    assert chinese_question(question, lambda w: known.get(w, 0.0)) is None


def test_a_question_whose_words_are_mostly_unknown_is_not_searched_in_chinese() -> None:
    assert chinese_question("Who won the 2024 European football championship?", usage) is None  # nothing found
    assert chinese_question("Who is the Cape Town mayor's deputy chief of staff for procurement?", usage) is None


def test_an_english_question_is_searched_as_its_chinese_words(searcher: Searcher) -> None:
    reply = answer(searcher, "When did the procuratorate and the court hold the consultation meeting?")
    assert reply.standalone_question is not None
    assert "检察院" in reply.standalone_question and "法院" in reply.standalone_question
    if reply.abstained:  # refused in the asker's language too
        assert reply.answer == ABSTAIN_OTHER_LANGUAGE
