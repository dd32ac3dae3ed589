"""Time: dates in articles resolved against the day they were published, and time read from questions.

A news text says 昨天, 今年5月 or 12月14日 and leaves the year to the reader of that day. At index time every such
expression is resolved against its article's publication date (昨天 in an article of 2024-04-26 is 2024-04-25), so
event dates become searchable and answers can state them plainly (今年5月〔2022年5月〕). A question's own time
(2023年, 去年, 2022年到2023年, 最近) becomes a window on those dates, or a newest-first preference, and is taken out of
the words that are matched. "Now", for 今年 and 去年 in a question, is the newest publication date in the corpus
unless configured (docs/time.md).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

import numpy as np

# Names the stored resolution: change it when the rules below change (indexes then resolve their articles again).
RESOLVER = "dates/1"
# 日前 ("a few days ago") and 近日 (recently, or in the coming days): the days either side of the article's date
# they may stand for.
APPROXIMATE_DAYS = 10
# An event date counts for a question's window only when it lies before its article's date (or at most this many
# days after it: a launch announced for tomorrow); later dates in a text are plans, not events.
PLAN_GRACE_DAYS = 7

_CN = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_YEAR = r"(?P<y>[12]\d{3}|[〇○零一二三四五六七八九]{4})年"
_MONTH_NUM = r"1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九]"
# Parts of a year: 2024年上半年, 今年一季度, 去年底; alone (一季度) they are the latest such part begun by the article's day.
_PART = r"上半年|下半年|前三季度|第?[一二三四]季度|年?初|年?底|年?末"
_BARE_PART = r"上半年|下半年|前三季度|第?[一二三四]季度"
_PART_MONTHS = {"上半年": (1, 6), "下半年": (7, 12), "前三季度": (1, 9), "一季度": (1, 3), "二季度": (4, 6), "三季度": (7, 9)}
_PART_MONTHS |= {"四季度": (10, 12), "初": (1, 2), "底": (11, 12), "末": (11, 12)}
_DAY_NUM = r"3[01]|[12]\d|0?[1-9]|三十一?|二?十[一二三四五六七八九]?|[一二三四五六七八九]"
# One pattern, tried left to right; the longest form of each expression is listed first.
_EXPRESSION = re.compile(
    rf"(?<![\d〇○零一二三四五六七八九十])(?:"
    rf"{_YEAR}(?:(?P<m>{_MONTH_NUM})月(?:(?P<d>{_DAY_NUM})[日号])?|(?P<yp>{_PART}))?"
    rf"|(?P<ry>今年|去年|前年|明年)(?:(?P<rm>{_MONTH_NUM})月(?:(?P<rd>{_DAY_NUM})[日号])?|(?P<rp>{_PART}))?"
    rf"|(?P<bp>{_BARE_PART})"
    rf"|(?P<md>(?:1[0-2]|0?[1-9]) ?月 ?(?:3[01]|[12]\d|0?[1-9]) ?[日号]|(?:十[一二]?|[一二三四五六七八九])月(?:{_DAY_NUM})[日号])"
    rf"|(?P<bm>(?:1[0-2]|0?[1-9])月份?)(?![\d多余个])"
    # 李强27日上午, 7日晚: a day of the article's month (or of the month before, when later than the article).
    rf"|(?P<bd>(?:3[01]|[12]\d|0?[1-9])日)(?![内前后游])"
    rf"|(?P<day>今天|今日|昨天|昨日|前天|明天|明日|后天)"
    rf"|(?P<month>本月|这个月|上个月|上月|下个月|下月)"
    rf"|(?P<week>本周|这周|上周|下周)"
    rf"|(?P<approx>日前|近日)"
    rf")"
)
_RANGE_JOIN = re.compile(r"\s*(?:至|到|—|–|-|～|~)\s*")
_DAY_OFFSET = {"今天": 0, "今日": 0, "昨天": -1, "昨日": -1, "前天": -2, "明天": 1, "明日": 1, "后天": 2}
_YEAR_OFFSET = {"今年": 0, "去年": -1, "前年": -2, "明年": 1}
_MONTH_OFFSET = {"本月": 0, "这个月": 0, "上个月": -1, "上月": -1, "下个月": 1, "下月": 1}
_WEEK_OFFSET = {"本周": 0, "这周": 0, "上周": -1, "下周": 1}


@dataclass(frozen=True)
class DateSpan:
    """A time expression at characters [start, end) of a text and the days it stands for, first to last."""

    start: int
    end: int
    first: date
    last: date
    #: the year (or the day) came from the article's date, so a reader needs it spelled out
    relative: bool
    #: 日前, 近日: some days before the article's date
    approximate: bool = False

    @property
    def label(self) -> str:
        """The dates in words with their year: 2024年4月25日, 2022年5月, 2023年, 2024年4月22日至28日."""
        return label(self.first, self.last, self.approximate)


def label(first: date, last: date, approximate: bool = False) -> str:
    """A day range in words, as precise as the range is (a whole month is 2022年5月, a whole year 2023年)."""
    if approximate and not (first.day == 1 and (last + timedelta(days=1)).day == 1):  # 日前, not 年初 (whole months)
        middle = first + (last - first) / 2
        return f"{middle.year}年{middle.month}月{middle.day}日前后"
    if first == last:
        return f"{first.year}年{first.month}月{first.day}日"
    if first.day == 1 and (last + timedelta(days=1)).day == 1:
        if first.month == 1 and last.month == 12 and first.year == last.year:
            return f"{first.year}年" if first.year == last.year else f"{first.year}年至{last.year}年"
        if (first.year, first.month) == (last.year, last.month):
            return f"{first.year}年{first.month}月"
        if first.year == last.year:
            return f"{first.year}年{first.month}月至{last.month}月"
        if first.month == 1 and last.month == 12:
            return f"{first.year}年至{last.year}年"
        return f"{first.year}年{first.month}月至{last.year}年{last.month}月"
    if first.year == last.year and first.month == last.month:
        return f"{first.year}年{first.month}月{first.day}日至{last.day}日"
    return f"{first.year}年{first.month}月{first.day}日至{last.year}年{last.month}月{last.day}日"


def _number(text: str) -> int:
    """An Arabic or Chinese numeral (2024, 二〇二四, 十二, 二十五) as an int."""
    if text.isdigit():
        return int(text)
    if len(text) == 4 and "十" not in text:  # a year written digit by digit
        return int("".join(str(_CN[ch]) for ch in text))
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN[tens] if tens else 1) * 10 + (_CN[ones] if ones else 0)
    return _CN[text]


def _month_range(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first, following - timedelta(days=1)


def _shift_month(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def _nearest_year(month: int, day: int | None, published: date) -> int:
    """The year that puts a month (and day) nearest to the publication date: 12月28日 in an article of 2024-01-03 is
    in 2023; 1月5日 in one of 2023-12-28 is in 2024."""

    def distance(year: int) -> int:
        first, last = _month_range(year, month) if day is None else (date(year, month, day),) * 2
        if first <= published <= last:
            return 0
        return min(abs((first - published).days), abs((last - published).days))

    return min((published.year, published.year - 1, published.year + 1), key=distance)


def _part(year: int, part: str) -> tuple[date, date, bool]:
    """The days of a part of a year (上半年, 一季度, 初), and whether the part is only approximate (初, 底)."""
    key = part.lstrip("第年")
    lo, hi = _PART_MONTHS[key]
    return _month_range(year, lo)[0], _month_range(year, hi)[1], key in ("初", "底", "末")


def _in_year(year: int, part: str | None, month: str | None, day: str | None, relative: bool) -> tuple[date, date, bool, bool]:
    """(first, last, relative, approximate) of a year, a part of it, or a month or day in it (2024年, 今年5月)."""
    if part:
        first, last, rough = _part(year, part)
        return first, last, relative, rough
    if month is None:
        return date(year, 1, 1), date(year, 12, 31), relative, False
    if day is None:
        return (*_month_range(year, _number(month)), relative, False)
    exact = date(year, _number(month), _number(day))
    return exact, exact, relative, False


def _resolve(m: re.Match[str], published: date | None) -> tuple[date, date, bool, bool] | None:
    """(first, last, relative, approximate) of one matched expression, or None when it cannot be resolved."""
    g = m.groupdict()
    if g["y"]:
        return _in_year(_number(g["y"]), g["yp"], g["m"], g["d"], relative=False)
    if published is None:
        return None  # everything below needs the article's date
    if g["ry"]:
        return _in_year(published.year + _YEAR_OFFSET[g["ry"]], g["rp"], g["rm"], g["rd"], relative=True)
    if g["bp"]:
        first, last, rough = _part(published.year, g["bp"])
        if first > published:  # 四季度 in an article of January: last year's
            first, last, rough = _part(published.year - 1, g["bp"])
        return first, last, True, rough
    if g["md"]:
        month_text, _, day_text = g["md"].replace(" ", "").partition("月")
        month, day_of_month = _number(month_text), _number(day_text[:-1])
        day = date(_nearest_year(month, day_of_month, published), month, day_of_month)
        return day, day, True, False
    if g["bm"]:
        month = _number(g["bm"].rstrip("份").rstrip("月"))
        return (*_month_range(_nearest_year(month, None, published), month), True, False)
    if g["bd"]:
        day_of_month = _number(g["bd"][:-1])
        year, month = (published.year, published.month)
        if day_of_month > published.day + PLAN_GRACE_DAYS:  # 28日 in an article of the 3rd: last month's
            year, month = _shift_month(published, -1)
        day = date(year, month, day_of_month)
        return day, day, True, False
    if g["day"]:
        day = published + timedelta(days=_DAY_OFFSET[g["day"]])
        return day, day, True, False
    if g["month"]:
        return (*_month_range(*_shift_month(published, _MONTH_OFFSET[g["month"]])), True, False)
    if g["week"]:
        monday = published - timedelta(days=published.weekday()) + timedelta(weeks=_WEEK_OFFSET[g["week"]])
        return monday, monday + timedelta(days=6), True, False
    return published - timedelta(days=APPROXIMATE_DAYS), published + timedelta(days=APPROXIMATE_DAYS), True, True


def resolve_dates(text: str, published: str | date | None) -> list[DateSpan]:
    """Every time expression of `text` with the days it stands for, read against the publication date (ISO
    YYYY-MM-DD; without one, only dates that state their year resolve)."""
    day = _parse_iso(published) if isinstance(published, str) else published
    found: list[DateSpan] = []
    for m in _EXPRESSION.finditer(text):
        previous = found[-1] if found else None
        anchor = day
        if previous and _RANGE_JOIN.fullmatch(text[previous.end : m.start()]) and (m.group("md") or m.group("bd")):
            # 2026年10月15日至11月4日, 11月8日至10日: the second end of a range is read against the first.
            anchor = previous.first
        try:
            resolved = _resolve(m, anchor)
        except (ValueError, KeyError, OverflowError):  # 2月30日, a year 0000: not a date
            continue
        if resolved is not None:
            first, last, relative, approximate = resolved
            if anchor is not day and previous is not None:
                relative = previous.relative
            found.append(DateSpan(m.start(), m.end(), first, last, relative, approximate))
    return found


def _parse_iso(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


#: what joins the two ends of a range (6月24日至25日, 150-300)
RANGE_WORDS = ("至", "到", "-", "－", "—", "–", "~", "～")


_TIME_OF_DAY = re.compile(
    r"(?:上午|下午|中午|晚上|晚间|早上|凌晨|傍晚|夜间|清晨|深夜|晚|早|夜)?(?:\d{1,2}[时点](?:\d{1,2}分)?(?:许|左右)?)?"
)


def annotate(text: str, spans: Sequence[DateSpan]) -> str:
    """`text` with each resolved relative date followed by its dates in full: 今年5月 → 今年5月〔2022年5月〕, 26日下午 →
    26日下午〔2025年8月26日〕."""
    out, pos = [], 0
    ordered = sorted((s for s in spans if s.relative), key=lambda s: s.start)
    opened: DateSpan | None = None  # the first end of a range being read
    for i, span in enumerate(ordered):
        if span.start < pos or span.end > len(text):
            continue
        following = ordered[i + 1] if i + 1 < len(ordered) else None
        if following and following.start - span.end <= 2 and (following.first, following.last) == (span.first, span.last):
            continue  # 昨天（4月25日）: said once, after the second
        if following and text[span.end : following.start] in RANGE_WORDS and following.first >= span.first:
            opened = opened or span  # 6月24日至25日: said once, after the range, which stays whole
            continue
        # Each end in full (2023年11月8日至2023年11月10日): a reader looking for either day finds it.
        said = f"{opened.label}至{span.label}" if opened else span.label
        opened = None
        # After the time of day that goes with the date (26日下午3时〔…〕): the words a reader quotes stay together.
        end = _TIME_OF_DAY.match(text, span.end).end()  # type: ignore[union-attr]  # the pattern matches the empty string
        end = min(end, following.start) if following else end
        out += [text[pos:end], f"〔{said}〕"]
        pos = end
    return "".join(out) + text[pos:]


# ---------------------------------------------------------------- storage


def encode_spans(spans: Sequence[DateSpan]) -> np.ndarray:
    """Rows [start, end, first, last, flags] (days as proleptic ordinals), for storage in the index."""
    rows = [(s.start, s.end, s.first.toordinal(), s.last.toordinal(), int(s.relative) | 2 * int(s.approximate)) for s in spans]
    return np.array(rows, dtype=np.int32).reshape(-1, 5)


def decode_spans(rows: np.ndarray) -> list[DateSpan]:
    """The inverse of `encode_spans`."""
    return [
        DateSpan(int(s), int(e), date.fromordinal(int(f)), date.fromordinal(int(t)), bool(fl & 1), bool(fl & 2))
        for s, e, f, t, fl in rows.tolist()
    ]


# ---------------------------------------------------------------- questions


@dataclass(frozen=True)
class QuestionTime:
    """The time a question asks about: a window of days and/or a wish for the newest news, and the question with
    the time expression taken out (what is matched against the text)."""

    question: str
    first: date | None = None
    last: date | None = None
    newest: bool = False
    #: the words that said it (2023年, 去年, 最近)
    expression: str = ""

    @property
    def window(self) -> tuple[date, date] | None:
        """(first, last) day asked about, or None."""
        return (self.first, self.last) if self.first and self.last else None


# A year, month or day (2024年上半年, 去年底 with a part of the year; 去年10月底 is read as 去年10月).
_Q_ABSOLUTE = (
    rf"(?:[12]\d{{3}})年(?:(?:1[0-2]|0?[1-9])月(?:(?:3[01]|[12]\d|0?[1-9])[日号])?|{_PART})?"
    rf"|(?:今年|去年|前年|明年)(?:(?:1[0-2]|0?[1-9])月|{_PART})?|本月|这个月|上个月|上月|本周|这周|上周|今天|昨天"
)
_Q_RANGE = re.compile(
    rf"(?P<a>[12]\d{{3}}年?(?:(?:1[0-2]|0?[1-9])月)?)\s*(?:到|至|～|~|－|-|—|–)\s*(?P<b>{_Q_ABSOLUTE})(?:之间|期间|间)?"
)
_Q_SINGLE = re.compile(rf"(?:在|于)?(?P<a>{_Q_ABSOLUTE})(?:以来|期间|里|内|中|的时候|时|上旬|中旬|下旬|初|底|末)?")
# A month or day without its year (9月18号, 3月份): the last such day the corpus has reached, as people ask of news past.
_Q_MONTH_DAY = re.compile(
    r"(?<![\d年每])(?:在|于)?(?P<a>(?:1[0-2]|0?[1-9])月(?:(?:3[01]|[12]\d|0?[1-9])[日号])?)(?!\d)(?:份)?"
    r"(?:以来|期间|里|内|中|的时候|时|上旬|中旬|下旬|初|底|末)?"
)
_Q_NEWEST = re.compile(r"(?:最近|最新|近期|近来|最晚)(?:一次|一期|一届|一批|一回)?(?:的)?")
_LEADING = re.compile(r"^[的，,、\s]+")


def _expression_window(expr: str, now: date) -> tuple[date, date] | None:
    """The days of one absolute or now-relative expression in a question."""
    m = _EXPRESSION.fullmatch(expr)
    if m is None:
        return None
    resolved = _resolve(m, now)
    return (resolved[0], resolved[1]) if resolved else None


def _month_day_window(expr: str, now: date) -> tuple[date, date] | None:
    """The days of a month or day named without its year (9月18号): the latest such days that begin by `now` (or
    within PLAN_GRACE_DAYS after it: an event just announced)."""
    month_text, _, day_text = expr.partition("月")
    month, day = int(month_text), int(day_text[:-1]) if day_text else None
    for year in (now.year, now.year - 1):
        try:
            first, last = _month_range(year, month) if day is None else (date(year, month, day),) * 2
        except ValueError:  # 2月30号
            return None
        if first <= now + timedelta(days=PLAN_GRACE_DAYS):
            return first, last
    return None


def time_expression(text: str) -> str | None:
    """The first time a question names (2023年, 2022年到2023年, 去年, 最近), or None."""
    found = [m for m in (_Q_RANGE.search(text), _Q_SINGLE.search(text), _Q_MONTH_DAY.search(text), _Q_NEWEST.search(text)) if m]
    if not found:
        return None
    m = min(found, key=lambda m: (m.start(), -len(m.group())))
    return m.group("a") if m.re in (_Q_SINGLE, _Q_MONTH_DAY) else m.group()


def question_time(question: str, now: date | None) -> QuestionTime:
    """The time `question` asks about (relative words read against `now`), with those words taken out of it."""
    if now is None:
        return QuestionTime(question)
    first = last = None
    expression = ""
    rest = question
    if m := _Q_RANGE.search(question):
        a = m.group("a") if m.group("a").endswith(("年", "月")) else m.group("a") + "年"
        start, end = _expression_window(a, now), _expression_window(m.group("b"), now)
        if start and end and start[0] <= end[1]:
            first, last, expression = start[0], end[1], m.group()
            rest = question[: m.start()] + question[m.end() :]
    if first is None and (m := _Q_SINGLE.search(question)):
        found = _expression_window(m.group("a"), now)
        if found:
            (first, last), expression = found, m.group("a")
            rest = question[: m.start()] + question[m.end() :]
    if first is None and (m := _Q_MONTH_DAY.search(question)):
        found = _month_day_window(m.group("a"), now)
        if found:
            (first, last), expression = found, m.group("a")
            rest = question[: m.start()] + question[m.end() :]
    newest = False
    if n := _Q_NEWEST.search(rest):
        newest = True
        expression = f"{expression} {n.group()}".strip()
        rest = rest[: n.start()] + rest[n.end() :]
    rest = _LEADING.sub("", rest).strip()
    if not expression or len(re.sub(r"[\W_？?]", "", rest)) < 2:
        return QuestionTime(question)  # nothing is left to match: keep the question as it is
    return QuestionTime(rest, first, last, newest, expression)


# ---------------------------------------------------------------- the index's time table


def resolve_articles(texts_and_dates: Sequence[tuple[str, str | None]]) -> tuple[np.ndarray, np.ndarray]:
    """Resolved date spans of each article (text, publication date), as stored in an index: rows of
    `encode_spans` for all articles in order, and offsets (article i owns rows offsets[i]:offsets[i + 1])."""
    parts = [encode_spans(resolve_dates(text, published)) for text, published in texts_and_dates]
    offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(p) for p in parts])
    return (np.concatenate(parts) if parts else np.zeros((0, 5), dtype=np.int32)), offsets


@dataclass
class TimeTable:
    """The resolved dates of an index: every article's date spans, and for each chunk the day it was published and
    the days of the events it reports, against which a question's window is tested."""

    spans: np.ndarray
    offsets: np.ndarray
    article_rows: dict[str, int]
    #: per chunk row: publication day as an ordinal (0: unknown)
    published: np.ndarray
    #: one entry per event date reported in a chunk: the chunk's row and the event's first and last day
    event_chunk: np.ndarray
    event_first: np.ndarray
    event_last: np.ndarray

    def article_spans(self, article_id: str) -> list[DateSpan]:
        """The resolved date spans of one article, with offsets into its text."""
        row = self.article_rows.get(article_id)
        if row is None:
            return []
        return decode_spans(self.spans[int(self.offsets[row]) : int(self.offsets[row + 1])])

    # Worked out once per loaded index, not on every question.
    @cached_property
    def dated(self) -> bool:
        """True when the corpus has publication dates (time in questions is used only then)."""
        return bool(self.published.any())

    @cached_property
    def coverage(self) -> tuple[date, date] | None:
        """First and last publication day of the corpus."""
        known = self.published[self.published > 0]
        return (date.fromordinal(int(known.min())), date.fromordinal(int(known.max()))) if len(known) else None

    def window_mask(self, first: date, last: date) -> np.ndarray:
        """Chunks published within [first, last] or reporting an event that lies within it."""
        lo, hi = first.toordinal(), last.toordinal()
        mask = (self.published >= lo) & (self.published <= hi)
        # An event inside the window: 今年 (a whole year) says nothing about which month of it.
        inside = (self.event_first >= lo) & (self.event_last <= hi)
        mask[self.event_chunk[inside]] = True
        return mask


def time_table(
    article_ids: Sequence[str],
    article_dates: Sequence[str | None],
    chunk_places: Sequence[tuple[str, int, int]],
    spans: np.ndarray,
    offsets: np.ndarray,
) -> TimeTable:
    """The time table of an index from its stored spans; `chunk_places` is (article id, start, end) per chunk row."""
    rows = {article_id: i for i, article_id in enumerate(article_ids)}
    published_of = [day.toordinal() if (day := _parse_iso(d)) else 0 for d in article_dates]
    published = np.array([published_of[rows[a]] for a, _, _ in chunk_places], dtype=np.int32)
    event_chunk: list[int] = []
    event_first: list[int] = []
    event_last: list[int] = []
    for row, (article_id, start, end) in enumerate(chunk_places):
        i = rows[article_id]
        block = spans[int(offsets[i]) : int(offsets[i + 1])]
        if not len(block):
            continue
        limit = published_of[i] + PLAN_GRACE_DAYS if published_of[i] else None
        for s, e, first, last, flags in block.tolist():
            # Approximate days (日前) are too loose to place an event, as is a bare 今年 or 去年 (比去年同期增长);
            # dates after the article are plans.
            vague = flags & 2 or (flags & 1 and last - first > 31)
            if s >= start and e <= end and not vague and (limit is None or first <= limit):
                event_chunk.append(row)
                event_first.append(first)
                event_last.append(last)
    return TimeTable(
        spans,
        offsets,
        rows,
        published,
        np.array(event_chunk, dtype=np.int64),
        np.array(event_first, dtype=np.int32),
        np.array(event_last, dtype=np.int32),
    )
