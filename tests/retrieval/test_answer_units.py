"""Answer units, question typing, short answers and typed abstention: rules on small texts, and the real analyser,
encoder and index on the seed corpus."""

from datetime import date
from pathlib import Path

import pytest

from retrieval.answer import (
    ABSTAIN_OTHER_LANGUAGE,
    ABSTAIN_TEXT,
    MIN_TIE,
    TermWeights,
    _abbreviates,
    _alias,
    _aligned_span,
    _best,
    _complete,
    _corpus_words,
    _date_of,
    _defined_subject,
    _event_word,
    _followers,
    _head_noun,
    _in_quotes,
    _joined,
    _model_codes,
    _names_numbers,
    _other_side,
    _place_phrase,
    _quoted_beside,
    _restates,
    _strict,
    _titled_person,
    _typed_candidate,
    _Unit,
    _unit_fits,
    _unit_spans,
    _where_done,
    _whole_list,
    _whole_name,
    _with_char_before,
    _with_unit,
    answer,
)
from retrieval.articles import Article
from retrieval.dates import resolve_dates
from retrieval.entities import Mention, find_mentions, pattern_mentions
from retrieval.evaluate import short_scores
from retrieval.questions import analyse_question
from retrieval.search import Hit, Searcher
from retrieval.tokens import tokenize
from tests.conftest import searcher_over


def _units(text: str) -> list[str]:
    return [text[s:e] for s, e in _unit_spans(text)]


def test_clauses_parted_by_a_semicolon_are_one_unit() -> None:
    text = "正确的做法是将生虫大米置于阴凉通风处，再筛；亦可采用磷化锌熏杀。农村常用暴晒法。"
    assert _units(text) == ["正确的做法是将生虫大米置于阴凉通风处，再筛；亦可采用磷化锌熏杀。", "农村常用暴晒法。"]
    long = "甲" * 150 + "；" + "乙" * 80 + "。"
    assert len(_units(long)) == 2  # a long run of clauses is still cut at its semicolons


def test_a_quotation_keeps_its_speaker_after_it() -> None:
    text = "会议强调了三点。“我们要当好群众的贴心人。把小事办好。”县检察院检察长李明说。随后进行了分组讨论。"
    assert _units(text) == [
        "会议强调了三点。",
        "“我们要当好群众的贴心人。把小事办好。”县检察院检察长李明说。",
        "随后进行了分组讨论。",
    ]


def test_a_quotation_keeps_its_speaker_before_it() -> None:
    text = "李明说：“第一句话。第二句话！”\n下一段开始了。"
    assert _units(text) == ["李明说：“第一句话。第二句话！”", "下一段开始了。"]


def test_a_new_paragraph_never_joins_an_open_quotation() -> None:
    text = "他说：“这一句没有闭合。\n新的段落。"
    assert _units(text) == ["他说：“这一句没有闭合。", "新的段落。"]


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("自治区高院院长是谁", "person"),
        ("高院院长叫啥", "person"),
        ("会商会是哪天开的", "time"),
        ("形成了多少项会商事项", "quantity"),
        ("在哪里开设了专栏", "place"),
        ("中国和哪个非洲国家建交40周年", "place"),  # a country of some kind
        ("哪个单位牵头", "org"),
        ("开展了什么行动", "thing"),
        ("为什么要加强协作", None),
        ("电锅炉价格", "quantity"),
        ("2023年发射的神舟飞船上有哪几名航天员", "person"),  # 哪几名 asks who, not how many
        ("派出所有几名民警", "quantity"),
        ("Who chairs the meeting?", "person"),
        ("钱天白出生于何年", "time"),
        ("李希烈是哪个朝代的人", "time"),  # an era answers it: 唐代
        ("张爱玲的哪本小说提到了柯灵", "thing"),
        ("他凭借哪首歌获奖", "thing"),
        ("这篇文章在哪本杂志发表", "thing"),  # not 在哪 (a place)
        ("在哪些地区分布", "place"),
    ],
)
def test_question_kinds(question: str, kind: str | None) -> None:
    assert analyse_question(question).kind == kind


def test_a_role_before_who_asks_for_a_person_not_a_body() -> None:
    assert analyse_question("检察院检察长是谁").accepts == ("person",)
    assert analyse_question("根据谁的部署起草的").accepts == ("person", "org")


def test_the_analyser_keeps_names_whole() -> None:
    text = "自治区高院院长迪里夏提·沙依木、自治区检察院检察长高继明出席会议。"
    found = {(text[m.start : m.end], m.kind) for m in find_mentions(text)}
    assert {("迪里夏提·沙依木", "person"), ("高继明", "person"), ("自治区高院", "org")} <= found


def test_patterns_find_numbers_with_units_dates_and_quoted_names() -> None:
    text = "2024年4月25日发射，全程约361.3公里，开展“百日行动”，费用2万以上。"
    found = {text[m.start : m.end] for m in pattern_mentions(text)}
    assert {"2024年4月25日", "约361.3公里", "百日行动", "2万以上"} <= found


@pytest.mark.parametrize(
    ("question", "measure"),
    [
        ("深中通道总投资多少钱", "money"),
        ("藤椅的价格", "money"),
        ("那场火灾死了几个人", "people"),
        ("规定一共有几条", "条"),
        ("带牙套要带多久", "duration"),
        ("塔有多高", "length"),
        ("公园面积有多大", "area"),
        ("他享年多少岁", "age"),
        ("形成了多少项会商事项", "项"),
        ("清明假期出游人次是多少", "people"),
        ("图书市集卖了多少本书", "本"),
        ("这是第几届", None),
        ("有多少", None),
    ],
)
def test_a_quantity_question_says_what_it_measures(question: str, measure: str | None) -> None:
    assert analyse_question(question).measure == measure


@pytest.mark.parametrize(
    ("question", "text", "short"),
    [
        ("伊斯坦布尔那场火灾死了几个人", "伊斯坦布尔一栋建筑发生火灾，火灾已导致29人死亡。", "29人"),
        ("深中通道总投资多少钱", "深中通道全长约24公里，总投资约446.9亿元。", "约446.9亿元"),
        ("《规定》一共有几条", "《规定》自2024年6月1日起施行，共16条。", "16条"),
        ("转运用了多长时间", "组合体转运用时约两个小时。", "约两个小时"),  # 约两个 + 小时: the unit is taken along
        ("跑道有多长", "机场跑道长3200m，宽45m。", "3200m"),
    ],
)
def test_a_quantity_in_another_unit_does_not_answer(question: str, text: str, short: str) -> None:
    form = analyse_question(question)
    weights = {t: 1.0 for t in ("伊斯坦布尔", "火灾", "深中通道", "投资", "规定", "转运", "跑道", "长") if t in question}
    found, tie, _ = _typed_candidate(text, pattern_mentions(text), form, weights, sum(weights.values()))
    assert found == short and tie >= MIN_TIE


@pytest.mark.parametrize(
    ("question", "text", "short"),
    [
        # the county an organisation's name starts with, wherever the name stands in the sentence
        ("伯西热克派出所在哪个县", "今年5月,公安部命名叶城县公安局伯西热克派出所为全国第二批“枫桥式公安派出所”。", "叶城县"),
        # the province inside a longer place name, after the country the question names itself
        ("西班牙哪个省发生了山火", "14日，西班牙阿利坎特省塔尔贝纳发生山火，火势迅速向周边蔓延。", "阿利坎特省"),
    ],
)
def test_a_question_for_an_administrative_level_gets_that_part_of_a_longer_name(question: str, text: str, short: str) -> None:
    form = analyse_question(question)
    weights = {t: 1.0 for t in ("伯西热克", "派出所", "西班牙", "发生", "山火") if t in question}
    found, tie, _ = _typed_candidate(text, find_mentions(text) + pattern_mentions(text), form, weights, sum(weights.values()))
    assert found == short and tie >= MIN_TIE


@pytest.mark.parametrize(
    ("question", "text", "short"),
    [
        ("张秀成担任什么职务", "自治区司法厅党委书记张秀成说：“将认真贯彻落实全会部署。”", "自治区司法厅党委书记"),
        (
            "鲍卫忠生前担任什么职务",
            "鲍卫忠同志生前系云南省沧源佤族自治县人民法院党组成员、执行局局长。",
            "云南省沧源佤族自治县人民法院党组成员、执行局局长",
        ),
        ("1998年6月至2000年4月，他担任什么职务？", "1998年6月至2000年4月任中共温州市委书记。", "中共温州市委书记"),
    ],
)
def test_a_question_for_a_position_gets_the_title_written_next_to_the_name(question: str, text: str, short: str) -> None:
    form = analyse_question(question)
    weights = {t: 1.0 for t in ("张秀成", "鲍卫忠", "生前", "担任", "职务", "2000", "4月") if t in question}
    found, tie, _ = _typed_candidate(text, find_mentions(text) + pattern_mentions(text), form, weights, sum(weights.values()))
    assert found == short and tie >= MIN_TIE


def test_the_candidate_next_to_the_event_word_answers() -> None:
    text = "王沪宁出席并讲话。他表示，要深入学习贯彻习近平生态文明思想和长江生态保护座谈会精神。"
    weights = dict.fromkeys(("出席", "长江", "生态", "保护", "座谈会", "讲话"), 1.0)
    form = analyse_question("谁出席长江生态保护座谈会并讲话")
    assert _typed_candidate(text, find_mentions(text), form, weights, 6.0)[0] == "王沪宁"


def test_the_noun_a_question_asks_about_is_the_whole_word() -> None:
    assert _head_noun(analyse_question("石榴大妈服务队是哪个派出所组建的")) == "派出所"  # not 派出


def test_a_count_followed_by_the_noun_counted_answers() -> None:
    text = "形成7个方面12项会商事项，涵盖两院大部分工作。"
    form = analyse_question("会商事项涉及几个方面")
    weights = {"会商": 1.13, "事项": 1.72, "涉及": 2.23, "方面": 0.38}
    assert _typed_candidate(text, pattern_mentions(text), form, weights, sum(weights.values()))[0] == "7个方面"


def test_the_unit_after_how_many_says_the_measure() -> None:
    assert analyse_question("第40次南极考察总航程多少海里").measure == "length"
    assert analyse_question("损失了多少亿元").measure == "money"
    assert analyse_question("有多少万人参加").measure == "people"


def test_a_bare_number_may_answer_any_measure_but_a_wrong_unit_never() -> None:
    assert _unit_fits("29人", "people") is True
    assert _unit_fits("2.9万", "people") is None
    assert _unit_fits("一栋", "people") is False
    assert _unit_fits("2024年", "条") is False
    assert _unit_fits("4间", "座") is None  # counters are used loosely


def test_eras_are_times_and_answer_when_nothing_more_precise_is_near() -> None:
    text = "火药是唐朝年间由炼丹的道士发明的。19世纪末传入欧洲的说法有误，武汉代表团澄清初步结论。"
    assert {text[m.start : m.end] for m in pattern_mentions(text) if m.kind == "time"} == {"唐朝", "19世纪末"}
    weights = {"火药": 1.0, "发明": 1.0}
    found, _, _ = _typed_candidate(text, pattern_mentions(text), analyse_question("火药什么时候发明"), weights, 2.0)
    assert found == "唐朝"
    dated = "战国时代的折上原之战发生在1589年7月17日。"
    weights = {"折上原之战": 1.0, "发生": 1.0}
    found, _, _ = _typed_candidate(dated, pattern_mentions(dated), analyse_question("折上原之战发生在什么时候"), weights, 2.0)
    assert found == "1589年7月17日"


def test_short_answer_scores_follow_cmrc() -> None:
    assert short_scores("高继明", ["高继明"]) == (1.0, 1.0)
    assert short_scores("12月14日下午", ["12月14日"])[1] == pytest.approx(2 * (6 / 8) / (6 / 8 + 1))
    assert short_scores(None, ["x"]) == (0.0, 0.0)
    assert short_scores("“百日行动”", ["百日行动"]) == (1.0, 1.0)


def test_a_person_question_gets_the_name_as_short_answer(searcher: Searcher) -> None:
    reply = answer(searcher, "自治区司法厅的党委书记叫什么？")
    assert not reply.abstained and reply.short_answer == "张秀成"
    assert reply.short_answer in reply.answer


def test_a_quoted_answer_comes_with_its_speaker(searcher: Searcher) -> None:
    reply = answer(searcher, "王勇说检察机关要继续当好稳企安商的什么角色？")
    assert not reply.abstained
    assert "老娘舅" in reply.answer and "王勇说" in reply.answer
    assert not reply.answer.startswith("昌吉州检察院党组成员")  # never the bare attribution alone


def test_an_open_question_has_no_short_answer(searcher: Searcher) -> None:
    reply = answer(searcher, "高继明认为两院应该怎样加强协作？")
    assert not reply.abstained and reply.short_answer is None


def test_a_typed_question_about_a_body_mentioned_only_in_passing_abstains(searcher: Searcher) -> None:
    # 最高人民检察院 appears once, in passing; nothing in the corpus says who heads it.
    reply = answer(searcher, "最高人民检察院的检察长是谁？")
    assert reply.abstained and reply.answer == ABSTAIN_TEXT and reply.short_answer is None


def test_traditional_script_behaves_exactly_like_simplified(searcher: Searcher) -> None:
    simplified = answer(searcher, "福海县司法局党组书记是谁？")
    traditional = answer(searcher, "福海縣司法局黨組書記是誰？")
    assert (traditional.answer, traditional.short_answer, traditional.abstained) == (
        simplified.answer,
        simplified.short_answer,
        simplified.abstained,
    )
    assert simplified.short_answer == "黄新艳"


def test_an_unanswerable_question_in_english_is_refused_in_both_languages(searcher: Searcher) -> None:
    reply = answer(searcher, "What is the population of Paris?")
    assert reply.abstained and reply.answer == ABSTAIN_OTHER_LANGUAGE


def test_terms_the_title_settles_tie_a_candidate_the_sentence_names_without_them() -> None:
    # Under an article titled 太阳的囚徒, "作者是…" names the book's author without naming the book.
    text = "作者是比利时漫画家埃尔热。"
    form = analyse_question("《太阳的囚徒》的作者是谁")
    weights = {"太阳": 4.0, "囚徒": 6.0, "作者": 2.0}  # 作者 is a common word: alone it ties little
    mentions = find_mentions(text) + pattern_mentions(text)
    alone = _typed_candidate(text, mentions, form, weights, 12.0)
    titled = _typed_candidate(text, mentions, form, weights, 12.0, implied={"太阳": 3.2, "囚徒": 4.8})
    assert alone[1] < MIN_TIE
    assert titled[0] is not None and "埃尔热" in titled[0] and titled[1] >= MIN_TIE


def test_a_bare_where_may_be_answered_by_any_phrase_but_a_named_level_needs_a_place() -> None:
    # 哪里 asks where in any sense: a habitat or an organ answers it, not only a place name.
    habitat = analyse_question("基斑蜻多栖息于哪里")
    assert not _strict(habitat)
    assert _aligned_span("基斑蜻多栖息于平静的湖边及池塘边，以小型昆虫为食。", habitat) == "平静的湖边及池塘边"
    assert _strict(analyse_question("西班牙哪个省发生了山火"))
    assert _strict(analyse_question("两院会商会在哪个城市召开"))
    assert _strict(analyse_question("最高人民法院院长是谁"))  # a role: only a person in a unit naming it answers
    assert not _strict(analyse_question("魏玩是谁的妻子"))  # 嫁曾巩弟曾布为妻 answers it


def test_a_bare_what_is_not_answered_by_a_word_only_the_analyser_calls_a_name() -> None:
    text = "叔丁基氯（IUPAC命名：2-甲基-2-氯丙烷）是一种有机化合物，在室温下为无色的液体。"
    form = analyse_question("叔丁基氯是什么")
    weights = {"叔丁基氯": 3.0}
    found, _, _ = _typed_candidate(text, find_mentions(text) + pattern_mentions(text), form, weights, 3.0)
    assert found != "IUPAC"
    quoted = "王勇说，检察院要当好群众身边的“老娘舅”。"
    weights = {"王勇": 3.0, "检察院": 2.0, "当好": 1.0}
    form = analyse_question("王勇说检察院要当好什么")
    assert _typed_candidate(quoted, find_mentions(quoted) + pattern_mentions(quoted), form, weights, 6.0)[0] == "老娘舅"


def test_the_phrase_where_the_question_word_stands_skips_an_aside_and_needs_a_whole_word() -> None:
    what_is = analyse_question("什么是百变怪")
    assert _aligned_span("百变怪（日文：メタモン）是精灵宝可梦系列登场的虚构角色。", what_is) == "精灵宝可梦系列登场的虚构角色"
    assert _aligned_span("在漫画中，百变怪便称为变身怪。", what_is) is None  # says what it is called, not what it is
    # 十八 of 神十八 is found inside 神舟十八号: "号船箭组合体转运" is no answer
    assert _aligned_span("神舟十八号船箭组合体转运至发射区。", analyse_question("神十八在哪转运")) is None
    first_name = analyse_question("越南投资发展银行的初名是什么")
    assert _aligned_span("越南投资发展银行初名为越南建设银行。", first_name) == "越南建设银行"


def test_a_question_for_an_era_is_answered_by_the_era_not_a_year_beside_it() -> None:
    text = "唐代人李希烈于1785年1月被杀。"  # (a made-up year, written as a full date)
    form = analyse_question("李希烈是哪个朝代的人")
    weights = {"李希烈": 3.0, "人": 0.5}
    assert _typed_candidate(text, pattern_mentions(text), form, weights, 3.5)[0] == "唐代"


def test_a_function_character_jieba_glued_to_an_unknown_name_is_cut_off(searcher: Searcher) -> None:
    weights = TermWeights(searcher)
    assert _corpus_words("院长说", weights) == ["院长"]  # 说 glued to the word before it
    assert _corpus_words("检察院", weights) == ["检察院"]  # a word the corpus has stays whole
    assert _corpus_words("马斯克", weights) == ["马斯克"]  # an unknown name with nothing glued stays whole


def test_a_question_for_a_level_is_not_answered_by_a_site_or_a_bare_level_word() -> None:
    form = analyse_question("李希去哪个省调研了")
    weights = {"李希": 3.0, "调研": 2.0}
    text = "调研期间，李希来到南京雨花台烈士陵园，瞻仰烈士群雕。"
    assert _typed_candidate(text, find_mentions(text), form, weights, 5.0)[0] is None
    text = "李希22日至25日到江苏调研。"
    assert _typed_candidate(text, find_mentions(text), form, weights, 5.0)[0] == "江苏"
    form = analyse_question("两院会商会在哪个城市召开")
    text = "自治区高级人民法院、自治区人民检察院召开“两院”首次工作交流会商会。"
    weights = {"两院": 2.0, "会商会": 3.0, "召开": 1.0}
    assert _typed_candidate(text, find_mentions(text), form, weights, 6.0)[0] is None


def test_an_edition_number_must_name_the_event_asked_about() -> None:
    form = analyse_question("第十五届北京国际电影节什么时候开幕")
    assert not _names_numbers("第十五届全国运动会组织委员会昨天在广州成立。", form)
    assert _names_numbers("第十五届北京国际电影节4月18日开幕。", form)
    assert _names_numbers("第15届北京国际电影节开幕。", form)


def test_a_name_the_analyser_cuts_short_runs_to_the_end_of_its_word() -> None:
    text = "会议上，伊朗武装部队总参谋长巴盖里要求各执行机构加强防御准备工作。"
    mentions = find_mentions(text)
    assert any(text[m.start : m.end] == "巴盖" for m in mentions)  # LAC's cut, which this mends
    form = analyse_question("伊朗武装部队总参谋长是谁")
    weights = {"伊朗": 2.0, "武装部队": 2.0, "总参谋长": 3.0}
    assert _typed_candidate(text, mentions, form, weights, 7.0)[0] == "巴盖里"
    text = "马贵18岁时拜尹福为师。"  # 为 is not part of the name even where jieba writes 尹福为
    form = analyse_question("马贵18岁时拜谁为师")
    found = _typed_candidate(text, find_mentions(text), form, {"马贵": 3.0, "拜": 1.0, "师": 1.0}, 5.0)[0]
    assert found is None or not found.endswith("为")


def test_the_outlets_opening_line_is_no_answer() -> None:
    text = "央视网消息（新闻联播）：国家移民管理局今天推出便民措施，全程网办。"
    form = analyse_question("国家移民管理局今天推出了哪些便民措施")
    weights = {"国家": 1.0, "移民": 2.0, "管理局": 2.0, "推出": 1.0, "便民": 2.0, "措施": 1.0}
    found = _typed_candidate(text, find_mentions(text) + pattern_mentions(text), form, weights, 9.0)[0]
    assert found is None or ("央视网" not in found and "新闻联播" not in found)


def test_the_newest_answer_must_be_about_the_event_asked_when_the_best_one_is() -> None:
    def unit(text: str, day: str, score: float) -> _Unit:
        hit = Hit(1, f"c{day}", f"a{day}", "神舟二十三号载人飞船发射取得圆满成功", None, day, None, text, 1.0, row=0)
        return _Unit(hit, text, score, 1.0, 0.8, day)

    launch = unit("5月24日23时08分，搭载神舟二十三号载人飞船的运载火箭点火发射。", "2026-05-24", 1.55)
    docking = unit("今天（5月25日）02时45分，神舟二十三号载人飞船成功对接于空间站。", "2026-05-25", 1.43)
    form = analyse_question("最近一次神舟载人飞船发射是哪一天")
    assert _best([launch, docking], form, newest=True)[0] is docking  # without the event word: the later day wins
    assert _best([launch, docking], form, newest=True, event="发射")[0] is launch


@pytest.mark.parametrize(
    ("question", "text", "weights", "short"),
    [
        ("教育法的草拟者是谁", "教育法的草拟者为文教大臣赫伯特·费舍。", {"教育法": 3.0, "草拟者": 3.0}, "赫伯特·费舍"),
        ("秘鲁外长叫什么名字", "会见秘鲁外长冈萨雷斯-奥莱切亚、阿根廷外长。", {"秘鲁": 3.0, "外长": 2.0}, "冈萨雷斯-奥莱切亚"),
        ("紫砂杯一般多少钱", "紫砂杯一般150-300元就是不错的了。", {"紫砂杯": 3.0, "一般": 0.5}, "150-300元"),
        ("带牙套要带多久", "带牙套一般要2年至3年左右。", {"牙套": 3.0, "带": 0.5}, "2年至3年左右"),
        (
            "动画系列是由谁创作的",
            "动画系列是由Konami Digital Entertainment创作。",
            {"动画": 2.0, "系列": 1.0, "创作": 2.0},
            "Konami Digital Entertainment",
        ),
    ],
)
def test_a_name_split_at_its_dot_and_a_range_of_numbers_are_answered_whole(
    question: str, text: str, weights: dict[str, float], short: str | None
) -> None:
    mentions = find_mentions(text) + pattern_mentions(text)
    total = sum(weights.values())
    assert _typed_candidate(text, mentions, analyse_question(question), weights, total)[0] == short


def test_a_name_inside_a_doctrine_does_not_answer_who() -> None:
    text = "他表示，要深入学习贯彻习近平生态文明思想，在以习近平同志为核心的党中央坚强领导下做好工作。"
    form = analyse_question("谁表示要做好工作")
    weights = {"表示": 1.0, "做好": 2.0, "工作": 1.0}
    assert _typed_candidate(text, find_mentions(text), form, weights, 4.0)[0] != "习近平"
    text = "他表示，要学深悟透习近平总书记关于加强长江生态环境保护的重要论述，做好工作。"
    assert _typed_candidate(text, find_mentions(text), form, weights, 4.0)[0] != "习近平"
    text = "习近平在座谈会上表示，要做好工作。"
    assert _typed_candidate(text, find_mentions(text), form, weights, 4.0)[0] == "习近平"


def test_a_party_secretary_is_not_the_general_secretary() -> None:
    form = analyse_question("丁薛祥去山西调研那次，山西省委书记是谁")
    assert form.role == "省委书记"
    text = "要认真学习贯彻习近平总书记重要指示精神，确保实现平安高考目标。"
    weights = {"丁薛祥": 3.0, "山西": 2.0, "调研": 1.0, "省委书记": 3.0}
    assert _typed_candidate(text, find_mentions(text), form, weights, 9.0)[0] is None


def test_a_question_for_a_position_is_answered_by_a_title_not_any_name() -> None:
    text = "王沪宁表示，两岸同胞同属中华民族。全国政协主席王沪宁在京会见苏里南总统。"
    form = analyse_question("王沪宁是什么职务")
    weights = {"王沪宁": 3.0, "职务": 1.0}
    first = text.split("。")[0] + "。"
    assert _typed_candidate(first, find_mentions(first), form, weights, 4.0)[0] is None
    second = text.split("。")[1] + "。"
    assert _typed_candidate(second, find_mentions(second), form, weights, 4.0)[0] == "全国政协主席"


def test_a_temperature_in_degrees_celsius_answers_how_much_warmer() -> None:
    text = "近日，西班牙经历反常高温天气，许多地方的气温比往年同期高出10℃左右。"  # ℃ folds to °C when matched
    form = analyse_question("西班牙的气温比往年高出多少")
    weights = {"西班牙": 3.0, "气温": 2.0, "往年": 2.0, "高出": 1.0}
    assert _typed_candidate(text, find_mentions(text) + pattern_mentions(text), form, weights, 8.0)[0] == "10℃左右"


def test_a_body_the_analyser_missed_answers_which_body() -> None:
    text = "国际原子能机构证实扎波罗热核电站遭无人机袭击，该机构称这是一起严重事件。"
    mentions = find_mentions(text)
    assert not any(m.kind == "org" for m in mentions)  # LAC reads 国际|原子|能|机构
    form = analyse_question("哪个机构证实了扎波罗热核电站遇袭")
    weights = {"证实": 2.0, "扎波罗热": 3.0, "核电站": 2.0, "遇袭": 2.0}
    assert _typed_candidate(text, mentions, form, weights, 9.0)[0] == "国际原子能机构"


@pytest.mark.parametrize(
    ("question", "number", "written", "another"),
    [
        # the first edition may be written as such
        (
            "中美经贸磋商机制第一次会议在哪开的",
            "第一次",
            "在英国伦敦举行中美经贸磋商机制首次会议。",
            "中美经贸磋商机制第二次会议在瑞典举行。",
        ),
        # a day asked with 号 is the day the text writes with 日
        ("丁薛祥5号下午去了哪个代表团", "5号", "丁薛祥5日下午来到他所在的辽宁代表团。", "丁薛祥6日下午来到他所在的辽宁代表团。"),
    ],
)
def test_a_number_may_be_written_another_way(question: str, number: str, written: str, another: str) -> None:
    form = analyse_question(question)
    assert form.numbers == (number,)
    assert _names_numbers(written, form)
    assert not _names_numbers(another, form)


def test_which_days_asks_for_a_time() -> None:
    for question in ("李强去天津参加夏季达沃斯是哪几天", "他在哪几年担任市长", "哪几个月降水最多"):
        assert analyse_question(question).kind == "time"
    assert analyse_question("在哪几个城市举办").kind == "place"


def test_the_title_after_and_belongs_to_the_next_person() -> None:
    text = "中美经贸中方牵头人、国务院副总理何立峰与美方牵头人、美国财政部长贝森特及商务部长卢特尼克在英国伦敦举行会议。"
    weights = {"美方": 3.0, "牵头人": 3.0}
    assert _typed_candidate(text, find_mentions(text), analyse_question("美方牵头人是谁"), weights, 6.0)[0] == "贝森特"
    weights = {"中方": 3.0, "牵头人": 3.0}
    assert _typed_candidate(text, find_mentions(text), analyse_question("中方牵头人是谁"), weights, 6.0)[0] == "何立峰"


def test_where_is_not_answered_by_the_next_clause() -> None:
    form = analyse_question("山西应用科技学院在哪")
    assert _aligned_span("丁薛祥来到山西应用科技学院，调研民办高校发展情况。", form) is None
    assert _aligned_span("山西应用科技学院在太原市晋源区。", form) == "太原市晋源区"


def test_close_typed_evidence_answers_whatever_the_confidence_model_says(
    searcher: Searcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("retrieval.answer.MIN_CONFIDENCE", 0.999)  # as if every passage's cosine were low
    reply = answer(searcher, "伯西热克派出所组建了几支志愿者队伍？")
    assert not reply.abstained and reply.short_answer == "6支"
    assert reply.evidence["confidence"] < 0.999
    assert answer(searcher, "最高人民检察院检察长是谁？").abstained  # a name the unit does not write: still refused
    assert answer(searcher, "高继明认为两院应该怎样加强协作？").abstained  # an open question has no typed evidence


def test_a_title_before_a_name_stops_at_the_previous_persons_name(searcher: Searcher) -> None:
    assert answer(searcher, "高继明是什么职务").short_answer == "自治区检察院检察长"


def test_a_figure_of_another_year_does_not_answer_a_question_about_a_year() -> None:
    text = "去年，村民人均可支配收入4.12万元，比2020年增长了近1万元。"
    dates = resolve_dates(text, "2025-06-30")
    form = analyse_question("嘎拉村2020年村民人均可支配收入是多少")
    weights = {"嘎拉村": 3.0, "村民": 1.0, "人均": 1.0, "可支配": 2.0, "收入": 1.0}
    mentions = find_mentions(text) + pattern_mentions(text)
    in_2020 = (date(2020, 1, 1), date(2020, 12, 31))
    args = (text, mentions, form, weights, 8.0, dates, "2020年", True, None)
    assert _typed_candidate(*args, window=in_2020)[0] is None  # 4.12万元 is 2024's, 近1万元 a change since 2020
    in_2024 = (date(2024, 1, 1), date(2024, 12, 31))
    assert _typed_candidate(*args, window=in_2024)[0] == "4.12万元"


def test_a_plan_period_is_no_number_to_match() -> None:
    assert analyse_question("十五五期间单位GDP二氧化碳排放要累计降多少").numbers == ()


def test_a_champion_is_who_won() -> None:
    text = "在高山滑雪女子回转项目坐姿组比赛中，张雯静以1分27秒69的成绩夺冠。"
    form = analyse_question("高山滑雪女子回转坐姿组冠军是谁")
    assert form.role == "冠军"
    weights = {"高山": 2.0, "滑雪": 2.0, "女子": 1.0, "回转": 3.0, "坐姿": 3.0, "冠军": 2.0}
    assert _typed_candidate(text, find_mentions(text), form, weights, 13.0)[0] == "张雯静"


def test_a_year_also_read_as_a_quantity_still_answers_when() -> None:
    text = "到2030年，6G将在全球率先实现商用。"
    mentions = find_mentions(text)
    assert {(text[m.start : m.end], m.kind) for m in mentions} >= {("2030年", "time"), ("2030年", "quantity")}
    weights = {"6g": 3.0, "全球": 2.0, "率先": 2.0, "商用": 3.0}
    form = analyse_question("6G啥时候能在全球率先商用")
    assert _typed_candidate(text, mentions, form, weights, 10.0, dated=True)[0] == "2030年"


def test_a_chat_opener_is_not_part_of_the_question() -> None:
    for opener in ("换个话题 ", "对了，", "顺便问一下，", "请问"):
        form = analyse_question(f"{opener}登月服起的啥名")
        assert form.text == "登月服起的什么名" and form.kind == "thing"


def test_another_articles_sentence_without_the_questions_names_does_not_follow() -> None:
    form = analyse_question("丁薛祥5号下午去了哪个代表团")
    assert "丁薛祥" in form.names

    def unit(article: str, text: str, score: float) -> _Unit:
        return _Unit(
            Hit(1, f"c-{article}", article, "参加代表团审议", None, None, None, text, 1.0, row=0), text, score, 0.8, 0.5, None
        )

    best = unit("a", "丁薛祥5日下午来到他所在的辽宁代表团，同代表们一起审议政府工作报告。", 1.5)
    same_article = unit("a", "他说，要坚持和加强党的全面领导。", 1.2)
    other_story = unit("b", "韩正5日下午来到他所在的山东代表团，同代表们一起审议政府工作报告。", 1.4)
    assert _followers(best, [best, other_story, same_article], form) == [best, same_article]


@pytest.mark.parametrize(
    ("question", "kind", "role"),
    [
        ("去机场送行的是哪个部长", "person", "部长"),
        ("新方是哪个副总理出席的", "person", "副总理"),
        ("哪个队长举的旗", "person", "队长"),
        ("哪个队夺冠了", "org", None),
    ],
)
def test_which_role_asks_for_the_person_holding_it(question: str, kind: str, role: str | None) -> None:
    form = analyse_question(question)
    assert (form.kind, form.role) == (kind, role)


def test_the_name_under_the_title_the_question_writes_answers() -> None:
    text = "当地时间25日下午，新西兰总理陆克在国会大厦举行仪式，欢迎国务院总理王海对新西兰进行正式访问。"
    weights = {"新西兰": 4.0, "总理": 3.0}
    form = analyse_question("新西兰總理叫什麼名字")
    assert form.role == "总理"
    assert _typed_candidate(text, find_mentions(text), form, weights, 7.0)[0] == "陆克"


@pytest.mark.parametrize(
    ("question", "text", "short"),
    [
        ("货轮到了英国哪个港口", "首艘货轮经北极航道抵达英国最大集装箱港口费利克斯托港，这标志着航线成功通航。", "费利克斯托港"),
        ("帛书最后入藏哪个博物馆了", "帛书共计132件文物，正式入藏湖南省博物馆。", "湖南省博物馆"),
    ],
)
def test_the_phrase_where_the_question_word_stands_keeps_its_noun(question: str, text: str, short: str) -> None:
    assert _aligned_span(text, analyse_question(question), find_mentions(text)) == short


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("去年办的那个大展叫啥名字", "thing"),
        ("这只大熊猫叫什么名字", "thing"),
        ("那个航天员叫什么名字", "person"),
        ("他叫什么名字", "person"),
    ],
)
def test_what_is_called_asks_for_a_person_only_about_a_person(question: str, kind: str) -> None:
    assert analyse_question(question).kind == kind


def test_a_word_tagged_as_a_name_that_names_nothing_is_not_a_question_name() -> None:
    assert analyse_question("我国现在一共几颗风云卫星").names == ("卫星",)


@pytest.mark.parametrize(
    ("question", "text", "other"),
    [
        ("广交会境内采购商来了多少人", "截至今天17时，境外采购商到会人数超6.9万人。", True),
        ("广交会境外采购商来了多少人", "截至今天17时，境外采购商到会人数超6.9万人。", False),
        ("前三季度出口增长了多少", "前三季度，我国货物贸易进出口总值33.61万亿元，其中出口增长7.1%。", False),
        ("上半年进口了多少", "今年上半年，出口额达到1.2万亿元。", True),
        ("男篮拿了第几名", "中国女篮获得亚洲杯亚军。", True),
        # asked when, the other end of the event is another day; asked anything else, it is the same event
        ("博览会哪天开幕", "第七届博览会今天在上海闭幕。", True),
        ("博览会哪天开幕", "博览会将于11月5日开幕，10日闭幕。", False),
        ("神舟飞船什么时候发射的", "神舟飞船返回舱今天成功着陆。", True),
        ("神舟飞船载了哪些航天员", "神舟飞船返回舱今天成功着陆，航天员身体状态良好。", False),
        # a side written in a phrase describing the subject is not the event asked (新开工的电站啥时候投产)
        ("新开工的那座南山电站啥时候投产", "南山电站计划于2030年竣工投产。", False),
        ("南山电站是哪天开工的", "南山电站计划于2030年竣工投产。", True),
    ],
)
def test_a_figure_of_the_other_side_does_not_answer(question: str, text: str, other: bool) -> None:
    assert _other_side(text, analyse_question(question)) is other


@pytest.mark.parametrize(
    ("question", "numbers"),
    [
        ("十四五期间海关一年平均监管多少吨货物", ()),
        ("第四场记者招待会哪天开的", ("第四场",)),
        ("这是怎样一场战争", ()),
        ("2025年的收入是多少", ("2025年",)),
    ],
)
def test_a_length_of_time_or_a_count_pins_no_edition_down(question: str, numbers: tuple[str, ...]) -> None:
    assert analyse_question(question).numbers == numbers


def test_names_jieba_tags_as_full_names_are_question_names() -> None:
    assert "李强" in analyse_question("李强20号在北京调研去了哪家药企").names
    assert "习近平" in analyse_question("习近平给谁回信").names


@pytest.mark.parametrize(
    ("short", "name", "abbreviates"),
    [
        ("美联储", "美国联邦储备委员会", True),
        ("天大", "天津大学", True),
        ("国常会", "国务院常务会议", True),
        ("大学", "天津大学", False),
    ],
)
def test_an_abbreviation_is_the_names_first_character_then_others_in_order(short: str, name: str, abbreviates: bool) -> None:
    assert _abbreviates(short, name) is abbreviates


def test_a_question_in_abbreviations_covers_the_unit_that_spells_them_out(searcher: Searcher) -> None:
    full = answer(searcher, "自治区高级人民法院院长是谁？")
    short = answer(searcher, "自治区高法院长是谁？")
    assert full.short_answer == short.short_answer == "迪里夏提·沙依木"


RESPECTIVELY = "其中智能眼镜、擦窗机器人网上零售额分别增长183.5%和130.8%。"


@pytest.mark.parametrize(
    ("question", "text", "weights", "dated", "short"),
    [
        pytest.param(
            "定了几个重点提案选题",
            "会议审议通过《重点提案选题和督办方式》，确定76个重点提案选题。",
            {"重点": 3.0, "提案": 3.0, "选题": 3.0, "确定": 1.0},
            False,
            "76个",
            id="a count takes the counted noun only where the question ends it",
        ),
        pytest.param(
            "形成了几个方面的会商事项",
            "经双方充分研究沟通，形成7个方面12项会商事项。",
            {"形成": 2.0, "方面": 1.0, "会商": 3.0, "事项": 3.0},
            False,
            "7个方面",
            id="a count ends with the counted noun the question ends with",
        ),
        pytest.param(
            "擦窗机器人网上卖得涨了多少",
            RESPECTIVELY,
            {"擦窗机": 5.0, "器人": 3.0, "网上": 2.0, "涨": 1.0},
            False,
            "130.8%",
            id="respectively pairs a value with the item the question names",
        ),
        pytest.param(
            "智能眼镜网上卖得涨了多少",
            RESPECTIVELY,
            {"智能": 3.0, "眼镜": 4.0, "网上": 2.0, "涨": 1.0},  # 网上 is in the words every item shares: no pairing
            False,
            "183.5%和130.8%",
            id="respectively keeps the list when the items do not pair up",
        ),
        pytest.param(
            "百香果一天吃几个最好",
            "冬季的百香果略酸一些，一天建议吃三个。",
            {"百香果": 4.0, "一天": 1.0, "吃": 1.0},
            False,
            "三个",
            id="a vague amount is no count",
        ),
        pytest.param(
            "故宫几点清场",
            "故宫清场后被盗是在1959年8月15日，5点就关门。",
            {"故宫": 4.0, "清场": 4.0},
            False,
            "5点",
            id="what time asks for a time of day in any corpus",
        ),
        pytest.param(
            "在黑龙江做高寒试飞的是哪款直升机",
            "这几天，在黑龙江，多用途直升机AC332正在开展高寒试飞，未来它将成为航空应急救援的重要装备。",
            {"黑龙江": 3.0, "高寒": 4.0, "试飞": 3.0, "直升机": 2.0},
            False,
            "AC332",
            id="which model takes the model's code",
        ),
        pytest.param(
            "上半年轻工业营收这个数是哪家机构发布的",
            "中国轻工业联合会数据显示，上半年，我国轻工业延续回升向好态势。",
            {"上半年": 2.0, "轻工业": 5.0, "营收": 3.0, "发布": 1.0},
            False,
            "中国轻工业联合会",
            id="a body named after the question's subject answers who published it",
        ),
        pytest.param(
            "专机几点抵达拉萨",
            "专机20日中午抵达拉萨，在贡嘎机场降落的时间是12时许。",
            {"专机": 4.0, "抵达": 2.0, "拉萨": 3.0},
            True,
            "12时",
            id="what time is answered by the clock, not the part of the day",
        ),
        pytest.param(
            "法国梅里埃基金会的主席是谁",
            "国家主席习近平在北京会见法国梅里埃基金会主席梅里埃夫妇。",
            {"法国": 3.0, "梅里": 4.0, "基金会": 3.0, "主席": 2.0},
            False,
            "梅里埃",
            id="a name the question writes inside another name answers after the role asked",
        ),
        pytest.param(
            "王冠球场可以容纳多少名观众",
            "王冠球场是阿克宁顿的主场球场，可容5,057名观众，有2,000个坐席。",
            {"王冠": 3.0, "球场": 2.0, "容纳": 2.0, "观众": 3.0},
            False,
            "5,057名",
            id="a number written with thousands separators is one number",
        ),
        pytest.param(
            "唐昭宗讨伐李克用是在哪一年",
            "大顺元年（890年）八月，唐昭宗讨伐河东节度使李克用。",
            {"唐昭宗": 4.0, "讨伐": 2.0, "李克用": 4.0},
            False,
            "890年",
            id="which year is answered by a year, not a month",
        ),
        pytest.param(
            "辽阳那家饭店火灾死了几个人",
            "辽宁辽阳市白塔区一饭店发生火灾造成重大人员伤亡。",
            {"辽阳": 4.0, "饭店": 3.0, "火灾": 3.0},
            True,
            None,
            id="a lone 一 before a noun is an article, not a count",
        ),
        pytest.param(
            "江泽民故居在哪个城市",
            "故居位于江苏省扬州市广陵区东关街道。",
            {"江泽民": 4.0, "故居": 3.0, "城市": 1.0},
            True,
            "扬州",
            id="which city is answered by the city, without its province",
        ),
        pytest.param(
            "雪龙号回到哪个城市",
            "雪龙号返回中国上海。",
            {"雪龙": 4.0, "回到": 2.0},
            True,
            "上海",
            id="which city is answered by the city, without its country",
        ),
        pytest.param(
            "总台拍的那部专题片叫什么名字",
            "由总台制作的电视专题片《雪域情深——习近平总书记率中央代表团出席西藏自治区成立60周年庆祝活动纪实》今晚播出。",
            {"总台": 3.0, "专题片": 3.0},
            True,
            "雪域情深",
            id="a title with a subtitle is named by its main title",
        ),
    ],
)
def test_the_short_answer_a_unit_gives(
    question: str, text: str, weights: dict[str, float], dated: bool, short: str | None
) -> None:
    form = analyse_question(question)
    assert _typed_candidate(text, find_mentions(text), form, weights, sum(weights.values()), dated=dated)[0] == short


@pytest.mark.parametrize(
    ("question", "text", "place"),
    [
        ("安联球场在哪里", "安联球场是一座位于慕尼黑北部的专业足球场，2005年正式启用。", "慕尼黑北部"),
        ("会议在哪里召开", "22日，非洲地区高级别反恐会议在尼日利亚首都阿布贾召开。", "尼日利亚首都阿布贾"),
        ("西里龙生存于哪里", "西里龙是种恐龙，生存于三叠纪晚期卡尼阶的波兰，接近2亿年前。", "三叠纪晚期卡尼阶的波兰"),
        ("印度野驴栖息在哪儿", "印度野驴是栖息在南亚的亚洲野驴亚种。", "南亚"),
        ("巴鲁剌思氏主要分布在哪里", "巴鲁剌思氏主要分布于伊朗与中亚。", "伊朗与中亚"),
    ],
)
def test_where_is_answered_by_the_place_the_aligned_phrase_names(question: str, text: str, place: str) -> None:
    mentions = find_mentions(text)
    aligned = _aligned_span(text, analyse_question(question), mentions)
    assert aligned is not None and _place_phrase(aligned, text, mentions) == place


@pytest.mark.parametrize(
    ("question", "text", "place"),
    [
        ("总理是在哪见的外宾", "9日下午，国务院总理在钓鱼台国宾馆会见来华访问的外宾。", "钓鱼台国宾馆"),
        ("常务会议在哪开的", "李强在北京主持召开国务院常务会议。", "北京"),
        ("他俩在哪谈的", "习近平在会谈时指出，双方在上海同他谈及合作。", "上海"),
        ("遗体在哪火化的", "遗体在北京八宝山革命公墓火化。", "北京八宝山革命公墓"),
        ("模式产地在哪里", "该物种的模式产地在新赫布里底群岛。", None),  # 在哪里 names no verb
        ("他在哪所大学取得学位", "他在台湾大学法律学系取得学位。", None),  # 哪所: a noun is asked, not where it happened
    ],
)
def test_where_something_was_done_is_the_place_before_its_verb(question: str, text: str, place: str | None) -> None:
    assert _where_done(text, analyse_question(question), find_mentions(text)) == place


@pytest.mark.parametrize(
    ("question", "text", "found", "listed"),
    [
        ("米兰达拥有哪些国家的血统", "米兰达拥有英国、爱尔兰及法国血统。", "英国", "英国、爱尔兰及法国"),
        ("藏霞精舍供奉的都是谁", "精舍供奉观音、吕洞宾、北帝、关羽及孔子。", "吕洞宾", "观音、吕洞宾、北帝、关羽及孔子"),
        ("米兰达拥有哪些国家的血统", "米兰达拥有英国血统，也有法国朋友。", "英国", "英国"),
    ],
)
def test_which_ones_lists_every_item_named_with_the_one_found(question: str, text: str, found: str, listed: str) -> None:
    assert _whole_list(text, found, find_mentions(text), analyse_question(question)) == listed


@pytest.mark.parametrize(
    ("question", "text", "alias"),
    [
        (
            "阿留申白颊雁又被称作什么",
            "白颊雁，又名阿留申黑颊黑雁或阿留申鹅，是一个亚种。",
            "阿留申黑颊黑雁或阿留申鹅",
        ),
        ("大眼魣的俗名是什么", "大眼魣，又称大眼金梭鱼，俗名吹鱼，为辐鳍鱼纲的一种。", "吹鱼"),
        ("相对于体循环的另一种血液循环又叫什么", "另一种血液循环称为肺循环（又称为小循环）。", "小循环"),
        ("大眼魣是什么鱼", "大眼魣，又称大眼金梭鱼，俗名吹鱼，为辐鳍鱼纲的一种。", None),
    ],
)
def test_another_name_is_the_one_written_after_the_naming_word(question: str, text: str, alias: str | None) -> None:
    assert _alias(text, analyse_question(question)) == alias


def test_what_does_it_have_is_answered_by_what_follows_its_subject() -> None:
    features = analyse_question("这种底盘有什么特点")
    assert _aligned_span("这种底盘只适合在公路等良好路况下行驶。", features) == "只适合在公路等良好路况下行驶"
    which = analyse_question("这种底盘有哪些特点")  # a list: the typed spans find its items
    assert _aligned_span("这种底盘只适合在公路等良好路况下行驶。", which) is None


@pytest.mark.parametrize(
    ("question", "subject"),
    [("BA-6是什么", "ba-6"), ("什么是地声", "地声"), ("第八大道是一条什么样的街道", "第八大道"), ("元详的谥号是什么", None)],
)
def test_a_question_asking_what_something_is_names_it(question: str, subject: str | None) -> None:
    assert _defined_subject(analyse_question(question)) == subject


def test_what_something_is_is_what_the_text_says_it_is() -> None:
    form = analyse_question("BA-6是什么")
    assert _aligned_span("BA-6（）是苏联在1930年代早期研制的装甲车。", form) == "苏联在1930年代早期研制的装甲车"
    assert _aligned_span("在30年代早期，BA-6等装甲车可轻易击毁同期装甲车。", form) is None
    assert _aligned_span("美国化指的是本国的文化受到美国文化影响的情况。", analyse_question("美国化指的是什么")) == (
        "本国的文化受到美国文化影响的情况"
    )


def test_a_vague_time_is_no_question_word() -> None:
    which = analyse_question("普京说俄军前几天拿下了顿涅茨克哪个重镇")
    assert which.kind == "thing" and which.text[which.wh_start : which.wh_end] == "哪个"
    assert analyse_question("这几天来了多少人").kind == "quantity"


def test_the_name_after_the_questions_noun_answers_which_one() -> None:
    text = "他强调，俄军几天前完全控制顿涅茨克重镇恰索夫亚尔，这是事实。"
    form = analyse_question("俄军前几天完全控制了顿涅茨克哪个重镇")
    assert _aligned_span(text, form, find_mentions(text)) == "恰索夫亚尔"


def test_spoken_fillers_leave_the_question_covered(searcher: Searcher) -> None:
    spoken = answer(searcher, "伯西热克派出所搞了几支志愿者队伍")
    assert spoken.short_answer == "6支" and spoken.evidence["coverage"] == 1.0  # 搞 is how people talk, not a topic
    assert analyse_question("那个服务模式叫啥名").text.endswith("叫什么名字")


def test_a_title_the_aligned_phrase_ends_in_stays_whole() -> None:
    text = "座谈会上强调，要实施好《全民阅读促进条例》，推动全民阅读。"
    assert _aligned_span(text, analyse_question("座谈会上说要实施好哪个条例")) == "《全民阅读促进条例》"


def test_an_honour_in_quotes_is_not_the_body_that_holds_it() -> None:
    text = "今年3月,公安部命名莎车县公安局阿热勒派出所为全国第三批“枫桥式公安派出所”,该所所长李明介绍了经验。"
    weights = {"李明": 5.0, "单位": 2.0, "工作": 1.0}
    form = analyse_question("李明在哪个单位工作")
    assert _typed_candidate(text, find_mentions(text), form, weights, sum(weights.values()))[0] == "莎车县公安局阿热勒派出所"


@pytest.mark.parametrize(
    ("question", "text", "phrase"),
    [
        ("她辍学后做了什么", "16岁时辍学，在上海的一家纺织厂当学徒。", "上海的一家纺织厂当学徒"),
        ("系统升级后有什么变化", "去年系统升级，不再需要人工核对票据。", "不再需要人工核对票据"),
    ],
)
def test_what_was_done_is_what_the_text_writes_after_the_deed(question: str, text: str, phrase: str) -> None:
    assert _aligned_span(text, analyse_question(question)) == phrase


def test_what_time_keeps_the_time_the_text_writes_not_the_days_full_date() -> None:
    text = "计划于4月24日17时17分发射神舟二十号载人飞船。"
    dates = resolve_dates(text, "2025-04-23")
    at = next(m for m in find_mentions(text) + pattern_mentions(text) if text[m.start : m.end] == "4月24日17时17分")
    assert _date_of(at, dates, analyse_question("神舟二十号定的几点发射")) is None
    day = _date_of(at, dates, analyse_question("神舟二十号定的哪天发射"))
    assert day is not None and day.first == date(2025, 4, 24)


def test_a_machine_or_a_country_called_something_is_a_thing_not_a_person() -> None:
    assert analyse_question("拿第一的那台机器人叫啥").kind == "thing"
    assert analyse_question("这个国家叫什么").kind == "thing"
    assert analyse_question("那个发言人叫啥").kind == "person"


def _typed(question: str, text: str, terms: tuple[str, ...], dated: bool = False) -> str | None:
    weights = {t: 1.0 for t in terms if t in question}
    form = analyse_question(question)
    mentions = find_mentions(text) + pattern_mentions(text)
    return _typed_candidate(text, mentions, form, weights, sum(weights.values()), dated=dated)[0]


def test_a_role_asked_is_not_answered_by_its_deputy() -> None:
    form = analyse_question("北方国议会议长现在是谁")
    assert form.role == "议长"  # a word of time between the role and 是谁 leaves the role asked
    assert _typed("北方国议会议长现在是谁", "委员长会见北方国议会副议长张大明。", ("北方", "议会", "议长")) is None
    assert _typed("北方国议会副议长是谁", "委员长会见北方国议会副议长张大明。", ("北方", "议会", "副议长")) == "张大明"


def test_which_company_asks_for_a_body_and_where_an_abstract_noun_lies_is_open() -> None:
    assert analyse_question("他是在哪家物流公司上班的").kind == "org"
    assert analyse_question("这条新航线的优势在哪儿").kind is None
    assert analyse_question("会议在哪里召开").kind == "place"


@pytest.mark.parametrize(
    ("question", "text", "short"),
    [
        # the count in the counter asked, not a bare numeral counting something else beside it
        ("给湖北江西紧急调了多少件救灾物资", "有关部门向湖北、江西两省紧急调拨3.2万件中央救灾物资。", "3.2万件"),
        # people counted in 名 for 多少个, when what is counted follows the number
        ("大会表彰了多少个优秀乡村教师", "大会表彰了120名优秀乡村教师和30个先进集体。", "120名"),
        # but 多少个 with nothing after it counts in 个
        ("集体奖章授予了多少个", "授予张三等40名同志个人奖章，授予20个集体奖章。", "20个"),
    ],
)
def test_a_count_in_the_counter_asked_answers(question: str, text: str, short: str) -> None:
    terms = ("湖北", "江西", "紧急", "件", "救灾", "物资", "表彰", "优秀", "乡村", "教师", "集体", "奖章", "授予")
    assert _typed(question, text, terms, dated=True) == short


def test_what_the_question_sets_aside_is_not_the_answer() -> None:
    text = "会议讨论并通过《东湖保护条例（修订草案）》和《西山森林法（草案）》。"
    question = "除了东湖保护条例修订草案，会议还讨论了哪个法的草案"
    assert _typed(question, text, ("东湖", "保护", "条例", "会议", "讨论", "草案")) == "《西山森林法（草案）》"


@pytest.mark.parametrize(
    ("question", "text", "name"),
    [
        (
            "那个突击队获得的荣誉称号叫啥",
            "乐曲《歌唱祖国》声中，领导向获得“青年先锋突击队”荣誉称号的集体授旗。",
            "青年先锋突击队",
        ),
        ("人们在哪个雕塑前献花", "市民来到广场，在大型雕塑《春潮》前献上鲜花。", "《春潮》"),
    ],
)
def test_the_name_in_quotes_beside_the_noun_asked_answers(question: str, text: str, name: str) -> None:
    assert _quoted_beside(text, analyse_question(question)) == name


def test_which_time_is_counted_by_an_ordinal_of_the_same_counter_not_a_meetings_name() -> None:
    question, terms = "他这是第几次访问该国", ("访问", "该国")
    assert _typed(question, "他访问该国并出席峰会第十二次会议。", terms, dated=True) is None
    assert _typed(question, "该国第一副总理到机场迎接前来访问该国的他。", terms, dated=True) is None
    assert _typed(question, "这是他第三次访问该国。", terms, dated=True) == "第三次"


def test_which_university_is_answered_by_a_university() -> None:
    assert analyse_question("他在哪所大学取得了博士学位").kind == "org"
    text = "他在东海大学法律系及法律研究所取得学士、硕士学位，在南方理工大学获得博士学位。"
    assert _typed("他在哪所大学取得了博士学位", text, ("取得", "博士", "学位")) == "南方理工大学"


def test_a_title_after_a_preposition_names_the_country_the_question_names() -> None:
    text = "副总理访问哈萨克斯坦，同哈萨克斯坦第一副总理斯克利亚尔共同主持合作委员会会议。"
    assert _typed("斯克利亚尔在哈萨克斯坦是啥职务", text, ("斯克利亚尔", "哈萨克斯坦", "职务")) == "哈萨克斯坦第一副总理"


def test_the_side_a_question_names_with_na_bian_is_the_name_alone() -> None:
    assert analyse_question("马来西亚那边是谁祝贺的").text == "马来西亚是谁祝贺的"


def test_an_abbreviation_jieba_parts_is_found_whole() -> None:
    assert "社部" in tokenize("人社部部长是谁")  # jieba parts 人|社部
    assert _abbreviates(_with_char_before("人社部部长是谁", "社部"), "人力资源社会保障部")
    assert analyse_question("那位人社部部长是谁").text == "人社部部长是谁"


def test_a_name_asked_of_a_person_word_is_answered_only_by_a_person() -> None:
    form = analyse_question("那个当过人大代表的外卖小哥叫啥名字")
    assert form.kind == "person" and _strict(form)  # 小哥 is a person; 叫什么名字 asks for a name
    assert not _strict(analyse_question("主要授粉者是谁"))  # a bare 谁 may be answered by anything named


def test_an_aligned_phrase_is_in_quotes_only_where_it_opens_or_holds_one() -> None:
    text = "他获得了“全国劳动模范”等荣誉，并当选为代表。“感谢大家”，他说。"
    assert _in_quotes(text, "全国劳动模范")
    assert not _in_quotes(text, "并当选为代表")  # a quotation later in the unit is not this phrase's


def test_what_a_person_or_a_body_is_called_asks_for_its_name() -> None:
    assert analyse_question("一汽有个技师手艺特别好，他叫啥").kind == "person"
    assert analyse_question("那个被叫作象爸爸的兽医叫啥名字").kind == "person"
    assert analyse_question("总书记去看的那家化工企业叫啥").kind == "org"
    assert analyse_question("任命他用的是国务院第几号令").kind == "quantity"  # an ordinal, not a day
    assert analyse_question("她今年多大岁数了").measure == "age"


def test_a_name_leaves_the_title_and_the_punctuation_the_analyser_gave_it() -> None:
    text = "委员长同东国议长塔米拉斯举行会谈。"
    start = text.index("长塔")
    whole = _joined(text, [], Mention(start, start + 5, "person"))
    assert text[whole.start : whole.end] == "塔米拉斯"
    text = "他就是救护中心兽医师林朝安。"
    start = text.index("师林")
    whole = _joined(text, [], Mention(start, len(text), "person"))
    assert text[whole.start : whole.end] == "林朝安"


def test_which_day_drops_the_hour_the_text_writes() -> None:
    text = "东湖市宣布，自2031年6月1日零时起，公交地铁恢复运行。"
    start = text.index("2031")
    span = Mention(start, text.index("起"), "time")
    assert _complete(text, span, analyse_question("公交地铁哪天恢复运行"), dated=True) == "2031年6月1日"


def test_the_words_before_which_body_may_begin_its_name() -> None:
    question = "东方合作基金发物资是跟联合国哪个机构一起弄的"
    text = "上一批物资分发后，联合国粮农署感谢东方合作基金持续提供援助。"
    assert _typed(question, text, ("基金", "联合国", "物资")) == "联合国粮农署"
    # a body LAC runs into the question's own subject (东方合作基金同…) is no name of the one asked
    text = "东方合作基金同联合国粮农署合作援助物资分发仪式在北湖举行。"
    assert _typed(question, text, ("基金", "联合国", "物资")) == "联合国粮农署"
    # the noun after the question word is no subject: the answer may end in it
    text = "北湖十号组合体垂直转运至南山卫星发射中心发射区。"
    assert _typed("北湖十号组合体在哪个发射中心转运", text, ("北湖", "组合体", "转运")) == "南山卫星发射中心"


def test_a_person_named_after_the_questions_own_body_and_role_is_the_one_asked() -> None:
    form = analyse_question("那会儿接受专访讲减税往前发力的东方部副部长是哪位")
    text = "今天的权威访谈，来看对东方部副部长林宏才的专访。"
    hit = Hit(1, "c1", "a1", "访谈", None, None, None, text, 1.0, row=0)
    assert _titled_person(form, _Unit(hit, text, 1.0, 0.4, 0.4, "林宏才"))
    assert not _titled_person(form, _Unit(hit, "来看对西方部副部长林宏才的专访。", 1.0, 0.4, 0.4, "林宏才"))
    # a part of the body asked (检察院 of 最高人民检察院) is another body
    form = analyse_question("最高人民检察院检察长是谁")
    assert not _titled_person(form, _Unit(hit, "自治区检察院检察长林宏才出席会议。", 1.0, 0.4, 0.4, "林宏才"))


def test_cases_count_people() -> None:
    assert _unit_fits("1962例", "people")
    text = "东国单日新增死亡病例为1962例，累计死亡超过99万。"
    assert _typed("东国单日新增死亡多少例", text, ("东国", "单日", "新增", "死亡")) == "1962例"


def test_a_query_ending_in_a_word_for_a_person_asks_for_one() -> None:
    assert analyse_question("18世纪英国的讽刺作家是").kind == "person"
    assert analyse_question("那部电视剧里团长的原型").kind == "person"


def test_which_county_of_a_province_is_the_county_alone() -> None:
    text = "北山矿安置项目位于内蒙古固阳县，共安置居民两千户。"
    assert _typed("那个北山矿安置项目在内蒙古哪个县", text, ("北山", "安置", "项目", "内蒙古")) == "固阳县"


def test_a_body_inside_the_questions_subject_is_no_answer() -> None:
    text = "由国家防疫局组派的中国政府援外卫生防疫队今天启程赴北湖协助开展灾后卫生防疫工作。"
    assert _typed("去北湖那支卫生防疫队是哪个部门派的", text, ("北湖", "卫生", "防疫队", "派")) == "国家防疫局"


def test_when_something_starts_is_the_day_marked_as_its_start() -> None:
    text = "北湖噪声条例于2031年12月通过，将于2032年6月5日起施行。"
    assert _typed("北湖噪声条例啥时候开始施行", text, ("北湖", "噪声", "条例", "施行")) == "2032年6月5日"
    assert _typed("北湖噪声条例是啥时候通过的", text, ("北湖", "噪声", "条例", "通过")) == "2031年12月"


def test_a_full_name_asked_is_the_name_written_whole() -> None:
    hit = Hit(1, "c1", "a1", "纲要", None, None, None, "", 1.0, row=0)
    short = _Unit(hit, "《纲要》明确了发展目标。", 1.0, 0.6, 0.5, "《纲要》")
    whole = _Unit(hit, "国务院印发《北湖发展纲要（2031－2035年）》。", 0.9, 0.6, 0.4, "《北湖发展纲要（2031－2035年）》")
    assert _whole_name(short, [short, whole], analyse_question("那个纲要全名叫啥")) is whole
    assert _whole_name(short, [short, whole], analyse_question("那个纲要叫啥")) is short


def test_a_school_named_after_the_places_the_question_names_is_its_own_name() -> None:
    assert analyse_question("他在西雅图参观过的那所美国中学叫啥").kind == "org"
    text = "2015年主席参观美国华盛顿州西雅图市林肯中学时，邀请该中学学生到中国做客。"
    assert _typed("主席2015年在西雅图参观过的那所美国中学叫啥", text, ("主席", "西雅图", "参观", "美国", "中学")) == "林肯中学"


def test_what_someone_said_is_an_open_question() -> None:
    assert analyse_question("高继明在会上强调了什么？").kind is None
    assert analyse_question("他说了啥").kind is None
    assert analyse_question("他提出了什么倡议").kind == "thing"  # a named thing he proposed
    assert analyse_question("这门课程主要强调什么？").kind == "thing"  # no one speaks: what the course stresses


def test_what_a_person_said_is_answered_by_the_unit_where_they_speak(searcher: Searcher) -> None:
    reply = answer(searcher, "高继明在会上强调了什么？")
    assert not reply.abstained and reply.answer.startswith("高继明指出")  # not the lead's 出席会议并讲话


def test_a_person_holding_another_office_does_not_answer_for_the_role_asked() -> None:
    terms = ("东海", "论坛", "秘书长")
    # the office written before the name is another one; the role asked is that of another body, and a former one
    text = "出席的还有东海论坛理事长、北洋联盟前秘书长林安国。"
    assert _typed("东海论坛的秘书长是谁", text, terms) is None
    assert _typed("东海论坛的理事长是谁", text, ("东海", "论坛", "理事长")) == "林安国"
    # titles joined by 、 belong to one person: the role asked among them answers
    text = "首先发言的南州政协委员、南州博物馆馆长林安国说，……"
    assert _typed("南州政协的委员里谁先发言", text, ("南州", "政协", "委员", "发言")) == "林安国"


def test_the_number_written_after_the_word_asked_answers() -> None:
    # 主跨有多长: the word the question writes before its question word names the number written after it
    text = "南江大桥全长2100米、主跨560米，是当地最长的桥。"
    assert _typed("南江大桥主跨有多长", text, ("南江", "大桥", "主跨")) == "560米"
    # 实到了多少委员: what is counted (委员) is not what happened to it (实到)
    text = "会议应出席委员2100人，实到2050人，符合规定人数。"
    assert _typed("会议实到了多少委员", text, ("会议", "实到", "委员")) == "2050人"


def test_a_phrase_restating_the_question_does_not_answer_who() -> None:
    form = analyse_question("纪念孙中山逝世98周年那个仪式是谁主持的")
    text = "首都各界人士举行简短而庄严的仪式，纪念孙中山先生逝世98周年，深切缅怀这位先行者。"
    phrase = _aligned_span(text, form, find_mentions(text), defining=False)
    terms = tokenize(form.text)
    assert phrase and _restates(phrase, terms)  # the phrase where 谁 stands says what the question says
    assert not _restates("加拿大总督委任", tokenize("名义上加拿大总理一职由谁委任"))  # it names who


def test_the_first_of_a_kind_is_found_written_with_shou(tmp_path: Path) -> None:
    articles = [
        Article("wind", "南州首个海上风电项目启动建设", "南州首个海上风电项目昨天在北港市启动建设。项目规划装机容量180万千瓦。"),
        Article("rail", "南州铁路建设加快", "南州多条铁路加快建设，其中南北铁路已完成投资70%。"),
    ]
    searcher = searcher_over(articles, tmp_path)
    reply = answer(searcher, "南州第一个海上风电项目是在哪个城市开工的")
    assert not reply.abstained and reply.short_answer == "北港市"


def test_a_place_below_the_level_asked_does_not_answer() -> None:
    text = "副总理来到灾情最严重的南山镇林家村，看望受灾群众。"
    assert _typed("副总理去北省哪个县看望受灾群众了", text, ("副总理", "北省", "看望", "受灾", "群众")) is None
    text = "副总理来到北省东平县南山镇，看望受灾群众。"
    assert _typed("副总理去北省哪个县看望受灾群众了", text, ("副总理", "北省", "看望", "受灾", "群众")) is not None


def test_the_office_of_the_person_asked_about_is_not_the_body_asked_for() -> None:
    text = "南州政府党组成员、南州政府副主任张国清在北港调研，来到北港制药集团了解新药研发。"
    terms = ("张国清", "北港", "调研", "药企")
    assert _typed("张国清在北港调研去了哪家药企", text, terms) == "北港制药集团"
    text = "南州政府党组成员、南州政府副主任张国清在北港调研生物医药产业。"
    assert _typed("张国清在北港调研去了哪家药企", text, terms) is None
    # asked which body the person belongs to, the office is the answer
    assert _typed("副主任张国清是哪个单位的", text, ("副主任", "张国清", "单位")) == "南州政府"
    assert _typed("张国清担任哪个部门的副主任", text, ("张国清", "部门", "副主任")) == "南州政府"


def test_people_are_counted_in_ming_and_wei_as_well_as_ren() -> None:
    terms = ("采购商", "境外")
    text = "有来自214个国家和地区的25.3万名境外采购商线下参会。"
    assert _typed("境外采购商来了多少人", text, terms, dated=True) == "25.3万名"
    text = "有来自214个国家和地区的境外采购商线下参会。"
    assert _typed("境外采购商来了多少人", text, terms, dated=True) is None  # 214个 counts countries


def test_many_is_no_count() -> None:
    terms = ("航天员", "实验")
    assert _typed("航天员做了多少项实验", "目前，三名航天员状态良好，多项实验进展顺利。", terms) is None
    assert _typed("航天员做了多少项实验", "三名航天员将开展86项实验。", terms) == "86项"


def test_which_three_people_asks_who() -> None:
    assert analyse_question("神十九乘组是哪三个人").kind == "person"
    assert analyse_question("获奖的是哪两位").kind == "person"
    assert analyse_question("德国这次大选哪个党赢了").kind == "org"  # a party is a body
    assert analyse_question("哪个党员获得了表彰").kind != "org"


def test_why_is_answered_by_the_sentence_that_gives_the_cause(tmp_path: Path) -> None:
    text = (
        "南州航天局今天宣布，鹊桥三号中继星在轨工作正常，鹊桥三号中继星任务取得圆满成功。"
        "鹊桥三号中继星发射升空后，经过中途修正、近月制动，进入环月轨道。"
        "鹊桥三号中继星重约1.2吨，发射后将在环月轨道长期运行。"
        "之所以需要鹊桥三号，是因为降落在月球背面的探测器无法直接和地球通信。"
    )
    searcher = searcher_over([Article("relay", "鹊桥三号中继星任务取得圆满成功", text)], tmp_path)
    reply = answer(searcher, "为什么要发射鹊桥三号中继星")
    assert not reply.abstained and "之所以需要鹊桥三号" in reply.answer.split("[1]")[1]  # right after the lead
    assert "之所以" not in answer(searcher, "鹊桥三号中继星任务怎么样了").answer.split("[1]")[1]  # no cause asked


def test_a_clock_named_after_a_city_is_no_place() -> None:
    text = "北京时间今天上午，在南美国举办的联合国旅游组织执行委员会第122次会议上，公布了最佳旅游乡村名单。"
    terms = ("名单", "国际组织", "公布", "最佳", "旅游", "乡村")
    form = analyse_question("最佳旅游乡村名单是哪个国际组织公布的")
    assert form.kind == "org"  # not 哪个国 (a place)
    _, _, span = _typed_candidate(text, find_mentions(text), form, {t: 1.0 for t in terms}, len(terms))
    assert span is not None and _complete(text, span, form) == "联合国旅游组织"  # the body asked, not its committee
    assert _typed("北京时间几点在哪个城市举办", "北京时间今天上午，会议在南美国举办。", ("举办",)) != "北京"


def test_a_unit_is_taken_only_where_the_word_ends() -> None:
    text = "两国元首分别致辞。"
    assert _with_unit(text, Mention(0, 2, "quantity"), "money") == Mention(0, 2, "quantity")  # 元首 is no 元
    text = "组合体转运用时约两个小时。"
    at = text.index("约")
    assert _with_unit(text, Mention(at, at + 3, "quantity"), "duration").end == text.index("。")


def test_short_answers_end_where_the_name_or_count_does() -> None:
    text = "中国选手赵丹以2分04秒27的成绩夺得冠军。"
    at = text.index("赵丹")
    form = analyse_question("拿女子冠军的那个中国姑娘叫什么")
    assert _complete(text, Mention(at, at + 2, "person"), form) == "赵丹"  # jieba's 赵丹以 glues 以 on
    text = "车流总量已累计突破1091万车次。"
    at = text.index("1091")
    assert _complete(text, Mention(at, at + 5, "quantity"), analyse_question("累计走了多少车次")) == "1091万车次"


def test_pieces_of_medals_are_no_money() -> None:
    assert analyse_question("中国代表团拿了几块金牌").measure == "块"
    assert analyse_question("这瓶水几块钱").measure == "money"


def test_a_chief_executive_is_asked_as_tequ_shou() -> None:
    form = analyse_question("新上任的澳门特首叫啥名字")
    assert form.kind == "person" and form.role == "特首"
    text = "习近平会见了新当选的澳门特别行政区第六任行政长官岑浩辉。"
    assert _typed("新上任的澳门特首叫啥名字", text, ("澳门", "特首", "上任")) == "岑浩辉"


def test_a_model_code_may_begin_with_chinese() -> None:
    text = "首次亮相的歼-15D舰载战斗机、首次展出的红旗-19地空导弹，以及C919客机。"
    assert [text[m.start : m.end] for m in _model_codes(text)] == ["歼-15D", "红旗-19", "C919"]
    assert _model_codes("1-8月") == [] and _model_codes("5月-6月") == []  # ranges of months


def test_a_one_character_noun_counted_is_no_event() -> None:
    form = analyse_question("伊斯坦布尔那场火灾死了几个人")
    weights = {"伊斯坦布尔": 6.0, "火灾死": 7.0, "人": 1.0}
    assert _event_word(form, weights) == "火灾死"
