"""Cities side by side: the latest value of each metric per city, with its evidence; one city over time."""
from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

LATEST_AS_OF = """
SELECT * EXCLUDE (rn) FROM (
    SELECT f.*, row_number() OVER (PARTITION BY f.city, f.metric
                                   ORDER BY f.published DESC NULLS LAST, f.value DESC, f.id) AS rn
    FROM facts f
    WHERE f.city IS NOT NULL AND f.metric IS NOT NULL AND (f.published IS NULL OR f.published <= ?))
WHERE rn = 1"""


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
                           FROM ({LATEST_AS_OF}) WHERE {where} ORDER BY city""", params).fetchall()
    by_city: dict[str, dict[str, Any]] = {}
    for city, metric, value, vmax, unit, approx, published, url, sentence, text, counted, fid in rows:
        by_city.setdefault(city, {"city": city})[metric] = {
            "value": value, "value_max": vmax, "unit": unit, "approx": approx,
            "published": published.isoformat() if published else None, "url": url, "sentence": sentence,
            "text": text, "counted": counted, "fact_id": fid}
    return metrics, sorted(by_city.values(), key=lambda r: (-sum(m in r for m in metrics), r["city"]))


def city_profile(con: duckdb.DuckDBPyConnection, city: str) -> list[dict[str, Any]]:
    """Every fact about a city, by metric and date: its profile over time."""
    rows = con.execute("""SELECT metric, published, value, value_max, unit, approx, counted, text, url, sentence
                          FROM facts WHERE lower(city) = lower(?)
                          ORDER BY metric NULLS LAST, published NULLS LAST, value""", [city]).fetchall()
    keys = ("metric", "published", "value", "value_max", "unit", "approx", "counted", "text", "url", "sentence")
    out = []
    for r in rows:
        d = dict(zip(keys, r))
        d["published"] = d["published"].isoformat() if d["published"] else None
        out.append(d)
    return out
