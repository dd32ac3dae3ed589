"""Follow-up questions: the rewrite rules on their own, and whole conversations with the real encoder and index."""

import pytest

from retrieval.answer import answer, cited_articles
from retrieval.conversation import Turn, leans_on_context, rewrite
from retrieval.search import Searcher

LEAD = "自治区高院院长迪里夏提·沙依木、自治区检察院检察长高继明出席会议并讲话。[1]"


def test_a_question_that_stands_alone_is_left_alone() -> None:
    history = [Turn("自治区检察院检察长是谁？", LEAD, "高继明")]
    assert not rewrite("神舟十八号是哪天发射的？", history).rewritten
    assert rewrite("神舟十八号是哪天发射的？", history).question == "神舟十八号是哪天发射的？"


def test_a_pronoun_takes_the_previous_short_answer() -> None:
    history = [Turn("自治区检察院检察长是谁？", LEAD, "高继明")]
    result = rewrite("他在会上强调了什么？", history)
    assert result.question == "高继明在会上强调了什么？" and result.reason == "“他”指高继明"


def test_without_a_short_answer_the_name_is_read_from_the_answer_text() -> None:
    # What an HTTP client sends: only question and answer.
    history = [Turn("自治区高院院长是谁？", LEAD)]
    assert rewrite("他在会上强调了什么？", history).question == "迪里夏提·沙依木在会上强调了什么？"


def test_a_demonstrative_takes_the_phrase_it_abbreviates() -> None:
    history = [Turn("伯西热克派出所组建了几支志愿者队伍？", "……6支……", "6支")]
    assert rewrite("该所所长叫什么名字？", history).question == "伯西热克派出所所长叫什么名字？"


def test_that_x_asks_the_previous_question_about_x() -> None:
    history = [Turn("神舟十六号是哪天发射的？", "……", "2023年5月30日")]
    assert rewrite("那神舟十七号呢？", history).question == "神舟十七号是哪天发射的？"


def test_this_country_after_which_kind_of_country_is_the_country_answered() -> None:
    history = [Turn("今年是中国和哪个非洲国家建交40周年", "……", "北非国")]
    assert rewrite("这个国家的总统叫什么", history).question == "北非国的总统叫什么"
    history = [Turn("南州哪个汽车公司的董事长是谁", "……", "林安国")]  # a person answered: 这个公司 is not him
    assert "林安国" not in rewrite("这个汽车公司在哪", history).question


def test_that_x_after_a_count_replaces_what_was_counted() -> None:
    history = [Turn("十四届人大一次会议秘书处收到多少件议案", "……", "271件")]
    assert rewrite("那建议呢？", history).question == "十四届人大一次会议秘书处收到多少件建议？"
    history = [Turn("新增确诊多少例", "……", "5例")]
    assert rewrite("那死亡呢", history).question == "新增死亡多少例？"


def test_that_year_asks_the_previous_question_about_another_time() -> None:
    history = [Turn("2023年春运是哪天启动的", "……今天（1月7日〔2023年1月7日〕）启动。[1]", "2023年1月7日")]
    assert rewrite("那2024年呢？", history).question == "2024年春运是哪天启动的？"
    assert rewrite("去年的呢", history).question == "去年春运是哪天启动的？"
    untimed = [Turn("春运是哪天启动的", "……启动。[1]", "2026年2月2日")]
    assert rewrite("那2025年呢？", untimed).question == "2025年春运是哪天启动的？"


@pytest.mark.parametrize("follow_up", ["还有呢？", "具体说说"])
def test_bare_follow_ups_ask_about_the_same_subject(follow_up: str) -> None:
    history = [Turn("全区公安机关开展了什么行动？", "……", "百日行动", article_ids=("a1",))]
    result = rewrite(follow_up, history)
    assert result.rewritten and "全区公安机关" in result.question and result.prefer_articles == ("a1",)


def test_a_follow_up_is_answered_about_the_previous_subject(searcher: Searcher) -> None:
    first = answer(searcher, "伯西热克派出所组建了几支志愿者队伍？")
    history = [Turn(first.question, first.answer, first.short_answer, first.standalone_question)]
    reply = answer(searcher, "该所所长叫什么名字？", history=history)
    assert reply.standalone_question == "伯西热克派出所所长叫什么名字？"
    assert not reply.abstained and reply.short_answer == "张宝"


def test_that_x_is_never_answered_with_the_previous_subjects_figure(searcher: Searcher) -> None:
    first = answer(searcher, "伯西热克派出所组建了几支志愿者队伍？")
    ids = tuple(c.article_id for c in first.citations)
    history = [Turn(first.question, first.answer, first.short_answer, first.standalone_question, ids)]
    assert first.short_answer == "6支"
    reply = answer(searcher, "那乌什县公安局呢？", history=history)
    assert reply.standalone_question == "乌什县公安局组建了几支志愿者队伍？"
    assert reply.abstained or "乌什县公安局" in reply.answer
    assert rewrite("那乌什县公安局呢？", history).subject == "乌什县公安局"


def test_single_questions_answer_exactly_as_without_history(searcher: Searcher) -> None:
    alone = answer(searcher, "福海县司法局党组书记是谁？")
    after_other = answer(searcher, "福海县司法局党组书记是谁？", history=[Turn("自治区检察院检察长是谁？", LEAD, "高继明")])
    assert (after_other.answer, after_other.short_answer) == (alone.answer, alone.short_answer)
    assert after_other.standalone_question == after_other.question


def test_that_school_takes_the_name_and_drops_the_common_noun() -> None:
    history = [Turn("丁薛祥去了哪所民办高校？", "丁薛祥来到山西应用科技学院。[1]", "山西应用科技学院")]
    assert rewrite("那所学校在哪？", history).question == "山西应用科技学院在哪？"


def test_a_follow_up_about_the_cited_article_needs_no_strong_cosine(searcher: Searcher) -> None:
    first = answer(searcher, "塔依尔·米吉提获得了什么称号？")
    ids = tuple(c.article_id for c in first.citations)
    history = [Turn(first.question, first.answer, first.short_answer, first.standalone_question, ids)]
    reply = answer(searcher, "他在哪个单位工作？", history=history)
    assert reply.standalone_question == "塔依尔·米吉提在哪个单位工作？"
    assert not reply.abstained and reply.short_answer == "乌什县公安局"


def test_this_edition_takes_the_whole_name_it_stands_for() -> None:
    history = [Turn("哈尔滨亚冬会哪天开幕啊", "……", "2025年2月7日", "哈尔滨亚冬会哪天开幕啊")]
    assert rewrite("这届赛程一共几天", history).question == "哈尔滨亚冬会赛程一共几天"


def test_they_may_be_the_body_the_previous_answer_named() -> None:
    history = [Turn("哪个部门发布了这个数据", "……", "国家统计局", "哪个部门发布了这个数据")]
    assert rewrite("他们什么时候发布的", history).question == "国家统计局什么时候发布的"


def test_a_leading_that_before_a_pronoun_is_dropped() -> None:
    history = [Turn("来北京会谈的文莱苏丹叫什么名字", "……", "哈桑纳尔", "来北京会谈的文莱苏丹叫什么名字")]
    assert rewrite("那他这次来华是啥访问", history).question == "哈桑纳尔这次来华是啥访问"


def test_that_side_asks_about_x_itself() -> None:
    history = [Turn("全国现在有多少个国家历史文化名城", "……", "142座", "全国现在有多少个国家历史文化名城")]
    reply = rewrite("传统村落那边呢", history)
    assert reply.subject == "传统村落" and "那边" not in reply.question


def test_in_all_is_no_subject() -> None:
    history = [Turn("哈尔滨机场给亚冬会开了几条专用通道", "……", "3条", "哈尔滨机场给亚冬会开了几条专用通道")]
    assert rewrite("一共会有多少人入境啊", history).question.startswith("哈尔滨机场")


def test_a_short_typed_question_naming_no_one_continues_the_previous_one() -> None:
    history = [Turn("马拉松比赛上周在哪个城市举行", "……", "扬州", "马拉松比赛上周在哪个城市举行")]
    assert rewrite("赛道全长多少？", history).question.startswith("马拉松比赛")
    assert rewrite("北京的赛道全长多少？", history).question == "北京的赛道全长多少？"  # it names its own subject


def test_a_history_sent_as_text_finds_the_articles_it_quoted(searcher: Searcher) -> None:
    first = answer(searcher, "塔依尔·米吉提获得了什么称号？")
    assert not first.abstained
    assert cited_articles(searcher, first.answer) == tuple(dict.fromkeys(c.article_id for c in first.citations))
    assert cited_articles(searcher, first.answer.replace("塔依尔", "某某")) == ()  # no article writes that quote
    # what an HTTP client sends: the question and the answer text, no short answer, no article ids
    reply = answer(searcher, "他在哪个单位工作？", history=[Turn(first.question, first.answer)])
    assert reply.standalone_question == "塔依尔·米吉提在哪个单位工作？"
    assert not reply.abstained and reply.short_answer == "乌什县公安局"


@pytest.mark.parametrize(
    ("previous", "short", "follow_up", "standalone"),
    [
        ("荷兰外交大臣说两国合作的重点是啥", "半导体", "他叫啥", "荷兰外交大臣叫啥"),
        ("智利副总统这次来上海是参加啥会", None, "她叫什么名字", "智利副总统叫什么名字"),
    ],
)
def test_he_is_the_role_the_previous_question_named_when_it_named_no_one(
    previous: str, short: str | None, follow_up: str, standalone: str
) -> None:
    assert rewrite(follow_up, [Turn(previous, "……", short, previous)]).question == standalone


def test_the_two_of_them_are_both_people_named() -> None:
    for pair in ("普京和拜登", "李强和黄循财"):
        history = [Turn(f"{pair}哪天见的面", "……", "5月3日", f"{pair}哪天见的面")]
        assert rewrite("他俩谈了什么", history).question == f"{pair}谈了什么"


@pytest.mark.parametrize(
    ("previous", "follow_up", "standalone"),
    [
        ("台风摩羯已经造成多少人受伤", "这场台风海南转移了多少人", "台风摩羯海南转移了多少人"),
        ("人大常委会第十二次会议定在哪几天开", "这次会要审哪些草案", "人大常委会第十二次会议要审哪些草案"),
    ],
)
def test_this_noun_takes_the_previous_questions_phrase_with_that_noun(previous: str, follow_up: str, standalone: str) -> None:
    assert rewrite(follow_up, [Turn(previous, "……", None, previous)]).question == standalone


def test_this_event_is_the_previous_questions_event_not_the_place_it_answered() -> None:
    history = [Turn("杭州亚运会龙舟比赛在哪个湖举行", "……", "西湖", "杭州亚运会龙舟比赛在哪个湖举行")]
    assert rewrite("这个项目有多少运动员参赛", history).question == "杭州亚运会龙舟比赛有多少运动员参赛"
    assert rewrite("这个湖有多大", history).question == "西湖有多大"


def test_a_demonstratives_noun_written_in_the_answer_is_not_repeated() -> None:
    history = [Turn("上海制定了什么方案", "……", "全市学习教育实施方案", "上海制定了什么方案")]
    assert rewrite("这个方案细化了多少项举措", history).question == "全市学习教育实施方案细化了多少项举措"


def test_a_demonstrative_after_a_clause_points_at_nothing_said_before() -> None:
    history = [Turn("总理访问泰国是几号", "……", "25日", "总理访问泰国是几号")]
    assert not rewrite("上个月袭击日本的那个台风叫啥", history).rewritten


def test_a_question_with_a_demonstrative_after_a_clause_stands_on_its_own() -> None:
    assert leans_on_context("那个大展叫啥名字")
    assert not leans_on_context("故宫建院一百年搞的那个大展叫啥名字")


@pytest.mark.parametrize(
    ("previous", "answer_text", "follow_up", "standalone"),
    [
        (
            "哪个机构发布了这份报告？",
            "央视网消息（新闻联播）：国家统计局今天发布报告，显示经济平稳运行。[1]",
            "它还发布了什么",
            "国家统计局还发布了什么",
        ),
        (
            "全球最快的高铁列车是哪个型号",
            "央视网消息（新闻联播）：CR450动车组今天亮相。[1]",
            "它运营时速能到多少",
            "全球最快的高铁列车运营时速能到多少",
        ),
    ],
)
def test_a_text_only_history_never_takes_the_dateline_for_the_answer(
    previous: str, answer_text: str, follow_up: str, standalone: str
) -> None:
    assert rewrite(follow_up, [Turn(previous, answer_text)]).question == standalone


@pytest.mark.parametrize(
    ("previous", "short", "follow_up", "standalone"),
    [
        ("修订后的传染病防治法哪天开始施行", "9月1日", "那民营经济促进法呢？", "修订后的民营经济促进法哪天开始施行？"),
        ("自治区高院院长是谁", "迪里夏提·沙依木", "那检察院呢？", "自治区检察院院长是谁？"),
        ("第五届消博会在哪开", "海口", "这届的主宾省是哪个", "第五届消博会的主宾省是哪个"),
        ("第135届广交会有多少家企业参展？", "2.9万家", "这届广交会总展览面积多大？", "第135届广交会总展览面积多大？"),
        ("C909在老挝首次商业飞行是哪天", "4月12日", "那它一共交付了多少架", "C909一共交付了多少架"),
        ("第136届广交会首批参展样品来自哪个国家", "泰国", "这届广交会哪天闭幕", "第136届广交会哪天闭幕"),
        # a name jieba does not tag as a person (李强: nrfg) is found by the analyser
        ("李强去新加坡参加东盟会议，降落在哪个机场", "樟宜机场", "访问期间他还要出席什么活动", "访问期间李强还要出席什么活动"),
    ],
)
def test_a_follow_up_takes_the_whole_name_it_replaces_or_points_at(
    previous: str, short: str, follow_up: str, standalone: str
) -> None:
    assert rewrite(follow_up, [Turn(previous, "……", short, previous)]).question == standalone


def test_he_after_which_countrys_president_is_that_countrys_president() -> None:
    asked = "总理在峰会前见了哪国总统？"
    text = "央视网消息（新闻联播）：当地时间5月3日晚，国务院总理在北湖出席东方合作组织峰会前会见阿塞拜疆总统阿利耶夫。[1]"
    follow = "他说两国贸易今年增长了多少？"
    assert rewrite(follow, [Turn(asked, text, "阿塞拜疆")]).question == "阿塞拜疆总统说两国贸易今年增长了多少？"
    assert rewrite(follow, [Turn(asked, text)]).question == "阿塞拜疆总统说两国贸易今年增长了多少？"  # text only (HTTP)


def test_this_country_after_which_country_is_the_country_answered() -> None:
    asked = "6月2号主席跟哪个国家总统互致贺电？"
    follow = "那这个国家的总理叫啥？"
    assert rewrite(follow, [Turn(asked, "……", "北湖", asked)]).question == "北湖的总理叫啥？"
    # a name ending in 国 takes the place of the whole noun (中非共和国的, not 中非共和国家的)
    assert rewrite(follow, [Turn(asked, "……", "北湖共和国", asked)]).question == "北湖共和国的总理叫啥？"
    # a person answered is no country: the question's own words stay the referent
    visitor = "哪位外国总统来访了？"
    assert not rewrite(follow, [Turn(visitor, "……", "张大明", visitor)]).question.startswith("张大明")


@pytest.mark.parametrize(
    ("previous", "follow_up", "standalone"),
    [
        ("5月6号东国单日新增确诊多少例？", "那死亡呢？", "5月6号东国单日新增死亡多少例？"),
        ("6月3号全国新增本土确诊多少例？", "无症状的呢？", "6月3号全国新增本土无症状多少例？"),
    ],
)
def test_that_x_of_a_count_replaces_the_event_counted(previous: str, follow_up: str, standalone: str) -> None:
    assert rewrite(follow_up, [Turn(previous, "……", "12例", previous)]).question == standalone


def test_a_question_naming_nothing_continues_the_story_its_words_are_in() -> None:
    story = (
        "第136届广交会今天闭幕。本届广交会有来自214个国家和地区的25.3万名境外采购商线下参会，与越南互换照会的换文仪式在昆明举行。"
    )
    history = [Turn("第136届广交会哪天闭幕的？", "……", "11月4日", "第136届广交会哪天闭幕的？", ("a1",))]
    for follow_up in ("境外采购商来了多少人？", "那换文仪式是在哪办的？"):
        result = rewrite(follow_up, history, context=story)
        assert result.question.startswith("第136届广交会") and "那换" not in result.question
        assert result.prefer_articles == ("a1",)
    assert not rewrite("汽油零售价格一共上调了多少钱？", history, context=story).rewritten  # words the story does not write
    assert not rewrite("北京的采购商来了多少人？", history, context=story).rewritten  # a name of its own
    assert not rewrite("境外采购商来了多少人？", history).rewritten  # no story to read it against


def test_they_after_which_people_is_the_group_asked_about() -> None:
    history = [Turn("神十九乘组是哪三个人？", "……", "蔡旭哲、宋令东、王浩泽", "神十九乘组是哪三个人？")]
    assert rewrite("他们这次要做多少项试验？", history).question == "神十九乘组这次要做多少项试验？"
    single = [Turn("神十九乘组的指令长是谁？", "……", "蔡旭哲", "神十九乘组的指令长是谁？")]
    assert rewrite("他是哪里人？", single).question == "蔡旭哲是哪里人？"
