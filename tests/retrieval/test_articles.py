"""Ingestion: metadata and boilerplate of the seed pages, other formats, and broken files."""

import gzip
import json
from pathlib import Path

import pytest

from retrieval.articles import clean_id, load_articles, normalize_date, parse_web_text
from retrieval.chunks import chunk_article
from retrieval.errors import CorpusError
from tests.conftest import SEEDS


@pytest.fixture(scope="module")
def seeds() -> dict:
    ingest = load_articles([SEEDS])
    assert ingest.failures == []
    return {a.id: a for a in ingest.articles}


def test_seed_metadata_is_extracted(seeds: dict) -> None:
    first = seeds["000_3f7618c90cdecb59"]
    assert first.title == "自治区高院、检察院举行首次交流会商会"
    assert first.source == "新疆平安网"
    assert first.author is None  # 佚名 = anonymous
    assert first.date == "2023-12-16"
    assert first.url == "http://www.xjpeace.cn/content/2023-12/15/content_49975.html"

    second = seeds["004_579abd0b5bbce8c2"]
    assert second.title.startswith("履职尽责 谱写全面依法治疆新篇章——")
    assert second.source == "石榴云/新疆法制报"
    assert second.author == "房佳伟 王晨 古雪丽 张蕾 韩晋"
    assert second.date == "2022-09-14"
    assert second.url is None


def test_seed_body_keeps_the_story_and_drops_boilerplate(seeds: dict) -> None:
    first = seeds["000_3f7618c90cdecb59"].text
    assert first.startswith("新疆平安网讯 12月14日下午")
    assert first.endswith("相关部门负责同志参会。")
    second = seeds["004_579abd0b5bbce8c2"].text
    assert second.startswith("旗帜引领航向,使命催征奋进。")
    assert "塔依尔·米吉提说。" in second
    for text in (first, second):
        for junk in (
            "欢迎访问",
            "当前所在",
            "免责声明",
            "ICP",
            "联系电话",
            "邮箱",
            "QQ",
            "版权所有",
            "办公区",
            "责任编辑",
            "原文链接",
            "来源:",
            "举报",
            "@163.com",
        ):
            assert junk not in text, junk


def test_article_ids_are_stable(seeds: dict) -> None:
    again = {a.id: a for a in load_articles([SEEDS]).articles}
    assert again.keys() == seeds.keys()
    assert all(again[i].fingerprint == seeds[i].fingerprint for i in seeds)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023-12-16", "2023-12-16"),
        ("2022年9月4日 10:00", "2022-09-04"),
        ("2021/3/7", "2021-03-07"),
        ("2020.01.02", "2020-01-02"),
        ("2023-13-40", None),
        ("昨天", None),
        (None, None),
    ],
)
def test_dates_are_normalised(raw: str | None, expected: str | None) -> None:
    assert normalize_date(raw) == expected


def test_metadata_line_variants() -> None:
    raw = "首页 > 新闻\n标题在这里\n来源：人民网  作者：张三  发布时间：2021年3月7日\n正文第一句。第二句！\n编辑：李四\n"
    a = parse_web_text(raw, "x")
    assert (a.title, a.source, a.author, a.date) == ("标题在这里", "人民网", "张三", "2021-03-07")
    assert a.text == "正文第一句。第二句！"


def test_jsonl_and_gzip_with_bad_lines(tmp_path: Path) -> None:
    good = {"id": "n1", "title": "标题一", "text": "正文一。", "date": "2024年1月2日", "source": "新华社", "url": "http://x/1"}
    lines = [
        json.dumps(good, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "n2", "title": "无正文"}),
        "[1, 2]",
        json.dumps({"id": "n3", "text": "没有标题的正文。第二句。"}, ensure_ascii=False),
    ]
    (tmp_path / "a.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with gzip.open(tmp_path / "b.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "g1", "title": "压缩", "text": "压缩文件里的文章。"}, ensure_ascii=False) + "\n")
    ingest = load_articles([tmp_path])
    ids = {a.id: a for a in ingest.articles}
    assert set(ids) == {"n1", "n3", "g1"}
    assert ids["n1"].date == "2024-01-02" and ids["n1"].source == "新华社" and ids["n1"].url == "http://x/1"
    assert ids["n3"].title == "没有标题的正文。第二句。"
    reasons = {f.where.rsplit(":", 1)[1]: f.reason for f in ingest.failures}
    assert set(reasons) == {"2", "3", "4"}
    assert "invalid JSON" in reasons["2"] and '"text"' in reasons["3"] and "object" in reasons["4"]
    assert ingest.files == 2


def test_markdown_html_gbk_and_broken_files(tmp_path: Path) -> None:
    (tmp_path / "story.md").write_text(
        "# 大桥建成通车\n\n来源：某某日报 2024-05-01\n\n大桥今天正式通车。全长十公里。\n", encoding="utf-8"
    )
    (tmp_path / "page.html").write_text(
        "<html><head><title>水库蓄水创新高</title><meta name='author' content='王五'></head><body>"
        "<nav>首页 | 新闻 | 关于我们</nav><article><h1>水库蓄水创新高</h1>"
        + "<p>今年汛期以来，全省大中型水库蓄水量比常年同期偏多三成，为秋冬季供水打下了坚实基础。</p>" * 3
        + "</article><footer>版权所有 京ICP备123号</footer><script>alert(1)</script></body></html>",
        encoding="utf-8",
    )
    (tmp_path / "gbk.txt").write_bytes("国庆假期\n来源：地方台\n国庆假期全市接待游客二百万人次。\n".encode("gbk"))
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "only-footer.txt").write_text("版权所有 京ICP备13039793号-20\n", encoding="utf-8")
    ingest = load_articles([tmp_path])
    by_id = {a.id: a for a in ingest.articles}
    assert by_id["story"].title == "大桥建成通车" and by_id["story"].text == "大桥今天正式通车。全长十公里。"
    assert (by_id["story"].source, by_id["story"].date) == ("某某日报", "2024-05-01")
    assert by_id["page"].title == "水库蓄水创新高" and "蓄水量" in by_id["page"].text
    assert "alert" not in by_id["page"].text and "ICP" not in by_id["page"].text
    assert by_id["gbk"].text == "国庆假期全市接待游客二百万人次。" and by_id["gbk"].source == "地方台"
    failed = {Path(f.where).name: f.reason for f in ingest.failures}
    assert set(failed) == {"empty.txt", "binary.txt", "only-footer.txt"}
    assert "empty" in failed["empty.txt"] and "not a text file" in failed["binary.txt"]
    assert ingest.files == 6


def test_duplicate_ids_and_missing_paths(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for d in ("a", "b"):
        (tmp_path / d / "same.txt").write_text("标题\n正文一句。\n", encoding="utf-8")
    ingest = load_articles([tmp_path])
    assert len(ingest.articles) == 1 and "duplicate article id" in ingest.failures[0].reason
    with pytest.raises(CorpusError, match="no such file"):
        load_articles([tmp_path / "nope"])


def test_clean_id_is_safe() -> None:
    assert clean_id("../../etc/passwd") == "etc_passwd"
    assert clean_id("train:TRAIN_186") == "train:TRAIN_186"
    assert clean_id("新闻 一") and "/" not in clean_id("a/b")


def test_hostile_jsonl_lines_are_named_and_the_rest_is_read(tmp_path: Path) -> None:
    good = '{"id": "g%d", "title": "标题", "text": "一篇正常的短文。"}\n'
    lines = [
        good % 1,
        "[" * 100_000 + "]" * 100_000 + "\n",  # nested 100,000 levels deep
        '{"id": "s1", "title": "坏字符", "text": "正文\\udc00继续。"}\n',  # a lone surrogate
        '{"id": "big", "text": "正文", "n": ' + "9" * 5000 + "}\n",  # a 5,000-digit integer
        good % 2,
    ]
    path = tmp_path / "hostile.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    ingest = load_articles([path])
    assert [a.id for a in ingest.articles] == ["g1", "s1", "g2"]
    assert ingest.articles[1].text == "正文\ufffd继续。"
    reasons = {f.where: f.reason for f in ingest.failures}
    assert reasons[f"{path}:2"] == "JSON nested too deeply"
    assert reasons[f"{path}:4"].startswith("unreadable JSON value")
    assert len(reasons) == 2
    chunk_article(ingest.articles[1])  # the cleaned text hashes: no UnicodeEncodeError in the chunk id


def test_an_article_over_the_size_limit_is_reported_not_read(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    rows = [{"id": "huge", "title": "长文", "text": "很长的正文。" * 1000}, {"id": "ok", "title": "短文", "text": "一篇短文。"}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    ingest = load_articles([path], max_chars=5_000)
    assert [a.id for a in ingest.articles] == ["ok"]
    [failure] = ingest.failures
    assert "'huge' is 6,000 characters long; the limit is 5,000 (NEWSQA_MAX_ARTICLE_CHARS)" in failure.reason
