"""Issue 16: each defence an attack pass found missing, as a test that failed before its fix."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from flows.loopback import LoopbackSite
from tests.conftest import cli


@pytest.fixture()
def empty_db(tmp_path: Path) -> Path:
    from pipeline.db import writer

    path = tmp_path / "f.duckdb"
    with writer(path):
        pass
    return path


# The lock follows the file, not the path string.
def test_a_symlink_to_the_database_shares_its_lock(tmp_path: Path) -> None:
    from flows.errors import RunInProgress
    from flows.work import run_lock

    real = tmp_path / "real.duckdb"
    real.touch()
    link = tmp_path / "link.duckdb"
    link.symlink_to(real)
    with run_lock(real):
        import subprocess
        import sys

        code = ("from flows.work import run_lock\nimport sys\ntry:\n    with run_lock(sys.argv[1]): pass\n"
                "except Exception as e:\n    print(type(e).__name__); sys.exit(3)")
        r = subprocess.run([sys.executable, "-c", code, str(link)], capture_output=True, text=True)
    assert r.returncode == 3 and RunInProgress.__name__ in r.stdout


# Data is printed as text, never as markup.
def test_markup_in_data_is_printed_as_text(empty_db: Path) -> None:
    r = cli("sql", "--db", str(empty_db), "SELECT '[/]' AS a, '[link=http://e.invalid]x[/link]' AS b, '[bold]c' AS c")
    assert r.returncode == 0, r.stderr
    assert "[/]" in r.stdout and "[link=http://e.invalid]x[/link]" in r.stdout and "[bold]c" in r.stdout


def test_a_page_title_with_markup_does_not_crash_parse(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text("<html><head><title>Report [/] on [link=http://e.invalid]x</title></head><body><article><p>"
                    + "Jinan built 12 training bases for vocational students this year. " * 5
                    + "</p></article></body></html>", encoding="utf-8")
    r = cli("parse", str(page))
    assert r.returncode == 0, r.stderr
    assert "[/]" in r.stdout


def test_a_file_name_with_markup_is_named_as_written(tmp_path: Path) -> None:
    r = cli("extract", str(tmp_path / "[red]missing[/].txt"))
    assert r.returncode == 1 and "[red]missing[/].txt" in r.stderr


# EXPLAIN ANALYZE runs what it wraps.
@pytest.mark.parametrize("query", [
    "EXPLAIN ANALYZE COPY (SELECT 1) TO '{dir}/x.csv'",
    "EXPLAIN ANALYZE CREATE TEMP TABLE t AS SELECT 1",
    "EXPLAIN ANALYZE CHECKPOINT",
    "EXPLAIN (FORMAT json) COPY (SELECT 1) TO '{dir}/x.csv'",
    "explain analyse  copy (select 1) to '{dir}/x.csv'",
])
def test_explain_of_anything_but_a_query_is_refused(empty_db: Path, query: str) -> None:
    r = cli("sql", "--db", str(empty_db), query.format(dir=f"{empty_db}.tmp"))
    assert r.returncode == 1 and "refused" in r.stderr, r.stdout + r.stderr
    assert not Path(f"{empty_db}.tmp/x.csv").exists()


def test_explain_of_a_query_still_works(empty_db: Path) -> None:
    r = cli("sql", "--db", str(empty_db), "EXPLAIN ANALYZE SELECT count(*) FROM facts")
    assert r.returncode == 0, r.stderr


# export: paths never pasted into SQL, views read in the sandbox.
def test_export_to_a_folder_with_a_quote_in_its_name(empty_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "it's here"
    for fmt in ("csv", "parquet"):
        r = cli("export", "--db", str(empty_db), "--out", str(out), "--format", fmt)
        assert r.returncode == 0, r.stderr
        assert (out / f"facts.{fmt}").exists()


def test_export_reads_through_the_sandbox(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "planted.duckdb"
    from pipeline.db import writer

    with writer(path):
        pass
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE sources")
    con.execute("CREATE VIEW sources AS SELECT content AS name FROM read_text('/etc/hostname')")
    con.close()
    r = cli("export", "--db", str(path), "--out", str(tmp_path / "out"), "--format", "csv")
    assert r.returncode == 1 and "sources" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    leaked = tmp_path / "out" / "sources.csv"
    assert not leaked.exists() or Path("/etc/hostname").read_text().strip() not in leaked.read_text()


# Credentials never reach the database.
def test_credentials_are_stripped_from_stored_urls() -> None:
    from crawlers.spiders.reports import ReportSpider, without_credentials

    assert without_credentials("http://user:secret@example.cn:8080/a?q=1") == "http://example.cn:8080/a?q=1"
    assert without_credentials("https://example.cn/a") == "https://example.cn/a"
    sp = ReportSpider(source={"name": "s", "start_urls": ["http://u:p@example.cn/"], "article_pattern": "/a/"})
    assert "secret" not in sp.failure("http://user:secret@example.cn/x", "HttpError: HTTP 500").url
    assert "secret" not in sp.canonical_url("http://user:secret@example.cn/a/1.html")


# Sources files: duplicate keys, absurd nesting, endless input.
def test_a_duplicate_key_in_a_sources_file_is_an_error_naming_its_line(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("sources:\n  - name: a\n    start_urls: ['http://example.cn/']\n"
                    "    article_pattern: '/a/'\n    article_pattern: '/b/'\n", encoding="utf-8")
    r = cli("sources", "check", str(path))
    assert r.returncode == 1 and "duplicate key 'article_pattern'" in r.stderr and ":5" in r.stderr, r.stderr


def test_deeply_nested_yaml_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    r = cli("sources", "check", str(path))
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, r.stderr[-500:]


@pytest.mark.parametrize("command", [["sources", "check"], ["extract"], ["parse"]])
def test_an_endless_input_is_refused_at_the_limit(command: list[str]) -> None:
    r = cli(*command, "/dev/zero")
    assert r.returncode == 1 and "MB" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr[-500:]


def test_a_stray_byte_in_a_utf8_report_is_replaced_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    text = "济南市今年新建实训基地12个，培训职工3万人次。" * 20
    data = text.encode("utf-8")
    path.write_bytes(data[:30] + b"\xff" + data[30:])
    r = cli("extract", "--format", "json", str(path))
    assert r.returncode == 0, r.stderr
    assert "1 byte not valid UTF-8" in r.stderr and '"value": 12' in r.stdout


# robots.txt holds for every host a source starts from.
class NoRobots(LoopbackSite):
    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    def handle(self, h: Any, path: str) -> None:
        self.paths.append(path)
        if path == "/robots.txt":
            self.respond(h, 200, b"User-agent: *\nDisallow: /\n", "text/plain")
        elif path == "/":
            self.respond(h, 200, b"<html><body><a href='/a/1.html'>report</a></body></html>")
        else:
            self.respond(h, 200, b"<html><body><p>Jinan built 12 training bases.</p></body></html>")


def test_robots_txt_holds_for_start_urls_outside_allowed_domains(tmp_path: Path) -> None:
    from crawlers.sources import load_sources
    from flows import work

    with NoRobots() as site:
        src = tmp_path / "s.yaml"
        src.write_text(f"sources:\n  - name: s\n    start_urls: ['{site.url}/']\n    article_pattern: '/a/'\n"
                       f"    allowed_domains: ['example.invalid']\n"
                       f"    politeness: {{download_delay: 0, autothrottle: false}}\n", encoding="utf-8")
        result = work.crawl(load_sources(src), tmp_path / "w", set())
        fetched = [p for p in site.paths if p != "/robots.txt"]
    assert "/robots.txt" in site.paths and fetched == [] and result.page_count == 0


# Work files a crashed run left are swept by a later crawl; another run's fresh ones are not.
def test_work_files_of_crashed_runs_are_swept_by_the_next_crawl(tmp_path: Path) -> None:
    import time

    from crawlers.sources import load_sources
    from flows import work

    (tmp_path / "w").mkdir()
    stale, fresh = tmp_path / "w" / "spool-dead.jsonl", tmp_path / "w" / "spool-live.jsonl"
    stale.write_text("{}\n")
    fresh.write_text("{}\n")
    os.utime(stale, (0, time.time() - 3 * 86400))
    with NoRobots() as site:  # a crawl that fetches nothing but robots.txt: quick
        src = tmp_path / "s.yaml"
        src.write_text(f"sources:\n  - name: s\n    start_urls: ['{site.url}/']\n    article_pattern: '/a/'\n"
                       f"    politeness: {{download_delay: 0, autothrottle: false}}\n", encoding="utf-8")
        work.crawl(load_sources(src), tmp_path / "w", set()).discard()
    assert not stale.exists() and fresh.exists()


# Extraction stays linear: no sentence is longer than 1,000 characters, however the text runs on.
@pytest.mark.parametrize(("lang", "line"), [("en", "Jinan built 5 bases\n"), ("zh", "济南建成5个基地\n"),
                                            ("zh", "1万")])
def test_a_text_without_sentence_ends_is_cut_into_bounded_sentences(extractor: Any, lang: str, line: str) -> None:
    text = line * (20_000 // len(line))
    result = extractor.extract(text, lang)
    assert len(result.facts) > 500
    assert max(len(f.sentence) for f in result.facts) <= 1000


# No orphans: a crawl child dies with the process that started it, kill -9 included.
def test_the_crawl_child_dies_when_its_parent_is_killed(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "parent.py"
    script.write_text(
        "import sys\nfrom pathlib import Path\nfrom flows.work import _run_child\n"
        "child = 'import sys, time; open(sys.argv[1], \"w\").write(\"up\"); time.sleep(300)'\n"
        "_run_child([sys.executable, '-c', child, sys.argv[1]], 600, Path(sys.argv[2]))\n", encoding="utf-8")
    flag = tmp_path / "child-up"
    parent = subprocess.Popen([sys.executable, str(script), str(flag), str(tmp_path / "log")], cwd=Path(__file__).parent.parent)
    deadline = time.monotonic() + 30
    while not flag.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    from flows.local_services import descendants

    children = descendants(parent.pid)
    assert children, "the child did not start"
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() and
                                              "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]
                                              for pid in children if Path(f"/proc/{pid}/stat").exists()):
        time.sleep(0.1)
    alive = [pid for pid in children if Path(f"/proc/{pid}/stat").exists()
             and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"]
    assert not alive, f"orphaned: {alive}"


def test_a_terminal_escape_is_not_a_figure(extractor: Any) -> None:
    result = extractor.extract("Jinan built \x1b[1m12\x1b[0m training bases this year.\x1b[31;1m", "en")
    assert [f.value for f in result.facts] == [12]


# A database damaged inside is one line naming it, in every command that reads it.
@pytest.mark.parametrize("command", [["report", "--out", "{dir}/r.html"], ["export", "--out", "{dir}/x"],
                                     ["compare"], ["sql", "SELECT count(*) FROM facts"]])
def test_a_corrupted_database_is_one_line(tmp_path: Path, command: list[str]) -> None:
    import shutil

    from pipeline.db import writer

    path = tmp_path / "bad.duckdb"
    with writer(path):
        pass
    data = bytearray(path.read_bytes())
    for i in range(8192, len(data), 4096):  # damage every block after the header
        data[i:i + 64] = b"\xa5" * 64
    path.write_bytes(bytes(data))
    r = cli(*[a.format(dir=tmp_path) for a in command], "--db", str(path))
    assert r.returncode == 1 and str(path) in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr[-800:]
    shutil.rmtree(tmp_path / "x", ignore_errors=True)


def test_a_power_written_with_a_caret_is_not_two_figures(extractor: Any) -> None:
    result = extractor.extract("The fund reached 10^400 yuan and 3 colleges joined.", "en")
    assert [f.value for f in result.facts] == [3]


class CountingPattern:
    """A compiled pattern that counts its match calls: how many place pairs attribution inspects."""

    def __init__(self, pattern: Any) -> None:
        self.pattern, self.calls = pattern, 0

    def match(self, *args: Any) -> Any:
        self.calls += 1
        return self.pattern.match(*args)


def test_attribution_looks_at_each_place_once_per_document_not_per_figure(extractor: Any) -> None:
    # Issue 16: every figure re-scanned every place of the document for lists ("济南、淄博等三市"): quadratic.
    attribution = extractor.pipeline("zh").get_pipe("cityfacts_figures").attribution
    counting = CountingPattern(attribution.list_separator)
    attribution.list_separator = counting
    try:
        ex = extractor.extract("济南建5所\n" * 400, "zh")  # places 4 characters apart: each pair is checked
    finally:
        attribution.list_separator = counting.pattern
    assert len(ex.facts) == 400 and {f.city for f in ex.facts} == {"Jinan"}
    assert counting.calls < 2 * 400  # pairs of neighbouring places, once; before the fix 400 figures x 399 pairs


def test_span_index_answers_as_a_scan_would() -> None:
    import random

    from nlp.spans import ByStart

    rnd = random.Random(7)
    spans = [(s, s + rnd.randint(1, 30)) for s in (rnd.randint(0, 500) for _ in range(200))]
    index = ByStart(spans, lambda x: x[0], lambda x: x[1])
    for _ in range(300):
        lo = rnd.randint(0, 520)
        hi = lo + rnd.randint(0, 60)
        assert sorted(index.starting(lo, hi)) == sorted(x for x in spans if lo <= x[0] < hi)
        assert sorted(index.within(lo, hi)) == sorted(x for x in spans if lo <= x[0] and x[1] <= hi)
        assert index.covers(lo, hi) == any(s <= lo and hi <= e for s, e in spans)


def test_a_main_text_over_the_limit_is_dropped_as_soon_as_it_is_parsed(extractor: Any) -> None:
    # Issue 16: pages just under max_page_bytes were held with their raw bytes until the whole batch reached the
    # extractor, only to be skipped there. Now the extractor never sees them.
    from flows.work import extract_pages
    from nlp.extract import MAX_CHARS, Extractor
    from pipeline.queries import StoredPage

    class Recording(Extractor):
        def __init__(self) -> None:
            self.__dict__.update(extractor.__dict__)  # the session's pipelines, already loaded
            self.lengths: list[int] = []

        def extract_many(self, texts: Any, *args: Any, **kwargs: Any) -> Any:
            texts = list(texts)
            self.lengths += [len(t) for t in texts]
            return super().extract_many(texts, *args, **kwargs)

    line = "<p>Jinan built 12 training bases and 30 industrial colleges for its vocational schools.</p>"
    huge = ("<html><body>" + line * (MAX_CHARS // 80 + 100) + "</body></html>").encode()
    small = f"<html><body><h1>Jinan</h1>{line}</body></html>".encode()
    pages = [StoredPage("http://x.test/a/huge.html", "s", "text/html; charset=utf-8", "h1", huge),
             StoredPage("http://x.test/a/small.html", "s", "text/html; charset=utf-8", "h2", small)]
    recording = Recording()
    kept, irrelevant = extract_pages(pages, {}, recording)
    assert irrelevant == ["http://x.test/a/huge.html"]
    assert [a.url for a in kept] == ["http://x.test/a/small.html"]
    assert recording.lengths and max(recording.lengths) < MAX_CHARS


def test_a_tag_with_200000_attributes_does_not_stall_parse(tmp_path: Path) -> None:
    import subprocess
    import sys

    crowded = " ".join(f'a{i}="x"' for i in range(200_000))
    page = tmp_path / "crowded.html"
    page.write_text(f"<html><body><div {crowded}><p>Jinan built 12 training bases this year.</p></div></body></html>",
                    encoding="utf-8")
    # In a process of its own, so a stall (minutes before the fix: lxml's attribute check is quadratic) fails it.
    cityfacts = Path(sys.executable).parent / "cityfacts"
    r = subprocess.run([str(cityfacts), "parse", str(page), "--json"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "Jinan built 12 training bases" in r.stdout


# A full disk is one line saying so; what was stored before stays readable.
def test_a_full_disk_is_one_line_naming_it(tmp_path: Path) -> None:
    import subprocess
    import sys

    small = tmp_path / "small"
    small.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1600k", "tmpfs", str(small)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    try:
        cityfacts = str(Path(sys.executable).parent / "cityfacts")
        db = str(small / "x.duckdb")
        r = subprocess.run([cityfacts, "demo", "--db", db], capture_output=True, text=True, timeout=600, cwd=tmp_path)
        assert r.returncode == 1, r.stdout + r.stderr
        lines = [line for line in r.stderr.splitlines() if line.strip() and "━" not in line]
        assert lines and lines[-1].startswith(f"error: {db}:") and "No space left on device" in lines[-1], r.stderr
        assert "Traceback" not in r.stderr and "rollback" not in r.stderr, r.stderr
        assert subprocess.run([cityfacts, "sql", "--db", db, "SELECT count(*) FROM pages"], capture_output=True,
                              text=True, timeout=60).returncode == 0
    finally:
        subprocess.run(["umount", "-l", str(small)], capture_output=True)


@pytest.mark.parametrize("text", ["济南市建成实训基地12个。", "  济南 建成  实训基地\n\n12个 ", "Jinan 济南\t市 2024年 the city",
                                  "\n", "", "一 二  三   四\r\n五", "济南市" * 300 + " \n " + "10万人次"])
def test_the_chinese_tokenizer_makes_the_tokens_spacy_makes(extractor: Any, text: str) -> None:
    # Issue 16: spaCy's own zh tokenizer aligns jieba's words by copying the rest of the text for each: quadratic.
    # Ours places them by jieba's offsets; the tokens and their spaces must be the same.
    ours = extractor.pipeline("zh").tokenizer
    theirs = ours.base
    assert [(t.text, t.whitespace_) for t in ours(text)] == [(t.text, t.whitespace_) for t in theirs(text)]
