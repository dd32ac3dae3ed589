"""Example questions for an empty chat: drawn from the index itself, and kept only when the corpus answers them.

A person named right after a role in a recent article (自治区高院院长迪里夏提·沙依木) gives "自治区高院院长是谁？"; the
question is asked of the index, and kept when the answer names that person. Nothing is written for a particular
corpus: a new corpus brings its own examples.
"""

import re
from collections.abc import Iterator

from retrieval.answer import answer
from retrieval.search import Searcher

MAX_ARTICLES = 200  # the newest articles looked at
PER_ARTICLE = 2  # examples drawn from one article at most
_ROLE_BEFORE = re.compile(
    r"([\u4e00-\u9fff]{2,16}?(?:院长|检察长|书记|主席|局长|厅长|所长|部长|市长|县长|主任|董事长|总经理|校长|站长|队长))$"
)
_BREAK = re.compile(r"[，,。；;：:、“”\"（）()\s]")


_EVENT_TITLE = re.compile(
    r"^([^，,。：:—\s]{4,30}(?:举行|召开|开幕|闭幕|开展|开通|成立|发射|启动|揭晓|揭牌|开工|通车|签署))([^，,。：:—\s]{0,14})$"
)


def _candidates(searcher: Searcher) -> Iterator[tuple[str, str | None, str]]:
    """(question, expected short answer or None for any, article id): people named after their role, and the day of
    an event a title reports, newest articles first."""
    index = searcher.index
    rows_by_article: dict[str, list[int]] = {}
    for row, chunk in enumerate(index.chunks):
        rows_by_article.setdefault(chunk.article_id, []).append(row)
    newest = sorted(rows_by_article, key=lambda a: index.articles[a].date or "", reverse=True)[:MAX_ARTICLES]
    for article_id in newest:
        for row in rows_by_article[article_id]:
            text = index.chunks[row].text
            for m in index.chunk_mentions(row):
                if m.kind != "person":
                    continue
                before = _BREAK.split(text[max(0, m.start - 20) : m.start])[-1]
                role = _ROLE_BEFORE.search(before)
                if role:
                    yield f"{role.group(1)}是谁？", text[m.start : m.end], article_id
        event = _EVENT_TITLE.match(index.articles[article_id].title)
        if event:
            yield f"{event.group(1)}{event.group(2)}是在哪一天？", None, article_id


def example_questions(searcher: Searcher, count: int = 4, tries: int = 12) -> list[str]:
    """Up to `count` questions the index answers, at most PER_ARTICLE from one article."""
    found: list[str] = []
    per_article: dict[str, int] = {}
    asked = 0
    for question, person, article_id in _candidates(searcher):
        if per_article.get(article_id, 0) >= PER_ARTICLE or question in found:
            continue
        asked += 1
        reply = answer(searcher, question)
        if not reply.abstained and reply.short_answer is not None and person in (None, reply.short_answer):
            found.append(question)
            per_article[article_id] = per_article.get(article_id, 0) + 1
        if len(found) == count or asked >= tries:
            break
    return found
