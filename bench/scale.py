"""Scaling out on one machine: 1 vs 2 Prefect workers on the generated site, and DuckLake load rates.

Workers: the real setup of `make scale-demo` (Redis frontier, PostgreSQL-backed
Prefect server, DuckLake), one fresh lake per measurement, the generated site
as one source in as many shards as workers. Timed from submission to the
last flow run's end, so flow-run start-up and the lake commits are in it.

Lake loads: the same Arrow facts table, into a fresh lake table by a bare
`INSERT ... SELECT` (baseline), and by cityfacts' `load_article_tables` (claim
the commit, replace the articles' rows, insert, one transaction); then many
one-article commits, which is what a catalog pays per load.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.load import records
from flows.generated_site import GeneratedSite
from flows.local_services import Cluster, cluster, missing
from flows.work import BATCH as EXTRACT_BATCH
from flows.work import PAGE_BATCH
from pipeline import load

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _lake(c: Cluster, name: str) -> str:
    c.postgres.create_database(name)
    url = f"ducklake:postgres:{c.postgres.dsn(name)}"
    subprocess.run([str(BIN / "cityfacts"), "lake", "init", "--db", url, "--data", str(c.folder / name)], check=True,
                   capture_output=True, env=c.prefect.env)
    return url


def workers_run(c: Cluster, n_workers: int, pages: int) -> dict[str, Any]:
    lake = _lake(c, f"bench_w{n_workers}")
    with GeneratedSite(pages) as site, c.prefect.workers("cityfacts", n_workers, ROOT):
        src = c.folder / f"bench-{n_workers}.yaml"
        src.write_text(site.sources_yaml() + "    max_pages: 10000\n", encoding="utf-8")
        t = time.perf_counter()
        subprocess.run([str(BIN / "cityfacts"), "run", "--distributed", "--sources", str(src), "--db", lake, "--redis",
                        c.redis.url, "--shards", str(n_workers)], check=True, capture_output=True, env=c.prefect.env)
        secs = time.perf_counter() - t
    out = subprocess.run([str(BIN / "cityfacts"), "sql", "--db", lake, "--format", "csv", "--no-headers",
                          "SELECT (SELECT count(*) FROM pages), (SELECT count(*) FROM facts), "
                          "(SELECT sum(duration_s) FROM crawl_runs)"],
                         check=True, capture_output=True, text=True, env=c.prefect.env).stdout.strip().split(",")
    return {"workers": n_workers, "pages": int(out[0]), "facts": int(out[1]), "seconds": secs,
            "crawl_s": float(out[2]) / n_workers}


def lake_loads(c: Cluster, n_articles: int = 4000, per_article: int = 50, commits: int = 40) -> dict[str, Any]:
    from pipeline.db import connect

    tables = load.article_tables(records(n_articles, per_article))
    n = tables.facts.num_rows
    bare_con = connect(_lake(c, "bench_bare"))
    bare_con.register("arrow_facts", tables.facts)
    t = time.perf_counter()
    bare_con.execute("INSERT INTO facts SELECT * FROM arrow_facts")
    bare_s = time.perf_counter() - t
    bare_con.close()
    con = connect(_lake(c, "bench_ours"))
    t = time.perf_counter()
    load.load_article_tables(con, tables)
    ours_s = time.perf_counter() - t
    one = load.article_tables(records(1, per_article))
    t = time.perf_counter()
    for _ in range(commits):
        load.load_article_tables(con, one)
    commit_s = (time.perf_counter() - t) / commits
    row = con.execute("SELECT count(*) FROM facts").fetchone()
    con.close()
    assert row is not None and row[0] == n, row  # article 0 again: replaced, never duplicated
    return {"facts": n, "bare_rate": n / bare_s, "ours_rate": n / ours_s, "ratio": bare_s / ours_s,
            "commit_ms": commit_s * 1000}


def run(pages: int = 2000) -> dict[str, Any] | None:
    if missing():
        return None
    with cluster() as c:
        c.prefect.run("work-pool", "create", "cityfacts", "--type", "process")
        subprocess.run([str(BIN / "prefect"), "deploy", "--name", "source", "--no-prompt"], cwd=ROOT, env=c.prefect.env,
                       check=True, capture_output=True)
        rows = [workers_run(c, n, pages) for n in (1, 2)]
        loads = lake_loads(c)
    return {"workers": rows, "loads": loads}


def commit_bound(commit_ms: float) -> float:
    """Pages/s that serialised commits allow: each page shares a page-load commit and an extraction commit."""
    return 1000 / (commit_ms / PAGE_BATCH + commit_ms / EXTRACT_BATCH)


def markdown(r: dict[str, Any] | None, pages: int) -> list[str]:
    if r is None:
        return ["## Scaling out", "", f"Skipped: {', '.join(missing())} not installed.", ""]
    one = r["workers"][0]
    lines = ["## Scaling out on one machine (`python -m bench.scale`)", "",
             f"The generated site ({pages:,} report pages) as one source, `run --distributed --shards N` with N Prefect "
             "process workers, Redis frontier, DuckLake on PostgreSQL; from submission to the last flow run's end:", "",
             "| workers | pages | facts | seconds | pages/s | facts/s | ratio to 1 worker | crawl s per shard |",
             "|---|---|---|---|---|---|---|---|"]
    for w in r["workers"]:
        lines.append(f"| {w['workers']} | {w['pages']:,} | {w['facts']:,} | {w['seconds']:.1f} | {w['pages'] / w['seconds']:.1f} "
                     f"| {w['facts'] / w['seconds']:,.0f} | {one['seconds'] / w['seconds']:.2f} | {w['crawl_s']:.1f} |")
    ld = r["loads"]
    lines += ["", f"Loading {ld['facts']:,} facts into a fresh lake (one Arrow table), then one-article loads:", "",
              "| path | facts/s | ratio to bare |", "|---|---|---|",
              f"| bare `INSERT INTO facts SELECT * FROM arrow_table` into the lake | {ld['bare_rate']:,.0f} | 1.00 |",
              f"| cityfacts `load_article_tables` (claim, replace, insert, one transaction) | {ld['ours_rate']:,.0f} | "
              f"{ld['ratio']:.2f} |",
              f"| one load of one article (a catalog commit) | {ld['commit_ms']:.0f} ms each | |", "",
              f"Commits serialised at that time bound a whole deployment at about {commit_bound(ld['commit_ms']):,.0f} "
              f"pages/s (one page-load commit per {PAGE_BATCH} pages, one extraction commit per {EXTRACT_BATCH}).", ""]
    return lines


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    print("\n".join(markdown(run(n), n)))
