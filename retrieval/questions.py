"""Question analysis: what kind of answer a question asks for, where its question word sits, and its key names.

All of it is rules over the (simplified) question text and jieba's part-of-speech tags: about half a millisecond,
so a question costs no more than before. The kinds are those of retrieval.entities (person, org, place, time,
quantity, thing), or None for an open question (怎么, 为什么, 哪些方面…) whose answer is a sentence, not a span.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from retrieval.tokens import common_word, normalize, tagged_words


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(alternatives))


# Ordered: the first pattern that matches decides. Each names the kind and the question word(s).
_KIND_PATTERNS: tuple[tuple[str | None, re.Pattern[str]], ...] = (
    (
        None,
        _words(
            "(?<![称改成作认视列定译名之])为什么",  # 被称为什么, 改为什么: a name is asked
            "为何",
            "怎么样",
            "怎样",
            "怎么",
            "如何",
            "哪些方面",
            "什么意义",
            "什么作用",
            "什么影响",
            "有何",
            "原因",
            "意味着什么",
            "具体说说",
            "介绍一下",
            # 意义在哪儿, 区别在哪里: what an abstract noun consists of is told in a sentence, not a place
            "(?:意义|区别|不同|差别|好处|优势|亮点|特点|特色|难点|关键|问题|原因|价值|作用|必要性)(?:究竟|到底)?在哪",
        ),
    ),
    (
        "time",
        _words(
            "哪一?天",
            "哪(?:几|些)(?:天|日|年|个?月)",
            "何时",
            "什么时候",
            "什么时间",
            "几月几[日号]",
            "(?<!第)几号",  # 第几号令 asks an ordinal
            "哪一?年",
            "几几年",
            "哪个月",
            "几月份?",
            "几点",
            "哪个时间",
            "日期是",
            "是哪日",
            "何年",
            "何月",
            "何日",
            "(?:哪|什么)个?(?:朝代|时代)",
            "哪一?朝",
        ),
    ),
    (
        "quantity",
        _words(
            "多少",
            "(?<!哪)几[个项支名人次家所件起条种批座艘架颗位户辆吨元米岁年天倍届期场轮枚台套份篇部处块层级万千百十]",
            "多[大长高远久重宽深快]",
            "有几",
            "第几",
            "(?<!哪)几(?![名位]|个人)",
        ),
    ),
    (
        "person",
        _words(
            "是谁",
            "谁",
            "哪位",
            "哪一位",
            "什么人",
            "哪个人",
            "哪些人",
            "叫什么名字",
            "名字是什么",
            "姓名",
            "哪[几两三四五六七八九十]+(?:[名位]|个人)",  # 哪三个人, 哪两位
        ),
    ),
    (
        "place",
        _words(
            "哪里",
            "哪儿",
            "什么地方",
            "何地",
            "何处",
            "在哪(?![本首张篇部种项条款家所])",  # 在哪本杂志 asks for a thing, 在哪家公司 for a body
            "哪个?(?:省|市(?!场|值|民)|县|区|国家|城市|地方|地区|国(?![际企有营产货内务])|镇|乡|村(?!民)|州)",
            "哪个[\u4e00-\u9fff]{2}(?:国家|城市)",  # 哪个非洲国家, 哪个沿海城市: a country or city of some kind
        ),
    ),
    (
        "org",
        _words(
            "哪(?:个|些|几个|几家)?(?:单位|部门|机构|组织|公司|企业|学校|大学|医院|法院|检察院|机关|团队|平台|媒体|网站|政?党(?![员委])|队(?![长员]))",
            "哪个[\u4e00-\u9fff]{1,4}?(?:组织|机构|部门|单位|公司|企业|集团)",  # 哪个国际组织, 哪个政府部门
            "哪家",
            "哪所",
            "什么(?:单位|部门|机构|组织|公司|企业)",
        ),
    ),
    (
        "thing",
        _words(
            "什么",
            "哪个",
            "哪种",
            "哪项",
            "哪部",
            "哪款",
            "哪一",
            "哪些",
            "哪[两三四五六七八九十几]+",
            "哪[本首张篇场条句门类段幅件支届]",
        ),
    ),
)
_VAGUE_TIME = re.compile(r"(?:前|这|近|头|过去|最近)几(?:天|年|个月|周)|几(?:天|年|个月|周)(?:前|以来|来)")
# "叫什么名字" of a thing is a name, not a person: the word before decides.
_THING_NOUNS = re.compile(
    "(?:行动|活动|文件|项目|工程|计划|方案|政策|机制|模式|称号|奖|飞船|火箭|卫星|会议|节目|法|条例"
    "|平台|品牌|产品|系统|工作法|制度)$"
)
# Questions asked in English (or another language without Chinese characters).
_CJK = re.compile(r"[\u3400-\u9fff]")
_ENGLISH_KIND = (
    ("time", re.compile(r"\bwhen\b|\bwhat (?:date|day|year|time)\b|\bwhich (?:date|day|year)\b", re.I)),
    ("quantity", re.compile(r"\bhow (?:many|much|long|far|old)\b", re.I)),
    ("person", re.compile(r"\bwho\b|\bwhose\b|\bwhom\b", re.I)),
    ("place", re.compile(r"\bwhere\b", re.I)),
)
# How a chat message opens before its question (换个话题, 对了, 顺便问一下): no text answers these words.
_CHAT_OPENER = re.compile(
    r"^(?:换个话题|换个问题|另外|对了|顺便问一?下|再问一?下|问一?下|我想问一?下|想问一?下|我想知道|想知道|请问)[，,。.：:！!\s]*"
)
# Colloquial question words, folded before the patterns run: 叫啥 → 叫什么, 咋办 → 怎么办.
_COLLOQUIAL = (
    ("啥时候", "什么时候"),
    ("叫啥名字", "叫什么名字"),
    ("叫啥名", "叫什么名字"),
    ("啥", "什么"),
    ("咋", "怎么"),
    ("哪儿", "哪里"),
    ("多会儿", "什么时候"),
    ("几时", "什么时候"),
    ("那边", ""),  # 欧盟那边是谁祝贺的: the side named, no text writes 那边
    ("这边", ""),
    ("那位", ""),  # 那位人社部部长是谁: the role names the person, no text writes 那位
)
# Words for a person that are no role: 叫什么名字 after them asks for a name (国王 and 苏丹 too, though 苏丹 is a country).
_PERSON_WORD = re.compile(
    r"(?:他|她|此人|这人|那人|对方|孩子|小伙|姑娘|女孩|男孩|老人|同学|网友|嘉宾|选手|球员"
    r"|国王|女王|王子|公主|苏丹|亲王|皇帝|天皇|教皇|教宗"
    r"|小哥|大哥|大姐|大妈|大爷|大叔|阿姨|老乡|村民|女士|先生|青年|少年|战士|英雄|模范|老兵"
    r"|兽医|医生|护士|工人|农民|渔民|牧民|司机|警察|民警|学生|工匠|骑手|老板|父亲|母亲|儿子|女儿|丈夫|妻子)$"
)
# What someone said (他在会上强调了什么, 高继明说了啥) is told by their words, not by a name in them: an open question.
_SPEECH_ASKED = re.compile(r"(?:说|讲|谈|谈到|讲到|强调|指出|表示|提出|呼吁|介绍)(?:了|过|到)?(?:些)?什么(?=[?？。!！呢啊吗]*$)")
_SPEAKER = re.compile(r"他|她|此人|对方")
# An open question that asks why (为什么, 为何, 原因是什么, 怎么会) or what something means (有什么意义, 意义在哪, 意味着什么):
# its answer is the sentence that states a cause or a consequence, not the lead that reports the event.
_RELATIONS_ASKED = (
    ("reason", re.compile(r"为什么|为何|原因|怎么会|缘何|何故")),
    ("significance", re.compile(r"意义|意味着什么|什么影响")),
)
# A body's word before 叫什么 (那家石化企业叫啥): the name asked is an organisation's.
_BODY_NOUN = re.compile(
    r"(?:企业|公司|单位|机构|组织|部门|医院|学校|大学|中学|小学|学院|银行|集团|工厂|协会|基金会|研究所|研究院|实验室)$"
)
# A role right before "是谁" (院长是谁, 谁是…的负责人) asks for a person; a bare 谁 may be answered by an organisation
# (根据谁的部署 → 最高人民法院), as 在哪里 may be by an outlet or body (在哪里开设专栏 → 新疆法制报).
_ROLE = re.compile(
    r"(?<!机器)(?<!国)(?:长|书记|主任|主席|总理|总统|部长|经理|委员|代表|记者|作者|院士|专家|员|者|人|家|手|师|官|冠军|得主"
    r"|负责人|首相|大臣|特首)$"  # not 机器人, 国家: things
)
# The role itself, as a word: 副院长, 党组书记, 检察长 (longest match before or after the question word).
_ROLE_WORD = re.compile(
    r"(?:[副总正常执]?(?:院长|检察长|(?:省委|市委|县委|区委|州委|党委|党组|党工委)?书记|主任|主席|总理|总统|部长|局长|厅长|所长|市长|县长|省长|校长|行长|董事长|经理|委员|"
    r"总裁|秘书长|司令员|政委|队长|团长|会长|社长|台长|总编辑|主编|首席执行官|发言人|负责人|创始人|作者|导演|主演|冠军|得主|"
    r"外长|大使|航天员|大臣|首相|特首|议长|众议长|参议长|总督|州长|主教|领队|教练|主帅))$"
)
# Words of time a question may put between a role and its 是谁 (议长现在是谁, 现任…是谁).
_NOW = re.compile(r"(?:现在|目前|如今|眼下|当前|现任|当时)?$")
# A number with its unit in the question (第136届, 十九号, 2025年) names one edition, launch or year among many.
_NUMBER = re.compile(r"第?(?:\d+|[一二三四五六七八九十百零两]+)(?:届|号|期(?!间)|次|批|轮|场|年|月|日|号线|周年)")
# 一年平均, 两年来: a length of time, not the year of an event (2025年, 第二年 are).
_DURATION = re.compile(r"[一二两三四五六七八九十]+年")
_ACCEPTS = {
    "person": ("person", "org"),
    "place": ("place", "org"),
    "org": ("org",),
    "time": ("time",),
    "quantity": ("quantity",),
    "thing": ("thing",),
}
# A query without a question word often ends in the attribute it asks for (电锅炉价格, 韩国全称, 保时捷总部).
_ATTRIBUTES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "quantity",
        re.compile(
            "(?:价格|价钱|多钱|费用|票房|总分|分数|熔点|沸点|长度|宽度|高度|厚度|重量|面积|人口|距离|年龄|身高|体重|寿命|速度"
            "|温度|比重|密度|排量|功率|工资|薪资|收入|市值|销量|产量|得分|金额|押金|学费|数量|规模|海拔|票价)$"
        ),
    ),
    ("time", re.compile("(?:时间|日期|年份|生日|上映时间|开通时间|发射时间)$")),
    ("place", re.compile("(?:地址|位置|总部|所在地|产地|出处|发源地)$")),
    (
        "person",
        re.compile(
            "(?:作者|导演|主演|老板|创始人|董事长|主持人|演员|歌手|院长|书记|市长|主席|总裁|校长"
            "|作家|诗人|画家|编剧|作曲|作词|发明人|发明者|设计师|代言人|扮演者|饰演者|配音演员|原型)(?:是)?$"
        ),
    ),
    ("thing", re.compile("(?:全称|简称|原名|英文|学名|别名|名称)$")),
)
# What a quantity question measures, by its words, and the units that measure it: an answer in another unit does not
# answer it (多少钱 is not answered by 17公里, 死了几个人 not by 一栋). Checked in this order (多长时间 is a duration).
MEASURES: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = tuple(
    (name, re.compile(cue), re.compile(f"(?:{units})$"))
    for name, cue, units in (
        (
            "money",
            "多少钱|几块钱|价格|价钱|多钱|费用|花费|票价|售价|造价|成本|投资|资金|损失|金额|收入|工资|薪资|奖金|补贴|营收|利润"
            "|预算|市值|估值|罚款|赔偿|学费|押金|多少元|几元",
            "[元块]钱?|美元|欧元|日元|英镑|港元|港币|澳元|卢布|韩元|人民币|美金|法郎|RMB|USD|\\$",
        ),
        ("age", "几岁|多少岁|多大年纪|年龄|多大了|岁数|年纪|多大岁|高寿|多少周岁", "周?岁"),
        (
            "duration",
            "多久|多长时间|多少时间|几年|多少年|几天|多少天|几个月|多少个月|几周|几小时|多少小时|几分钟|多少分钟|寿命|工期|期限|时长",
            "年|个?月|周|星期|天|日|个?小时|分钟|秒|季度|个工作日|工作日",
        ),
        ("area", "面积|多少平方|多少亩", "平方(?:公里|千米|米)|亩|公顷|(?i:km|m)(?:²|2|\\^2)"),
        (
            "length",
            "多长|多远|多高|多深|多宽|长度|距离|高度|深度|宽度|身高|海拔|里程|多少公里|多少米",
            "公里|千米|米|厘米|毫米|英里|海里|里|英尺|光年|(?i:km|cm|mm|m)",
        ),
        ("weight", "多重|重量|体重|多少吨|多少公斤|多少斤", "吨|千克|公斤|克|斤|磅|(?i:kg|g|t)"),
        ("people", "几个?人|多少人|几名|多少名|几位|多少位|人数|人次|死亡|遇难|伤亡|丧生|死了|受伤|人口", "人次?|名|位|例"),
        ("percent", "百分之|比例|占比|增长率|增速|增幅|涨幅|降幅|几成|百分比", "%|％|个?百分点|倍|成"),
        ("temperature", "温度|气温|多少度|几度", "℃|°[cCfF]|摄氏度|华氏度|度"),  # ℃ folds to °C (NFKC)
    )
)
#: The units of each measure, by name.
MEASURE_UNITS = {name: units for name, _, units in MEASURES}
# A counter word after 几/多少 (几条, 多少家): the answer counts in it (16条, not 2024年).
_COUNTER = re.compile("(?:几|多少)([项支家所件起条种批座艘架颗户辆届期场轮枚台套份篇部处层级本册张只头棵首幅栋])")
#: jieba's tags of names: people (nrfg: 习近平, 李强; nrt: transliterated), places, organisations, other proper nouns
NAME_TAGS = frozenset({"nr", "nrfg", "nrt", "ns", "nt", "nz", "j"})
#: Words jieba tags as names that name nothing in particular (一共 as an abbreviation, 全国 as a place).
GENERIC_NAMES = frozenset({"城市", "国家", "地区", "地方", "同比", "环比", "全国", "中方", "外方", "当地", "一共", "总共"})


@dataclass(frozen=True)
class QuestionForm:
    """What a question asks: the answer kind (None: open), its question word's span, and its named terms."""

    text: str  # the question folded to simplified script, as searched
    kind: str | None
    wh_start: int  # span of the question word in `text` (-1 when there is none)
    wh_end: int
    names: tuple[str, ...]  # names of people, places, organisations and things in the question
    chinese: bool  # False for a question without Chinese characters (asked in another language)
    accepts: tuple[str, ...] = ()  # mention kinds that can answer it, the asked kind first
    role: str | None = None  # the role a person question names (副院长 in 副院长是谁): the answer must hold it
    numbers: tuple[str, ...] = ()  # numbers that pin the subject down (第136届, 神舟十九号, 2025年): must be matched
    measure: str | None = None  # what a quantity question measures: a MEASURES name (money, people…) or a counter (条)

    @property
    def before(self) -> str:
        """The question's text before its question word."""
        return self.text[: self.wh_start] if self.wh_start >= 0 else self.text

    @property
    def after(self) -> str:
        """The question's text after its question word."""
        return self.text[self.wh_end :] if self.wh_start >= 0 else ""

    @property
    def content(self) -> str:
        """The question without its question word: what the answer must match ("哪一天" must not make 一天 a term)."""
        return f"{self.before} {self.after}" if self.wh_start >= 0 else self.text


def _measure(text: str) -> str | None:
    """What the quantity question `text` measures: a counter word it names (几条 → 条), else a MEASURES name, or None."""
    counter = _COUNTER.search(text)
    if counter:
        return counter.group(1)
    if re.search(r"(?:几|多少)块(?!钱)[\u4e00-\u9fff]", text):
        return "块"  # 几块金牌 counts medals; 几块钱 asks a price
    for asked in re.finditer(r"(?:多少|几)(?:个)?([^\s，,？?。的是]{1,4})", text):  # 多少海里, 几公斤: the unit itself
        unit = asked.group(1).lstrip("万亿千百")
        for n in range(len(unit), 0, -1):
            name = next((name for name, units in MEASURE_UNITS.items() if units.fullmatch(unit[:n])), None)
            if name:
                return name
    return next((name for name, cue, _ in MEASURES if cue.search(text)), None)


def _numbers(text: str) -> tuple[str, ...]:
    return tuple(
        dict.fromkeys(
            m.group()
            for m in _NUMBER.finditer(text)
            if not m.group().startswith(("几", "多"))
            and text[m.start() - 1 : m.start()] != "哪"  # 哪一年 asks
            and not _DURATION.fullmatch(m.group())
            and (m.group().startswith("第") or not m.group().endswith("场"))  # 第四场 names one; 一场战争 counts
        )
    )


def is_role(word: str) -> bool:
    """True when `word` names a role a person holds (所长, 党组书记, 发言人)."""
    return bool(_ROLE_WORD.fullmatch(word))


def is_title(word: str) -> bool:
    """True when `word` is a role (议长) or an everyday word for what a person does (医师, 记者)."""
    return is_role(word) or (common_word(word) and bool(_ROLE.search(word)))


def asks_speech(form: QuestionForm) -> bool:
    """True when `form` asks what a person said (高继明在会上强调了什么)."""
    return form.kind is None and form.wh_start >= 0 and bool(_SPEECH_ASKED.fullmatch(form.text[form.wh_start : form.wh_end]))


def asked_relation(form: QuestionForm) -> str | None:
    """For an open question, the relation its answer states: "reason" (为什么…), "significance" (意义在哪…), or None."""
    if form.kind is not None:
        return None
    return next((relation for relation, asked in _RELATIONS_ASKED if asked.search(form.text)), None)


def _names_speaker(before: str, tagged: Sequence[tuple[str, str]]) -> bool:
    """True when the words before a speech verb name a person who speaks: a pronoun, a role, or a person's name."""
    if _SPEAKER.search(before):
        return True
    return any((tag in ("nr", "nrfg") or is_role(word)) and len(word) >= 2 and word in before for word, tag in tagged)


def _names_a_thing(subject: str) -> bool:
    """True when what 叫什么名字 asks about is a thing, not a person: a thing noun (行动, 飞船) or a noun that is no role
    and no pronoun for a person (那个大展 叫什么名字, but 那个航天员 / 他 叫什么名字)."""
    if _THING_NOUNS.search(subject) or subject.endswith(("它", "它们")):
        return True
    last = tagged_words(subject)[-1:] if subject else []
    noun = bool(last) and (last[0][1] == "vn" or (last[0][1].startswith("n") and not last[0][1].startswith("nr")))
    return noun and not _ROLE.search(subject) and not _PERSON_WORD.search(subject)


def has_chinese(text: str) -> bool:
    """True when `text` holds a Chinese character (a question without one was asked in another language)."""
    return bool(_CJK.search(text))


def leading_role(text: str) -> str | None:
    """The role word `text` starts with (部长去机场送的 → 部长, 副总理一起出席 → 副总理), or None."""
    text = text.lstrip("个位名")
    return next((text[:n] for n in range(min(len(text), 9), 1, -1) if is_role(text[:n])), None)


@lru_cache(maxsize=4096)
def analyse_question(question: str) -> QuestionForm:
    """The form of `question` (cached: conversations and evaluation ask the same questions again)."""
    text = normalize(question).strip()
    for colloquial, plain in _COLLOQUIAL:
        text = text.replace(colloquial, plain)
    text = _CHAT_OPENER.sub("", text) or text
    chinese = has_chinese(text)
    tagged = tagged_words(text) if chinese else []
    names = tuple(dict.fromkeys(w for w, tag in tagged if tag in NAME_TAGS and len(w) >= 2 and w not in GENERIC_NAMES))
    if not chinese:
        for english_kind, english in _ENGLISH_KIND:
            m = english.search(text)
            if m:
                return QuestionForm(text, english_kind, m.start(), m.end(), names, chinese, _ACCEPTS.get(english_kind, ()))
        return QuestionForm(text, None, -1, -1, names, chinese)
    # 前几天 / 几年前 say when, vaguely: no question word (普京说俄军前几天拿下了哪个重镇 asks which town)
    searched = _VAGUE_TIME.sub(lambda v: "　" * len(v.group()), text)
    for pattern_kind, pattern in _KIND_PATTERNS:
        m = pattern.search(searched)
        if not m:
            continue
        kind = pattern_kind
        word = m.group()
        if kind == "person" and "名字" in word and _names_a_thing(text[: m.start()].rstrip("叫的是")):
            kind = "thing"
        if kind == "thing" and word == "什么" and re.match(r"什么(?:人|职务)", text[m.start() :]):
            kind = "person" if text[m.start() :].startswith("什么人") else "thing"
        if kind == "thing" and text[: m.start()].endswith("叫"):
            subject = text[: m.start() - 1].rstrip("的")
            if _ROLE.search(subject) or _PERSON_WORD.search(subject):
                kind = "person"  # 院长叫什么, 他叫什么 ask for a name
            elif _BODY_NOUN.search(subject):
                kind = "org"
        speech = _SPEECH_ASKED.search(text) if kind == "thing" else None
        if speech and _names_speaker(text[: speech.start()], tagged):
            return QuestionForm(text, None, speech.start(), speech.end(), names, chinese, (), None, _numbers(text))
        asked_role = leading_role(text[m.end() :]) if kind == "thing" and word in ("哪个", "哪一") else None
        if asked_role:
            kind = "person"  # 哪个部长 asks for the person who holds the role
        accepts = _ACCEPTS.get(kind or "", ())
        # 众议院议长现在是谁: a word of time between the role and 是谁 leaves the role asked
        around = (_NOW.sub("", text[: m.start()]).rstrip("的是叫"), text[m.end() :].strip("?？。!！的 "))
        role = None
        if kind == "person":
            roles = [r.group() for part in around for r in [_ROLE_WORD.search(part)] if r]
            if asked_role or roles:
                accepts, role = ("person",), asked_role or roles[0]
        if kind == "place" and re.search(r"[省市县区国镇乡村州]|城市|地区", text[m.start() : m.end() + 3]):
            accepts = ("place",)  # 哪个城市 is a place, not a body
        measure = _measure(text) if kind == "quantity" and word != "第几" else None
        return QuestionForm(text, kind, m.start(), m.end(), names, chinese, accepts, role, _numbers(text), measure)
    bare = text.rstrip("?？。!！ ")
    for attribute_kind, attribute in _ATTRIBUTES:
        m = attribute.search(bare)
        if m:  # the attribute stands where a question word would: 电锅炉价格 ≈ 电锅炉价格是多少
            accepts = _ACCEPTS[attribute_kind]
            measure = _measure(text) if attribute_kind == "quantity" else None
            return QuestionForm(text, attribute_kind, m.end(), m.end(), names, chinese, accepts, None, _numbers(text), measure)
    return QuestionForm(text, None, -1, -1, names, chinese, (), None, _numbers(text))
