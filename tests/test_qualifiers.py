"""What kind of figure it is, in sentences written for these tests (fictional figures), English and Chinese.

Each case: a sentence, the figure as written, and the qualifiers it must get. The traps of the comparison
issue are here: an addition beside a total, a plan beside an achievement, a national subset of a city's
count, a county's count, a capacity, a per-project cap, one college's partners, a yearly flow.
"""
from __future__ import annotations

import pytest

PUBLISHED = "2024-06-30"

CASES = [
    # (text, figure text, expected fields)
    ("Weihai has 420 training bases in all.", "420", dict(status="actual", aspect="total", scope="city", level=None)),
    ("Weihai added 36 new training bases this year.", "36", dict(status="actual", aspect="added", year=2024)),
    ("The city plans to build 30 to 40 more training bases by 2026.", "30 to 40", dict(status="target", aspect="added")),
    ("By 2027 the city will have 500 training bases.", "500", dict(status="target", year=2027)),
    ("By 2020 the city had built 90 training bases.", "90", dict(status="actual", year=2020)),
    ("Twelve training bases will be built within three years.", "Twelve", dict(status="target")),
    ("Among them are 4 national-level demonstration training bases.", "4", dict(level="national")),
    ("Weihai has 18 provincial integration enterprises.", "18", dict(level="provincial")),
    ("The base can accommodate 3,000 trainees at one time.", "3,000", dict(scope="part")),
    ("The city grants up to 2 million yuan per project.", "up to 2 million yuan", dict(scope="part")),
    ("The college cooperates with 312 companies.", "312", dict(scope="part")),
    ("Last year the vocational colleges trained 52,000 workers.", "52,000", dict(aspect="per_year", year=2023)),
    ("Vocational colleges in the city enrol about 9,000 students every year.", "about 9,000", dict(aspect="per_year")),
    ("In 2022, Weihai had 61 vocational schools.", "61", dict(year=2022, aspect="total")),
    ("13 cities in the region will work together on vocational education.", "13", dict(status="actual")),
    ("威海市现有实训基地420个。", "420个", dict(status="actual", aspect="total", scope="city", level=None)),
    ("今年全市新增产教融合型企业36家。", "36家", dict(aspect="added", year=2024)),
    ("到2026年，全市将建成实训基地500个。", "500个", dict(status="target", year=2026)),
    ("计划新建实训基地12个。", "12个", dict(status="target", aspect="added")),
    ("全市已建成实训基地280个，其中国家级示范基地12个。", "12个", dict(level="national")),
    ("全市已建成实训基地280个，其中国家级示范基地12个。", "280个", dict(level=None, status="actual", aspect="total")),
    ("文登区建成实训基地20个。", "20个", dict(scope="part", part="Wendeng")),
    ("实训中心可容纳3000名学员同时培训。", "3000名", dict(scope="part")),
    ("对每个项目最高补助200万元。", "200万元", dict(scope="part")),
    ("去年全市职业院校培训技能人才5.2万人次。", "5.2万人次", dict(aspect="per_year", year=2023)),
    ("全市职业院校年均输送毕业生1.8万名。", "1.8万名", dict(aspect="per_year")),
    ("专业点由39个增加至92个。", "92个", dict(aspect="total")),
    ("省级产教融合型企业第二批名单公布，25家企业入选。", "25家", dict(aspect="added")),
    ("2021年以来，全市累计投入资金8亿元。", "8亿元", dict(year=None, aspect="total")),
    # What a figure counts, where the noun is not right after it.
    ("The number of higher vocational colleges in the city was 14.", "14", dict(metric="higher_vocational_colleges")),
    ("Weihai has 9 senior vocational schools, of which 3 schools are national models.", "3",
     dict(metric="higher_vocational_colleges", level="national")),
    ("Students of Weihai won 640 awards (210 national and 430 provincial).", "210", dict(metric="awards", level="national")),
    ("Its 3.1 million people mostly live in the countryside.", "3.1 million", dict(metric=None)),
    ("The colleges trained 20,000 people in new skills.", "20,000", dict(metric="trainees")),
    ("8 of the 40 professional standards written by the college were adopted abroad.", "8", dict(metric=None)),
    ("The city has invested 1.2 billion yuan in a new campus.", "1.2 billion yuan", dict(metric="investment_yuan")),
    ("Last year the output value of the training bases reached 900 million yuan.", "900 million yuan",
     dict(metric="output_value_yuan", year=2023)),
    ("Partners of the school include:\n-\nA press fund of 5 million yuan\n-\nThe provincial skills centre", "5 million yuan",
     dict(metric="funding_yuan")),
    # A period, a paragraph's year, an event's date.
    ("Since the beginning of this year, the college has signed agreements with 45 companies.", "45", dict(aspect="added")),
    ("As of 2022, the province had 70 vocational schools. Also, 12 industrial colleges were running.", "12",
     dict(year=2022, metric="industrial_colleges")),
    ("Weihai's team won three gold medals at the national contest held in Jinan on May 18.", "three", dict(year=2024)),
    ("已累计入库培育市级42家，另有3家国家级产教融合型企业。", "42家", dict(metric="integration_enterprises")),
    ("今年新增8个校企共建的特色专业。", "8个", dict(metric="majors", aspect="added")),
    ("全市共有本科专业36个。", "36个", dict(metric="majors")),
    ("全市职业院校52所，其中中职学校30所、高职院校12所、技工学校10所。", "10所", dict(metric="vocational_schools")),
    ("全市职业院校52所，其中中职学校30所、高职院校12所、技工学校10所。", "12所", dict(metric="higher_vocational_colleges")),
    ("全市组建4个产教联盟。", "4个", dict(metric="education_groups")),
    ("全市高职院校生均经费达到1.5万元。", "1.5万元", dict(aspect="per_year", metric="funding_yuan")),
    ("9所职业院校扎根科教城——年均培养毕业生2万名。", "9所", dict(aspect="total")),
]


@pytest.mark.parametrize("text,figure,expected", CASES, ids=[c[0][:40] for c in CASES])
def test_qualifiers(extractor, text, figure, expected):
    facts = {f.text: f for f in extractor.extract(text, None, PUBLISHED).facts}
    assert figure in facts, f"{figure!r} not found as a figure in {text!r}: {list(facts)}"
    fact = facts[figure]
    got = {k: getattr(fact, k) for k in expected}
    assert got == expected


def test_relative_years_need_the_publication_date(extractor):
    text = "Last year the vocational colleges trained 52,000 workers."
    assert extractor.extract(text, "en", "2021-05-01").facts[0].year == 2020
    assert extractor.extract(text, "en").facts[0].year is None, "no date: no year rather than a guess"


def test_the_json_contract_gains_the_qualifiers(extractor):
    doc = extractor.extract("今年全市新增产教融合型企业36家。", "zh", PUBLISHED).to_json()
    fact = doc["facts"][0]
    assert {"status", "aspect", "level", "year", "scope", "part"} <= set(fact)
    assert list(fact)[:11] == ["value", "value_max", "unit", "approx", "counted", "metric", "city", "start", "end",
                               "text", "sentence"], "contract fields first, in their order"
