"""Comparing like with like, end to end: a loopback site whose reports (fictional figures, written for this test)
mix totals, additions, subsets, parts and targets for two cities across several dates; Scrapy crawls it, the
extractor labels each figure, DuckDB stores it, and the default comparison must show each city's actual,
city-wide total, with every other kind of figure still there when asked for by its slice.
"""
from __future__ import annotations

import json

import pytest
from conftest import cli

from crawlers.sources import load_sources
from flows import work
from flows.loopback import LoopbackSite

REPORTS = {
    "a1": ("Weifang training bases", "2024-03-10",
           "Weifang has 410 training bases. This year the city added 35 new training bases, and among them are "
           "6 national-level demonstration training bases."),
    "a2": ("Weifang plans", "2024-05-20",
           "Weifang plans to build 60 more training bases by 2026. Weifang Vocational College built 22 training bases."),
    "a3": ("潍坊市产教融合", "2024-04-02",
           "潍坊市现有产教融合型企业95家。今年新增产教融合型企业18家，其中国家级产教融合型企业3家。"),
    "b1": ("Linyi vocational education", "2024-02-15",
           "Linyi has 260 training bases. The Linyi Vocational College cooperates with 180 enterprises."),
    "b2": ("临沂市实训基地", "2024-06-01",
           "临沂市现有实训基地275个，今年新建实训基地15个。到2027年，全市将建成实训基地400个。"),
    "b3": ("Linyi integration enterprises", "2024-06-03",
           "Linyi has 70 integration enterprises. The training center can accommodate 3,000 trainees at one time."),
}


class MixedSite(LoopbackSite):
    def handle(self, h, path):
        if path == "/robots.txt":
            return self.respond(h, 200, b"User-agent: *\nAllow: /\n", "text/plain")
        if path == "/list.html":
            links = "".join(f"<li><a href='/r/{k}.html'>{v[0]}</a></li>" for k, v in REPORTS.items())
            return self.respond(h, 200, f"<html><body><ul>{links}</ul></body></html>".encode())
        key = path.removeprefix("/r/").removesuffix(".html")
        if key in REPORTS:
            title, day, body = REPORTS[key]
            html = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
                    f"<h1>{title}</h1><div class='date'>{day}</div><div class='content'><p>{body}</p></div></body></html>")
            return self.respond(h, 200, html.encode("utf-8"))
        return self.respond(h, 404, b"no")


@pytest.fixture(scope="module")
def mixed_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("mixed") / "mixed.duckdb"
    sources_file = db.parent / "sources.yaml"
    with MixedSite() as site:
        sources_file.write_text(
            "sources:\n  - name: mixed\n"
            f"    start_urls: ['{site.url}/list.html']\n"
            "    article_pattern: '/r/\\w+\\.html$'\n"
            "    politeness: {download_delay: 0, autothrottle: false, concurrency_per_domain: 8}\n", encoding="utf-8")
        sources = load_sources(sources_file)
        result = work.crawl(sources, db.parent / "work", set())
        run = work.new_run(sources)
        work.load_pages(db, sources, result, run)
        work.extract_stored(db, sources, run_id=run.run_id)
    return db


def compare(db, *args):
    out = cli("compare", "--db", str(db), "--format", "jsonl", "--cities", "Weifang,Linyi", *args)
    assert out.returncode == 0, out.stderr
    return {r["city"]: r for r in map(json.loads, out.stdout.splitlines())}


def test_default_comparison_shows_actual_city_wide_totals(mixed_db):
    rows = compare(mixed_db, "--metric", "training_bases", "--metric", "integration_enterprises")
    assert rows["Weifang"]["training_bases"]["value"] == 410, "not the 35 added, the 6 national, 60 planned or a college's 22"
    assert rows["Weifang"]["integration_enterprises"]["value"] == 95, "not the 18 new or the 3 national"
    assert rows["Linyi"]["training_bases"]["value"] == 275, "the latest total, not the 15 new or the 400 planned"
    assert rows["Linyi"]["integration_enterprises"]["value"] == 70
    partners = cli("compare", "--db", str(mixed_db), "--cities", "Linyi", "--metric", "cooperating_enterprises")
    assert partners.returncode == 1 and "no figures for Linyi" in partners.stderr, "one college's partners are not the city's"
    for row in rows.values():
        assert row["slice"] == {"status": "actual", "aspect": "total", "level": None, "scope": "city", "year": None}


def test_other_slices_are_there_when_asked_for(mixed_db):
    assert compare(mixed_db, "--metric", "training_bases", "--aspect", "added")["Weifang"]["training_bases"]["value"] == 35
    planned = compare(mixed_db, "--metric", "training_bases", "--status", "target", "--aspect", "added")
    assert planned["Weifang"]["training_bases"]["value"] == 60 and planned["Weifang"]["training_bases"]["year"] == 2026
    targets = compare(mixed_db, "--metric", "training_bases", "--status", "target")
    assert targets["Linyi"]["training_bases"]["value"] == 400 and targets["Linyi"]["training_bases"]["year"] == 2027
    national = compare(mixed_db, "--metric", "integration_enterprises", "--aspect", "added", "--level", "national")
    assert national["Weifang"]["integration_enterprises"]["value"] == 3
    parts = compare(mixed_db, "--metric", "training_bases", "--scope", "part")
    assert parts["Weifang"]["training_bases"]["value"] == 22


def test_csv_keeps_unit_range_dates_slice_and_source(mixed_db):
    out = cli("compare", "--db", str(mixed_db), "--format", "csv", "--metric", "training_bases")
    assert out.returncode == 0, out.stderr
    header, *lines = out.stdout.strip().splitlines()
    assert header.split(",")[:14] == ["city", "metric", "value", "value_max", "unit", "approx", "published", "year",
                                      "status", "aspect", "level", "scope", "sources", "hosts"]
    assert any(line.startswith("Weifang,training_bases,410.0,,count,,2024-03-10,2024,actual,total,,city,1,1,")
               for line in lines), lines


def test_city_profile_names_each_kind(mixed_db):
    out = cli("city", "Weifang", "--db", str(mixed_db), "--format", "jsonl")
    kinds = {(r["value"], r["status"], r["aspect"], r["level"], r["scope"]) for r in map(json.loads, out.stdout.splitlines())}
    assert {(410, "actual", "total", None, "city"), (35, "actual", "added", None, "city"),
            (6, "actual", "added", "national", "city"), (22, "actual", "total", None, "part")} <= kinds
