"""Follow-up questions: rewrite "他在会上强调了什么？" into "高继明在会上强调了什么？" from the turns before it.

Rules only, deterministic and explainable (no extra model call): a question is a follow-up when it leans on the
conversation — a pronoun or demonstrative (他/她/它/他们, 该/此/其, 这个/那个, 上述, 这家…) or an ellipsis ("那X呢？",
"还有呢？", "为什么？", "具体说说", a bare "是哪天？"). Anything else stands on its own and is left exactly as it is,
so a change of topic is never dragged back. The words put in come from the previous turn: its short answer first
(the person or thing the answer named), then the names in its question, then its question's topic.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from retrieval.dates import time_expression
from retrieval.entities import DATELINE, find_mentions
from retrieval.questions import GENERIC_NAMES, analyse_question, is_role, leading_role
from retrieval.tokens import normalize, tagged_words, tokenize

MAX_TURNS = 10
SHORT_FOLLOW_UP_CHARS = 6  # a typed question this short without a name of its own continues the previous one
# A question that names nothing of its own continues the previous one when the articles that answered it write at
# least this share of its words (境外采购商来了多少人 after 第136届广交会哪天闭幕; 汽油零售价格一共上调了多少钱 after it is
# a new topic).
MIN_CONTEXT_SHARE = 0.6

_PERSON_PRONOUN = re.compile(r"他们俩|她们俩|他俩|她俩|他们|她们|两人|二人|他|她|此人|该人|这位|那位|对方")
_TWO_PEOPLE = ("他们俩", "她们俩", "他俩", "她俩", "两人", "二人")
_THING_PRONOUN = re.compile(
    r"它们|它|该|此|其|这个|那个|这家|那家|这项|那项|这次|此次|上述|这些|那些|这里|那里|当地"
    r"|[这那本](?:所|座|条|部|本|场|种|款|只|届|期|批|轮)"
)
# A common noun right after a demonstrative (那所学校, 这座城市): the name it stands for replaces both.
_COMMON_NOUN = re.compile(
    r"学校|大学|学院|医院|公司|企业|机构|单位|部门|城市|地方|国家|工程|项目|活动|会议|论坛|政策|文件|节目|电影|书|法律|条例"
    r"|平台|中心|地区|省|市|县|村|桥|路|铁路|公路|线路|卫星|飞船|火箭|展会|比赛|赛事"
)
# A noun for something that happens or is made (这个项目, 这场比赛): a place or body answered before is not what it means.
_EVENT_NOUN = re.compile(r"项目|活动|会议|会|论坛|比赛|赛事|展会|节目|电影|剧|工程|政策|文件|条例|法律|行动|计划")
_ELLIPSIS_THAT = re.compile(r"^(?:那|那么|那个)?(?P<x>.{1,20}?)(?:呢|的呢)[?？。!！]*$")
_BARE_FOLLOW_UP = re.compile(
    r"^(?:还有呢|还有吗|然后呢|后来呢|为什么|为啥|为何|怎么回事|具体说说|具体呢|详细说说|展开说说|说详细点)[?？。!！]*$"
)
_SIDE = re.compile(r"(?:那边|这边|那儿|这儿|那里|这里|方面)$")
_LEADING_THAT = re.compile(r"^(?:那么|那)(?=他|她|它|这|该|此|其)")
_LEADING_TURN = re.compile(r"^(?:那么|那)")  # 那换文仪式是在哪办的: 那 turns to the next question and names nothing
# Narrower than questions.NAME_TAGS (no nrfg): measured with it, 他 after 来北京跟习近平会谈的文莱苏丹叫啥 became 习近平.
_NAME_TAGS = frozenset({"nr", "ns", "nt", "nz", "j"})
_NOUN_TAGS = _NAME_TAGS | {"n", "ng", "nrt"}
# Words for what happens or how something is (死亡, 无症状), which stand in "那X呢" for the event a count was of.
_ACTION_TAGS = frozenset({"v", "vn", "i", "a", "an"})


@dataclass(frozen=True)
class Turn:
    """One earlier exchange: the question as asked, the answer text, and (when known) its short answer and the
    articles it cited."""

    question: str
    answer: str
    short_answer: str | None = None
    standalone_question: str | None = None
    article_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rewrite:
    """The standalone form of a question, and why (`reason` is empty when the question stands on its own)."""

    question: str
    reason: str = ""
    #: articles of the previous answer: retrieval prefers them when the rewrite had to guess
    prefer_articles: tuple[str, ...] = field(default_factory=tuple)
    #: what "那X呢？" asks about instead (X): an answer must name it, not repeat the previous one
    subject: str = ""
    #: the question was asked in another language and is searched as its Chinese words (retrieval.crosslingual)
    translated: bool = False

    @property
    def rewritten(self) -> bool:
        """True when the question was changed."""
        return bool(self.reason)


def _lone_char(words: list[tuple[str, str]], i: int) -> bool:
    return i < len(words) and len(words[i][0]) == 1 and bool(_CJK_CHAR.match(words[i][0])) and words[i][1] != "uj"


def _whole_names(words: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """jieba's words with transliterated names joined at their middle dot (迪里夏 提 · 沙依木 → 迪里夏提·沙依木;
    塔依尔 · 米吉 提 → 塔依尔·米吉提): a lone character jieba split off either side stays with the name."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(words):
        word, tag = words[i]
        j = i + 1 if _lone_char(words, i + 1) and i + 2 < len(words) and words[i + 2][0] == "·" else i
        while j + 2 < len(words) and words[j + 1][0] == "·" and _CJK_CHAR.match(words[j + 2][0]):
            word = "".join(w for w, _ in words[i : j + 3]).replace(" ", "")
            i = j = j + 2
            if _lone_char(words, i + 1):
                word, i, j = word + words[i + 1][0], i + 1, i + 1
            tag = "nr"
        out.append((word, tag))
        i += 1
    return out


def _names(text: str) -> list[str]:
    words = _whole_names(list(tagged_words(normalize(text))))
    return list(dict.fromkeys(w for w, tag in words if tag in _NAME_TAGS and len(w) >= 2))


def _subjectless(q: str) -> bool:
    """A short question with no subject of its own: "在哪个城市？", "同比增长多少？", "还会见了谁？"."""
    if len(q) > 12 or [n for n in _names(q) if n not in GENERIC_NAMES]:
        return False
    words = tagged_words(normalize(q))
    first_word, first_tag = words[0] if words else ("", "")
    if first_tag[:1] in ("v", "d", "p", "r", "c") or first_word in ("同比", "环比", "比", "共", "一共", "总共"):
        return True
    # 路线全长多少？: a few words naming no one ask about a part of what was just discussed
    return len(normalize(q).rstrip("?？。!！ ")) <= SHORT_FOLLOW_UP_CHARS and analyse_question(q).kind is not None


def _topic(turn: Turn) -> str:
    """What the previous turn was about: its question's names, or its question without the question word."""
    asked = turn.standalone_question or turn.question
    names = _names(asked)
    if names:
        return "".join(dict.fromkeys(names))
    form = analyse_question(asked)
    return form.before.rstrip("是的叫为 ") or asked.rstrip("?？。!！ ")  # 全球最快的高铁列车是哪个型号 → …列车


def _referent(turn: Turn, person: bool, plural: bool = False, event: bool = False) -> str | None:
    """The words a pronoun stands for: the previous short answer when the previous question asked for a person (for
    他/她; for 他们 an organisation too) or anything else (for 它/该; not a place or body for a demonstrative before
    an `event` noun: 这个项目 after 在哪个湖划的 is the race), else the names of the previous question."""
    asked = turn.standalone_question or turn.question
    kind = analyse_question(asked).kind
    fits = kind in ("org", "place", "thing") and not (event and kind != "thing")
    if person and plural and kind == "person" and turn.short_answer and "、" in turn.short_answer:
        group = analyse_question(asked).before.rstrip("是的叫为有 ")
        if 2 <= len(group) <= 12:
            return group  # 神十九乘组是哪三个人 → 他们: the crew, whose deeds the text writes of, not the list of names
    if turn.short_answer and (kind == "person" if person else fits):
        return turn.short_answer
    if person and plural and turn.short_answer and kind == "org":
        return turn.short_answer  # 哪个党赢了？→ 他们得票率多少: a body's members are 他们
    names = _names(asked)
    if person and turn.short_answer and kind == "place":
        form = analyse_question(asked)
        role = leading_role(form.after) if form.wh_start >= 0 else None
        if role:
            return turn.short_answer + role  # 见了哪国总统？阿塞拜疆 → 他说…: 阿塞拜疆总统
    if person:
        pair = _pair(asked) if plural else None
        if pair:
            return pair  # 普京和特朗普哪天通的电话 → 他俩: both
        people = [n for n in names if _is_person(n, asked)]
        if people:
            return people[0]
        if kind == "person":
            return turn.short_answer
        role = _role_phrase(asked)
        if role:
            return role
        # 李强去印尼开会 → 他: a name jieba does not tag as one (nrfg) is still the person the analyser finds
        text = normalize(asked)
        return next((text[m.start : m.end] for m in find_mentions(text) if m.kind == "person"), None)
    codes = [w for w, tag in tagged_words(normalize(asked)) if tag == "eng" and any(c.isdigit() for c in w)]
    if codes:
        return codes[0].upper()  # C909在老挝首次商业飞行 → 它: the aircraft the code names, not 老挝
    return (_name_phrase(asked) or names[0]) if names else _topic(turn)


def _pair(asked: str) -> str | None:
    """Two names joined by 和 / 与 / 同 in the question (普京和特朗普), as written, or None."""
    words = _whole_names(list(tagged_words(normalize(asked))))
    for i in range(len(words) - 2):
        (a, ta), (c, _), (b, tb) = words[i : i + 3]
        if c in ("和", "与", "同", "跟") and all(t in _NAME_TAGS or t.startswith("nr") for t in (ta, tb)):
            return f"{a}{c}{b}"
    return None


def _role_phrase(asked: str) -> str | None:
    """The role the question names with what qualifies it (以色列国防部长, 保加利亚副总统): whom 他 / 她 stands for when
    the question named no person."""
    words = tagged_words(normalize(asked))
    for i, (word, _) in enumerate(words):
        if not any(is_role(word[k:]) for k in range(len(word) - 1)):
            continue
        start = i
        while (
            start > 0 and i - start < 3 and words[start - 1][1] in _NOUN_TAGS | {"b"} and words[start - 1][0] not in GENERIC_NAMES
        ):
            start -= 1
        return "".join(w for w, _ in words[start : i + 1])
    return None


def _phrase_with(asked: str, word: str) -> str | None:
    """The noun phrase of the question `asked` that holds `word` (飓风 → 飓风梅利莎; 会 → 人大常委会第十四次会议), when it
    says more than `word` itself: what "这场飓风" / "这次会" stands for."""
    words = tagged_words(normalize(asked))
    # a one-character noun (这次会) only as the end of a name (人大常委会), not inside a common word (这个数: 指数)
    at = next((i for i, (w, tag) in enumerate(words) if word in w and tag in (_NOUN_TAGS if len(word) > 1 else _NAME_TAGS)), None)
    if at is None:
        return None
    start = at
    while start > 0 and (words[start - 1][1] in _NOUN_TAGS or words[start - 1][0].isdigit()):  # 2025金融街论坛
        start -= 1
    phrase = "".join(w for w, _ in words[start:at]) + _phrase_from(words, at, ordinals=True)
    return phrase if phrase != word else None


def _name_phrase(asked: str) -> str | None:
    """The noun phrase the question's first name starts (哈尔滨 + 亚冬会; 人大常委会 + 第十四次 + 会议)."""
    words = tagged_words(normalize(asked))
    at = next((i for i, (w, tag) in enumerate(words) if tag in _NAME_TAGS and len(w) >= 2 and w not in GENERIC_NAMES), None)
    if at is None:
        return None
    return _phrase_from(words, at, ordinals=True)


def _phrase_from(words: Sequence[tuple[str, str]], at: int, ordinals: bool = False) -> str:
    """The noun phrase that starts at word `at`: the nouns after it (and with `ordinals`, a 第十四次 among them), short of
    a role (所长) the question asks about."""
    end = at + 1
    while (
        end < len(words)
        and not is_role(words[end][0])
        and (
            words[end][1] in _NOUN_TAGS
            or _EVENT_NOUN.fullmatch(words[end][0])
            or (ordinals and words[end][1] == "m" and words[end][0].startswith("第"))
        )
    ):
        end += 1
    return "".join(w for w, _ in words[at:end])


def _is_person(name: str, text: str) -> bool:
    words = _whole_names(list(tagged_words(normalize(text))))
    return any(tag == "nr" and word == name for word, tag in words)


def _counterpart(asked: str, x: str) -> str | None:
    """The word of the previous question that `x` replaces: a name of it, preferably one ending like `x` (那检察院呢 →
    高院, 那神舟十七号呢 → 神舟十六号)."""
    words = tagged_words(asked)
    said = tagged_words(x)
    counted = _counted_noun(words)
    if counted and len(said) == 1 and said[0][1] in ("n", "vn") and counted != x:
        return counted  # 收到多少件议案？→ 那建议呢: the thing counted gives way, not 会议 that ends like it
    at = next((i for i, (w, _) in enumerate(words) if len(w) >= 2 and w[-1] == x[-1] and w != x), None)
    if at is not None:
        start = at  # 传染病防治法 for 民营经济促进法: the nouns before it, up to the length of the name that replaces it
        while (
            start > 0
            and words[start - 1][1] in _NOUN_TAGS
            and len("".join(w for w, _ in words[start - 1 : at + 1])) <= len(x) + 1
        ):
            start -= 1
        return "".join(w for w, _ in words[start : at + 1])
    if len(said) == 1 and said[0][1] in _ACTION_TAGS:
        # 新增确诊多少例？→ 那死亡呢: the event counted (确诊) gives way to the one now asked, not a name of the question
        asked_at = next((i for i, (w, _) in enumerate(words) if _QUESTION_WORD.match(w)), None)
        if asked_at and words[asked_at - 1][1] in ("v", "vn"):
            return words[asked_at - 1][0]
    at = next((i for i, (w, tag) in enumerate(words) if tag in _NAME_TAGS and len(w) >= 2), None)
    if at is None:
        return None
    return _phrase_from(words, at)  # the whole noun phrase the name starts (伯西 + 热克 + 派出所), short of 所长


def _counted_noun(words: Sequence[tuple[str, str]]) -> str | None:
    """The common noun a count question counts, written right after its 多少 / 几 and counter (多少件议案 → 议案)."""
    at = next((i for i, (w, _) in enumerate(words) if w.startswith(("多少", "几"))), None)
    if at is None:
        return None
    rest = list(words[at + 1 :])
    if rest and rest[0][1] in ("q", "zg") and len(rest[0][0]) == 1:
        rest = rest[1:]  # the counter (件, 个)
    return rest[0][0] if rest and rest[0][1] == "n" and len(rest[0][0]) >= 2 else None


_EDITION_COUNTERS = "届期次场轮"
_QUESTION_WORD = re.compile(r"[哪谁几]|什么|多少|啥")
_PHRASE_BREAKS = r"的在和与是了把被对从向为，,、：:“”\s"  # function words and punctuation no noun phrase crosses
_PHRASE_START = re.compile(f"[{_PHRASE_BREAKS}]")
_EDITION_STOP = _PHRASE_BREAKS + "有开办举召将要共哪谁几多啥什"  # where 第五届消博会 ends: also at a verb or question word


def _edition_phrase(asked: str, counter: str) -> str | None:
    """The edition the question `asked` names with `counter` and what it is of (第五届消博会 for 届), or None."""
    if counter not in _EDITION_COUNTERS:
        return None
    found = re.search(rf"第[\d一二三四五六七八九十百零]+{counter}[^{_EDITION_STOP}]*", asked)
    return found.group() if found else None


def _phrase_ending(asked: str, ch: str) -> str | None:
    """The phrase of the previous question that ends in `ch`, for "该所" / "该院" (伯西热克派出所组建了… → 伯西热克派出所)."""
    i = asked.find(ch)
    if i < 1:
        return None
    start = max((m.end() for m in _PHRASE_START.finditer(asked, 0, i)), default=0)
    phrase = asked[start : i + 1]
    return phrase if 2 <= len(phrase) <= 15 else None


def _substitute(q: str, start: int, end: int, referent: str) -> str:
    """`q` with the pronoun at [start, end) replaced by `referent` (该所 → 伯西热克派出所, not …派出所所)."""
    same = next((k for k in range(4, 0, -1) if end + k <= len(q) and referent.endswith(q[end : end + k])), 0)
    common = _COMMON_NOUN.match(q, end)
    if same and not (common and common.end() - end > same):
        end += same  # 这个方案细化了 → 实施方案细化了, not 实施方案方案
    elif common:
        end = common.end()  # 那所学校 → 山西应用科技学院, not 山西应用科技学院学校; 这个国家 → 中非共和国, not …国家
    return q[:start] + referent + q[end:]


_KIND_TAGS = {"person": ("nr",), "place": ("ns",), "org": ("nt",), "thing": ("nz",)}
#: a citation marker in an answer's text ([1]): what follows a quote
CITATION_MARKER = re.compile(r"\[\d+\]")
_CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")


def _short_from_text(question: str, answer: str) -> str | None:
    """The answer's named subject when a client sent only the text (HTTP history): the first name of the kind the
    question asked for, closest after the question's last words (院长是谁 → the name after 院长)."""
    form = analyse_question(question)
    tags = _KIND_TAGS.get(form.kind or "")
    if not tags or not answer:
        return None
    text = DATELINE.sub("", CITATION_MARKER.sub("", answer))  # 央视网消息（新闻联播）： names the outlet
    words = _whole_names(list(tagged_words(text)))
    anchor = form.before.rstrip("是的叫 ")[-2:]
    position = text.find(anchor) if anchor else -1
    role = leading_role(form.after) if position < 0 and form.wh_start >= 0 else None
    if role and text.find(role) > 0:  # 见了哪国总统: the name written right before 总统 (俄罗斯总统普京 → 俄罗斯)
        position = text.find(role) - 1
    offset = 0
    best: tuple[int, str] | None = None
    for word, tag in words:
        if tag in tags and len(word) >= 2 and word not in form.text:
            distance = abs(offset - position) if position >= 0 else offset
            if best is None or distance < best[0]:
                best = (distance, word)
        offset += len(word)
    return best[1] if best else None


def standalone_history(history: Sequence[Turn]) -> list[Turn]:
    """The turns with their standalone questions and short answers filled in where a client left them out."""
    done: list[Turn] = []
    for turn in history:
        standalone = turn.standalone_question or rewrite(turn.question, done).question
        short = turn.short_answer or _short_from_text(standalone, turn.answer)
        done.append(Turn(turn.question, turn.answer, short, standalone, turn.article_ids))
    return done


def leans_on_context(question: str) -> bool:
    """True when `question` points at something said before (他, 该所, 这座城市): alone, it does not say whom it asks about."""
    q = normalize(question)
    return bool(_PERSON_PRONOUN.search(q) or _thing_pronoun(q))


def _thing_pronoun(q: str) -> re.Match[str] | None:
    """The first demonstrative of `q` that points back (该所, 这场), not one after a 的-clause that says which
    (袭击法国的那个风暴 is a new topic)."""
    found = _THING_PRONOUN.search(q)
    return None if found and found.start() > 0 and q[found.start() - 1] == "的" else found


def _continues(q: str, previous: str, context: str) -> bool:
    """True when `q` names nothing the previous question and its answer's articles (`context`) do not, nor a time or
    number of its own, while `context` writes most of its words (多少运动员参赛, 那换文仪式是在哪办的): another side of
    the story just told."""
    form = analyse_question(q)
    if form.numbers or time_expression(q):
        return False
    names = {n for n in (*form.names, *_names(q)) if n not in GENERIC_NAMES}
    if any(n not in context or n in previous for n in names):
        return False  # a name of its own is a new subject; the previous question's name, its own anchor
    terms = set(tokenize(form.content))
    return bool(terms) and sum(t in context for t in terms) >= MIN_CONTEXT_SHARE * len(terms)


def rewrite(question: str, history: Sequence[Turn], context: str = "") -> Rewrite:
    """The standalone form of `question` given the earlier turns (oldest first) and `context`, the text of the
    articles the previous answer cited."""
    q = question.strip()
    if not history or not q:
        return Rewrite(q)
    last = history[-1]
    if last.short_answer is None or last.standalone_question is None:
        last = standalone_history(history)[-1]
    previous = last.standalone_question or last.question
    prefer = last.article_ids

    if _BARE_FOLLOW_UP.match(q):
        # "为什么？" / "还有呢？": the same subject, asked again in the new way.
        word = q.rstrip("?？。!！")
        asked = previous.rstrip("?？。!！ ")
        standalone = f"{_topic(last)}{word}？" if word in ("为什么", "为啥", "为何", "怎么回事") else f"{asked}？"
        return Rewrite(standalone, f"接着上一问：{previous}", prefer)

    m = _ELLIPSIS_THAT.match(q)
    if m and not analyse_question(q).accepts and len(q) <= 24:
        # "那神舟十七号呢？": the previous question, about X instead.
        x = _SIDE.sub("", m.group("x").strip()) or m.group("x").strip()  # 传统村落那边呢: 那边 only points
        asked = previous.rstrip("?？。!！ ")
        if time_expression(x) == x.rstrip("的"):
            # "那2024年呢？": the same question about another time, in place of the one it named.
            x = x.rstrip("的")
            old = time_expression(asked)
            standalone = asked.replace(old, x, 1) if old else f"{x}{asked}"
            return Rewrite(f"{standalone}？", f"把上一问的时间换成“{x}”", prefer)
        target = _counterpart(asked, x)
        if target:
            start, end = asked.find(target), asked.find(target) + len(target)
            shared = asked.find(x[:2])  # 神舟十六号 → 神舟十七号: the shared head goes too
            if 0 <= shared < start:
                start = shared
            standalone = asked[:start] + x + asked[end:]
        else:
            standalone = f"{x}{asked}"
        return Rewrite(f"{standalone}？", f"把上一问的对象换成“{x}”", prefer, subject=x)

    q = _LEADING_THAT.sub("", q)  # 那他老家是哪的: 那 only turns to the next question
    found = _PERSON_PRONOUN.search(q)
    if found:
        referent = _referent(last, person=True, plural=found.group() in ("他们", "她们", *_TWO_PEOPLE))
        if referent:
            return Rewrite(_substitute(q, found.start(), found.end(), referent), f"“{found.group()}”指{referent}", prefer)
    found = _thing_pronoun(q)
    if found and not (found.group() == "其" and found.start() > 0 and q[found.start() - 1] in "尤极"):
        noun = next(iter(tagged_words(q[found.end() :])), ("", ""))[0]
        edition = _edition_phrase(previous, found.group()[-1]) if found.group()[:1] in "这那本" else None
        if edition and len(noun) > 1 and noun in edition:  # 这届广交会 → 第134届广交会, not the rest of the question's phrase
            edition = edition[: edition.find(noun) + len(noun)]
            return Rewrite(
                q[: found.start()] + edition + q[found.end() + len(noun) :], f"“{found.group()}{noun}”指{edition}", prefer
            )
        phrase = _phrase_with(previous, noun) if len(found.group()) == 2 and noun else None
        if (
            phrase
            and last.short_answer
            and _QUESTION_WORD.search(previous[max(0, previous.find(phrase) - 3) : previous.find(phrase)])
            and analyse_question(previous).kind in ("place", "org", "thing")
        ):
            # 和哪个非洲国家建交 → 这个国家: the country answered (科特迪瓦), not the words the question asked it with;
            # not a person answered (哪个公司的董事长是谁 → 这个公司 is no 董事长)
            return Rewrite(
                _substitute(q, found.start(), found.end(), last.short_answer),
                f"“{found.group()}{noun}”指{last.short_answer}",
                prefer,
            )
        if phrase:  # 这场飓风 → 飓风梅利莎: the previous question's phrase with the same noun
            return Rewrite(
                q[: found.start()] + phrase + q[found.end() + len(noun) :], f"“{found.group()}{noun}”指{phrase}", prefer
            )
        if edition:  # 这届的主宾省 after 第五届消博会在哪开: the edition the previous question named
            return Rewrite(_substitute(q, found.start(), found.end(), edition), f"“{found.group()}”指{edition}", prefer)
        following = q[found.end() : found.end() + 1]
        referent = _phrase_ending(previous, following) if following else None
        if referent and _QUESTION_WORD.search(referent) and last.short_answer:
            # 在哪个湖举行 → 这个湖: the lake answered (西湖), not the question's words; 跟哪个国家互致贺电 → 这个国家:
            # the country answered (东帝汶), when a common noun follows and what was answered is no person
            named = bool(noun) and last.short_answer.endswith(noun)
            common = bool(_COMMON_NOUN.match(q, found.end())) and analyse_question(previous).kind in ("place", "org", "thing")
            if named or common:
                referent = last.short_answer
        referent = referent or _referent(last, person=False, event=bool(_EVENT_NOUN.match(q, found.end())))
        if referent:
            return Rewrite(_substitute(q, found.start(), found.end(), referent), f"“{found.group()}”指{referent}", prefer)

    form = analyse_question(q)
    short_form = bool(form.accepts) and len(normalize(form.content).strip(" ?？。")) <= 2
    if short_form and not _subjectless(q):
        # "是哪天？" / "多少钱？": only a question word; the subject is the previous one.
        return Rewrite(f"{_topic(last)}{q}", f"接着上一问：{previous}", prefer)
    # 在哪个城市？ has no subject; 境外采购商来了多少人 after 第136届广交会哪天闭幕 asks another side of the story just
    # told, which alone it does not name
    if _subjectless(q) or (context and _continues(q, previous, normalize(context))):
        topic = analyse_question(previous).before.rstrip("的是了在 ") or _topic(last)
        return Rewrite(f"{topic}{_LEADING_TURN.sub('', q)}", f"接着上一问的主题：{topic}", prefer)
    return Rewrite(q)
