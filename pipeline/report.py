"""One self-contained HTML report: a bar chart per metric across cities, trends over time, evidence for every number.

Charts are Vega-Lite, rendered to inline SVG when the report is built (pipeline/charts.py); styles are
inline CSS: opening the file makes no network request at all. Every bar and point links to its evidence
row (sentence, date, source URL).
"""
from __future__ import annotations

import html
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from pipeline.charts import bar_chart, trend_chart
from pipeline.compare import DEFAULT, compare, slice_label, top_metrics
from pipeline.formatting import figure

# One unit per axis: the axis says which (a column of compare never mixes units).
UNIT_TITLES = {"count": "count", "people": "people", "person_times": "person-times", "yuan": "yuan",
               "percent": "percent", "area_m2": "square metres", "other": "other currency"}

PALETTE = ["#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b7791f", "#c53030", "#2c7a7b", "#97266d"]

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Noto Sans SC","PingFang SC","Hiragino Sans GB","Microsoft YaHei",sans-serif;margin:2rem auto;max-width:1100px;color:#1a202c;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #e2e8f0;padding-bottom:.3rem}
.meta{color:#4a5568}svg.chart{display:block;margin:.5rem 0 1rem;width:100%;height:auto;max-width:760px}
svg.chart.trend{max-width:420px}figure{margin:0}figcaption{font-weight:600;font-size:.9rem}svg a:hover path{opacity:.7}table{border-collapse:collapse;width:100%;font-size:.85rem}
td,th{border-bottom:1px solid #e2e8f0;padding:.35rem .4rem;text-align:left;vertical-align:top}
tr:target{background:#fefcbf}mark{background:#faf089}.num{white-space:nowrap;text-align:right}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(340px,100%),1fr));gap:1rem}
td{overflow-wrap:anywhere}
"""

SCRIPT = """
window.addEventListener('error', function () { document.body.dataset.errors = String((+document.body.dataset.errors || 0) + 1); });
document.addEventListener('DOMContentLoaded', function () {
  var charts = document.querySelectorAll('svg.chart');
  var marks = document.querySelectorAll('svg.chart .mark-rect path, svg.chart .mark-symbol path');
  var overflow = 0;
  charts.forEach(function (svg) {  // a label outside its chart would be cut off: count any
    var box = svg.getBoundingClientRect();
    svg.querySelectorAll('text').forEach(function (t) {
      var r = t.getBoundingClientRect();
      if (r.width && (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1)) {
        overflow++;
        t.setAttribute('data-overflows', 'yes');
      }
    });
  });
  document.body.dataset.charts = String(charts.length);
  document.body.dataset.marks = String(marks.length);
  document.body.dataset.overflow = String(overflow);
  document.body.dataset.ready = 'yes';
});
"""


def _e(s: Any) -> str:
    return html.escape("" if s is None else str(s), quote=True)


def _source_link(url: str | None) -> str:
    """A link to the page a figure came from; only http(s) URLs become links (a stored URL is data, never script)."""
    if url and url.lower().startswith(("http://", "https://")):
        return f"<a href='{_e(url)}' rel='noreferrer noopener'>source</a>"
    return _e(url or "")


def _highlight(sentence: str, text: str) -> str:
    if text and text in sentence:
        i = sentence.index(text)
        return _e(sentence[:i]) + "<mark>" + _e(text) + "</mark>" + _e(sentence[i + len(text):])
    return _e(sentence)


def build(con: duckdb.DuckDBPyConnection, labels: dict[str, str] | None = None, max_metrics: int = 8) -> str:
    labels = labels or {}
    metrics = top_metrics(con, max_metrics)
    _, rows = compare(con, metrics, top=max_metrics)
    n_articles, n_facts, n_cities = con.execute(
        "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM facts), "
        "(SELECT count(DISTINCT city) FROM facts WHERE city IS NOT NULL)").fetchone() or (0, 0, 0)
    evidence: dict[str, dict[str, Any]] = {}
    sections = []
    for i, metric in enumerate(metrics):
        items = []
        unit = "count"
        for r in rows:
            cell = r.get(metric)
            if cell:
                day = str(cell.get("published") or "")[:10]
                label = figure(cell["value"], cell["unit"], cell["approx"], cell["value_max"])
                items.append({"city": r["city"], "value": cell["value"], "label": f"{label} ({day})" if day else label,
                              "href": f"#f-{cell['fact_id']}"})
                evidence[cell["fact_id"]] = {**cell, "city": r["city"], "metric": metric}
                unit = cell["unit"]
        if items:
            sections.append(f"<h2 id='m-{_e(metric)}'>{_e(labels.get(metric, metric))}</h2>"
                            f"<p class='meta'>Latest reported value per city, with the day it was reported: "
                            f"{_e(DEFAULT.describe())}; click a bar for its evidence.</p>"
                            + bar_chart(labels.get(metric, metric), UNIT_TITLES.get(unit, unit), items,
                                        PALETTE[i % len(PALETTE)]))
    # Trends: a city and metric reported on two or more dates, joining only figures of one kind: the same
    # unit and slice (a target is its own line, never a point on the line of actual totals).
    series: dict[tuple[Any, ...], dict[date, tuple[float, str, str]]] = defaultdict(dict)
    for fid, city, metric, value, vmax, unit, approx, published, url, sentence, text, counted, *kind in con.execute(
            """SELECT id, city, metric, value, value_max, unit, approx, published, url, sentence, text, counted,
                      status, aspect, level, scope
               FROM facts WHERE city IS NOT NULL AND metric IS NOT NULL AND published IS NOT NULL
               ORDER BY published, value DESC""").fetchall():
        key = (city, metric, unit, *kind)
        best = series[key].get(published)
        if best is None or value > best[0]:
            series[key][published] = (value, figure(value, unit, approx, vmax), fid)
            evidence[fid] = {"city": city, "metric": metric, "value": value, "value_max": vmax, "unit": unit,
                             "approx": approx, "published": published.isoformat(), "url": url, "sentence": sentence,
                             "text": text, "counted": counted, "fact_id": fid}
    trends = []
    for j, ((city, metric, unit, status, aspect, level, scope), by_date) in enumerate(
            sorted(series.items(), key=lambda kv: tuple(str(k) for k in kv[0]))):
        if len(by_date) >= 2:
            pts = [(d, v, label, f"#f-{fid}") for d, (v, label, fid) in sorted(by_date.items())]
            what = slice_label({"status": status, "aspect": aspect, "level": level, "scope": scope})
            trends.append(trend_chart(f"{city}: {labels.get(metric, metric)} ({what})", UNIT_TITLES.get(unit, unit), pts,
                                      PALETTE[j % len(PALETTE)], dashed=status == "target"))
    if trends:
        sections.append("<h2 id='trends'>Trends</h2><p class='meta'>Cities that reported a metric on several dates.</p>"
                        f"<div class='grid'>{''.join(trends)}</div>")
    else:
        sections.append("<h2 id='trends'>Trends</h2><p class='meta'>No city has reported a metric on two dates yet.</p>")
    ev_rows = []
    used = [fid for fid in evidence]
    for fid in sorted(used, key=lambda f: (evidence[f]["city"], evidence[f]["metric"], evidence[f]["published"] or "")):
        ev = evidence[fid]
        ev_rows.append(f"<tr id='f-{_e(fid)}'><td>{_e(ev['city'])}</td><td>{_e(labels.get(ev['metric'], ev['metric']))}</td>"
                       f"<td class='num'>{_e(figure(ev['value'], ev['unit'], ev['approx'], ev['value_max']))}</td>"
                       f"<td>{_e(ev['published'] or '')}</td><td>{_highlight(ev['sentence'] or '', ev['text'] or '')}</td>"
                       f"<td>{_source_link(ev['url'])}</td></tr>")
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'; "
            "script-src 'unsafe-inline'; img-src data:\">"
            f"<title>cityfacts report</title><style>{CSS}</style><script>{SCRIPT}</script></head><body>"
            f"<h1>Production-education integration: cities compared</h1>"
            f"<p class='meta'>{n_articles} articles, {n_facts} facts, {n_cities} cities. Generated {generated}.</p>"
            + "".join(sections)
            + "<h2 id='evidence'>Evidence</h2><table><thead><tr><th>city</th><th>metric</th><th>value</th><th>date</th>"
              "<th>sentence</th><th>source</th></tr></thead><tbody>" + "".join(ev_rows) + "</tbody></table></body></html>")
