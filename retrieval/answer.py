"""Extractive answers: the passage units that best answer the question, each with a citation, and the answer itself
in a few words when the question asks for a name, a number, a date or a named thing.

A unit is a sentence, or a quotation kept whole with its speaker (“……。”王勇说。 / 王勇说：“……”). The question's
form (retrieval.questions) says what kind of answer it wants; the typed spans found at index time
(retrieval.entities) give the candidates. A typed question is answered only from a unit that holds a candidate of
its kind close to the question's own words, so a passage that merely mentions the question's subject is not an
answer. Thresholds were tuned on the tuning halves of the project's own sets and on the shared tuning sets
(docs/quality.md).
"""

import math
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np

from retrieval.chunks import split_sentences
from retrieval.conversation import CITATION_MARKER, Rewrite, Turn, leans_on_context, rewrite
from retrieval.crosslingual import chinese_question
from retrieval.dates import RANGE_WORDS, DateSpan, QuestionTime, annotate, label, question_time
from retrieval.entities import DATELINE, ERA, Mention, ends_in_body_word, find_mentions, org_phrases, pattern_mentions
from retrieval.questions import MEASURE_UNITS, QuestionForm, analyse_question, asked_relation, asks_speech, is_title, leading_role
from retrieval.search import Filters, Hit, Searcher
from retrieval.tokens import bigrams, common_word, normalize, tagged_words, tokenize, word_edges, words

MAX_ANSWER_CHARS = 300
MAX_SENTENCES = 3
SEMICOLON_UNIT_CHARS = 200  # clauses parted by semicolons stay one unit up to this length
MAX_UNIT_CHARS = 600  # a quotation longer than this is cut into its sentences again
NEAREST_ON_ABSTAIN = 3
ABSTAIN_TEXT = "抱歉，语料库中没有找到能回答这个问题的内容。"
ABSTAIN_OTHER_LANGUAGE = (
    "抱歉，语料库中没有找到能回答这个问题的内容。本语料为中文新闻，用中文提问效果最好。\n"
    "Sorry, the corpus does not answer this question. It holds Chinese news: questions are best asked in Chinese."
)

# Answer only when the confidence model (see `confidence`) gives at least MIN_CONFIDENCE: 0.35 rather than 0.5,
# because on the tuning sets it refuses as many written unanswerable questions and answers 4 points more of the
# answerable ones. The model weighs the evidence of the best unit: term coverage (with its article's title and the
# sentence before it), the tie of its typed candidate, the best passage's cosine, and whether the question is open.
# The cosine's margin over the other passages predicted well on the tuning sets, whose passages are unrelated to each
# other, but not on a news corpus, where neighbouring stories are close: left out.
# Fitted with bench/calibrate_abstention.py (docs/answers.md, "Choosing the unit").
CONFIDENCE_BIAS = -56.610
CONFIDENCE_WEIGHTS = {"coverage": 6.595, "tie": 1.143, "dense": 57.523, "open": 0.784}
MIN_CONFIDENCE = 0.35
MIN_CONFIDENCE_TRANSLATED = 0.5  # for a question asked in another language and searched as its Chinese words
STRONG_TIE = 0.5  # with STRONG_COVERAGE: typed evidence that answers whatever the confidence model says
STRONG_COVERAGE = 0.5
TITLED_COVERAGE = 1 / 3  # a person named after the question's own body and role: a third of its words suffice
# A follower unit must cover at least this share of the question's term weight.
MIN_COVERAGE = 0.45
# A further unit joins the answer only when it scores nearly as well as the best one and answers the question too.
FOLLOWER_RATIO = 0.6
# Unit score = term coverage + BIGRAM_WEIGHT × character-bigram overlap + RANK_PRIOR / passage rank
#              + TYPE_WEIGHT × how closely a candidate of the asked kind sits to the question's words.
TITLE_CREDIT = 0.8
CONTEXT_CREDIT = 0.7
SOFT_CREDIT = 0.5  # terms only in the sentence before (same paragraph): that sentence sets the scene
BIGRAM_WEIGHT = 0.3
RANK_PRIOR = 0.1
TYPE_WEIGHT = 0.5
# A candidate is tied to the question when its proximity (question-term weight near it, decaying with distance in
# characters over PROXIMITY_SCALE) reaches MIN_TIE.
PROXIMITY_SCALE = 25.0
MEASURE_TIE = 0.1  # added to the tie of a quantity whose unit is what the question measures (see `_unit_fits`)
SECONDARY_KIND = 0.8  # a candidate of an accepted but not the asked kind (谁 → an organisation) ties a little less
MIN_TIE = 0.2
# Kinds whose questions need a candidate of that kind to be answered at all (a "thing" may be any phrase).
STRICT_KINDS = frozenset({"person", "org", "place", "time", "quantity"})
TYPED_THING_TIE = 0.3  # a quoted or proper name near the question's words answers "什么X" before the aligned phrase
# A question in another language is answered when the best passage's cosine similarity reaches this. Measured on
# ten English questions over the seeds (docs/answers.md): answerable ones reached 0.745–0.786 and unanswerable ones
# 0.683–0.767, and the unit picked across languages was right for one answerable question in five; so only a clearly
# closer passage is trusted, and otherwise the reply says, in Chinese and English, to ask in Chinese.
MIN_DENSE_OTHER_LANGUAGE = 0.80
MAX_SHORT_CHARS = 30
MAX_LIST_CHARS = 60  # a short answer listing what 哪些 asks for may run longer
MAX_HISTORY = 10  # earlier turns a follow-up is read against
MIN_QUOTE_CHARS = 8  # a quote of an earlier answer long enough to find its article by
QUOTE_QUERY_CHARS = 100  # the words of a quote searched for (its passage is found by far fewer)
PREFER_BONUS = 0.5  # fused-score bonus (z units) for the previous answer's articles after a rewrite
HEAD_NOUN_WEIGHT = 0.5
# A candidate close to the question's word next to its question word (哪天发射 → 发射, 谁出席 → 出席) answers that event:
# the launch's date rather than the day of the report, the person who attended rather than one whose 思想 is quoted
# nearby. Its tie gains up to EVENT_WORD_WEIGHT, decaying with distance.
EVENT_WORD_WEIGHT = 0.3
EVENT_WORD_SCALE = 15.0
TITLE_REACH = 16  # characters before a name searched for the title written with it (马来西亚交通部长陆兆福)
_CLAUSE_BREAK_BEFORE = re.compile(r"[，,。；;：:！？!?、（）()“”\n和及与同]")  # where a title written before a name begins
# A date on the calendar (2024年, 5月, 12日, 二十三号), not a length of time (6个月, 3年来, 十周年).
_CALENDAR = re.compile(r"(?:\d|[〇零一二三四五六七八九十])(?:年(?!来|间|多|以来)|月(?!份?[以之]?[来内])|[日号])(?<!个月)")
_SENTENCE_BREAK = re.compile(r"[。！？!?；;\n]")
# 最近/最新: passages searched, and how close to the best unit's score a newer unit must come to be preferred.
NEWEST_HITS = 20
NEWEST_BAND = 0.8

_CLAUSE = re.compile(r"[^，,；;：:]+[，,；;：:]?")
# A quantity's words around its number and unit: 约 | 2.9万 | 家 | 左右.
_QUANTITY_TAIL = re.compile(r"(?:左右|以上|以下|以内|之内|多|余|上下)+$")
_NUMBER_RUN = re.compile(
    r"(?:约|近|超过|不超过|不到|大约|将近|至少|最多|共|达)?[\d.,，０-９－一二两三四五六七八九十百千万亿半几数〇零余多\-~～—–至到]+"
)
# 担任什么职务: the answer is the title written next to the person's name (自治区司法厅党委书记张秀成; 鲍卫忠同志生前系
# ……党组成员、执行局局长).
_POSITION_NOUNS = frozenset({"职务", "职位", "官职", "头衔", "职称"})
_TITLE_END = re.compile(
    r"(?:长|书记|主任|主席|总理|总统|部长|经理|委员|主编|总编辑|政委|司令员|大使|院士|发言人|负责人|创始人|董事|总裁|秘书"
    r"|干事|成员|代表|教授|研究员|工程师|航天员|法官|检察官)$"
)
_TITLE_BREAK = re.compile(r"[，,。；;：:！？!?“”（）()\s]")
_TITLE_LEAD = re.compile(r"(?:同志|先生|女士)?(?:生前|现任|现|曾任|曾|目前)?(?:系|是|任|担任|出任|为)?[，,（(]?")
# What may stand before a title in its clause: a date, a pronoun, a verb of office (1984年6月任…, 他兼任…, 历任…).
_TITLE_PREFIX = re.compile(
    r"^(?:[\d〇零一二三四五六七八九十]+[年月日]|至|到|[-—])*(?:他|她|其|并|后|又|还)*"
    r"(?:历任|曾任|现任|升任|兼任|出任|担任|改任|调任|任|系|是|为)?"
    r"(?:同|与|跟|向|会见|会晤|会谈|陪同)?"  # 同俄罗斯第一副总理曼图罗夫共同主持: the title after the preposition
)
# Words that stand for a place without naming one.
_GENERIC_PLACE = re.compile(r"自治[区州]|全[区省市县国]|本[市省地]|当地|各地|我[国省市区]|国[内外]|海外|境[内外]|地方|基层|中央")
_ABOVE_CITY = re.compile(r"(?:[^省区国]{1,6}?国)?(?:[^省区]{2,7}?(?:省|自治区))?")  # 中国, 江苏省, 美国加州 …
_NOT_A_CITY = re.compile(r"(?:国|省|路|街|道|巷)$")
_LEVEL_END = re.compile(r"(?:省|市|县|区|州|旗|盟|国|镇|乡|村)$")
_LEVELS = {"国": 0, "省": 1, "州": 1, "市": 2, "县": 3, "区": 3, "旗": 3, "镇": 4, "乡": 4, "村": 5}  # higher: smaller
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_LATIN_OR_DIGIT = re.compile(r"[A-Za-z0-9]")
# The outlet's line a story opens with: 央视网消息（新闻联播）：, 新疆平安网讯 , 新华社北京4月1日电 .
_ADMIN_SUFFIX = re.compile(r"(?:自治区|自治州|特别行政区|省|市|县|州|区|旗|盟)(?!场|域)")
_NUMERAL = re.compile(r"[0-9０-９一二三四五六七八九十〇零两]")
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百]+")
_DOCTRINE = re.compile(
    r"(?:新时代中国特色社会主义|生态文明|法治|外交|强军|经济|文化)?(?:思想|理论)|同志为核心"
    r"|(?:总书记|主席)?(?:关于[^，,。；;]{0,30}的)?重要(?:指示|讲话|论述|批示|回信|贺信)(?:精神)?"
)
# A place in a contest is written as what was won: 张雯静……夺冠 names the 冠军.
_ROLE_WRITTEN = {"冠军": ("夺冠", "金牌"), "亚军": ("银牌",), "季军": ("铜牌",), "特首": ("行政长官",)}
# An office a person holds, written as a title right before the name (理事长潘基文, 馆长吴向东), and other ways of
# writing an office a question names (外长: 外交部长).
_OFFICE = re.compile(r"(?:长|书记|主任|主席|总理|总统|委员|大使|首相|大臣|总督|发言人|总裁|经理|秘书|政委)$")
_OFFICE_WRITTEN = {"外长": ("外交部长",), "防长": ("国防部长",), "总理": ("首相",), "首相": ("总理",), "特首": ("行政长官",)}
_TITLE_CLAUSE = re.compile(r"[，,。；;：:！？!?（）()“”\n]")  # a person's titles run back to here (、 joins titles)
_CLOCK_TIME = re.compile(r"\d{1,2}(?:[点时:：](?!代)|\s*[AaPp][Mm])|[一二三四五六七八九十]{1,3}[点时](?!代)")
_HONOUR = re.compile(r"(?:为|授予|命名|评为|获评|荣获|称号)[^，,。；;]{0,8}[“「『]$")  # before a quoted honour's name
_LAST_DAY_ASKED = re.compile(r"闭幕|结束|落幕|收官|闭馆|截止")  # of a range of days, the question asks for the last
_CLOCK = re.compile(r"[点时:：]|钟|午|晚|早|凌晨|傍晚|夜")
# Pairs of words that pick one of two populations or scopes: a figure for one side does not answer a question about
# the other (境外采购商 for 境内采购商). Directions (上涨 / 下降) are no such pair: 涨了多少 is answered by 下降0.3%.
_SIDES = tuple(
    pair
    for a, b in (
        ("境内", "境外"),
        ("国内", "国外"),
        ("入境", "出境"),
        ("进口", "出口"),
        ("男子", "女子"),
        ("男篮", "女篮"),
        ("男足", "女足"),
        ("男排", "女排"),
        ("上半年", "下半年"),
        ("城镇", "农村"),
        ("夏季", "冬季"),
        ("线上", "线下"),
    )
    for pair in ((a, b), (b, a))
)
# The two ends of one event: for 哪天 / 什么时候, the day it closed does not say when it opened (进博会今天闭幕 for
# 哪天开幕). Only for time questions: who flew on 神舟十三号 is written where its return is.
_EVENT_ENDS = tuple(
    pair
    for a, b in (
        ("开幕", "闭幕"),
        ("开工", "竣工"),
        ("发射", "着陆"),
        ("发射", "返回"),
        ("出生", "逝世"),
        ("出生", "去世"),
        ("上任", "卸任"),
    )
    for pair in ((a, b), (b, a))
)
_BOTH_SIDES = re.compile(r"境内外|国内外|出入境|进出口|男女|城乡|线上线下|冬夏|夏冬")
_MODEL_CODE = re.compile(r"(?<![A-Za-z0-9])(?:[A-Z]{1,4}-?|[\u4e00-\u9fff]{1,2}-)\d{1,5}[A-Z]?(?![A-Za-z0-9])")
# Words LAC tags as numerals that count nothing: 略酸一些, 一度下跌, 多项实验, 数次
_VAGUE = re.compile(
    r"一(?:些|点儿?|下|切|样|般|直|定|起|致|旦|边|同|向|再|度|番|时|阵)?|有些|许多|很多|大量|少量|若干|多数|少数"
    r"|[多数几]+[^\d一二两三四五六七八九十百千万亿]?"
)
_BODY_ASKED = re.compile(r"(?:组织|机构|公司|集团)$")  # the kind of body 哪个国际组织 asks for, which its name ends in
_ANNOTATION = re.compile(r"〔[^〔〕]*〕")  # the resolved days shown beside relative dates (dates.annotate)
_CONJUNCTIONS = ("与", "和", "及", "同", "、")
_NAME_DOTS = "·•‧・"
# The time of day after a day (12月14日下午, 6月1日零时, 5月3日14时30分): a question for the day does not ask it.
_PART_OF_DAY = re.compile(
    r"(?<=[日号])(?:上午|下午|晚上|晚间|凌晨|早上|中午|傍晚|夜间|晚|零时|零点|\d{1,2}(?:时|点)(?:\d{1,2}分|半)?)$"
)
_SAID = r"(?:说|讲(?!话)|强调|指出|表示|介绍|提出|呼吁)"  # a verb reporting what was said, after the speaker's name
_FULL_NAME = re.compile(r"全[名称]|完整(?:的)?(?:名字|名称)")  # 全名叫啥: the name written whole, not its short form
_CLOSING_PUNCTUATION = "。，、；：！？,.;:!?）)」』”’"
_LATIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9.&'\-]*")
_LATIN_AFTER = re.compile(r"(?: [A-Za-z0-9][A-Za-z0-9.&'\-]*)+")
_LATIN_BEFORE = re.compile(r"(?<![A-Za-z0-9.&'\-])(?:[A-Za-z][A-Za-z0-9.&'\-]* )+$")
_LATIN_WORD = re.compile(r"[A-Za-z]{3,}")  # 06-26FGO is a date before a name, not a range
_RANGE_JOINER = re.compile(r"\s*(?:" + "|".join(map(re.escape, RANGE_WORDS)) + r")\s*")
_LOCALITY = re.compile(
    r"(?:[东西南北中]{1,2}部|[东西南北]{1,2}面|[东西南北]岸|以[东西南北]|附近|一带|境内|沿岸|沿海|周边|周围|地区|河畔|江畔|"
    r"外海|海域|上游|中游|下游|市区|郊区|城区|交界处|之间)*"
)
_PLACE_JOINER = re.compile(r"|的|之|首都|首府|省会|、|和|与|及")  # 尼日利亚首都阿布贾, 伊朗与中亚: places named together
_ALIAS_ASKED = re.compile(
    r"(?:又|也|还|亦|另|通常|一般|常)被?(?:称|叫|名)|别名|别称|俗名|俗称|简称|又名|昵称|外号|绰号|原名|本名|旧称|前称|全称|称之为|被称"
)
_ALIAS_WRITTEN = re.compile(
    r"(?:又名|又称(?:之?为|作)?|又叫(?:做)?|也叫(?:做)?|也称(?:之?为|作)?|亦称(?:之?为|作)?|又被称(?:之?为|作)|别名|别称|俗称|俗名|"
    r"简称|称之为|统称为|通称|昵称|外号|绰号|原名|本名|旧称|前称|全称)[为是叫：:]?\s*"
)
_ALIAS_WORDS = frozenset({"别名", "别称", "俗名", "俗称", "简称", "昵称", "外号", "绰号", "原名", "本名", "旧称", "前称", "全称"})
# A question asking what something is (BA-6是什么, 美国化指的是什么, 第八大道是一条什么样的街道): the words before its
# question word, and what may follow it.
_DEFINED = re.compile(r"(?P<x>[^的]{1,24}?)(?:指的是|是指|就是|是)(?:一[个种座条家所部位项门])?")  # not X的Y是什么: an attribute
_DEFINING_TAIL = re.compile(r"(?:样的?)?[\u4e00-\u9fff]{0,3}|意思")
# Words of spoken questions that no text about the answer needs to write (搞的那个行动, 这回降息以后, 烧起来).
_SPOKEN_FILLERS = frozenset(
    {
        "搞",
        "弄",
        "整",
        "这回",
        "那回",
        "起来",
        "来着",
        "一下",
        "到底",
        "究竟",
        "大概",
        "那场",
        "那件",
        "要",
        "能",
        "可以",
        "应该",
        "会",
        "好",
    }
)
_DIGIT_GROUP = re.compile(r",\d{3}")
_MAIN_TITLE = re.compile(r"(?<=《)[^《》—]{2,20}(?=——)")  # 雪域情深 of 《雪域情深——…》
_PLURAL = re.compile(r"哪些|哪几|都有谁|都是谁|有谁|分别|都有什么|包括什么|包括哪")  # the answer is a list
_LIST_JOINER = re.compile(r"、|以及|及|和|与")
_LIST_ITEM = re.compile(r"[^，,。；;：:、\n（()）”」』]{1,15}?(?=、|以及|及|和|与|等|[，,。；;：:\n（(”」』]|$)")
_CLAUSE_BREAK = re.compile(r"[，,；;：:。！？!?、\n（(）)]")
_OPEN_QUOTES = "“「『"
_CLOSE_QUOTES = "”」』"
# A sentence that only says who spoke: "……王勇说。" / "他表示。"
_ATTRIBUTION = re.compile(
    r"^[^“”「」。！？!?]{0,40}?(?:说|表示|指出|强调|介绍|认为|称|告诉记者|坦言|感慨|谈到|提到|回忆|解释|补充)(?:道|说)?[。！!.]?$"
)
# A bracketed aside right after a name (百变怪（日文：メタモン）是…) stands between it and what it is.
_PAREN_LEAD = re.compile(r"^\s*[（(][^（）()\n]{0,60}[）)]")
# What a definition says after its subject: 地声是…, 地声，为…, 地声指….
_COPULA = re.compile(r"[，,]?\s*(?:是|为|指|系)")
_COPULA_WORDS = re.compile(r"^[，,]?\s*(?:指的是|是指|就是|是|为|指|系)")
# What an ordinal names when followed by it: a session (第二十四次会议, 第三次全会), not a count of what the question asks
_SESSION = re.compile(r"(?:全体)?(?:会议|全会|大会|峰会|会晤|会谈)")
# Bodies whose names end in what they are: 哪所大学 is answered by a …大学 when the unit names one
_SUFFIX_NAMED = frozenset(
    {"大学", "学院", "中学", "小学", "学校", "医院", "银行", "法院", "检察院", "博物馆", "研究所", "研究院"}
)
# Words for a company, and how a company's name ends (哪家药企 → 百济神州（北京）生物科技有限公司)
_COMPANY_WORDS = frozenset({"企业", "公司", "药企", "车企", "房企", "民企", "国企", "央企", "外企", "厂商", "厂家"})
_COMPANY_ENDINGS = ("公司", "集团", "企业", "药业", "制药", "股份", "工厂", "厂")
_HOLDS = re.compile(r"^(?:是|担任|出任|兼任|任职|就职|属于|隶属|任)$")  # verbs of what a person belongs to
_WORKS = re.compile(r"(?:工作|任职|上班|就职|供职)")
_QUOTED_OPENING = re.compile(r"[“「『]")
# The words a sentence states a cause or a consequence with (questions.asked_relation): 之所以……是因为, 主要原因, 标志着.
_STATES_RELATION = {
    "reason": re.compile(r"原因|因为|由于|之所以|得益于|源于|缘于|归因|归功于|因素|主因|推高"),
    "significance": re.compile(r"标志着|意味着|意义|里程碑|有利于|有助于|填补"),
}
_ORDINAL_COUNTERS = "次届批期轮场位名个"  # 第几次 is answered by a 第N次
_PEOPLE_COUNTERS = "人名位"  # people are counted in any of these
# 除了X(以外/之外)，还…: what the question sets aside
_SET_ASIDE = re.compile(r"除了?(?P<x>[^，,。？?还]{2,24}?)(?:以外|之外|外)?(?=[，,]|还)")
_LIGHT_TAIL = re.compile(r"(?:之后|以后|后|时)?(?:做|干|搞|进行|发生|出现|有)?了?$")
_LEADING_FILLER = re.compile(r"^(?:是|为|叫|叫做|称为|名为|有|共|了|在|于|的|约|达|:|：|,|，)+")
_TRAILING_FILLER = re.compile(r"(?:的|了|等|和|与|及|是)+$")


@dataclass
class Citation:
    """A numbered source of the answer: the passage, its article, and the unit(s) quoted."""

    n: int
    article_id: str
    chunk_id: str
    title: str
    source: str | None
    date: str | None
    url: str | None
    quote: str
    passage: str
    score: float
    #: relative dates in `quote` (今年5月) with the days they stand for: [{"start", "end", "text", "resolved"}]
    dates: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Answer:
    """The reply to a question: answer text with [n] markers, citations, and timings."""

    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    timings_ms: dict[str, float] = field(default_factory=dict)
    #: the answer itself in a few words (a name, number, date, title) when the question asks for one, else None
    short_answer: str | None = None
    #: what was searched: the question, or its rewrite from the conversation for a follow-up
    standalone_question: str | None = None
    #: the time window applied: {"from", "to", "source": "question"|"filter"}, or None (see `_window`)
    time_window: dict[str, str | None] | None = None
    #: evidence strength behind the abstention decision (not part of the public JSON)
    evidence: dict[str, float] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The public JSON shape (GUIDE §2, /v1/ask)."""
        return {
            "question": self.question,
            "standalone_question": self.standalone_question or self.question,
            "short_answer": self.short_answer,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [{**asdict(c), "score": round(c.score, 6)} for c in self.citations],
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items()},
            "time_window": self.time_window,
        }


@dataclass
class _Unit:
    hit: Hit
    text: str
    score: float
    coverage: float
    tie: float  # proximity of the best candidate of the asked kind (0: none)
    short: str | None  # the candidate's words as the text has them
    dates: list[DateSpan] = field(default_factory=list)  # resolved dates, offsets into `text`
    short_date: DateSpan | None = None  # a date candidate whose year the text left out (昨天 → 2024年4月25日)

    @property
    def says(self) -> str | None:
        """The short answer this unit gives."""
        return label(self.short_date.first, self.short_date.last) if self.short_date else self.short


class TermWeights:
    """Inverse document frequencies of terms in the index's BM25 vocabulary."""

    def __init__(self, searcher: Searcher) -> None:
        bm25 = searcher.index.bm25
        self._vocab: dict[str, int] = bm25.vocab_dict
        self._indptr = bm25.scores["indptr"]
        self._n = max(int(bm25.scores["num_docs"]), 1)

    def idf(self, term: str) -> float:
        """BM25 idf of `term`; unseen terms weigh like the rarest ones."""
        df = self.usage(term)
        return math.log(1 + (self._n - df + 0.5) / (df + 0.5))

    def usage(self, term: str) -> int:
        """How many passages use `term` (its document frequency; 0 when none does)."""
        col = self._vocab.get(term)
        return 0 if col is None else int(self._indptr[col + 1] - self._indptr[col])

    def known(self, term: str) -> bool:
        """True when `term` occurs in the corpus (as a word or a character bigram)."""
        return term in self._vocab


# One character jieba glues to a name it does not know (李希去, 迪里夏提说): a verb or preposition, not part of the name.
_GLUED = "去来到在说和与跟同向对给把被将从为是了的也都又还就"


def _corpus_words(term: str, idf: TermWeights) -> list[str]:
    """`term`, or the word inside it the corpus knows when jieba glued a function character to it (李希去 → 李希)."""
    if len(term) < 3 or idf.known(term):
        return [term]
    if term[-1] in _GLUED and idf.known(term[:-1]):
        return [term[:-1]]
    if term[0] in _GLUED and idf.known(term[1:]):
        return [term[1:]]
    return [term]


def _weights(terms: list[str], idf: TermWeights) -> dict[str, float]:
    # jieba's search mode emits a word and its parts (检察院, 检察, 察院); count each distinct term once.
    words = [w for t in terms for w in _corpus_words(t, idf)]
    return {t: idf.idf(t) for t in dict.fromkeys(words)}


def _coverage(text: str, weights: dict[str, float], total: float, credit: dict[str, float] | None = None) -> float:
    """Share of the question's term weight found in `text`. A term found only elsewhere counts its `credit`; a term
    not found at all counts SOFT_CREDIT × the share of its characters in `text` (参加 → 参会, 检察机关 → 检察院: a
    paraphrase keeps some of its characters)."""
    if total <= 0:
        return 0.0
    norm = normalize(text)
    chars = set(norm)
    credit = credit or {}
    found = 0.0
    for t, w in weights.items():
        if t in norm:
            found += w
        else:
            soft = SOFT_CREDIT * sum(ch in chars for ch in t) / len(t) if len(t) > 1 else 0.0
            found += max(credit.get(t, 0.0), soft * w)
    return found / total


# ---------------------------------------------------------------- units


def _unit_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans of `text`, with a quotation and its speaker joined into one unit."""
    units: list[tuple[int, int]] = []
    depth = 0
    for start, end in split_sentences(text):
        sentence = text[start:end]
        joined = False
        if units:
            prev_start, prev_end = units[-1]
            same_line = "\n" not in text[prev_end:start]
            open_quote = depth > 0 and same_line
            # “……。”王勇说。 — the attribution belongs to the quotation before it.
            attribution = same_line and text[prev_end - 1] in _CLOSE_QUOTES and bool(_ATTRIBUTION.match(sentence))
            # A semicolon parts clauses of one sentence: "正确的做法是……再筛；亦可采用……熏杀。" is one answer.
            clauses = same_line and text[prev_end - 1] in "；;" and end - prev_start <= SEMICOLON_UNIT_CHARS
            if (open_quote or attribution or clauses) and end - prev_start <= MAX_UNIT_CHARS:
                units[-1] = (prev_start, end)
                joined = True
        if not joined:
            units.append((start, end))
            depth = 0
        depth = max(0, depth + sum(sentence.count(q) for q in _OPEN_QUOTES) - sum(sentence.count(q) for q in _CLOSE_QUOTES))
    return units


@lru_cache(maxsize=2048)
def article_units(text: str) -> tuple[tuple[int, int], ...]:
    """Answer units of an article's text (cached: the same articles come back question after question)."""
    return tuple(_unit_spans(text))


def _is_bare_attribution(text: str) -> bool:
    return bool(_ATTRIBUTION.match(text)) and not any(q in text for q in _OPEN_QUOTES + _CLOSE_QUOTES)


# ---------------------------------------------------------------- short answers


def _matching_form(text: str) -> str:
    """`text` normalised for finding question terms, offsets kept (lower case only where folding changes length)."""
    norm = normalize(text)
    return norm if len(norm) == len(text) else text.lower()


def _positions(norm: str, weights: dict[str, float]) -> list[tuple[int, int, str]]:
    """(start, end, term) of every occurrence of a question term in normalised unit text."""
    found = []
    for term in weights:
        i = norm.find(term)
        while i >= 0:
            found.append((i, i + len(term), term))
            i = norm.find(term, i + 1)
    return found


def _proximity(
    start: int,
    end: int,
    positions: list[tuple[int, int, str]],
    weights: dict[str, float],
    total: float,
    implied: dict[str, float] | None = None,
) -> float:
    """Question-term weight near [start, end), each term counted once at its nearest occurrence outside the span,
    decaying with distance; in [0, 1]. A term the unit leaves `implied` (settled by its title or the sentence before)
    counts its credit as if it stood at the unit's start."""
    nearest: dict[str, float] = {}
    for term, credit in (implied or {}).items():
        nearest[term] = credit * math.exp(-start / PROXIMITY_SCALE)
    for s, e, term in positions:
        if s < end and e > start:  # inside the candidate itself: the candidate would be the question's own words
            continue
        gap = start - e if e <= start else s - end
        nearest[term] = max(nearest.get(term, 0.0), weights[term] * math.exp(-gap / PROXIMITY_SCALE))
    return min(1.0, sum(nearest.values()) / total) if total > 0 else 0.0


def _cn_to_int(text: str) -> int | None:
    """A Chinese numeral under 1,000 as a number (十九 → 19, 一百三十六 → 136), else None."""
    total, digit = 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in "十百":
            total += (digit if digit is not None else 1) * (10 if ch == "十" else 100)
            digit = None
        else:
            return None
    return total + (digit or 0)


def _arabic(text: str) -> str:
    """`text` with Chinese numerals written in digits, so 第二十八届 and 第28届 compare equal."""
    return _CN_NUMBER.sub(lambda m: str(n) if (n := _cn_to_int(m.group())) is not None else m.group(), text)


# 第一 with a counter, which a text may write with 首 (第一次 → 首次, 第1届 → 首届, 第一个 → 首个)
_FIRST = re.compile(r"第(?:一|1)([次届批期轮个座家台艘条部架辆所项位名只颗])")


def _as_first(number: str) -> str:
    """第一次 / 第1届 as the text may write them: 首次, 首届 (else the number itself)."""
    first = _FIRST.fullmatch(number)
    return f"首{first.group(1)}" if first else number


def _written(number: str) -> set[str]:
    """The ways a text may write the question's `number`: 第一次 as 首次, a day's 5号 as 5日."""
    day = re.fullmatch(r"(\d{1,2}|[一二三四五六七八九十]{1,3})号", number)
    return {number, _as_first(number)} | ({f"{day.group(1)}日"} if day else set())


def _names_numbers(text: str, form: QuestionForm) -> bool:
    """True when `text` has every number that pins the question's subject down (第136届 is not 第135届)."""
    if not form.numbers:
        return True
    digits = _arabic(text)
    if not all(any(v in text or _arabic(v) in digits for v in _written(n)) for n in form.numbers):
        return False
    # 第十五届 names an edition of what follows it: 第十五届全国运动会 is not 第十五届北京国际电影节.
    return all(_ordinal_names_subject(text, n, form) for n in form.numbers if n.startswith("第") and n.endswith("届"))


def _ordinal_names_subject(text: str, ordinal: str, form: QuestionForm) -> bool:
    """True when `ordinal` (第十五届) is followed in `text` by what follows it in the question (北京国际电影节, sharing at least
    two characters in a row), or by nothing to compare: 第十五届全国运动会 is another event's edition."""
    at = form.text.find(ordinal)
    subject = bigrams(form.text[at + len(ordinal) : at + len(ordinal) + 8]) if at >= 0 else set()
    subject = {g for g in subject if len(g) == 2}
    if not subject:
        return True
    for n in {ordinal, _arabic(ordinal), _as_first(ordinal)}:
        i = text.find(n)
        while i >= 0:
            if subject & bigrams(text[i + len(n) : i + len(n) + 8]):
                return True
            i = text.find(n, i + 1)
    return False


def _in_question(span: str, form: QuestionForm) -> bool:
    return normalize(span) in form.text


def _coordinated(text: str, mentions: list[Mention], m: Mention) -> Mention:
    """`m` joined with the mentions of its kind listed with it (新疆法制报、新疆平安网; 张三和李四)."""
    same = sorted((o for o in mentions if o.kind == m.kind), key=lambda o: o.start)
    start, end = m.start, m.end
    grew = True
    while grew:
        grew = False
        for o in same:
            if o.start >= end and o.start - end <= 1 and text[end : o.start] in ("、", "和", "及", "与", ""):
                end, grew = o.end, True
            elif o.end <= start and start - o.end <= 1 and text[o.end : start] in ("、", "和", "及", "与", ""):
                start, grew = o.start, True
    return Mention(start, end, m.kind)


def _name_part(text: str, at: int) -> int:
    """The end of the name part that starts at `at`, after a dot LAC did not read through (赫尔曼·|施陶丁格在…)."""
    end = at
    for word in words(text[at : at + 12]):
        if not (_CJK_RUN.fullmatch(word) or word.isalpha()) or word in _GLUED + "于等" or (len(word) > 1 and common_word(word)):
            break
        end += len(word)
    return end if end - at <= 8 else at


def _joined(text: str, mentions: list[Mention], m: Mention) -> Mention:
    """`m` with the parts it was split from: a name at its dots (本杰明·富兰克林; 冈萨雷斯-奥莱切亚 when both parts are
    names) and a quantity range (150-300, 2年至3年左右)."""
    same = [o for o in mentions if o.kind == m.kind]
    start, end = m.start, m.end
    if m.kind == "person":
        # LAC may take the last character of the title before a name (议长塔苏拉斯 → 长塔苏拉斯, 兽医师熊朝永 → 师熊朝永)
        if end - start >= 3 and start > 0 and is_title(text[start - 1 : start + 1]):
            start += 1
        while end - start > 2 and text[end - 1] in _CLOSING_PUNCTUATION:
            end -= 1
        while end < len(text) and text[end] in _NAME_DOTS + "-－":
            tagged = next((o.end for o in same if o.start == end + 1), None)
            part = tagged or (_name_part(text, end + 1) if text[end] in _NAME_DOTS else end + 1)
            if part <= end + 1:
                break
            end = part
        while start > 0 and text[start - 1] in _NAME_DOTS + "-－":
            other_start = next((o.start for o in same if o.end == start - 1), None)
            if other_start is None:
                break
            start = other_start
    if _LATIN_NAME.fullmatch(text[start:end]):  # LAC parts a Latin name at its spaces: Konami | Digital | Entertainment
        words_after = _LATIN_AFTER.match(text, end)
        words_before = _LATIN_BEFORE.search(text, max(0, start - MAX_SHORT_CHARS), start)
        grown = (words_before.start() if words_before else start), (words_after.end() if words_after else end)
        if grown[1] - grown[0] <= MAX_SHORT_CHARS:
            start, end = grown
    elif m.kind == "quantity":
        joiner = _RANGE_JOINER.match(text, end)
        other_end = joiner and next(
            (o.end for o in same if o.start == joiner.end() and not _LATIN_WORD.search(text[o.start : o.end])), None
        )
        if other_end:
            end = other_end
        else:
            for o in same:
                joiner = _RANGE_JOINER.match(text, o.end)
                if joiner and joiner.end() == start and text[o.start : o.end][:1].isdigit() == text[start].isdigit():
                    start = o.start
                    break
    return Mention(start, end, m.kind)


def _complete(text: str, span: Mention, form: QuestionForm, dated: bool = False) -> str:
    """The short answer's words: a count takes the noun the question counts (15个 → 15个方面); a day drops its part
    of the day when the question asks for a day (12月14日下午 → 12月14日). In a dated corpus, also: an ordinal keeps
    its 第 (第十年), and a count ends its unit as the question words it (10周 + 年 → 10周年 for 多少周年)."""
    words = text[span.start : span.end].strip()
    if dated and span.kind == "quantity":
        wh = form.text[max(form.wh_start, 0) : form.wh_end + 1]
        if "第" in wh and text[span.start - 1 : span.start] == "第":
            return _complete(text, Mention(span.start - 1, span.end, span.kind), form)
        unit = _head_noun(form) or ""
        overlap = next((n for n in range(len(unit) - 1, 0, -1) if words.endswith(unit[:n])), 0)
        if overlap and text.startswith(unit[overlap:], span.end):
            return text[span.start : span.end + len(unit) - overlap].strip()
    if span.kind == "quantity" and (words.endswith("个") or words[-1:].isdigit() or words[-1:] in "万亿"):  # 1091万 + 车次
        noun = _head_noun(form)
        following = text[span.end : span.end + 8]
        k = following.find(noun) if noun else -1
        if noun and 0 <= k <= 1 and _ends_phrase(noun, form):
            return text[span.start : span.end + k + len(noun)].strip()
    if span.kind == "person" and span.end not in (edges := word_edges(text)):
        tail = text[span.end : min((e for e in edges if e > span.end), default=span.end)]
        glued = tail[-1:] in _GLUED + "于及等以"  # jieba's 赵丹以 of 赵丹以2分04秒27的成绩
        if _CJK_RUN.fullmatch(tail) and len(tail) <= 2 and not glued and not _LATIN_OR_DIGIT.search(words):
            return f"{words}{tail}"  # LAC's 巴盖 of 巴盖里: the name runs to the end of jieba's word
    body = _BODY_ASKED.search(form.text[max(form.wh_start, 0) : form.wh_end]) if span.kind == "org" else None
    if body and body.group() in words[:-2]:
        return words[: words.index(body.group()) + len(body.group())]  # 哪个国际组织: 联合国旅游组织, not its 执行委员会
    if span.kind == "time" and _asks_day(form):
        words = _PART_OF_DAY.sub("", words)
    if span.kind == "time" and len(words) > 2 and words.endswith("起"):
        words = words[:-1]  # 6月5日起施行: the day is 6月5日
    return words


def _asks_day(form: QuestionForm) -> bool:
    """True when the question word asks for a day (哪天, 几号, 哪一天)."""
    return bool(re.search(r"[天日号]", form.text[form.wh_start : form.wh_end]))


def _asks_clock(form: QuestionForm) -> bool:
    """True when the question asks for a time of day (几点, 几时, 时刻)."""
    return bool(re.search(r"几点|几时|时刻", form.text))


def _date_of(at: Mention, dates: list[DateSpan], form: QuestionForm) -> DateSpan | None:
    """The resolved date a date candidate stands for, when the text left its year to the article's date (今天 →
    2023年5月30日, 今年5月 → 2022年5月); None when the words already say it all."""
    overlapping = [d for d in dates if d.start < at.end and d.end > at.start and not d.approximate]
    if not any(d.relative for d in overlapping) or _asks_clock(form):
        return None  # 几点发射: 4月24日17时17分 says the time, the day's full date would drop it
    inside = [d for d in overlapping if at.start <= d.start and d.end <= at.end]
    if len(inside) > 1 and re.search(r"[几些]", form.text[form.wh_start : form.wh_end]):
        return None  # 哪几天 → the range as written, 6月24日至25日, each day annotated with its year in the answer
    best = min(overlapping, key=lambda d: (d.last - d.first, not d.relative))  # the most precise
    days = [d for d in inside if d.first == d.last]
    if len(days) > 1 and _LAST_DAY_ASKED.search(form.text):
        best = max(days, key=lambda d: d.last)  # 11月8日至10日 for 哪天闭幕: the last day
    return None if _asks_day(form) and best.first != best.last else best


def _typed_candidate(
    text: str,
    mentions: list[Mention],
    form: QuestionForm,
    weights: dict[str, float],
    total: float,
    dates: Sequence[DateSpan] = (),
    asked_time: str = "",
    dated: bool = False,
    implied: dict[str, float] | None = None,
    window: tuple[date, date] | None = None,
) -> tuple[str | None, float, Mention | None]:
    """The mention of an accepted kind closest to the question's words in `text` (the asked kind preferred), its
    proximity, and the mention itself. In a `dated` corpus, with the unit's resolved `dates`, only a candidate of the
    question's grain answers: a calendar date for 什么时候, a day for 哪天, an ordinal for 第几届, the counted unit
    for 几天; and the question's own time (`asked_time`, 2024年) is no answer. Terms `implied` by the unit's title or
    the sentence before tie a candidate too (作者是比利时漫画家埃尔热, under the title 太阳的囚徒)."""
    if not form.accepts:
        return None, 0.0, None
    norm = _matching_form(text)
    positions = _positions(norm, weights)
    levels = form.accepts == ("place",)  # 哪个省, 哪个城市, 哪国: an administrative level is asked
    if "place" in form.accepts:
        mentions = mentions + _admin_parts(text, mentions, positions, levels=levels)
    city_asked = levels and bool(re.match(r"在?哪(?:一)?个?城市", form.text[form.wh_start :]))
    if city_asked:  # 哪个城市: 江苏省扬州 → 扬州; a country, province or road (中国, 江苏省, 西路) is no city, nor joined to one
        mentions = [_after_province(text, m) if m.kind == "place" else m for m in mentions]
        mentions = [m for m in mentions if m.kind != "place" or not _NOT_A_CITY.search(text[m.start : m.end])]
    if form.kind == "org":  # 哪个机构: a body LAC did not tag (国际原子能机构)
        mentions = mentions + org_phrases(text) + _body_tails(text, mentions)
    if form.kind == "thing":  # 哪款直升机: a model's code, which LAC does not tag (AC332, C919, CR450)
        mentions = mentions + _model_codes(text)
        # 《雪域情深——习近平总书记率……纪实》: the main title names the work; the subtitle describes it
        mentions = mentions + [Mention(m.start(), m.end(), "thing") for m in _MAIN_TITLE.finditer(text)]
    head = _head_noun(form) if form.kind == "thing" else None
    unit_noun = _head_noun(form) if form.kind == "quantity" else None
    dateline = DATELINE.match(text)  # 央视网消息（新闻联播）：… names the outlet, not an answer
    if dateline:
        mentions = [m for m in mentions if m.start >= dateline.end()]
    accepted = [m for m in mentions if m.kind in form.accepts or (head and text[m.start : m.end].endswith(head))]
    if form.kind == "thing" and not head:  # 是什么: a word LAC calls a name (IUPAC, formula) is no answer unless marked
        accepted = [m for m in accepted if m.kind != "thing" or _named(text, m)]
    if head in _POSITION_NOUNS:  # 担任什么职务: a title answers, not any name the unit holds (中华民族)
        accepted = [m for m in accepted if m.kind != "thing" or _TITLE_END.search(text[m.start : m.end])]
        accepted += _titles(text, positions)
    if form.measure:
        accepted = [_with_unit(text, m, form.measure) if m.kind == "quantity" else m for m in accepted]
    best: dict[bool, tuple[Mention | None, float]] = {True: (None, 0.0), False: (None, 0.0)}
    closer = {True: 0.0, False: 0.0}
    if form.role and not _writes_role(norm, form.role):
        return None, 0.0, None  # 副院长是谁: a unit naming only the 院长 (or, 议长 asked, only the 副议长) does not answer
    resolved = {(d.start, d.end) for d in dates if not d.approximate}
    if "time" in form.accepts:  # 昨天, 今年5月: dates once the article's day resolves them
        mentions = mentions + [Mention(s, e, "time") for s, e in resolved]
    ordinal_asked = "第" in form.text[form.wh_start : form.wh_end + 1]
    wh = form.text[max(form.wh_start, 0) : form.wh_end + 1]
    wants_day = bool(re.search(r"[天日号]", wh))
    wants_year = form.kind == "time" and bool(re.search(r"哪(?:一)?年|几几年", wh))
    wants_clock = _asks_clock(form)  # 从几点开始实行 → 18时
    # A level below the country: a country name may come with its region (印度尼西亚爪哇), a province may not.
    level = levels and "国" not in form.text[form.wh_start : form.wh_end + 3]
    wants_era = bool(re.search(r"朝|时代", wh))  # 哪个朝代 → 唐代, before any year
    counted = None
    if form.kind == "quantity" and re.fullmatch(r"(?:几|多少)[天年届次人名个项家场]", wh.rstrip("?？ ")):
        counted = wh.rstrip("?？ ")[-1]  # 开了几天 → 6天
    days = {(d.start, d.end) for d in dates if not d.approximate and d.first == d.last}
    event_word = _event_word(form, weights) if form.kind else None
    # 主跨有多长, 实到了多少委员: the word the question writes right before its question word names the number the text
    # writes right after it, and no other (全长1834米、主跨504米; 应出席委员2169人，实到2119人)
    named_by = _word_before_asked(form, weights) if form.kind == "quantity" else None
    counted_phrase = _counted_phrase(form) if form.kind == "quantity" else ""
    starts_asked = form.kind == "time" and bool(re.search(r"开始|起", form.after or form.text))

    def fits(m: Mention) -> bool:
        """True when the candidate has the grain the question asks for (judged in a dated corpus; a clock time for
        几点 in any corpus)."""
        span = text[m.start : m.end]
        if wants_clock and m.kind == "time" and form.kind == "time" and not _CLOCK.search(span):
            return False  # 故宫几点清场: 1959年8月15日 is no time of day
        if wants_year and m.kind == "time" and "年" not in span and not ERA.fullmatch(span) and (m.start, m.end) not in resolved:
            return False  # 哪一年讨伐: 八月 is no year
        if not dated:
            return True
        if m.kind == "time" and form.kind == "time":
            if wants_clock or wants_era:
                return True
            if wants_day:
                return bool(re.search(r"[日号]", span)) or any(m.start <= s and e <= m.end for s, e in days)
            return bool(_CALENDAR.search(span)) or (m.start, m.end) in resolved
        if m.kind == "quantity" and ordinal_asked:
            if _SESSION.match(text, m.end) and "会" not in form.text:
                return False  # 第几次去哈萨克斯坦: 第二十四次会议 names a meeting, it does not count visits
            counter = form.text[form.wh_end : form.wh_end + 1]
            if counter in _ORDINAL_COUNTERS and counter not in text[m.start : m.end + 1]:
                return False  # 第几次: 第五次, not the 第一 of 第一副总理
            return span.startswith("第") or text[m.start - 1 : m.start] == "第"
        if m.kind == "quantity" and counted:  # 多少个全国模范退役军人: people are counted in 名 and 位 as well
            echoed = bool(counted_phrase) and _common_prefix(counted_phrase, norm[m.end :]) >= 2
            if counted in _PEOPLE_COUNTERS:  # 来了多少人: 25.3万名境外采购商
                return bool(re.search(f"[{_PEOPLE_COUNTERS}]", span))
            return counted in span or (counted == "个" and echoed and bool(re.search("[名位]", span)))
        return True

    fit: dict[Mention, bool | None] = {}  # whether a quantity is in the unit asked for (see `_unit_fits`)

    excluded = _excluded_terms(form)
    owner = normalize(form.before).rstrip("的") if form.wh_start > 0 else ""
    subject_stretches = _subject_stretches(form.before)

    def in_subject(m: Mention) -> bool:
        """True when `m` lies inside a longer body that holds the question's subject, joined to it by no conjunction
        (中国政府 of 中国政府援缅卫生防疫队, but not 联合国难民署 of 南南合作援助基金同联合国难民署)."""
        for o in mentions:
            if o.kind != "org" or not (o.start <= m.start and m.end <= o.end) or (o.start, o.end) == (m.start, m.end):
                continue
            whole = normalize(text[o.start : o.end])
            for stretch in subject_stretches:
                at = whole.find(stretch)
                if at >= 0:
                    at += o.start
                    between = text[m.end : at] if at >= m.end else text[at + len(stretch) : m.start]
                    if not any(c in between for c in _CONJUNCTIONS):
                        return True
        return False

    def usable(m: Mention) -> bool:
        span = normalize(text[m.start : m.end].strip())
        if not span or len(span) > MAX_SHORT_CHARS or (asked_time and span in asked_time):
            return False
        if any(t in span for t in excluded):
            return False  # 除了仲裁法修订草案，还讨论了哪个法: not the one the question already names
        if m.kind == "org" and text[m.end : m.end + 1] in _CLOSE_QUOTES and _HONOUR.search(text, max(0, m.start - 12), m.start):
            return False  # 命名……为全国第二批“枫桥式公安派出所”: an honour in quotes, not the body asked for
        if m.kind == "org" and (any(stretch in span for stretch in subject_stretches) or in_subject(m)):
            return False  # 中国南南合作援助基金同联合国难民署合作: the question's own subject run into the body asked
        if m.kind == "org" and _asks_where_gone(form) and _title_of_named(norm, m, form):
            return False  # 李强去了哪家药企: 国务院 of 国务院总理李强 is his office, not where he went
        if span.strip('《》“”"') in form.text and not _titled(text, m, span, form):
            return False  # the question's own words answer nothing, in quotes or not (《求是》 for 那期求是登的文章题目叫啥),
            # but 基金会主席梅里埃 does for 梅里埃基金会的主席是谁
        if m.kind == "quantity" and (span.startswith("第") or text[m.start - 1 : m.start] == "第") and not ordinal_asked:
            return False  # 第二批 is not a count
        if m.kind == "quantity" and _digit_group_piece(text, m):
            return False
        if m.kind == "quantity" and _VAGUE.fullmatch(span):
            return False  # 略酸一些, 一度下跌, 多项实验: no count
        if level and m.kind == "place" and (_GENERIC_PLACE.fullmatch(span) or (len(span) > 5 and not _LEVEL_END.search(span))):
            return False  # 哪个省: 南京雨花台烈士陵园 is a place in a province, and 自治区 alone names none
        if m.kind == "place" and text.startswith("时间", m.end):
            return False  # 北京时间, 当地时间: a clock, not a place
        if m.kind == "place" and _below_level(span, form):
            return False  # 哪个县: 六道河镇朱家沟村 lies below the county asked
        if m.kind == "person" and form.role and _titled_otherwise(norm, m, form, mentions):
            return False  # 博鳌亚洲论坛的秘书长是谁: 博鳌亚洲论坛理事长潘基文 holds another office
        if m.kind == "person" and _DOCTRINE.match(text, m.end):
            return False  # 习近平生态文明思想, 以习近平同志为核心的党中央: a name inside another name, not a person acting
        if window and m.kind == "quantity" and not _of_window(text, m, dates, window):
            return False  # 2020年的收入: 去年〔2024年〕……收入4.12万元 is another year's figure, 比2020年增长近1万元 a change
        if m.kind == "quantity" and form.measure:
            fit[m] = _unit_fits(span, form.measure)
            if fit[m] is False:
                return False  # 17公里 does not answer 多少钱
        if m.kind == "time" and not _NUMERAL.search(span) and (m.start, m.end) not in resolved and not ERA.fullmatch(span):
            return False  # 目前, or 今天 in an undated article: a date that says nothing on its own (唐朝 does)
        if (
            dated
            and m.kind == "time"
            and (
                any(
                    o.kind != "time" and o.start <= m.start and m.end <= o.end and o.end - o.start > m.end - m.start
                    for o in mentions
                )
                or (re.fullmatch(r"[一二三四五六七八九十]+号", span) and text[m.start - 1 : m.start] != "月")
            )
        ):
            return False  # 二十三号 in 神舟二十三号: a name, not a day
        # A name holding the question's own subject (叶城县公安局伯西热克派出所 for 伯西热克派出所在哪个县) describes it.
        # A body's name may hold a common word of the question (轻工业 in 中国轻工业联合会 for 轻工业数据是哪家发布的).
        subject = [t for t in weights if m.kind != "org" or any(t in n for n in form.names)]
        # 联合国哪个机构: the word right before the question word is what the answer belongs to (联合国难民署)
        if m.kind == "org":
            subject = [t for t in subject if not owner.endswith(t)]
        if head in _POSITION_NOUNS and m.kind == "thing":  # a title names the country it serves (俄罗斯第一副总理)
            served = [normalize(text[o.start : o.end]) for o in mentions if o.kind == "place" and m.start <= o.start < m.end]
            subject = [t for t in subject if not any(t in name for name in served)]
        return not any(len(t) >= 3 and t in span and t != head for t in subject)  # 哪个派出所: 派出所 may end it

    valid = [m for m in accepted if usable(m) and fits(m)]
    if named_by and any(norm.endswith(named_by, 0, m.start) for m in valid):
        valid = [m for m in valid if norm.endswith(named_by, 0, m.start)]
    suffix = _head_noun(form) if form.kind == "org" else None
    endings = _COMPANY_ENDINGS if suffix in _COMPANY_WORDS else (suffix,) if suffix in _SUFFIX_NAMED else ()
    if endings and any(text[m.start : m.end].endswith(endings) for m in valid):
        # 哪所大学: a 大学, not the 研究所 beside it; 哪家药企: a 公司, not the 国务院 of the 国务院总理 who went there
        valid = [m for m in valid if text[m.start : m.end].endswith(endings)]
    # 多少件: 5.4万件 counts them, and the bare 两 of 两省 something else, though it stands nearer the question's words.
    # The nearer count still ties the unit (`loose`): the unit is as much about the question as before.
    counts_asked = any(fit.get(m) for m in valid)
    loose = 0.0
    if wants_clock and any(_CLOCK_TIME.search(text[m.start : m.end]) for m in valid if m.kind == "time"):
        # 几点落地: 12时许 says it, 20日中午 only the part of the day
        valid = [m for m in valid if m.kind != "time" or _CLOCK_TIME.search(text[m.start : m.end])]
    # 啥时候开始施行: the day marked as a start (6月5日起实施) answers, not the day the law was passed beside it, which
    # still ties the unit (`loose`)
    starts_marked = starts_asked and any(_starts(text, m) for m in valid if m.kind == "time")
    for m in valid:
        if any(o.start <= m.start and m.end <= o.end and o.end - o.start > m.end - m.start for o in valid):
            continue  # 新疆 inside 新疆法制报: the whole name answers
        tie = _proximity(m.start, m.end, _own_positions(text, m, mentions, positions), weights, total, implied)
        if m.kind == "time" and bool(ERA.fullmatch(text[m.start : m.end])) != wants_era:
            tie *= SECONDARY_KIND  # 战国时代 says less than 1589年7月17日 beside it, unless the era is asked
        # Among candidates tied alike, the one next to the event word wins (proximity alone reaches 1.0 for both).
        closeness = _event_closeness(text, norm, m, event_word) if event_word else 0.0
        if form.role and m.kind == "person":  # 新加坡总理叫什么: 新加坡总理黄循财, not 国务院总理李强 beside it
            closeness = max(closeness, _title_closeness(norm, m, form.role, weights, total))
        # A quantity in the unit asked for answers more surely: 多少公里 → 361.3公里 (the question's own word, weighed as
        # a term), 死了几个人 → 29人 (a unit of the measure asked, MEASURE_TIE).
        named_unit = (
            max(weights[unit_noun] / total, MEASURE_TIE)
            if unit_noun in weights and unit_noun in text[m.start : m.end + len(unit_noun) + 1]
            else 0.0
        )  # 多少公里 → 361.3公里; 几个方面 → 7个, followed by 方面
        # 表彰了多少个全国模范退役军人 → 397名, followed by all of 全国模范退役军人 (100个 only by 全国): what the
        # count is of, written right after it, says it as surely as the event word beside it
        echo = _common_prefix(counted_phrase, norm[m.end : m.end + len(counted_phrase)]) if counted_phrase else 0
        if echo >= 2:
            closeness = max(closeness, EVENT_WORD_WEIGHT * echo / len(counted_phrase))
        measured = MEASURE_TIE if form.measure and m.kind == "quantity" and fit.get(m) else 0.0
        tie = min(1.0, tie + max(named_unit, measured))
        if (counts_asked and m.kind == "quantity" and not fit.get(m)) or (
            starts_marked and m.kind == "time" and not _starts(text, m)
        ):
            loose = max(loose, min(1.0, tie + closeness))
            continue
        primary = m.kind == form.kind or head is not None
        if tie + closeness > best[primary][1] + closer[primary]:
            best[primary] = (m, tie)
            closer[primary] = closeness
    primary = best[True][1] >= MIN_TIE or best[False][0] is None
    mention, tie = best[primary]
    if mention is None or tie < MIN_TIE:
        return None, tie, None
    tie = max(min(1.0, tie + closer[primary]), loose)
    if mention.kind != form.kind:
        tie *= SECONDARY_KIND
    whole = _respective(text, _joined(text, mentions, _coordinated(text, mentions, mention)), weights)
    if any(t in normalize(text[whole.start : whole.end]) for t in excluded):
        whole = _joined(text, mentions, mention)  # 仲裁法…和国家公园法: the item the question has not named
    return _complete(text, whole, form, dated), tie, whole


def _model_codes(text: str) -> list[Mention]:
    """Models named by a code, which LAC does not tag: AC332, C919, and 歼-15D or 红旗-19 from where their word starts
    (首次亮相的歼-15D: not 的歼-15D)."""
    found = []
    edges = word_edges(text)
    for m in _MODEL_CODE.finditer(text):
        start, hyphen = m.start(), text.find("-", m.start(), m.end())
        if hyphen > 0 and text[hyphen - 1] in "年月日号时分秒":
            continue  # 5月-6月: a range of days, no model
        if "\u4e00" <= text[start] <= "\u9fff":
            start = max((e for e in edges if m.start() <= e < hyphen), default=start)
        found.append(Mention(start, m.end(), "thing"))
    return found


def _after_province(text: str, m: Mention) -> Mention:
    """The place `m` without the country or province its name starts with (江苏省扬州 → 扬州, 中国上海 → 上海), when a
    name is left."""
    above = _ABOVE_CITY.match(text, m.start, m.end)
    return Mention(above.end(), m.end, m.kind) if above and above.end() > m.start and m.end - above.end() >= 2 else m


def _digit_group_piece(text: str, m: Mention) -> bool:
    """True when the quantity `m` is a piece of a number written with thousands separators (5 or 057名 of 5,057名,
    which LAC parts at the comma)."""
    after_group = text[m.start - 1 : m.start] == "," and text[m.start - 2 : m.start - 1].isdigit()
    return after_group or bool(_DIGIT_GROUP.match(text, m.end))


def _respective(text: str, whole: Mention, weights: dict[str, float]) -> Mention:
    """From a list of values after 分别 (智能眼镜、擦窗机器人网上零售额分别增长183.5%和130.8%), the one that belongs to the
    item the question names (擦窗机器人 → 130.8%); the whole list when the items and values do not pair up or the question's
    words are found in more than one item."""
    lead = text[max(0, whole.start - 8) : whole.start]
    at = lead.rfind("分别")
    values = list(re.finditer(r"[^、和及与]+", text[whole.start : whole.end]))
    if at < 0 or len(values) < 2:
        return whole
    said = whole.start - len(lead) + at
    clause = text[max(text.rfind(c, 0, said) for c in "，,。；;：:\n") + 1 : said]
    items = re.split(r"[、和及与]", clause)
    if len(items) != len(values):
        return whole
    named = [i for i, item in enumerate(items) if any(t in normalize(item) for t in weights)]
    if len(named) != 1:  # the words after the last item (网上零售额) are every item's: only one item may match
        return whole
    value = values[named[0]]
    return Mention(whole.start + value.start(), whole.start + value.end(), whole.kind)


def _own_positions(
    text: str, m: Mention, mentions: list[Mention], positions: list[tuple[int, int, str]]
) -> list[tuple[int, int, str]]:
    """The question words that may describe person `m`: not those of the next person's title after 与 / 和 (何立峰与
    美方牵头人、美国财政部长贝森特: 美方牵头人 is 贝森特's)."""
    if m.kind != "person" or text[m.end : m.end + 1] not in _CONJUNCTIONS:
        return positions
    following = min((o.start for o in mentions if o.kind == "person" and o.start > m.end + 1), default=None)
    if following is None:
        return positions
    return [p for p in positions if not (m.end < p[0] and p[1] <= following)]


def _of_window(text: str, m: Mention, dates: Sequence[DateSpan], window: tuple[date, date]) -> bool:
    """False when the quantity `m` belongs to a time outside the question's `window`: the date nearest before it in its
    sentence lies outside, or is the base of a comparison (比2020年增长近1万元); True when no date says otherwise."""
    sentence_start = max((b.end() for b in _SENTENCE_BREAK.finditer(text, 0, m.start)), default=0)
    before = [d for d in dates if sentence_start <= d.start and d.end <= m.start and not d.approximate]
    if not before:
        return True
    nearest = max(before, key=lambda d: d.end)
    if re.search(r"(?:比|较|相比|同比|与)$", text[max(0, nearest.start - 2) : nearest.start]):
        return False
    return nearest.first <= window[1] and nearest.last >= window[0]


def _named(text: str, m: Mention) -> bool:
    """True when a "thing" mention is marked as a name by the text itself: a 《title》 or a phrase in quotation marks."""
    if text.startswith("《", m.start) or text[m.start - 1 : m.start] == "《":
        return True
    return m.start > 0 and text[m.start - 1] in '“‘「『"'


def _titles(text: str, positions: list[tuple[int, int, str]]) -> list[Mention]:
    """Titles written right before or after one of the question's words (a name): 自治区司法厅党委书记 in
    自治区司法厅党委书记张秀成说, 云南省……执行局局长 in 鲍卫忠同志生前系云南省……执行局局长。"""
    found = []
    for s, e, term in positions:
        if len(term) < 2:
            continue
        # Before the name, 、 parts it from another person's title and name (院长迪里夏提·沙依木、自治区检察院检察长高继明).
        before = _TITLE_PREFIX.sub("", _TITLE_BREAK.split(text[max(0, s - 40) : s])[-1].split("、")[-1], count=1)
        if len(before) >= 2 and _TITLE_END.search(before):
            found.append(Mention(s - len(before), s, "thing"))
        if term[-1].isdigit() and text[e : e + 1] in ("年", "月", "日", "号"):
            e += 1  # 1985 + 年1月任…: the date goes on
        lead = _TITLE_LEAD.match(text, e)
        start = lead.end() if lead else e
        clause = _TITLE_BREAK.split(text[start : start + 40])[0]
        after = _TITLE_PREFIX.sub("", clause, count=1)
        start += len(clause) - len(after)
        if len(after) >= 2 and _TITLE_END.search(after):
            found.append(Mention(start, start + len(after), "thing"))
    return found


def _admin_parts(text: str, mentions: list[Mention], positions: list[tuple[int, int, str]], levels: bool) -> list[Mention]:
    """The places inside longer names: the place an organisation's name starts with (叶城县 in 叶城县公安局); and when
    the question asks for an administrative level (`levels`: 哪个省, 哪个县), one part per level of every name (南京市
    and 六合区 in 南京市六合区; 阿利坎特省 in 西班牙阿利坎特省塔尔贝纳, after the question's own 西班牙)."""
    parts = []
    for m in mentions:
        if m.kind != "org" and not (levels and m.kind == "place"):
            continue
        start = m.start
        for k in _ADMIN_SUFFIX.finditer(text, m.start, m.end):
            # A part starts after the level before it, and after any of the question's own words it holds.
            start = max([start] + [e for s, e, term in positions if len(term) > 1 and start <= s and e <= k.start()])
            if k.end() - start >= 2 and (start, k.end()) != (m.start, m.end):
                parts.append(Mention(start, k.end(), "place"))
            if not levels:
                break  # only the place the organisation's name starts with
            start = k.end()
    return parts


@lru_cache(maxsize=1024)
def _subject_stretches(before: str) -> frozenset[str]:
    """Four characters in a row of the question's text `before` its question word: they name its subject
    (南南合作援助基金); not the last four, the words the answer belongs to (联合国哪个机构), and nothing after the question
    word, whose noun the answer may end in (哪个发射中心). Cached: every candidate unit of a question asks again."""
    text = normalize(before)
    return frozenset(text[i : i + 4] for i in range(len(text) - 4) if _CJK_RUN.fullmatch(text[i : i + 4]))


def _body_tails(text: str, mentions: list[Mention]) -> list[Mention]:
    """The body's own name after the places a longer name starts with (林肯中学 of 美国华盛顿州塔科马市林肯中学, which
    the analyser may call a place), for a question that names the place itself."""
    tails = []
    for m in mentions:
        if m.kind not in ("org", "place"):
            continue
        start = max((k.end() for k in _ADMIN_SUFFIX.finditer(text, m.start, m.end)), default=None)  # after the last place
        if start is not None and m.end - start >= 3 and ends_in_body_word(text[start : m.end]):
            tails.append(Mention(start, m.end, "org"))
    return tails


def _unit_fits(span: str, measure: str) -> bool | None:
    """Whether quantity `span` is in what the question measures: True when its unit says so (29人 for 几个人, 16条
    for 几条), None when it has no unit (a bare 5.3, 2.9万), False when its unit measures something else (17公里 for
    多少钱). A question counting in a counter word (几座) takes other counters too, which are used loosely (4间), but
    not a unit of measure (2024年)."""
    unit = _QUANTITY_TAIL.sub("", span)
    run = _NUMBER_RUN.match(unit)
    unit = unit[run.end() :] if run else unit
    if not unit:
        return None
    units = MEASURE_UNITS.get(measure)
    if units is not None:
        return bool(units.search(unit))
    if measure in unit or (measure == "个" and MEASURE_UNITS["people"].fullmatch(unit)):
        return True  # 多少个代表: people are counted in 名 and 位 as well as 个
    return False if any(u.search(unit) for u in MEASURE_UNITS.values()) else None


@lru_cache(maxsize=4096)  # asked for every unit of every passage, like _head_noun
def _asked_noun(form: QuestionForm) -> str | None:
    """The noun naming what a question asks the name of: after its question word (哪个浮雕 → 浮雕) or before 叫什么 /
    是什么 (荣誉称号叫啥 → 称号); None when there is none of two characters or more."""
    noun = _head_noun(form)
    if noun is None and form.wh_start >= 0 and re.search(r"[叫是]$", form.before):
        words = [w for w, _ in tagged_words(form.before.rstrip("叫是的 "))]
        noun = words[-1] if words else None
    if not noun or len(noun) < 2 or not _CJK_RUN.fullmatch(noun):
        return None
    return noun if all(tag.startswith("n") for _, tag in tagged_words(noun)) else None  # 什么入围: no noun asked


def _quoted_beside(text: str, form: QuestionForm) -> str | None:
    """The quoted or titled name `text` writes right beside the noun the question asks the name of (“模范火箭炮兵连”荣誉
    称号 and 浮雕《铜墙铁壁》 for 荣誉称号叫啥 / 哪个浮雕), or None."""
    noun = _asked_noun(form)
    if noun is None:
        return None
    n = re.escape(noun)
    before = rf"[“「《](?P<a>[^“”「」《》]{{2,20}})[”」》][\u4e00-\u9fff]{{0,4}}?{n}"  # “模范火箭炮兵连”荣誉称号
    after = rf"{n}(?:为|是|叫)?[“「《](?P<b>[^“”「」《》]{{2,20}})[”」》]"  # 浮雕《铜墙铁壁》
    beside = re.search(f"{before}|{after}", text)
    if beside is None:
        return None
    name = beside.group("a") or beside.group("b")
    return None if name in form.text else ("《" + name + "》" if "《" in beside.group() else name)


@lru_cache(maxsize=4096)  # asked for every unit of every passage, like _head_noun
def _excluded_terms(form: QuestionForm) -> tuple[str, ...]:
    """The words of what a question sets aside with 除了 (除了仲裁法修订草案，还讨论了哪个法 → 仲裁法, 修订) that the
    rest of the question does not write: an answer holding them is the thing set aside."""
    aside = _SET_ASIDE.search(form.text)
    if aside is None:
        return ()
    rest = form.text[: aside.start()] + form.text[aside.end() :]
    return tuple(t for t in dict.fromkeys(tokenize(aside.group("x"))) if len(t) >= 2 and t not in rest)


def _after_counter(form: QuestionForm) -> str:
    """The question's text after its question word, without the counter that may follow it (几个方面 → 方面)."""
    return form.after.lstrip().lstrip("个项名位种家所条件次")


def _counted_phrase(form: QuestionForm) -> str:
    """What a quantity question counts, as it writes it after its counter (多少个全国模范退役军人 → 全国模范退役军人), up
    to the clause's end or a 的; empty when it writes nothing there."""
    return re.split(r"[的，,。？?！!\s呢啊吗了]", _after_counter(form), maxsplit=1)[0]


def _common_prefix(a: str, b: str) -> int:
    """The length of the longest common prefix of `a` and `b`."""
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def _with_unit(text: str, m: Mention, measure: str) -> Mention:
    """Quantity mention `m` extended over the unit of the asked measure that follows it (约两个 + 小时 → 约两个小时)."""
    units = MEASURE_UNITS.get(measure)
    if units is None:
        return m
    after = text[m.end : m.end + 4]
    last = text[m.start : m.end][-1:]
    for n in range(len(after), 0, -1):
        if (units.fullmatch(after[:n]) or units.fullmatch(last + after[:n])) and m.end + n in word_edges(text):
            return Mention(m.start, m.end + n, m.kind)  # only where the word ends: 两国元首's 元 is no unit of 两国
    return m


def _event_word(form: QuestionForm, weights: dict[str, float]) -> str | None:
    """The question's term nearest its question word: the event asked about (发射 in 神舟十八号哪天发射)."""
    best: tuple[int, int, str] | None = None
    counted = _head_noun(form) if form.kind == "quantity" else None
    for term in weights:
        i = form.text.find(term)
        if i < 0 or _NUMERAL.search(term) or any(term in n for n in (*form.names, *form.numbers, form.role or "")):
            continue  # the subject (神舟十六号) or the role asked for (检察长), not the event
        if term == counted and len(term) == 1:
            continue  # 死了几个人: a one-character noun counted (人, inside any 人员) says no event (死)
        gap = form.wh_start - (i + len(term)) if i < form.wh_start else i - form.wh_end
        key = (max(gap, 0), -len(term), term)
        best = key if best is None or key < best else best
    return best[2] if best else None


def _word_before_asked(form: QuestionForm, weights: dict[str, float]) -> str | None:
    """The question's term written right before its question word, past a light verb (主跨 in 主跨有多长, 实到 in
    实到了多少委员), or None."""
    before = re.sub(r"(?:有|了|是|为|达|约)+$", "", form.text[: max(form.wh_start, 0)])  # 总共有多少: a total
    return next((t for t in sorted(weights, key=len, reverse=True) if len(t) >= 2 and before.endswith(t)), None)


def _event_closeness(text: str, norm: str, m: Mention, word: str) -> float:
    """EVENT_WORD_WEIGHT, decaying with distance, when `word` follows or precedes mention `m` in its sentence."""
    found = 0.0
    i = norm.find(word)
    while i >= 0:
        lo, hi = (m.end, i) if i >= m.end else (i + len(word), m.start)
        if lo <= hi and not _SENTENCE_BREAK.search(text[lo:hi]):
            found = max(found, EVENT_WORD_WEIGHT * math.exp(-(hi - lo) / EVENT_WORD_SCALE))
        i = norm.find(word, i + 1)
    return found


def _titled(text: str, m: Mention, span: str, form: QuestionForm) -> bool:
    """True when the person `m` comes right after the role the question asks about (基金会主席梅里埃), where the question
    writes the name only in another phrase (梅里埃基金会的主席是谁)."""
    role = form.role or ""
    in_phrase = span not in form.names and f"{role}{span}" not in form.text  # not 李强在吉隆坡见的澳洲总理是谁
    return bool(role) and m.kind == "person" and text[: m.start].endswith(role) and in_phrase


def _writes_role(norm: str, role: str) -> bool:
    """True when normalised `norm` writes `role` (or a word for it: 夺冠 for 冠军) as itself, not only as the deputy's
    title (副议长 does not name the 议长)."""
    for written in (role, *_ROLE_WRITTEN.get(role, ())):
        deputy = "副" + written
        if norm.count(written) > (0 if role.startswith("副") else norm.count(deputy)):
            return True
    return False


@lru_cache(maxsize=4096)  # it reads the question alone; asked for every organisation mention of every unit
def _asks_where_gone(form: QuestionForm) -> bool:
    """True when the question asks what its subject went to, visited or did something at (去了哪家药企, 调研了哪个企业),
    not what it belongs to (高继明是哪个单位的, 李干杰担任哪个部门的部长)."""
    before = form.text[: max(form.wh_start, 0)].rstrip("了过")
    said = tagged_words(before)
    if not said or said[-1][1] != "v" or _HOLDS.search(said[-1][0]) or _WORKS.match(form.text, form.wh_end):
        return False  # 在哪个单位工作: where the person works is what they belong to
    at = len(before) - len(said[-1][0])
    if any(m.kind == "person" and m.start <= at < m.end for m in _question_mentions(form.text)):
        return False  # 塔依尔·米吉提: the 提 jieba calls a verb ends a name
    return not leading_role(form.text[form.wh_end :].lstrip("的"))  # 担任哪个部门的部长: the office held


@lru_cache(maxsize=256)
def _question_mentions(question: str) -> list[Mention]:
    """The analyser's mentions of a question (cached: every unit of its answer asks again)."""
    return find_mentions(question)


def _title_of_named(norm: str, m: Mention, form: QuestionForm) -> bool:
    """True when body `m` begins the titles written before a person the question names (国务院 and 中共中央政治局 in
    中共中央政治局常委、国务院总理李强, 李强 asked about)."""
    ahead = _TITLE_CLAUSE.split(norm[m.end : m.end + 2 * TITLE_REACH])[0]
    return any((i := ahead.find(name)) > 0 and bool(_OFFICE.search(ahead[:i])) for name in form.names)


def _titled_otherwise(norm: str, m: Mention, form: QuestionForm, mentions: Sequence[Mention]) -> bool:
    """True when person `m` is written right after the title of an office other than the question's role, and none of
    the titles written before the name is that role held now (博鳌亚洲论坛理事长、联合国前秘书长潘基文 for
    博鳌亚洲论坛的秘书长是谁; not 全国政协委员、展览馆馆长吴向东 for 政协的委员)."""
    role = form.role or ""
    if not _OFFICE.search(role):
        return False  # 导演, 冠军, 负责人: no office a title before the name would name
    start = max((o.end for o in mentions if o.kind == "person" and o.end <= m.start), default=0)
    titles = _TITLE_CLAUSE.split(norm[max(start, m.start - 2 * TITLE_REACH) : m.start])[-1]
    if not _OFFICE.search(titles):
        return False
    for title in titles.split("、"):
        at = next((title.find(r) for r in (role, *_OFFICE_WRITTEN.get(role, ())) if r in title), -1)
        if at < 0 or (title[at - 1 : at] == "副" and not role.startswith("副")):
            continue  # 约旦副首相: the deputy holds another office
        if title[at - 1 : at] == "前" and f"前{role}" not in form.text:
            continue  # 联合国前秘书长: a former office, when the question asks who holds it
        return False
    return True


def _title_closeness(norm: str, m: Mention, role: str, weights: dict[str, float], total: float) -> float:
    """EVENT_WORD_WEIGHT times the share of the question's terms in the title written right before person `m` when that
    title ends in the asked `role` (新加坡总理黄循财 for 新加坡总理叫什么), else 0."""
    clause = _CLAUSE_BREAK_BEFORE.split(norm[max(0, m.start - TITLE_REACH) : m.start])[-1].rstrip()
    if not any(clause.endswith(r) for r in (role, *_ROLE_WRITTEN.get(role, ()))):
        return 0.0
    return EVENT_WORD_WEIGHT * sum(w for t, w in weights.items() if t in clause) / total if total > 0 else 0.0


def _aligned_span(text: str, form: QuestionForm, mentions: Sequence[Mention] = (), defining: bool = True) -> str | None:
    """The phrase of `text` that stands where the question has its question word ("共同起草形成了什么文件" →
    the words after "共同起草形成" up to the next clause break; a name among `mentions` right after the question's
    noun when the text sets one beside it), or None when the question's context is not found. For a question asking
    what something is (BA-6是什么), with `defining`: only what the text says it is (BA-6（）是苏联…研制的装甲车)."""
    if form.wh_start < 0:
        return None
    norm = normalize(text)
    if len(norm) != len(text):
        return None
    # 这种底盘有什么特点 → what follows 这种底盘 (只适合…); not for 有哪些, whose answer is a list the typed spans find
    asks_what = form.text[form.wh_start : form.wh_end + 1].startswith("什么")
    before = _TRAILING_FILLER.sub("", form.before.rstrip("是为叫了的有 " if asks_what else "是为叫了的 "))
    if asks_what:  # 辍学后做了什么, 整合后有什么变化: what follows 辍学 / 整合 in the text, which need not say 做 or 后
        before = _LIGHT_TAIL.sub("", before) or before
    defined = _defined_subject(form) if defining else None
    copula = defined is not None
    before = defined or before
    for length in range(min(len(before), 12), 1, -1):
        anchor = before[-length:]
        i = norm.find(anchor)
        if i < 0:
            continue
        rest = text[i + length :]
        if (i + length) not in word_edges(norm) and not _LEADING_FILLER.match(rest):
            return None  # 十八 in 神舟十八号: the phrase would start inside a word (初名|为 may: 为 is a filler)
        rest = _PAREN_LEAD.sub("", rest)
        if copula and not _COPULA.match(rest):
            return None  # 什么是棱柱: 棱柱便称为 does not say what it is
        if copula:
            rest = _COPULA_WORDS.sub("", rest)  # 美国化指的是本国的文化…: what it is, without 指的是
        if form.kind == "place" and rest[:1] in "，,；;。":
            return None  # 来到山西应用科技学院，调研……: the clause has ended, what follows is not where the question word stands
        rest = _LEADING_FILLER.sub("", rest)
        stop = _CLAUSE_BREAK.search(rest)
        phrase = rest[: stop.start()] if stop else rest
        after = form.after.strip("？?。！!的是呢吗了啊呀啦吧 ")
        if after:  # "什么文件" → the phrase may end with the question's noun
            k = normalize(phrase).find(after[:2])
            start = len(text) - len(rest)  # where the phrase starts in `text`
            if k == 0 and normalize(phrase).startswith(after):  # 完全控制顿涅茨克重镇恰索夫亚尔: the name after the noun
                named = next((m for m in mentions if m.start == start + len(after) and m.end <= start + len(phrase)), None)
                if named:
                    return text[named.start : named.end]
            if k > 0:
                whole = normalize(phrase)[k : k + len(after)] == after  # the question's noun is written in full
                end = start + k + len(after)  # and where the noun ends
                # LAC may start the name a character late (利克斯托港): the name runs from the noun's end to the mention's
                named = next((m for m in mentions if end <= m.start <= end + 1 and end + 2 <= m.end <= start + len(phrase)), None)
                if whole and named:
                    return text[end : named.end]  # 最大集装箱港口费利克斯托港: the name after the noun answers
                phrase = phrase[: k + len(after)] if whole else phrase[:k]
                if phrase.count("《") > phrase.count("》") and rest[len(phrase) : len(phrase) + 1] == "》":
                    phrase += "》"  # 《全民阅读促进条例》 for 哪个条例: the title stays whole
        phrase = _TRAILING_FILLER.sub("", phrase.strip("“”\"'「」 "))
        if 2 <= len(phrase) <= MAX_SHORT_CHARS:
            return phrase
        return None
    return None


@lru_cache(maxsize=4096)  # asked for every unit of every passage, like _head_noun
def _alias_asked(form: QuestionForm) -> str | None:
    """The naming word a question asking another name writes before its question word (又称, 别名, 俗名), or None."""
    asked = _ALIAS_ASKED.search(form.text[: max(form.wh_start, 0)])
    return asked.group() if asked else None


def _alias(text: str, form: QuestionForm) -> str | None:
    """For a question asking another name (又称什么, 别名是什么, 俗名叫什么): the name `text` writes after its own
    naming word (又名阿留申黑颊黑雁或阿留申鹅 → 阿留申黑颊黑雁或阿留申鹅), or None."""
    asked = _alias_asked(form)
    if asked is None:
        return None
    own = re.search(rf"{re.escape(asked)}[为是叫：:]?\s*", text) if asked in _ALIAS_WORDS else None
    written = own or _ALIAS_WRITTEN.search(text)  # 俗名是什么: the 俗名, where the text also writes 又称
    if written is None:
        return None
    rest = _PAREN_LEAD.sub("", text[written.end() :])
    stop = _CLAUSE_BREAK.search(rest)
    name = _TRAILING_FILLER.sub("", rest[: stop.start() if stop else len(rest)].strip("“”\"'「」『』 "))
    readable = bool(_CJK_RUN.match(name) or name[:1].isalnum() or name[:1] == "《")  # not wiki markup (-{zh-hant:…}-)
    return name if readable and 2 <= len(name) <= MAX_SHORT_CHARS and name not in form.text else None


def _whole_list(text: str, short: str, mentions: Sequence[Mention], form: QuestionForm) -> str:
    """`short` with the items listed with it in `text` (观音 → 观音、吕洞宾、北帝及孔子): the items after it up to the
    list's last 及/和, and the names before it; `short` alone when it is not in a 、-list or the list runs too long."""
    i = text.find(short)
    start, end = i, i + len(short)
    if i < 0 or "、" not in (text[end : end + 1], text[start - 1 : start]):
        return short
    while (joiner := _LIST_JOINER.match(text, end)) and (item := _LIST_ITEM.match(text, joiner.end())):
        end = item.end()
        if joiner.group() != "、":
            break  # 英国、爱尔兰及法国: 及 joins the last item
    while text[start - 1 : start] == "、":
        before = next((m for m in mentions if m.end == start - 1), None)
        if before is None:
            break
        start = before.start
    listed = text[start:end]
    tail = next((listed[-n:] for n in range(min(4, len(listed) - len(short)), 1, -1) if listed[-n:] in form.text), "")
    if tail and not _LIST_JOINER.search(listed[-len(tail) - 1 :][:1]):
        listed = listed[: len(listed) - len(tail)]  # 英国、爱尔兰及法国血统 for 哪些国家的血统: the question's noun ends it
    return listed if len(listed) <= MAX_LIST_CHARS else short


def _past_locality(text: str, at: int) -> int:
    """Where the direction words starting at `at` end (北部, 附近, 以东): `at` itself when there are none."""
    m = _LOCALITY.match(text, at)
    return m.end() if m else at


def _place_phrase(phrase: str, text: str, mentions: Sequence[Mention]) -> str | None:
    """The place the aligned `phrase` of `text` names, from its first place through the names and directions joined
    to it (一座位于慕尼黑北部的专业足球场 → 慕尼黑北部; 将在上海举办 → 上海), or None when it names no place. Words
    before the place stay when they describe it: 三叠纪晚期卡尼阶的波兰 is one place."""
    i = text.find(phrase)
    inside = sorted(
        (m for m in mentions if m.kind in ("place", "org") and i <= m.start and m.end <= i + len(phrase)),
        key=lambda m: m.start,
    )
    if i < 0 or not any(m.kind == "place" for m in inside):
        return None
    first = next(m for m in inside if m.kind == "place")
    start = i if text[i : first.start].endswith("的") else first.start
    end, stop = first.end, i + len(phrase)
    while True:
        grown = _past_locality(text, end)
        after = next((m for m in inside if m.start >= grown and _PLACE_JOINER.fullmatch(text[grown : m.start])), None)
        if after is not None and text[grown : after.start] == "的" and _past_locality(text, after.end) < stop:
            after = None  # 南亚的亚洲野驴亚种: after 的 a place only as the phrase's last words (藤泽市的江之岛)
        if after is None:
            end = grown
            break
        end = after.end
    return text[start:end]


_WHERE_DONE = re.compile(r"在(?:哪里|哪儿|哪|什么地方|何处|何地)(?P<v>(?![里儿所个家座位一些国省市县])[\u4e00-\u9fff])")
_WHERE_BREAK = re.compile(r"[，,。；;：:、在“”（）()\n]")


def _where_done(text: str, form: QuestionForm, mentions: Sequence[Mention]) -> str | None:
    """The place `text` writes between 在 and the verb the question asks where of (在哪见的 → 在杭州西湖国宾馆会见 → 杭州
    西湖国宾馆; 在哪开的 → 在北京主持召开 → 北京), when a place or body is named there; else None."""
    asked = _WHERE_DONE.search(form.text)
    if asked is None or asked.group("v") in "的了是呢吗":
        return None
    verb, at = asked.group("v"), 0
    start = place_end = -1  # the words after the last 在, and where the nouns right after it end
    closed, verbs = False, 0
    for word, tag in tagged_words(text):
        end = at + len(word)
        if word == "在":
            start, place_end, closed, verbs = end, -1, False, 0
        elif start >= 0 and _WHERE_BREAK.search(word):
            start = -1
        elif start >= 0 and verb in word:
            if place_end > start and any(n.kind in ("place", "org") and start <= n.start < place_end for n in mentions):
                return text[start:place_end]
            start = -1
        elif start >= 0 and tag in ("v", "vd", "vi"):
            closed, verbs = True, verbs + 1  # 在北京主持召开: one verb may stand between the place and the one asked
            if verbs > 1:
                start = -1
        elif start >= 0 and not closed and tag[:1] not in ("p", "r", "c", "u"):
            place_end = end  # 尼日利亚首都阿布贾: the words up to a preposition, pronoun or particle make the place
        elif start >= 0:
            closed = True
        at = end
    return None


@lru_cache(maxsize=4096)  # asked for every unit of every passage, like _head_noun
def _defined_subject(form: QuestionForm) -> str | None:
    """What a question asking what something is asks about (什么是地声 → 地声; BA-6是什么 → BA-6; 第八大道是一条什么样的
    街道 → 第八大道), or None for any other question."""
    if form.wh_start < 0:
        return None
    if not form.before.strip() and form.after.startswith("是"):
        return form.after[1:].strip("？?。！!呢吗 ") or None
    defined = _DEFINED.fullmatch(form.before.strip())
    if defined and _DEFINING_TAIL.fullmatch(form.after.strip("？?。！!呢吗 ")):
        return defined.group("x")
    return None


def _ends_phrase(noun: str, form: QuestionForm) -> bool:
    """True when `noun` (the head noun) ends what the question counts: 几个方面的 and 几个方面 end there, 几个重点提案选题
    goes on, and 76个重点 would cut the phrase (the count alone answers)."""
    after = _after_counter(form)
    rest = after[len(noun) :] if after.startswith(noun) else ""
    return not _CJK_RUN.match(rest[:1]) or rest[0] in "的了呢啊呀吗是有"


@lru_cache(maxsize=4096)  # asked for every unit of every passage: one segmentation per question form
def _head_noun(form: QuestionForm) -> str | None:
    """The noun right after the question word (什么文件 → 文件), or None."""
    if form.wh_start < 0:
        return None
    after = _after_counter(form)
    starting = [t for t in tokenize(after) if after.startswith(t)]  # search mode gives 派出 and 派出所: the word is 派出所
    return max(starting, key=len) if starting else None


# ---------------------------------------------------------------- candidate units


def _units_of_hit(searcher: Searcher, hit: Hit) -> list[tuple[str, str, list[Mention], list[DateSpan]]]:
    """(unit text, text of the sentence before it in the same paragraph, typed spans, resolved dates) for the units
    of a passage; units run whole even where they cross the passage's edge."""
    index = searcher.index
    chunk = index.chunks[hit.row] if 0 <= hit.row < index.size else None
    article = index.articles.get(hit.article_id)
    if chunk is None or article is None or article.text[chunk.start : chunk.end] != chunk.text:
        spans = _unit_spans(hit.text)
        return [(hit.text[s:e], "", pattern_mentions(hit.text[s:e]), []) for s, e in spans]
    text = article.text
    chunk_mentions = index.chunk_mentions(hit.row)
    # Only a dated corpus has dates worth resolving (and answers there prefer a candidate of the asked grain); an
    # undated one (CMRC) is answered exactly as before time was understood.
    article_dates = index.time.article_spans(article.id) if index.time.dated else []
    out = []
    previous: tuple[int, int] | None = None
    for s, e in article_units(text):
        if e <= chunk.start:
            previous = (s, e)
            continue
        if s >= chunk.end:
            break
        mentions = [
            Mention(m.start + chunk.start - s, m.end + chunk.start - s, m.kind)
            for m in chunk_mentions
            if m.start + chunk.start >= s and m.end + chunk.start <= e
        ]
        mentions += pattern_mentions(text[s:e])
        dates = [replace(d, start=d.start - s, end=d.end - s) for d in article_dates if d.start >= s and d.end <= e]
        context = text[previous[0] : previous[1]] if previous and "\n" not in text[previous[1] : s] else ""
        out.append((text[s:e], context, mentions, dates))
        previous = (s, e)
    return out


def _lead(searcher: Searcher, hit: Hit) -> str:
    """The first unit of `hit`'s article: the news lead, which names the meeting, edition or day the article is about."""
    article = searcher.index.articles.get(hit.article_id)
    units = article_units(article.text) if article is not None else ()
    return article.text[units[0][0] : units[0][1]] if article is not None and units else ""


def _candidates(
    searcher: Searcher,
    hits: list[Hit],
    form: QuestionForm,
    weights: dict[str, float],
    total: float,
    qgrams: set[str],
    asked_time: str = "",
    window: tuple[date, date] | None = None,
) -> list[_Unit]:
    found: list[_Unit] = []
    seen: set[str] = set()
    dated = searcher.index.time.dated
    head = _head_noun(form) if form.kind == "thing" else None
    defines = _defined_subject(form) is not None  # BA-6是什么: the unit that says what it is
    plural = bool(_PLURAL.search(form.text))  # 哪些: the answer is a list
    firsts = {m.group(): _as_first(m.group()) for m in _FIRST.finditer(form.text)}  # 第一个海上风电项目: 首个
    for hit in hits:
        # Later passages must be clearly better to win: retrieval rank is evidence too.
        prior = RANK_PRIOR / hit.rank
        # Terms the title already settles (the event, the person) count in each of its units, a little less.
        title = normalize(hit.title)
        title_credit = {t: TITLE_CREDIT * w for t, w in weights.items() if t in title}
        lead = _lead(searcher, hit) if form.numbers else ""
        for text, context, mentions, dates in _units_of_hit(searcher, hit):
            key = normalize(text)
            if key in seen or len(key) < 4 or _is_bare_attribution(text):
                continue
            seen.add(key)
            if not _names_numbers(normalize(f"{hit.title} {lead} {context} {text}"), form):
                continue  # about another edition, launch or year than the one asked
            if _other_side(key, form):
                continue  # 境内采购商: a figure of the 境外 ones is about others
            norm_context = normalize(context)
            credit = dict(title_credit)
            for t, w in weights.items():
                if t in norm_context:
                    credit[t] = max(credit.get(t, 0.0), CONTEXT_CREDIT * w)
            missing = [t for t in weights if t not in key and t not in credit and 2 <= len(t) <= 4]
            if missing:  # 美联储 for 美国联邦储备委员会, 天大 for 天津大学: an abbreviation is found
                names = [normalize(text[m.start : m.end]) for m in mentions if m.kind in ("org", "place", "thing")]
                for t in missing:
                    # jieba may part an abbreviation (人|社部 of 人社部): the character before it goes with it
                    whole = _with_char_before(form.text, t)
                    if any(_abbreviates(t, name) or _abbreviates(whole, name) for name in names):
                        credit.update({w: weights[w] for w in weights if w in whole and w not in key})
            for n, first in firsts.items():  # 第一次 written 首次: its words are found
                if first in text or first in title:
                    credit.update({t: weights[t] for t in weights if t in n})
            short, tie, at = _typed_candidate(text, mentions, form, weights, total, dates, asked_time, dated, credit, window)
            if head in weights and tie >= MIN_TIE:  # 什么职务: a title found is the 职务 the text need not name
                credit[head] = weights[head]
            coverage = _coverage(text, weights, total, credit)
            overlap = len(qgrams & bigrams(text)) / len(qgrams) if qgrams else 0.0
            if form.kind in ("thing", "place", "person") and not _strict(form):  # any phrase may answer
                # 元详谥号是什么: what 元详谥号是 says first, else what follows 谥号 (谥号平王)
                defined = _aligned_span(text, form, mentions) if defines else None
                aligned = defined or _aligned_span(text, form, mentions, defining=False)
                if aligned and form.kind == "person" and _in_quotes(text, aligned):
                    aligned = None  # 他获得了“全国劳动模范”: an honour in quotes is no person
                if aligned and form.kind == "person" and _restates(aligned, weights):
                    aligned = None  # 纪念孙中山…仪式是谁主持的: 纪念孙中山先生逝世98周年 is no person
                # the phrase standing where the question word stands is a candidate too, tied alike (for BA-6是什么,
                # only where the text says what it is: the unit that defines it wins over one that mentions it)
                if aligned and (defined or not defines):
                    tie = max(tie, _phrase_tie(text, aligned, weights, total, credit))
                if aligned and form.kind == "place" and _below_level(aligned, form):
                    aligned = None  # 去河北哪个县: 六道河镇朱家沟村 where the question word stands is no county
                place = _place_phrase(aligned, text, mentions) if aligned and form.kind == "place" else None
                if place:  # 位于台北州基隆郡 says where more fully than the 台湾 named beside the subject
                    short = place
                elif short is None or tie < TYPED_THING_TIE or defined:
                    short = aligned or short  # what follows 第八大道是 says what it is, not a name in the sentence
            quoted = _quoted_beside(text, form) if form.kind in ("thing", "place") else None
            if quoted:  # 荣誉称号叫啥: the name in quotes beside 称号, not another the sentence writes
                tie = max(tie, _phrase_tie(text, quoted, weights, total, credit))
                short = quoted
            where = _where_done(text, form, mentions) if form.kind == "place" else None
            if where:  # 在哪见的: the place written before the verb, not another the sentence names
                tie = max(tie, _phrase_tie(text, where, weights, total, credit))
                short = where
            alias = _alias(text, form) if form.kind in ("thing", "person") and not _strict(form) else None
            if alias:  # 又称什么: what the text writes after 又称 / 别名 / 俗名
                tie = max(tie, _phrase_tie(text, alias, weights, total, credit))
                short = alias
            if short and (alias or plural):  # 哪些: every item listed with the one found
                short = _whole_list(text, short, mentions, form)
            score = coverage + BIGRAM_WEIGHT * overlap + prior + TYPE_WEIGHT * tie
            in_full = _date_of(at, dates, form) if at is not None and at.kind == "time" else None
            found.append(_Unit(hit, text, score, coverage, tie, short, dates, in_full))
    return sorted(found, key=lambda c: -c.score)


def _restates(phrase: str, terms: Iterable[str]) -> bool:
    """True when `phrase` writes three or more of the question's `terms`: it says what the question says, not who is
    asked (纪念孙中山先生逝世98周年; but 加拿大总督委任 names who)."""
    norm = normalize(phrase)
    found = {t for t in terms if t in norm}
    return sum(not any(t != o and t in o for o in found) for t in found) >= 3  # 加拿 of 加拿大 is no other word


def _below_level(phrase: str, form: QuestionForm) -> bool:
    """True when the question asks for a level (哪个县, 哪个省, 哪个城市) and `phrase` names a place below it
    (六道河镇朱家沟村 for 哪个县); a name without a level word (杭州) is never below."""
    asked = re.fullmatch(r"哪个?(省|市|县|州|国|镇|乡|村|城市|国家)", form.text[max(form.wh_start, 0) : form.wh_end])
    if asked is None or phrase[-1:] not in _LEVELS:
        return False
    return _LEVELS[phrase[-1]] > _LEVELS[asked.group(1)[-1].replace("家", "国")]


def _phrase_tie(text: str, phrase: str, weights: dict[str, float], total: float, credit: dict[str, float]) -> float:
    """The tie of a `phrase` found in `text` (an aligned phrase, an alias, a place before a verb): how close the
    question's words stand to where the text first writes it."""
    i = text.find(phrase)
    return _proximity(i, i + len(phrase), _positions(_matching_form(text), weights), weights, total, credit)


def _other_side(text: str, form: QuestionForm) -> bool:
    """True when normalised unit `text` writes the other side of a pair the question picks one side of (境内 asked,
    境外 written, 境内 not): its figures are about another population (or, asked when, its day another end of the
    event). Words naming both sides (进出口, 国内外) count for neither."""
    pairs = _SIDES + _EVENT_ENDS if form.kind == "time" else _SIDES
    asked = [(a, b) for a, b in pairs if a in form.text and not _describes(form, a)]
    if not asked:  # most questions pick no side: no unit needs reading
        return False
    text = _BOTH_SIDES.sub("", text)
    return any(a not in text and b in text for a, b in asked)


def _describes(form: QuestionForm, word: str) -> bool:
    """True when the question writes `word` before its question word in a phrase ending in 的, which describes the
    subject rather than asking about it (新开工的那两座电站啥时候投产: 开工 is not the event asked)."""
    i = form.text.find(word)
    return 0 <= i < form.wh_start and "的" in form.text[i + len(word) : i + len(word) + 2]


def _in_quotes(text: str, phrase: str) -> bool:
    """True when `phrase` opens a quotation in `text` or holds one (“全国劳动模范”、“全国优秀共产党员”)."""
    i = text.find(phrase)
    return i >= 0 and bool(_QUOTED_OPENING.search(text, max(0, i - 1), i + len(phrase)))


def _with_char_before(question: str, term: str) -> str:
    """`term` with the character the question writes right before it (社部 → 人社部), or `term` itself."""
    i = question.find(term)
    return question[i - 1 : i + len(term)] if i > 0 and _CJK_RUN.fullmatch(question[i - 1]) else term


def _abbreviates(short: str, name: str) -> bool:
    """True when `short` may abbreviate `name`: 2 to 4 Chinese characters, the name's first, then others in order
    (美联储 → 美国联邦储备委员会, 国常会 → 国务院常务会议)."""
    if not 2 <= len(short) <= 4 or len(name) <= len(short) or name[0] != short[0] or not _CJK_RUN.fullmatch(short):
        return False
    at = 0
    for ch in short:
        at = name.find(ch, at) + 1
        if at == 0:
            return False
    return True


def _citation(n: int, hit: Hit) -> Citation:
    return Citation(n, hit.article_id, hit.chunk_id, hit.title, hit.source, hit.date, hit.url, "", hit.text, hit.score)


def _trim(sentence: str, weights: dict[str, float], total: float, limit: int, keep: str | None = None) -> str:
    """An over-long unit shrinks to the run of clauses around its best-matching clause (or the one holding `keep`)."""
    if len(sentence) <= limit:
        return sentence
    clauses = _CLAUSE.findall(sentence) or [sentence]

    def rank(i: int) -> float:
        return (2.0 if keep and keep in clauses[i] else 0.0) + _coverage(clauses[i], weights, total)

    best = max(range(len(clauses)), key=rank)
    lo = hi = best
    length = len(clauses[best])
    while True:
        grew = False
        for j in (hi + 1, lo - 1):
            if 0 <= j < len(clauses) and length + len(clauses[j]) <= limit:
                length += len(clauses[j])
                lo, hi = min(lo, j), max(hi, j)
                grew = True
        if not grew:
            break
    return "".join(clauses[lo : hi + 1])[:limit]


def _strict(form: QuestionForm) -> bool:
    """True when only a candidate of the asked kind answers. Not for a bare 哪里 (where a 珊瑚礁茂盛区 or 内脏 answers)
    nor a 谁 without a role (谁的妻子 → 嫁曾布为妻, 主要授粉者是谁 → 狐蝠科); still for a named level (哪个省) and for a
    role (副院长是谁: a unit naming only the 院长 must not answer)."""
    if form.kind == "person":  # 叫什么名字 asks for a name, which only a person candidate gives
        return form.role is not None or bool(re.search("名字|姓名", form.text[form.wh_start : form.wh_end]))
    return form.kind in STRICT_KINDS and not (form.kind == "place" and "org" in form.accepts)


def _best(ranked: list[_Unit], form: QuestionForm, newest: bool = False, event: str | None = None) -> tuple[_Unit | None, bool]:
    """The unit to answer from (for a typed question, the best one holding a tied candidate; for 最近, the newest of
    those nearly as good as the best that write the question's `event` word when the best does) and whether a typed
    question found none."""
    if not ranked:
        return None, False
    pool, missing = ranked, False
    if _strict(form):
        tied = [u for u in ranked if u.tie >= MIN_TIE]
        pool, missing = (tied, False) if tied else (ranked, True)
    if newest and not missing:
        close = [u for u in pool if u.score >= NEWEST_BAND * pool[0].score and not _planned(u)] or pool[:1]
        if event and event in normalize(pool[0].text):  # 最近一次…发射: the docking a day later is another event
            close = [u for u in close if event in normalize(u.text)] or close
        best = max(close, key=lambda u: (_event_day(u), u.hit.date or "", u.score))
        return _whole_name(best, pool, form), False
    if asks_speech(form):  # 高继明强调了什么: the unit where he speaks, not the lead that says he spoke (出席会议并讲话)
        speaking = [u for u in pool if u.score >= FOLLOWER_RATIO * pool[0].score and _speaks(form, u)]
        return (speaking[0] if speaking else pool[0]), missing
    return _whole_name(pool[0], pool, form), missing


def _starts(text: str, m: Mention) -> bool:
    """True when time mention `m` is marked as the start of something (6月5日起, 自1月1日开始)."""
    return text[m.end - 1] == "起" or text.startswith(("起", "开始"), m.end)


def _whole_name(best: _Unit, pool: list[_Unit], form: QuestionForm) -> _Unit:
    """For a question asking a full name (全名叫啥), the unit of the same article, nearly as good as `best`, that writes
    whole the name `best` gives in short (《气象高质量发展纲要（2022－2035年）》 for 《纲要》); else `best`."""
    if not best.says or not _FULL_NAME.search(form.text):
        return best
    core = best.says.strip("《》“”\"'")
    fuller = [
        u
        for u in pool
        if u.says
        and u.says != best.says
        and core in u.says
        and u.hit.article_id == best.hit.article_id
        and u.score >= FOLLOWER_RATIO * best.score
    ]
    return max(fuller, key=lambda u: u.score) if fuller else best


def _titled_person(form: QuestionForm, unit: _Unit) -> bool:
    """True when `unit` writes its person candidate right after a body and role the question writes together
    (财政部副部长许宏才 for 财政部副部长是哪位)."""
    if form.kind != "person" or not form.role or not unit.short or unit.tie < MIN_TIE:
        return False
    text = normalize(unit.text)
    at = form.text.find(form.role)
    body = re.split(r"[^\u4e00-\u9fff]|的", form.text[:at])[-1] if at > 0 else ""  # 讲话的财政部副部长 → 财政部
    # the body whole, or a name of the question it ends in, never a part (检察院 of 最高人民检察院)
    bodies = ([body] + [name for name in form.names if body.endswith(name)]) if len(body) >= 2 else []
    return any(f"{b}{form.role}{unit.short}" in text for b in bodies)


def _speaks(form: QuestionForm, unit: _Unit) -> bool:
    """True when `unit` reports a person the question names speaking (高继明指出，……); a mere 讲话 (出席会议并讲话) says
    nothing of what."""
    text = normalize(unit.text)
    return any(re.search(f"{re.escape(n)}[^，。；！？,]{{0,8}}?{_SAID}", text) for n in form.names)


def _decide(
    ranked: list[_Unit],
    form: QuestionForm,
    dense: float,
    rewritten: Rewrite,
    newest: bool = False,
    event: str | None = None,
) -> tuple[list[_Unit], dict[str, float]]:
    """The units to answer from (none: abstain) and the evidence the decision weighed, for ranked candidate units and
    the best passage cosine `dense`."""
    best, missing = _best(ranked, form, newest, event)
    evidence = {
        "coverage": best.coverage if best else 0.0,
        "tie": best.tie if best else 0.0,
        "dense": dense,
        "open": float(form.kind is None),
    }
    evidence["confidence"] = confidence(evidence)
    if best is None or missing:
        # A typed question is answered only from a unit holding a candidate of its kind near the question's words:
        # a passage that merely mentions its subject (最高人民法院, without who heads it) is no answer.
        return [], evidence
    typed = form.kind is not None
    # A typed candidate tied closely in a unit that covers the question and writes all its names answers even when
    # the passage's cosine is low (short questions over a news digest): dense similarity is not the only evidence.
    best_text = normalize(best.text)
    strong = (
        typed
        and best.tie >= STRONG_TIE
        and best.coverage >= STRONG_COVERAGE
        and all(name in best_text for name in form.names)
        and not leans_on_context(rewritten.question)  # 该所所长叫什么名字, asked first: whose 所 is a guess
    )
    # A person named right after the question's own title, body and role as the question writes them (财政部副部长许宏才
    # for 财政部副部长是哪位), is the person asked about, though a long question's other words are not all in the unit.
    titled = _titled_person(form, best) and best.coverage >= TITLED_COVERAGE and not leans_on_context(rewritten.question)
    # 高继明在会上强调了什么: a unit reporting that person speaking answers it, as a title does a person question
    spoken = asks_speech(form) and _speaks(form, best) and best.coverage >= TITLED_COVERAGE
    # A follow-up answered from the article the conversation is about (救出来多少人？ after the sinking) has its topic
    # settled by the turn before: the cosine of the rewritten question, an ellipsis glued to its antecedent, is weak
    # evidence there, and typed evidence covering the question suffices.
    followed = (
        typed
        and rewritten.rewritten
        and best.hit.article_id in rewritten.prefer_articles
        and best.tie >= MIN_TIE
        and best.coverage >= STRONG_COVERAGE
    )
    if rewritten.translated:  # a question put into Chinese word by word has lost its grammar: only clear evidence
        answered = evidence["confidence"] >= MIN_CONFIDENCE_TRANSLATED
    else:
        answered = evidence["confidence"] >= MIN_CONFIDENCE or strong or titled or spoken or followed
    return (_followers(best, ranked, form), evidence) if answered else ([], evidence)


def _planned(unit: _Unit) -> bool:
    """True when every date in the unit lies after its article's day: it announces, and 最近 asks what happened."""
    published = unit.hit.date or ""
    exact = [d for d in unit.dates if not d.approximate]
    return bool(exact) and bool(published) and all(d.first.isoformat() > published for d in exact)


def _event_day(unit: _Unit) -> str:
    """The day a unit's answer happened, as ISO text, for newest-first ordering: its date candidate's day when
    resolved, else its article's date."""
    return unit.short_date.last.isoformat() if unit.short_date else unit.hit.date or ""


def confidence(evidence: dict[str, float]) -> float:
    """Probability that the best unit answers the question: a logistic model over the evidence, fitted by
    bench/calibrate_abstention.py on the tuning sets (answerable questions, and the same questions with their
    documents hidden, plus written unanswerable questions)."""
    z = CONFIDENCE_BIAS + sum(CONFIDENCE_WEIGHTS[name] * evidence.get(name, 0.0) for name in CONFIDENCE_WEIGHTS)
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def _followers(best: _Unit, ranked: list[_Unit], form: QuestionForm) -> list[_Unit]:
    """Further units that answer too: nearly as good as the best, covering the question, and for a typed question
    giving the same short answer."""
    chosen = [best]
    length = len(best.text)
    relation = asked_relation(form)
    if relation and not _STATES_RELATION[relation].search(best.text):
        # 为什么要发射鹊桥二号: the sentence with 之所以……是因为 comes right after the lead that reports the launch
        stating = next(
            (
                u
                for u in ranked
                if u is not best
                and u.hit.article_id == best.hit.article_id
                and u.score >= FOLLOWER_RATIO * best.score
                and u.coverage >= MIN_COVERAGE
                and _STATES_RELATION[relation].search(u.text)
            ),
            None,
        )
        if stating is not None:
            chosen.append(stating)
            length += len(stating.text)
    # the question's names the best unit (or its title) writes: another article's unit without them is about someone else
    named = [n for n in form.names if n in normalize(f"{best.hit.title} {best.text}")]
    for cand in ranked:
        if cand in chosen or (_strict(form) and (cand.says != best.says or cand.tie < MIN_TIE)):
            continue  # a typed question's further unit must say the same name, date or number
        if cand.hit.article_id != best.hit.article_id and not all(n in normalize(f"{cand.hit.title} {cand.text}") for n in named):
            continue  # 丁薛祥去了哪个代表团: another article's 韩正 visiting 山东代表团 is another story
        if len(chosen) == MAX_SENTENCES or cand.score < FOLLOWER_RATIO * best.score:
            break
        if cand.coverage >= MIN_COVERAGE and length + len(cand.text) <= MAX_ANSWER_CHARS:
            chosen.append(cand)
            length += len(cand.text)
    return chosen


def _dense_units(searcher: Searcher, hits: list[Hit], qvec: np.ndarray | None, form: QuestionForm) -> list[_Unit]:
    """For a question in another language: the units of the best passages ranked by their cosine to the question."""
    if qvec is None or not hits:
        return []
    units = [(hit, text, mentions) for hit in hits[:2] for text, _, mentions, _ in _units_of_hit(searcher, hit)]
    units = [u for u in units if len(u[1]) >= 4 and not _is_bare_attribution(u[1])][:24]
    if not units:
        return []
    vecs = searcher.encoder.encode_passages([u[1] for u in units])
    sims = vecs @ qvec.reshape(-1)
    out = []
    for (hit, text, mentions), sim in zip(units, sims, strict=True):
        typed = [text[m.start : m.end] for m in mentions if m.kind in form.accepts]
        short = typed[0] if len(set(typed)) == 1 else None
        out.append(_Unit(hit, text, float(sim), float(hit.dense), 1.0 if short else 0.0, short))
    return sorted(out, key=lambda u: -u.score)


def _prefer(hits: list[Hit], articles: Sequence[str]) -> list[Hit]:
    """Hits re-ranked with a bonus for the previous answer's articles (a follow-up most likely asks about them)."""
    if not articles or not hits:
        return hits
    preferred = set(articles)
    boosted = sorted(hits, key=lambda h: -(h.score + (PREFER_BONUS if h.article_id in preferred else 0.0)))
    return [replace(h, rank=rank) for rank, h in enumerate(boosted, start=1)]


def _dates_inside(text: str, span: DateSpan, window: tuple[date, date]) -> bool:
    """True when the date `span` writes lies inside `window` and is not a comparison's (去年同期)."""
    return span.first >= window[0] and span.last <= window[1] and not text.startswith("同期", span.end)


def _window(
    asked: QuestionTime, filters: Filters | None
) -> tuple[tuple[date, date] | None, dict[str, str | None] | None, str | None]:
    """The window of days a question is searched in, its public description (`Answer.time_window`), and a refusal
    when the question's time and the explicit date filter do not overlap. Both apply when both are given: the filter
    bounds the publication dates, the question's time the publication or event dates."""
    filters = filters or Filters()
    f_from = date.fromisoformat(filters.date_from) if filters.date_from else None
    f_to = date.fromisoformat(filters.date_to) if filters.date_to else None
    if asked.window is None:
        if f_from is None and f_to is None:
            return None, None, None
        return None, {"from": filters.date_from, "to": filters.date_to, "source": "filter"}, None
    first, last = asked.window
    first, last = max(first, f_from or first), min(last, f_to or last)
    if first > last:
        bounds = f"{filters.date_from or '…'}至{filters.date_to or '…'}"
        return None, None, f"问题问的是{asked.expression}（{label(*asked.window)}），而日期筛选限定在{bounds}，两者没有交集。"
    return (first, last), {"from": first.isoformat(), "to": last.isoformat(), "source": "question"}, None


def _after_corpus(searcher: Searcher, window: tuple[date, date]) -> bool:
    """True when `window` begins after the corpus's newest publication day."""
    coverage = searcher.index.time.coverage
    return coverage is not None and window[0] > coverage[1]


def _uncovered(searcher: Searcher, asked: QuestionTime, window: tuple[date, date]) -> str | None:
    """A refusal naming the corpus's dates when nothing in it is dated within `window` (a future year, a year before
    it starts), else None."""
    table = searcher.index.time
    if table.window_mask(*window).any():
        return None
    coverage = table.coverage
    span = f"{label(coverage[0], coverage[0])}至{label(coverage[1], coverage[1])}" if coverage else "未知"
    asked_for = asked.expression if asked.expression == label(*window) else f"{asked.expression}（{label(*window)}）"
    return f"抱歉，语料库中没有{asked_for}的新闻。语料库收录的新闻发布于{span}。"


def cited_articles(searcher: Searcher, answer_text: str) -> tuple[str, ...]:
    """The articles an earlier answer quoted, found from its text: each quote before a [n] marker is verbatim article
    text (the resolved days beside it taken out), looked up with BM25 and checked word for word."""
    found: dict[str, None] = {}
    quotes = [q.strip() for q in CITATION_MARKER.split(_ANNOTATION.sub("", answer_text))[:-1]]
    for quote in [q for q in quotes if len(q) >= MIN_QUOTE_CHARS][:MAX_SENTENCES]:
        for hit in searcher.search(quote[:QUOTE_QUERY_CHARS], k=3, mode="bm25").hits:
            article = searcher.index.articles.get(hit.article_id)
            if article is not None and quote in article.text:
                found.setdefault(hit.article_id)
                break
    return tuple(found)


def _articles_text(searcher: Searcher, article_ids: Sequence[str]) -> str:
    """The titles and texts of the articles `article_ids` that the index holds, one after another."""
    articles = [searcher.index.articles.get(a) for a in article_ids]
    return "\n".join(f"{a.title}\n{a.text}" for a in articles if a is not None)


def corpus_now(searcher: Searcher) -> date | None:
    """The day 今年 and 去年 in a question are read against by default: the newest publication date in the corpus."""
    coverage = searcher.index.time.coverage
    return coverage[1] if coverage else None


def answer(
    searcher: Searcher,
    question: str,
    k: int = 5,
    filters: Filters | None = None,
    history: Sequence[Turn] | None = None,
    now: date | None = None,
) -> Answer:
    """Answer `question` (a follow-up is first rewritten from `history`, oldest turn first) with cited units and a
    short answer, or abstain when the evidence is weak. Time in the question (2023年, 去年, 最近) narrows the search
    to those days or prefers the newest; `now` (default: the corpus's newest date) is what 今年 and 去年 mean."""
    t0 = time.perf_counter()
    asked = searcher.check_query(question)
    if history and not history[-1].article_ids:  # an HTTP client sends the earlier turns as text only
        history = [*history[:-1], replace(history[-1], article_ids=cited_articles(searcher, history[-1].answer))]
    rewritten = (
        rewrite(asked, history[-MAX_HISTORY:], _articles_text(searcher, history[-1].article_ids)) if history else Rewrite(asked)
    )
    idf = TermWeights(searcher)
    other_language = not analyse_question(asked).chinese
    if other_language:  # Who is the Cape Town mayor…? → 开普敦市长……是谁: the Chinese words of its content, searched as Chinese
        translated = chinese_question(rewritten.question, idf.usage)
        if translated:
            rewritten = Rewrite(translated, f"译为中文：{translated}", rewritten.prefer_articles, translated=True)
    if searcher.index.time.dated:  # an undated corpus (CMRC) keeps the question's time as words to match
        when = question_time(rewritten.question, now or corpus_now(searcher))
    else:
        when = QuestionTime(rewritten.question)
    window, time_window, conflict = _window(when, filters)
    refusal = conflict or (_uncovered(searcher, when, window) if window else None)
    # 明年是加入议联多少周年: a time after the newest news is what was announced for it, in the units that write it
    ahead = bool(refusal) and not conflict and window is not None and _after_corpus(searcher, window)
    if refusal and not ahead:
        t1 = time.perf_counter()
        timings = {"encode": 0.0, "search": 0.0, "answer": 0.0, "total": (t1 - t0) * 1000}
        return Answer(asked, refusal, True, [], timings, None, rewritten.question, time_window)
    n = max(k, NEWEST_HITS) if when.newest else k
    # The time words leave the matched terms (2023年 would favour any text that says 2023年) but stay in what the
    # encoder reads, where they shift the meaning little and the question stays whole.
    result = searcher.search(
        when.question, k=n, mode="hybrid", filters=filters, window=None if ahead else window, dense_query=rewritten.question
    )
    if rewritten.rewritten:
        result.hits = _prefer(result.hits, rewritten.prefer_articles)
    t1 = time.perf_counter()
    form = analyse_question(result.query)
    weights = _weights(tokenize(form.content), idf)
    head = _head_noun(form)
    if head in weights:  # "什么文件": the answer is a kind of 文件, which the text need not say
        weights[head] *= HEAD_NOUN_WEIGHT
    for filler in _SPOKEN_FILLERS.intersection(weights):  # 搞的那个专项行动: how people talk, not what they ask about
        del weights[filler]
    total = sum(weights.values())
    dense_best = max((h.dense for h in result.hits), default=0.0)

    chosen: list[_Unit] = []
    if form.chinese:
        asked_window = window if when.window is not None else None  # the question's own time, not a date filter
        read = result.hits + ([result.lexical_best] if result.lexical_best else [])
        ranked = _candidates(searcher, read, form, weights, total, bigrams(result.query), when.expression, asked_window)
        if ahead and window is not None:
            ranked = [u for u in ranked if any(_dates_inside(u.text, d, window) for d in u.dates)]
        if rewritten.subject:  # 江苏……多少入境游客？→ 新疆呢？: 江苏's figure is no answer about 新疆
            subject = normalize(rewritten.subject)
            ranked = [u for u in ranked if subject in normalize(f"{u.hit.title} {u.text}")]
        event = _event_word(form, weights) if when.newest else None
        chosen, evidence = _decide(ranked, form, dense_best, rewritten, when.newest, event)
        if not chosen and window is not None and when.window is not None and not ahead:
            # 去年村民人均可支配收入: an article of this year writes 去年, too vague to place it in last year's window when
            # it was indexed; search again outside the window, among units writing a date that lies inside it.
            wide = searcher.search(when.question, k=n, mode="hybrid", filters=filters, dense_query=rewritten.question)
            inside = [
                u
                for u in _candidates(
                    searcher, wide.hits, form, weights, total, bigrams(wide.query), when.expression, asked_window
                )
                if any(_dates_inside(u.text, d, window) for d in u.dates)
            ]
            wider, wider_evidence = _decide(inside, form, max((h.dense for h in wide.hits), default=0.0), rewritten)
            if wider:
                chosen, evidence = wider, wider_evidence
    else:
        # Lexical matching cannot work across languages: trust dense retrieval when it is confident.
        evidence = {"coverage": 0.0, "tie": 0.0, "dense": dense_best}
        if dense_best >= MIN_DENSE_OTHER_LANGUAGE:
            qvec = searcher.encoder.encode_queries([form.text])[0]
            chosen = _dense_units(searcher, result.hits, qvec, form)[:1]

    abstained = not chosen
    citations: list[Citation] = []
    short: str | None = None
    if abstained and refusal:
        text = refusal  # nothing announced for the time asked: the corpus's dates say why
    elif abstained:
        text = ABSTAIN_OTHER_LANGUAGE if other_language else ABSTAIN_TEXT
        nearest: dict[str, Hit] = {}
        for hit in result.hits:  # one nearest passage per article
            nearest.setdefault(hit.article_id, hit)
        citations = [_citation(n, hit) for n, hit in enumerate(list(nearest.values())[:NEAREST_ON_ABSTAIN], start=1)]
    else:
        short = chosen[0].says
        numbers: dict[str, int] = {}
        parts: list[str] = []
        budget = MAX_ANSWER_CHARS
        for unit in chosen:
            hit = unit.hit
            if hit.chunk_id not in numbers:
                numbers[hit.chunk_id] = len(numbers) + 1
                citations.append(_citation(numbers[hit.chunk_id], hit))
            n = numbers[hit.chunk_id]
            marker = f"[{n}]"
            quote = _trim(unit.text, weights, total, budget - len(marker), keep=unit.short)
            budget -= len(quote) + len(marker)
            at = unit.text.find(quote)
            dates = [
                replace(d, start=d.start - at, end=d.end - at) for d in unit.dates if at <= d.start and d.end <= at + len(quote)
            ]
            parts.append(f"{annotate(quote, dates)}{marker}")  # the days beside the words; the quote stays verbatim
            cit = citations[n - 1]
            shift = len(cit.quote)
            cit.quote = f"{cit.quote}{quote}" if cit.quote else quote
            cit.dates += [
                {"start": d.start + shift, "end": d.end + shift, "text": quote[d.start : d.end], "resolved": d.label}
                for d in dates
                if d.relative
            ]
            if budget <= 10:
                break
        text = "".join(parts)
        if short is not None and short not in text and short not in _ANNOTATION.sub("", text):
            short = None  # never a short answer that the cited text does not show
    t2 = time.perf_counter()
    timings = {
        "encode": result.timings_ms["encode"],
        "search": result.timings_ms["search"],
        "answer": (t2 - t1) * 1000,
        "total": (t2 - t0) * 1000,
    }
    return Answer(asked, text, abstained, citations, timings, short, rewritten.question, time_window, evidence)
