"""Cities side by side, like with like: the latest value of each metric per city in one slice of figures.

A slice fixes what kind of figure a column holds (nlp/qualifiers.py): by
default actual, city-wide totals of all levels, so a target, an addition, a
yearly flow, a national subset or a district's count never stands in for a
city's total; an empty cell is better than an unlike figure. The latest
value comes from the database's own `latest_facts_as_of` macro
(pipeline/tables.py), the same SQL the `latest_facts` view uses, and each
metric column keeps to one unit. Every cell says how many pages back it
(the `claims` view) and whether other pages gave another value.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from pipeline.formatting import figure

CELL_KEYS = ("value", "value_max", "unit", "approx", "published", "year", "url", "sentence", "text", "counted", "fact_id")


@dataclass(frozen=True)
class Slice:
    status: str = "actual"
    aspect: str = "total"
    level: str | None = None
    scope: str = "city"
    year: int | None = None

    def macro_args(self) -> str:
        return "want_status := ?, want_aspect := ?, want_level := ?, want_scope := ?, want_year := ?"

    def params(self) -> list[Any]:
        return [self.status, self.aspect, self.level, self.scope, self.year]

    def describe(self) -> str:
        """'actual city-wide totals, all levels' and the like: what every output says it shows."""
        status = {"actual": "actual", "target": "targeted"}.get(self.status, self.status)
        aspect = {"total": "totals", "added": "additions", "per_year": "yearly figures"}.get(self.aspect, self.aspect)
        scope = "city-wide" if self.scope == "city" else "parts of a city (a district, a school, a project)"
        level = f"{self.level} level" if self.level else "all levels"
        year = f", for {self.year}" if self.year else ""
        return f"{status} {scope} {aspect}, {level}{year}"

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "aspect": self.aspect, "level": self.level, "scope": self.scope, "year": self.year}


DEFAULT = Slice()


def top_metrics(con: duckdb.DuckDBPyConnection, n: int = 5, slc: Slice = DEFAULT) -> list[str]:
    """The metrics most cities report in this slice."""
    rows = con.execute(f"""SELECT metric FROM latest_facts_as_of(DATE '9999-12-31', {slc.macro_args()})
                           GROUP BY metric ORDER BY count(DISTINCT city) DESC, count(*) DESC, metric LIMIT ?""",
                       [*slc.params(), n]).fetchall()
    return [r[0] for r in rows]


def compare(con: duckdb.DuckDBPyConnection, metrics: list[str] | None = None, cities: list[str] | None = None,
            top: int = 5, as_of: str | None = None, slc: Slice = DEFAULT) -> tuple[list[str], list[dict[str, Any]]]:
    """(metrics, rows): one row per city; each metric cell is the latest fact of the slice as of a date, with its
    unit, date, year, source and evidence, how many sources back it, and the range when sources disagree."""
    metrics = metrics or top_metrics(con, top, slc)
    if not metrics:
        return [], []
    cutoff = date.fromisoformat(as_of) if as_of else date.max
    params: list[Any] = [cutoff, *slc.params(), metrics]
    where = "metric IN (SELECT unnest(?))"
    if cities:
        where += " AND lower(city) IN (SELECT lower(unnest(?)))"
        params.append(cities)
    rows = con.execute(f"""SELECT city, metric, value, value_max, unit, approx, published, fact_year, url, sentence, text,
                                  counted, id
                           FROM latest_facts_as_of(?, {slc.macro_args()}) WHERE {where} ORDER BY city""",
                       params).fetchall()
    units = _column_units(rows)
    support = _support(con, slc, cutoff)
    by_city: dict[str, dict[str, Any]] = {}
    for city, metric, *cell in rows:
        d = dict(zip(CELL_KEYS, cell, strict=True))
        if d["unit"] != units[metric]:
            continue  # one unit per column: people are not person-times
        d["published"] = d["published"].isoformat() if d["published"] else None
        d.update(_backing(support.get((city, metric, d["unit"], d["year"]), []), d["value"]))
        by_city.setdefault(city, {"city": city})[metric] = d
    return metrics, sorted(by_city.values(), key=lambda r: (-sum(m in r for m in metrics), r["city"]))


def _column_units(rows: list[tuple[Any, ...]]) -> dict[str, str]:
    """For each metric, the unit most cities report it in (people over person_times when tied, by name)."""
    counts: dict[str, Counter[str]] = {}
    for _city, metric, _v, _vm, unit, *_ in rows:
        counts.setdefault(metric, Counter())[unit] += 1
    return {m: sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] for m, c in counts.items()}


def _support(con: duckdb.DuckDBPyConnection, slc: Slice, cutoff: date) -> dict[tuple[Any, ...], list[tuple[Any, ...]]]:
    """(city, metric, unit, year) -> its claims in this slice: (value_low, value_high, sources, hosts)."""
    rows = con.execute("""SELECT city, metric, unit, year, value_low, value_high, sources, hosts FROM claims
                          WHERE status = ? AND aspect = ? AND level IS NOT DISTINCT FROM ? AND scope = ?
                            AND (first_seen IS NULL OR first_seen <= ?)""",
                       [slc.status, slc.aspect, slc.level, slc.scope, cutoff]).fetchall()
    out: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
    for city, metric, unit, year, low, high, sources, hosts in rows:
        out.setdefault((city, metric, unit, year), []).append((low, high, sources, hosts))
    return out


def _backing(claims: list[tuple[Any, ...]], value: float) -> dict[str, Any]:
    """How many sources back this value, and the range of what all sources said for the same year."""
    mine = next((c for c in claims if c[0] * 0.995 <= value <= c[1] * 1.005), None)
    others = [c for c in claims if c is not mine]
    low = min([value, *(c[0] for c in others)])
    high = max([value, *(c[1] for c in others)])
    return {"sources": mine[2] if mine else 1, "hosts": mine[3] if mine else 1,
            "disagreement": {"low": low, "high": high, "claims": len(claims)} if others else None}


def compare_grid(metrics: list[str], rows: list[dict[str, Any]], labels: dict[str, str],
                 readable: bool) -> tuple[list[str], list[tuple[Any, ...]]]:
    """(columns, rows) for the terminal: one column per metric, each cell '>86,000 people (2024-05-01, 2 src)'
    and, when sources disagree for that year, the range they span."""
    grid = []
    for r in rows:
        cells: list[Any] = [r["city"]]
        for m in metrics:
            cell = r.get(m)
            if cell is None:
                cells.append("" if readable else None)
                continue
            text = (f"{figure(cell['value'], cell['unit'], cell['approx'], cell['value_max'])} "
                    f"({cell['published'] or '?'}, {cell['sources']} src)")
            if cell["disagreement"]:
                d = cell["disagreement"]
                text += f" ≠ {figure(d['low'], cell['unit'], None)}–{figure(d['high'], None, None)}"
            cells.append(text if readable else cell["value"])
        grid.append(tuple(cells))
    return ["city"] + ([labels.get(m, m) for m in metrics] if readable else metrics), grid


LONG_COLUMNS = ("city", "metric", "value", "value_max", "unit", "approx", "published", "year", "status", "aspect",
                "level", "scope", "sources", "hosts", "disagree_low", "disagree_high", "url", "counted", "sentence")


def compare_long(metrics: list[str], rows: list[dict[str, Any]], slc: Slice) -> tuple[list[str], list[tuple[Any, ...]]]:
    """One row per city and metric with everything a cell knows (for CSV): value, range, unit, qualifier,
    dates, the slice it belongs to, its support and its source."""
    out = []
    for r in rows:
        for m in metrics:
            c = r.get(m)
            if c is None:
                continue
            d = c["disagreement"] or {}
            out.append((r["city"], m, c["value"], c["value_max"], c["unit"], c["approx"], c["published"], c["year"],
                        slc.status, slc.aspect, slc.level, slc.scope, c["sources"], c["hosts"], d.get("low"),
                        d.get("high"), c["url"], c["counted"], c["sentence"]))
    return list(LONG_COLUMNS), out


PROFILE_KEYS = ("metric", "published", "year", "status", "aspect", "level", "scope", "part", "value", "value_max", "unit",
                "approx", "counted", "text", "url", "sentence")


def city_profile(con: duckdb.DuckDBPyConnection, city: str) -> list[dict[str, Any]]:
    """Every fact about a city, by metric, slice and year: its history, kind by kind."""
    rows = con.execute("""SELECT metric, published, coalesce(year, year(published)) AS year, status, aspect, level, scope,
                                  part, value, value_max, unit, approx, counted, text, url, sentence
                           FROM facts WHERE lower(city) = lower(?)
                           ORDER BY metric NULLS LAST, status, aspect, level NULLS FIRST, scope, year NULLS LAST,
                                    published NULLS LAST, value""", [city]).fetchall()
    out = []
    for r in rows:
        d = dict(zip(PROFILE_KEYS, r, strict=True))
        d["published"] = d["published"].isoformat() if d["published"] else None
        out.append(d)
    return out


def slice_label(r: dict[str, Any]) -> str:
    """'target · added · national · part (Changsha County)': what kind of figure a profile row is."""
    parts = [p for p in (r.get("status") if r.get("status") != "actual" else None,
                         r.get("aspect") if r.get("aspect") != "total" else None, r.get("level"),
                         f"part ({r['part']})" if r.get("scope") == "part" and r.get("part") else
                         ("part" if r.get("scope") == "part" else None)) if p]
    return " · ".join(parts) or "total"


def profile_grid(rows: list[dict[str, Any]], labels: dict[str, str]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """(columns, rows) of a city's profile for the terminal."""
    return ["metric", "kind", "year", "date", "value", "counts", "source"], [
        (labels.get(r["metric"], r["metric"] or "(other)"), slice_label(r), r["year"], r["published"],
         figure(r["value"], r["unit"], r["approx"], r["value_max"]), r["counted"], r["url"]) for r in rows]
