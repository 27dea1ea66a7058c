"""`make scale-demo`: the scaled-out setup on this machine, with the real services, from start to teardown.

Starts Redis, PostgreSQL (Prefect's database and the lake's catalog) and a
Prefect server on loopback, creates the lake, the work pool and the
deployment, starts two workers, serves the demo site (split into three
overlapping sources) and a generated site of 2,000 report pages, then runs
`cityfacts run --distributed` with two shards per source, and shows the
comparison read from the lake. Everything it started is stopped at the end.
The commands it runs are the ones README's "Scaling out" section gives.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from flows.demo_server import DemoSite
from flows.generated_site import GeneratedSite
from flows.local_services import ServiceError, cluster, missing

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def split_sources(demo_url: str | None, generated: GeneratedSite) -> str:
    """A sources file: the demo site as three overlapping sources (English list, Chinese list, home page and feed),
    and the generated site as one big source. The overlap is the point: a page two sources find is fetched once."""
    text = "sources:\n"
    if demo_url:
        common = ("    article_pattern: '/(?:en|zh|admin)/\\d{4}/\\d{2}/[\\w-]+\\.html$'\n"
                  "    canonical_origin: 'http://demo-news.invalid'\n    lang: auto\n"
                  "    politeness: {download_delay: 0, autothrottle: false, concurrency_per_domain: 8}\n")
        text += (f"  - name: demo-en\n    start_urls: ['{demo_url}/en/list_1.html']\n"
                 f"    follow_pattern: '/en/list_\\d+\\.html$'\n{common}"
                 f"  - name: demo-zh\n    start_urls: ['{demo_url}/zh/list_1.html']\n"
                 f"    follow_pattern: '/zh/list_\\d+\\.html$'\n{common}"
                 f"  - name: demo-feed\n    start_urls: ['{demo_url}/']\n    feeds: ['{demo_url}/rss.xml']\n{common}")
    return text + generated.sources_yaml().removeprefix("sources:\n") + "    max_pages: 5000\n"


def step(what: str, cmd: list[str], env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    print(f"$ {' '.join(cmd)}", flush=True)
    r = subprocess.run(cmd, env=env, cwd=ROOT, text=True, capture_output=True)
    for text in (r.stdout, r.stderr if not r.returncode else ""):
        if text.strip():
            print(text.rstrip(), flush=True)
    if check and r.returncode:
        raise SystemExit(f"{what} failed (exit {r.returncode}): {r.stderr.strip()[-2000:]}")
    return r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=2000, help="report pages on the generated site (default 2000)")
    ap.add_argument("--workers", type=int, default=2, help="Prefect workers to start (default 2)")
    ap.add_argument("--shards", type=int, default=2, help="flow runs per source (default 2)")
    args = ap.parse_args(argv)
    lack = missing()
    if lack:
        print(f"scale-demo needs: {', '.join(lack)}", file=sys.stderr)
        return 1
    started = time.monotonic()
    try:
        with cluster() as c, DemoSite() as demo, GeneratedSite(args.pages) as gen, \
                c.prefect.workers("cityfacts", args.workers, ROOT):
            env = c.prefect.env
            print(f"Redis {c.redis.url}, PostgreSQL 127.0.0.1:{c.postgres.port}, Prefect {c.prefect.api_url}\n"
                  f"lake {c.lake_url} (data in {c.lake_data})", flush=True)
            step("work pool", [str(BIN / "prefect"), "work-pool", "create", "cityfacts", "--type", "process"], env)
            step("deploy", [str(BIN / "prefect"), "deploy", "--name", "source", "--no-prompt"], env)
            sources = c.folder / "sources.yaml"
            sources.write_text(split_sources(demo.url, gen), encoding="utf-8")
            t0 = time.monotonic()
            r = step("run", [str(BIN / "cityfacts"), "run", "--distributed", "--sources", str(sources), "--db", c.lake_url,
                             "--redis", c.redis.url, "--shards", str(args.shards)], env, check=False)
            print(f"distributed run: {time.monotonic() - t0:.1f} s", flush=True)
            step("sql", [str(BIN / "cityfacts"), "sql", "--db", c.lake_url,
                         "SELECT count(*) AS pages, count(DISTINCT url) AS distinct_urls FROM pages"], env)
            step("compare", [str(BIN / "cityfacts"), "compare", "--db", c.lake_url], env)
            step("compact", [str(BIN / "cityfacts"), "lake", "compact", "--db", c.lake_url], env)
            code = r.returncode
    except ServiceError as exc:
        print(f"scale-demo: {exc}", file=sys.stderr)
        return 1
    print(f"all services stopped; {time.monotonic() - started:.0f} s in all")
    return code


if __name__ == "__main__":
    sys.exit(main())
