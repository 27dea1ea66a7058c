"""Cities side by side: the latest value of each metric per city, with its evidence; one city over time.

The latest value comes from the database's own `latest_facts_as_of` macro
(pipeline/tables.py), the same SQL the `latest_facts` view uses.
"""
from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from pipeline.formatting import figure

CELL_KEYS = ("value", "value_max", "unit", "approx", "published", "url", "sentence", "text", "counted", "fact_id")


def top_metrics(con: duckdb.DuckDBPyConnection, n: int = 5) -> list[str]:
    rows = con.execute("""SELECT metric FROM facts WHERE metric IS NOT NULL AND city IS NOT NULL
                          GROUP BY metric ORDER BY count(DISTINCT city) DESC, count(*) DESC, metric LIMIT ?""", [n]).fetchall()
    return [r[0] for r in rows]


def compare(con: duckdb.DuckDBPyConnection, metrics: list[str] | None = None, cities: list[str] | None = None,
            top: int = 5, as_of: str | None = None) -> tuple[list[str], list[dict[str, Any]]]:
    """(metrics, rows): one row per city, each metric cell the latest fact as of a date (value, unit, date, url, sentence)."""
    metrics = metrics or top_metrics(con, top)
    if not metrics:
        return [], []
    cutoff = date.fromisoformat(as_of) if as_of else date.max
    params: list[Any] = [cutoff, metrics]
    where = "metric IN (SELECT unnest(?))"
    if cities:
        where += " AND lower(city) IN (SELECT lower(unnest(?)))"
        params.append(cities)
    rows = con.execute(f"""SELECT city, metric, value, value_max, unit, approx, published, url, sentence, text, counted, id
                           FROM latest_facts_as_of(?) WHERE {where} ORDER BY city""", params).fetchall()
    by_city: dict[str, dict[str, Any]] = {}
    for city, metric, *cell in rows:
        d = dict(zip(CELL_KEYS, cell, strict=True))
        d["published"] = d["published"].isoformat() if d["published"] else None
        by_city.setdefault(city, {"city": city})[metric] = d
    return metrics, sorted(by_city.values(), key=lambda r: (-sum(m in r for m in metrics), r["city"]))


def compare_grid(metrics: list[str], rows: list[dict[str, Any]], labels: dict[str, str],
                 readable: bool) -> tuple[list[str], list[tuple[Any, ...]]]:
    """(columns, rows) for a table: readable cells ('>86,000 people (2024-05-01)') or bare values (CSV)."""
    grid = []
    for r in rows:
        cells: list[Any] = [r["city"]]
        for m in metrics:
            cell = r.get(m)
            if cell is None:
                cells.append("" if readable else None)
            elif readable:
                cells.append(f"{figure(cell['value'], cell['unit'], cell['approx'], cell['value_max'])} ({cell['published'] or '?'})")
            else:
                cells.append(cell["value"])
        grid.append(tuple(cells))
    return ["city"] + ([labels.get(m, m) for m in metrics] if readable else metrics), grid


PROFILE_KEYS = ("metric", "published", "value", "value_max", "unit", "approx", "counted", "text", "url", "sentence")


def city_profile(con: duckdb.DuckDBPyConnection, city: str) -> list[dict[str, Any]]:
    """Every fact about a city, by metric and date: its profile over time."""
    rows = con.execute(f"""SELECT {', '.join(PROFILE_KEYS)}
                          FROM facts WHERE lower(city) = lower(?)
                          ORDER BY metric NULLS LAST, published NULLS LAST, value""", [city]).fetchall()
    out = []
    for r in rows:
        d = dict(zip(PROFILE_KEYS, r, strict=True))
        d["published"] = d["published"].isoformat() if d["published"] else None
        out.append(d)
    return out


def profile_grid(rows: list[dict[str, Any]], labels: dict[str, str]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """(columns, rows) of a city's profile for the terminal."""
    return ["metric", "date", "value", "counts", "source"], [
        (labels.get(r["metric"], r["metric"] or "(other)"), r["published"],
         figure(r["value"], r["unit"], r["approx"], r["value_max"]), r["counted"], r["url"]) for r in rows]
