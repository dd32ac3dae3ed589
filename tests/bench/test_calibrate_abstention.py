"""The abstention calibration asks each question again with its documents hidden: hiding must hold through the
searcher's own masks (filters, time windows), or the fitted model learns from the wrong rows."""

from datetime import date

from bench.calibrate_abstention import HidingSearcher
from retrieval.answer import answer
from retrieval.search import Searcher


def test_hidden_articles_never_come_back_even_with_a_time_window(searcher: Searcher) -> None:
    hiding = HidingSearcher(searcher.index, searcher.encoder)
    question = "自治区高院院长是谁？"
    found = {h.article_id for h in hiding.search(question, k=5).hits}
    assert found
    hiding.hidden = frozenset(found)
    window = (date(2000, 1, 1), date(2100, 1, 1))
    assert not {h.article_id for h in hiding.search(question, k=5, window=window).hits} & found
    reply = answer(hiding, "2024年自治区高院院长是谁？")  # a question with time: the answer stage passes a window
    assert not {c.article_id for c in reply.citations} & found
