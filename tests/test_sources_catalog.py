"""Case catalogs in YAML and CSV."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from indexer.sources import SiteInfo, collect

SITE = SiteInfo("https://blog.example.cn")
HEADER = "id,title,client,industry,tags,url,summary,body,date,visibility,cover\n"


def write(root: Path, rel: str, content: str | bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def problems(result, category: str) -> list:
    return [p for p in result.problems if p.category == category]


YAML_CATALOG = """\
cases:
  - id: bank-2023
    title: 某银行社交媒体年度运营
    client: 招商银行
    industry: 金融
    tags: [社交媒体，年度运营]
    url: /cases/bank.html
    summary: 一年涨粉百万
    body: 从策略到执行的全年服务。
    date: 2023-12-01
    visibility: internal
    cover: /img/bank.jpg
  - title: 快消品新品上市
    client: Procter & Gamble
    industry: 快消
    tags: 新品上市、KOL
    url: https://example.cn/launch
"""


def test_yaml_catalog(tmp_path):
    write(tmp_path, "cases/catalog.yml", YAML_CATALOG)
    result = collect(tmp_path, site=SITE)
    assert result.problems == []
    bank, launch = result.documents
    assert bank.id == "bank-2023"
    assert (bank.kind, bank.title, bank.visibility) == ("case", "某银行社交媒体年度运营", "internal")
    assert bank.tags == ("社交媒体", "年度运营", "招商银行", "金融")
    assert bank.body == "从策略到执行的全年服务。\n客户：招商银行\n行业：金融"
    assert (bank.summary, bank.date) == ("一年涨粉百万", dt.date(2023, 12, 1))
    assert bank.url == "https://blog.example.cn/cases/bank.html"
    assert bank.cover == "https://blog.example.cn/img/bank.jpg"
    assert launch.id == "cases/catalog.yml#2"
    assert launch.tags == ("新品上市", "KOL", "Procter & Gamble", "快消")  # a client name keeps its spaces
    assert launch.summary == "" and "客户：Procter & Gamble" in launch.body


def test_yaml_top_level_list_and_chinese_keys(tmp_path):
    write(tmp_path, "cases.yaml", "- 标题: 医院品牌升级\n  客户: 协和医院\n  行业: 医疗\n  链接: https://x.cn/a\n")
    (doc,) = collect(tmp_path, site=SITE).documents
    assert (doc.id, doc.title, doc.tags) == ("cases.yaml#1", "医院品牌升级", ("协和医院", "医疗"))


@pytest.mark.parametrize(
    ("content", "category", "words"),
    [
        ("cases:\n  - title: [未闭合\n", "yaml", "第 2 行"),
        ("site: 不是案例库\n", "format", "cases:"),
        ("", "empty", "空"),
    ],
)
def test_yaml_file_problems(tmp_path, content, category, words):
    write(tmp_path, "bad.yml", content)
    result = collect(tmp_path, site=SITE)
    assert result.documents == []
    (problem,) = result.problems
    assert (problem.path, problem.category, problem.skipped) == ("bad.yml", category, True)
    assert words in problem.reason


def test_yaml_row_problems(tmp_path):
    write(
        tmp_path,
        "cases.yml",
        "cases:\n  - 只是一个字符串\n  - client: 没有标题\n  - title: 好案例\n    visibility: 秘密\n    date: 明年\n",
    )
    result = collect(tmp_path, site=SITE)
    (doc,) = result.documents
    assert (doc.id, doc.visibility, doc.date, doc.url) == ("cases.yml#3", "internal", None, "")
    assert [(p.category, p.skipped) for p in result.problems] == [
        ("format", True),
        ("missing-field", True),
        ("invalid-field", False),
        ("visibility", False),
        ("no-url", False),
    ]
    assert "第 1 条" in result.problems[0].reason and "第 2 条" in result.problems[1].reason


def test_csv_catalog(tmp_path):
    rows = (
        HEADER
        + 'c1,银行数字化转型,工商银行,金融,"数字化,银行",https://x.cn/c1,摘要一,正文一,2024-3-5,public,\n'
        + ",新能源车上市,比亚迪,汽车,新品，上市,,,发布会与直播。,,,\n"
    )
    write(tmp_path, "cases/list.csv", rows)
    result = collect(tmp_path, site=SITE)
    first, second = result.documents
    assert (first.id, first.title, first.date, first.summary) == ("c1", "银行数字化转型", dt.date(2024, 3, 5), "摘要一")
    assert first.tags == ("数字化", "银行", "工商银行", "金融")
    assert second.id == "cases/list.csv#3"  # spreadsheet row 3: the header is row 1
    assert second.summary == "发布会与直播。" and "行业：汽车" in second.body
    assert [(p.path, p.category) for p in result.problems] == [("cases/list.csv", "no-url")]


def test_csv_extra_and_missing_columns_are_tolerated(tmp_path):
    write(tmp_path, "c.csv", "title,负责人,client\n品牌焕新,张三,小米\n")
    (doc,) = collect(tmp_path, site=SITE).documents
    assert (doc.title, doc.tags, doc.visibility) == ("品牌焕新", ("小米",), "public")


def test_csv_chinese_headers_from_excel_in_gbk(tmp_path):
    write(tmp_path, "c.csv", "\ufeff标题,客户,行业\n门店开业,海底捞,餐饮\n".encode("gb18030"))
    result = collect(tmp_path, site=SITE)
    assert result.documents[0].tags == ("海底捞", "餐饮")
    assert [p.category for p in result.problems] == ["encoding", "no-url"]


def test_csv_row_problems_name_their_row(tmp_path):
    rows = HEADER + "a,好案例,,,,https://x.cn/a,,,,,\n" + "b,列数不对,客户\n" + "\n" + "c,,客户,,,https://x.cn/c,,,,,\n"
    write(tmp_path, "c.csv", rows)
    result = collect(tmp_path, site=SITE)
    assert [d.id for d in result.documents] == ["a"]
    wrong, untitled = result.problems
    assert (wrong.category, wrong.skipped) == ("format", True) and "第 3 行" in wrong.reason
    assert (untitled.category, untitled.skipped) == ("missing-field", True) and "第 5 行" in untitled.reason


def test_csv_without_title_column_is_one_problem(tmp_path):
    write(tmp_path, "c.csv", "name,client\n一,二\n三,四\n")
    result = collect(tmp_path, site=SITE)
    assert result.documents == []
    (problem,) = result.problems
    assert problem.category == "missing-field" and "title" in problem.reason
