"""Cities side by side: the latest value of each metric per city, with its evidence."""
from __future__ import annotations

from typing import Any

import duckdb


def top_metrics(con: duckdb.DuckDBPyConnection, n: int = 5) -> list[str]:
    rows = con.execute("""SELECT metric FROM facts WHERE metric IS NOT NULL AND city IS NOT NULL
                          GROUP BY metric ORDER BY count(DISTINCT city) DESC, count(*) DESC, metric LIMIT ?""", [n]).fetchall()
    return [r[0] for r in rows]


def compare(con: duckdb.DuckDBPyConnection, metrics: list[str] | None = None,
            cities: list[str] | None = None, top: int = 5) -> tuple[list[str], list[dict[str, Any]]]:
    """(metrics, rows): one row per city, each metric cell the latest fact (value, unit, date, url, sentence)."""
    metrics = metrics or top_metrics(con, top)
    if not metrics:
        return [], []
    where = "metric IN (SELECT unnest(?))"
    params: list[Any] = [metrics]
    if cities:
        where += " AND lower(city) IN (SELECT lower(unnest(?)))"
        params.append(cities)
    rows = con.execute(f"""SELECT city, metric, value, value_max, unit, approx, published, url, sentence
                           FROM latest_facts WHERE {where} ORDER BY city""", params).fetchall()
    by_city: dict[str, dict[str, Any]] = {}
    for city, metric, value, vmax, unit, approx, published, url, sentence in rows:
        by_city.setdefault(city, {"city": city})[metric] = {
            "value": value, "value_max": vmax, "unit": unit, "approx": approx,
            "published": published.isoformat() if published else None, "url": url, "sentence": sentence}
    return metrics, sorted(by_city.values(), key=lambda r: (-sum(m in r for m in metrics), r["city"]))
