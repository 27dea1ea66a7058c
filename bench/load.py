"""Loading facts: cityfacts' bulk load against a bare DuckDB insert of the same Arrow table.

Both start from a fresh database file with the schema (facts keyed by id, so
DuckDB maintains the same primary-key index on both sides). Bare: one
`INSERT INTO facts SELECT * FROM arrow_table`. cityfacts: `load_article_tables`,
the transaction a run commits (replace the articles' old facts and mentions,
insert articles, mentions and facts, mark the pages judged). Building the
Arrow tables from extracted records is timed separately.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

from nlp.records import EXTRACTOR_VERSION, Extraction, Fact
from pipeline import db as pdb
from pipeline import load

CITIES = ["Jinan", "Qingdao", "Wuxi", "Chongqing", "Shenzhen", "Yantai", "Changsha", "Suzhou", "Dongguan", "Tianjin"]
METRICS = ["training_bases", "integration_enterprises", "students", "funding_yuan", "majors", None]


def records(n_articles: int, per_article: int) -> list[load.ArticleRecord]:
    out = []
    for a in range(n_articles):
        facts = [Fact(value=float(a * 7 + i), unit="count", start=i * 40, end=i * 40 + 5, text="12345",
                      sentence=f"Sentence {i} of article {a} with a figure in it.", counted="training bases",
                      metric=METRICS[i % len(METRICS)], city=CITIES[(a + i) % len(CITIES)]) for i in range(per_article)]
        ex = Extraction(lang="en", main_city=CITIES[a % len(CITIES)], cities=[CITIES[a % len(CITIES)]], orgs=[], facts=facts)
        out.append(load.ArticleRecord(f"http://bench.invalid/a/{a}.html", "bench", f"title {a}", "2024-05-01",
                                       "text " * 50, pdb.sha(str(a)), ex))
    return out


def fresh_db(tmp: Path, name: str) -> Any:
    path = tmp / f"{name}.duckdb"
    for p in (path, Path(f"{path}.wal")):
        p.unlink(missing_ok=True)
    return pdb.connect(path)


def run(n_articles: int = 20_000, per_article: int = 50, rounds: int = 3) -> dict[str, Any]:
    recs = records(n_articles, per_article)
    t = time.perf_counter()
    tables = load.article_tables(recs)
    build_s = time.perf_counter() - t
    n = tables.facts.num_rows
    best = {"bare": float("inf"), "ours": float("inf")}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(rounds):
            con = fresh_db(Path(tmp), "bare")
            con.register("arrow_facts", tables.facts)
            t = time.perf_counter()
            con.execute("INSERT INTO facts SELECT * FROM arrow_facts")
            best["bare"] = min(best["bare"], time.perf_counter() - t)
            assert con.execute("SELECT count(*) FROM facts").fetchone()[0] == n
            con.close()
            con = fresh_db(Path(tmp), "ours")
            t = time.perf_counter()
            load.load_article_tables(con, tables)
            best["ours"] = min(best["ours"], time.perf_counter() - t)
            assert con.execute("SELECT count(*) FROM facts").fetchone()[0] == n
            # a second load of the same articles replaces, never duplicates
            load.load_article_tables(con, tables)
            assert con.execute("SELECT count(*) FROM facts").fetchone()[0] == n
            con.close()
    return {"facts": n, "articles": n_articles, "bare_rate": n / best["bare"], "ours_rate": n / best["ours"],
            "ratio": best["bare"] / best["ours"], "build_rate": n / build_s, "version": EXTRACTOR_VERSION,
            "arrow_bytes": pa.Table.nbytes.__get__(tables.facts)}


if __name__ == "__main__":
    print(run(rounds=1))
