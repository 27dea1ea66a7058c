"""Figures in English and Chinese sentences of our own: values, units, qualifiers, and what is not a figure."""
from __future__ import annotations

import pytest


def facts(extractor, text, lang=None):
    return [(f.text, f.value, f.value_max, f.unit, f.approx) for f in extractor.extract(text, lang).facts]


@pytest.mark.parametrize("text,expected", [
    ("Zibo has 52 integration enterprises.", ("52", 52, None, "count", None)),
    ("The city has 3,303 training bases.", ("3,303", 3303, None, "count", None)),
    ("Sixty-five enterprises joined the alliance.", ("Sixty-five", 65, None, "count", None)),
    ("The city approved 45 million yuan in subsidies.", ("45 million yuan", 45_000_000, None, "yuan", None)),
    ("It received RMB 2.5 billion for the park.", ("RMB 2.5 billion", 2_500_000_000, None, "yuan", None)),
    ("Investment reached ¥3.3 billion last year.", ("¥3.3 billion", 3_300_000_000, None, "yuan", None)),
    ("Salaries reach 860 U.S. dollars a month.", ("860 U.S. dollars", 860, None, "other", None)),
    ("More than 86,000 students took part.", ("More than 86,000", 86000, None, "people", "more_than")),
    ("About 74% of graduates stay.", ("About 74%", 74, None, "percent", "about")),
    ("It offers credit worth 30%of the investment.", ("30%", 30, None, "percent", None)),
    ("The park covers 120 mu of land.", ("120 mu", 80000, None, "area_m2", None)),
    ("A hall of 65,000 square meters opened.", ("65,000 square meters", 65000, None, "area_m2", None)),
    ("The town covers about 41 square kilometers.", ("about 41 square kilometers", 41_000_000, None, "area_m2", "about")),
    ("Each college will add 10-15 majors.", ("10-15", 10, 15, "count", None)),
    ("Each town will build two to three bases.", ("two to three", 2, 3, "count", None)),
    ("It trains 15,000 person-times a year.", ("15,000 person-times", 15000, None, "person_times", None)),
    ("Nearly 3,000 trainees can be housed.", ("Nearly 3,000", 3000, None, "people", "about")),
])
def test_english_figures(extractor, text, expected):
    assert facts(extractor, text, "en") == [expected]


@pytest.mark.parametrize("text", [
    "In 2021, the city was rated as the first batch of pilot cities.",
    "The plan runs during the Fourteenth Five-Year Plan period.",
    "It ranked first in the province and joined the top ten industries list.",
    "The project is expected to be finished in 3 years.",
    "On June 7, the bureau held a meeting at Wuxi No. 1 High School.",
    "For details call 0531-86061234 or see Room 402.",
    "The 3+4 program and the second batch started on Dec. 2.",
    "Time:2022.07.29 Source: Jinan Daily",
    "One of the colleges joined.",
    "The office is open from 8 am to 5 pm.",
    "Grade 3 students aged 18 to 22 joined.",
    "G20 and 5G projects drew 1,000s of visitors.",
    "The 13th Five-Year Plan (2016-20) ended.",
])
def test_english_non_figures(extractor, text):
    assert facts(extractor, text, "en") == []


@pytest.mark.parametrize("text,expected", [
    ("全市共有产教融合型企业39家。", ("39家", 39, None, "count", None)),
    ("建成3303个实训基地。", ("3303个", 3303, None, "count", None)),
    ("共有１２所职业院校。", ("１２所", 12, None, "count", None)),
    ("新增三百家合作企业。", ("三百家", 300, None, "count", None)),
    ("培训一千二百三十四名学员。", ("一千二百三十四名", 1234, None, "people", None)),
    ("两家企业入选。", ("两家", 2, None, "count", None)),
    ("争取中央预算内资金4500万元。", ("4500万元", 45_000_000, None, "yuan", None)),
    ("投入资金2.3亿元。", ("2.3亿元", 230_000_000, None, "yuan", None)),
    ("全市在校生8.6万人。", ("8.6万人", 86000, None, "people", None)),
    ("参训职工逾万人。", ("逾万人", 10000, None, "people", "more_than")),
    ("建成实训基地2900余个。", ("2900余个", 2900, None, "count", "more_than")),
    ("合作企业1000多家。", ("1000多家", 1000, None, "count", "more_than")),
    ("毕业生近3万名。", ("近3万名", 30000, None, "people", "about")),
    ("就业率约为95%。", ("约为95%", 95, None, "percent", "about")),
    ("覆盖企业超过2000家。", ("超过2000家", 2000, None, "count", "more_than")),
    ("本地就业率达到百分之七十。", ("百分之七十", 70, None, "percent", None)),
    ("年培训5万人次左右。", ("5万人次左右", 50000, None, "person_times", "about")),
    ("资金不足500万元。", ("不足500万元", 5_000_000, None, "yuan", "less_than")),
    ("每校建设3至5个基地。", ("3至5个", 3, 5, "count", None)),
    ("每个专业10-15个班。", ("10-15个", 10, 15, "count", None)),
    ("园区占地120亩。", ("120亩", 80000, None, "area_m2", None)),
    ("辖区面积约43平方公里。", ("约43平方公里", 43_000_000, None, "area_m2", "about")),
    ("实训楼面积2.5万平方米。", ("2.5万平方米", 25000, None, "area_m2", None)),
    ("数量占全省一半。", ("一半", 50, None, "percent", None)),
    ("销售额突破10亿元。", ("突破10亿元", 1_000_000_000, None, "yuan", "more_than")),
    ("发放培训补贴3000余万元。", ("3000余万元", 30_000_000, None, "yuan", "more_than")),
    ("年产值达1.2亿多元。", ("1.2亿多元", 120_000_000, None, "yuan", "more_than")),
    ("吸引三千余名学员。", ("三千余名", 3000, None, "people", "more_than")),
])
def test_chinese_figures(extractor, text, expected):
    got = facts(extractor, text, "zh")
    assert got == [expected]


@pytest.mark.parametrize("text", [
    "济南入选第二批产教融合试点城市，首批名单于2021年公布。",
    "“十四五”期间要推进四链融合。",
    "第二届职业技能大赛于3月5日开幕。",
    "实施1+N模式，构建一体化体系。",
    "咨询电话：0531-86061234。",
    "二期工程位居全国前十。",
    "统一部署一批重点项目。",
])
def test_chinese_non_figures(extractor, text):
    assert facts(extractor, text, "zh") == []


def test_counted_noun_comes_from_the_parse(extractor):
    [f] = extractor.extract("Jinan has 39 provincial-level production and education integration enterprises.", "en").facts
    assert f.counted == "provincial-level production and education integration enterprises"
    assert f.metric == "integration_enterprises"
    [f] = extractor.extract("全市建成3303个实训基地。", "zh").facts
    assert f.counted == "实训基地" and f.metric == "training_bases"
    [f] = extractor.extract("目前全市累计培育产教融合型企业39家。", "zh").facts
    assert f.counted.endswith("产教融合型企业") and f.metric == "integration_enterprises"


@pytest.mark.parametrize("text,expected", [
    ("Nearly half of the graduates stayed.", ("Nearly half", 50, None, "percent", "about")),
    ("One in every five workers is a technician.", ("One in every five", 20, None, "percent", None)),
    ("About 300-odd teachers come from enterprises.", ("About 300-odd", 300, None, "people", "more_than")),
    ("A 100,000-square-meter training center opened.", ("100,000-square-meter", 100000, None, "area_m2", None)),
    ("Enrollment rose 3 percentage points.", ("3 percentage points", 3, None, "percent", None)),
    ("The park covers 63 hectares.", ("63 hectares", 630000, None, "area_m2", None)),
    ("Fees are 2,000 euros a year.", ("2,000 euros", 2000, None, "other", None)),
])
def test_more_english_forms(extractor, text, expected):
    assert facts(extractor, text, "en") == [expected]


@pytest.mark.parametrize("text", [
    'The city built a "four pillars and eight pillars" system.',
    "42 departments, 1 1 districts joined.",
])
def test_slogans_and_split_numbers_are_not_figures(extractor, text):
    assert [f[0] for f in facts(extractor, text, "en")] == (["42"] if text.startswith("42") else [])


def test_money_counts_the_noun_it_belongs_to(extractor):
    [f, _] = extractor.extract("It has a total investment of 80 million yuan ($11.2 million).", "en").facts
    assert f.counted == "total investment" and f.metric == "investment_yuan"
    [f] = extractor.extract("The city will invest 1.5 billion yuan in a public training center.", "en").facts
    assert f.counted == "public training center"


@pytest.mark.parametrize("text,lang", [
    ("济南市产教融合型企业达到56家。Source: Jinan Daily", "zh"),
    ("Jinan has 56 integration enterprises (产教融合型企业) this year, the bureau said.", "en"),
])
def test_language_follows_the_body(extractor, text, lang):
    assert extractor.extract(text).lang == lang


def test_chinese_numeral_zero_and_full_width_offsets(extractor):
    text = "新建实训基地一百〇五个，投入资金１２００万元。"
    got = extractor.extract(text, "zh").facts
    assert [(f.value, f.unit) for f in got] == [(105, "count"), (12_000_000, "yuan")]
    assert [text[f.start:f.end] for f in got] == ["一百〇五个", "１２００万元"]


@pytest.mark.parametrize("text,expected", [
    ("The fund gave less than 500 enterprises support.", ("less than 500", 500, None, "count", "less_than")),
    ("Each college may receive up to 2 million yuan.", ("up to 2 million yuan", 2_000_000, None, "yuan", "less_than")),
    ("Over 1,000 enterprises joined.", ("Over 1,000", 1000, None, "count", "more_than")),
    ("Subsidies reached CNY 5 million this year.", ("CNY 5 million", 5_000_000, None, "yuan", None)),
    ("Subsidies reached 5 million RMB this year.", ("5 million RMB", 5_000_000, None, "yuan", None)),
    ("The rate rose to 30 percent.", ("30 percent", 30, None, "percent", None)),
    ("Twelve vocational colleges signed up.", ("Twelve", 12, None, "count", None)),
    ("The 2 bn yuan plan was approved.", ("2 bn yuan", 2_000_000_000, None, "yuan", None)),
])
def test_qualifiers_and_currencies(extractor, text, expected):
    assert facts(extractor, text, "en") == [expected]


def test_numeral_standing_for_its_noun(extractor):
    got = facts(extractor, "It funded 24 workshops, among which four are still being built.", "en")
    assert [g[:2] for g in got] == [("24", 24), ("four", 4)]


def test_vague_chinese_quantities_are_not_figures(extractor):
    assert [f[0] for f in facts(extractor, "数十家企业参与，十几所学校加入，上百名学生报名，近百家企业入驻。", "zh")] == ["近百家"]


def test_version_and_document_numbers_are_not_figures(extractor):
    assert facts(extractor, "The platform, version 3, follows Document No. 12 and Article 5.", "en") == []


def test_users_extend_the_taxonomy_without_code(tmp_path, monkeypatch):
    from nlp.extract import Extractor
    from nlp.resources import load_resources

    path = tmp_path / "taxonomy.yaml"
    path.write_text("robots:\n  label: Industrial robots\n  units: [count]\n  en: [robot]\n  zh: [机器人]\n", encoding="utf-8")
    taxonomy = load_resources(taxonomy=path).taxonomy
    assert taxonomy.classify("industrial robots", "", "count", "en") == "robots"
    assert taxonomy.classify("工业机器人", "", "count", "zh") == "robots"
    assert taxonomy.classify("training bases", "", "count", "en") is None
    monkeypatch.setenv("CITYFACTS_TAXONOMY", str(path))  # what a user sets; read when an Extractor is made
    facts = Extractor().extract("Suzhou installed 120 industrial robots and built 3 training bases.").facts
    assert [(f.value, f.metric) for f in facts] == [(120, "robots"), (3, None)]
    assert load_resources().taxonomy.classify("industrial robots", "", "count", "en") is None, "the packaged one is intact"


def test_a_broken_taxonomy_is_one_line_naming_file_line_and_field(tmp_path):
    import pytest

    from nlp.errors import DataFileError
    from nlp.resources import load_resources

    path = tmp_path / "taxonomy.yaml"
    path.write_text("robots:\n  label: Industrial robots\n  units: count\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=rf"^{path}:3: robots.units: Input should be a valid list$"):
        load_resources(taxonomy=path)
    path.write_text("robots:\n  label: Robots\n  units: [count]\n  en: [robot]\n  keywords: [robot]\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=rf"^{path}:2: robots: Value error, unknown field 'keywords'"):
        load_resources(taxonomy=path)
    path.write_text("robots:\n  label: Robots\n  units: [pieces]\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=rf"^{path}:3: robots.units.0: Input should be 'yuan', "):
        load_resources(taxonomy=path)


def test_packaged_taxonomy_has_the_promised_keys():
    from nlp.resources import load_resources

    taxonomy = load_resources().taxonomy.data
    keys = set(taxonomy)
    assert len(keys) >= 15
    assert {"integration_enterprises", "training_bases", "vocational_schools", "higher_vocational_colleges", "majors",
            "students", "teachers", "cooperating_enterprises", "education_groups", "industrial_colleges",
            "funding_yuan", "investment_yuan", "awards", "projects", "trainees", "employment_rate"} <= keys
    assert all(entry.get("zh") for entry in taxonomy.values()), "every key has Chinese keywords"


@pytest.mark.parametrize("text", [
    "全市职业教育走出了一条新路径，形成了一道亮丽的风景线。",
    "这是一场深刻的变革，也是一份沉甸甸的答卷。",
    "一组数字见证了一股强大的力量。",
    "全市着力发展四大经济，打造九大产业集群和十大新兴产业。",
    "围绕建设“五个威海”，落实“两融合、三提升”要求。",
    "全省实施三名工程，职校毕业生一次就业率保持高位。",
])
def test_chinese_articles_and_slogans_are_not_figures(extractor, text):
    """一 + measure word as an article, N大 frameworks, quoted slogans, a programme named with 名."""
    assert facts(extractor, text, "zh") == []


@pytest.mark.parametrize("text,expected", [
    ("威海市建成一个国家级实训基地。", ("一个", 1, None, "count", None)),
    ("两家企业入选。", ("两家", 2, None, "count", None)),
    ("学校开设专业18大类。", ("18大", 18, None, "count", None)),
])
def test_chinese_real_counts_stay(extractor, text, expected):
    assert facts(extractor, text, "zh") == [expected]


def test_traditional_characters_read_as_simplified_with_original_offsets(extractor):
    text = "威海市建成示範實訓中心9個，投入資金450萬元，開設招生專業42個，總投資25.38億元。"
    ex = extractor.extract(text, "zh")
    got = {f.text: (f.value, f.unit, f.metric) for f in ex.facts}
    assert got == {"9個": (9, "count", "training_bases"), "450萬元": (4_500_000, "yuan", "funding_yuan"),
                   "42個": (42, "count", "majors"), "25.38億元": (2_538_000_000, "yuan", "investment_yuan")}
    for f in ex.facts:
        assert text[f.start:f.end] == f.text, "offsets point into the original text"
    assert ex.facts[0].city == "Weihai"


@pytest.mark.parametrize("text", [
    "Officials from the three provinces met in Weihai.",
    "Weihai is one of the four pilot cities for the reform.",
    "One group of figures shows the change.",
    "The city launched its 2345 strategy and a 3×3 plan last spring.",
    "Call the hotline 12345 for help.",
    "3 March 2019 | Home > News > Weihai",
])
def test_english_references_and_codes_are_not_figures(extractor, text):
    """Anaphoric and article-like numerals, a scheme's number, a hotline."""
    assert facts(extractor, text, "en") == []


@pytest.mark.parametrize("text,expected", [
    ("The city now has 30+ training bases.", [("30+", 30, None, "count", "more_than")]),
    ("The number of bases rose from 54 to 68.", [("54", 54, None, "count", None), ("68", 68, None, "count", None)]),
    ("Three to five of its colleges will join the alliance.", [("Three to five", 3, 5, "count", None)]),
    ("The three public training bases joined the list.", [("three", 3, None, "count", None)]),
    ("There were 22 model schools and 12 plans.", [("22", 22, None, "count", None), ("12", 12, None, "count", None)]),
])
def test_english_counts_in_other_forms(extractor, text, expected):
    assert facts(extractor, text, "en") == expected


def test_chinese_decimals_tenths_and_slash_fractions(extractor):
    got = facts(extractor, "全市投入资金三点五亿元，约占四分之一，近三成企业参与，2/3的学校开设专业。", "zh")
    assert got == [("三点五亿元", 350_000_000, None, "yuan", None), ("约占四分之一", 25, None, "percent", "about"),
                   ("近三成", 30, None, "percent", "about"), ("2/3", 66.67, None, "percent", None)]
    assert facts(extractor, "全市建成实训基地，形成合力。2024/3/5发布。", "zh") == []
