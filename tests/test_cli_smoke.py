"""The installed entry point in real processes: what a shell user runs, start-up, stdin, exit codes, one-line errors.

Most command tests run in-process (conftest.cli); these few keep the real process boundary honest.
"""
from __future__ import annotations

import json
import subprocess

from conftest import CLI_PROCESS


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI_PROCESS, *args], capture_output=True, text=True, input=stdin, timeout=300)


def test_extract_from_stdin_and_a_missing_file_in_one_process():
    out = run("extract", "-", "/nonexistent/report.txt", "--json", stdin="Suzhou has 12 industrial colleges.")
    assert out.returncode == 1, "one input failed"
    doc = json.loads(out.stdout)
    assert doc["path"] == "-" and doc["main_city"] == "Suzhou" and doc["facts"][0]["value"] == 12
    errors = out.stderr.strip().splitlines()
    assert errors == [next(e for e in errors if e.startswith("error: /nonexistent/report.txt"))]


def test_user_errors_are_one_line_with_status_1(tmp_path):
    for args in (["sql", "DROP TABLE facts", "--db", str(tmp_path / "x.duckdb")],
                 ["compare", "--db", str(tmp_path / "none.duckdb")],
                 ["sources", "check", str(tmp_path / "missing.yaml")]):
        out = run(*args)
        assert out.returncode == 1, args
        assert len(out.stderr.strip().splitlines()) == 1 and out.stderr.startswith("error: "), out.stderr


def test_help_lists_every_command():
    out = run("--help")
    assert out.returncode == 0
    for command in ("demo", "run", "crawl", "reextract", "schedule", "sources", "extract", "parse", "sql", "compare",
                    "city", "export", "report", "schema", "eval"):
        assert f" {command} " in out.stdout, command


IMPORT_CHECK = """
import sys
sys.argv = ["cityfacts", *sys.argv[1:]]
try:
    from flows.cli import main
    main()
except SystemExit:
    pass
heavy = sorted(m for m in ("spacy", "thinc", "trafilatura", "htmldate", "prefect", "scrapy", "jieba", "opencc")
               if m in sys.modules)
print("HEAVY=" + ",".join(heavy), file=sys.stderr)
"""


def test_read_commands_start_without_the_heavy_libraries(tmp_path):
    """sql, compare, city, schema, export and sources list never import spaCy, trafilatura, Prefect or Scrapy:
    they answer in a fraction of a second (checked by what is imported, not by timing)."""
    import subprocess
    import sys

    from pipeline import db as pdb

    db = tmp_path / "read.duckdb"
    with pdb.writer(db):
        pass
    commands = [["sql", "select 1", "--db", str(db)], ["compare", "--db", str(db)], ["city", "Jinan", "--db", str(db)],
                ["schema"], ["export", "--db", str(db), "--out", str(tmp_path / "out"), "--format", "csv"],
                ["sources", "list", "--db", str(db)]]
    for args in commands:
        run = subprocess.run([sys.executable, "-c", IMPORT_CHECK, *args], capture_output=True, text=True, timeout=60)
        heavy = [line for line in run.stderr.splitlines() if line.startswith("HEAVY=")]
        assert heavy == ["HEAVY="], f"{args[0]} imported {heavy}: {run.stderr[-500:]}"


def test_demo_serve_writes_a_sources_file_that_run_can_use(tmp_path):
    """`demo --serve` serves the site until stopped and writes a filled-in sources file; the bundled file checks
    with --var and says what is missing without it."""
    import signal
    import subprocess
    import time
    import urllib.request

    import yaml
    from conftest import CLI_PROCESS, ROOT, cli

    out_file = tmp_path / "demo-sources.yaml"
    proc = subprocess.Popen([*CLI_PROCESS, "demo", "--serve", "--sources-out", str(out_file)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not out_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert out_file.exists(), proc.stderr.read() if proc.poll() is not None else "no sources file"
        time.sleep(0.3)
        start = yaml.safe_load(out_file.read_text(encoding="utf-8"))["sources"][0]["start_urls"][0]
        assert start.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(start, timeout=10) as resp:
            assert resp.status == 200
        assert cli("sources", "check", str(out_file)).returncode == 0
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    bundled = ROOT / "flows" / "demo_site" / "sources.yaml"
    missing = cli("sources", "check", str(bundled))
    assert missing.returncode == 1 and "--var demo=URL" in missing.stderr
    assert cli("sources", "check", str(bundled), "--var", "demo=http://127.0.0.1:8000").returncode == 0
    assert cli("sources", "check", str(bundled), "--var", "demo").returncode == 1


def test_a_bad_database_path_fails_before_prefect_starts(tmp_path):
    import subprocess

    from conftest import CLI_PROCESS, ROOT

    garbage = tmp_path / "not.duckdb"
    garbage.write_bytes(b"root:x:0:0:root:/root:/bin/bash\n")
    run = subprocess.run([*CLI_PROCESS, "run", "--sources", str(ROOT / "flows" / "demo_site" / "sources.yaml"),
                          "--var", "demo=http://127.0.0.1:9", "--db", str(garbage)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert "not a valid DuckDB database" in run.stderr and "Traceback" not in run.stderr
    assert "prefect" not in run.stderr.lower() and "extracting" not in run.stderr, "no Prefect server, no progress bar"
