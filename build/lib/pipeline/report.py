"""One self-contained HTML report: a bar chart per metric across cities, trends over time, evidence for every number.

Charts are inline SVG drawn here, styles are inline CSS: opening the file
makes no network request at all. Every bar and point links to its evidence
row (sentence, date, source URL).
"""
from __future__ import annotations

import html
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from pipeline.compare import DEFAULT, compare, slice_label, top_metrics
from pipeline.formatting import figure

PALETTE = ["#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b7791f", "#c53030", "#2c7a7b", "#97266d"]

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC",sans-serif;margin:2rem auto;max-width:1100px;color:#1a202c;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #e2e8f0;padding-bottom:.3rem}
.meta{color:#4a5568}svg.chart{display:block;margin:.5rem 0 1rem}svg text{font-size:12px;fill:#1a202c}
svg a:hover rect,svg a:hover circle{opacity:.7}table{border-collapse:collapse;width:100%;font-size:.85rem}
td,th{border-bottom:1px solid #e2e8f0;padding:.35rem .4rem;text-align:left;vertical-align:top}
tr:target{background:#fefcbf}mark{background:#faf089}.num{white-space:nowrap;text-align:right}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:1rem}
"""

SCRIPT = """
window.addEventListener('error', function () { document.body.dataset.errors = String((+document.body.dataset.errors || 0) + 1); });
document.addEventListener('DOMContentLoaded', function () {
  var charts = document.querySelectorAll('svg.chart');
  var marks = document.querySelectorAll('svg.chart rect.bar, svg.chart circle.point');
  document.body.dataset.charts = String(charts.length);
  document.body.dataset.marks = String(marks.length);
  document.body.dataset.ready = 'yes';
});
"""


def _e(s: Any) -> str:
    return html.escape("" if s is None else str(s), quote=True)


def bar_chart(title: str, items: list[tuple[str, float, str, str]], color: str) -> str:
    """items: (city, value, label, fact_id), drawn largest first."""
    items = sorted(items, key=lambda x: -x[1])
    width, left, right, row = 760, 130, 150, 26
    height = row * len(items) + 10
    top = max((v for _, v, _, _ in items), default=0) or 1
    parts = [f"<svg class='chart' role='img' aria-label='{_e(title)}' width='{width}' height='{height}' "
             f"viewBox='0 0 {width} {height}' xmlns='http://www.w3.org/2000/svg'>"]
    for i, (city, value, label, fid) in enumerate(items):
        y = 5 + i * row
        w = max(2.0, (width - left - right) * (value / top))
        parts.append(f"<text x='{left - 8}' y='{y + 16}' text-anchor='end'>{_e(city)}</text>"
                     f"<a href='#f-{_e(fid)}'><rect class='bar' x='{left}' y='{y + 3}' width='{w:.1f}' height='{row - 8}' "
                     f"fill='{color}'><title>{_e(city)}: {_e(label)}</title></rect>"
                     f"<text x='{left + w + 6:.1f}' y='{y + 16}'>{_e(label)}</text></a>")
    parts.append("</svg>")
    return "".join(parts)


def trend_chart(title: str, points: list[tuple[date, float, str, str]], color: str) -> str:
    """points: (date, value, label, fact_id) in date order."""
    width, height, pad_l, pad_r, pad_t, pad_b = 340, 190, 50, 20, 20, 40
    days = [(d - points[0][0]).days for d, _, _, _ in points]
    span = max(days[-1], 1)
    top = max(v for _, v, _, _ in points) or 1
    def xy(i: int) -> tuple[float, float]:
        x = pad_l + (width - pad_l - pad_r) * days[i] / span
        y = pad_t + (height - pad_t - pad_b) * (1 - points[i][1] / top)
        return x, y
    coords = [xy(i) for i in range(len(points))]
    poly = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    parts = [f"<svg class='chart trend' role='img' aria-label='{_e(title)}' width='{width}' height='{height}' "
             f"viewBox='0 0 {width} {height}' xmlns='http://www.w3.org/2000/svg'>",
             f"<text x='{pad_l}' y='14'>{_e(title)}</text>",
             f"<line x1='{pad_l}' y1='{height - pad_b}' x2='{width - pad_r}' y2='{height - pad_b}' stroke='#a0aec0'/>",
             f"<polyline points='{poly}' fill='none' stroke='{color}' stroke-width='2'/>"]
    for (x, y), (d, _, label, fid) in zip(coords, points, strict=True):
        parts.append(f"<a href='#f-{_e(fid)}'><circle class='point' cx='{x:.1f}' cy='{y:.1f}' r='5' fill='{color}'>"
                     f"<title>{_e(d.isoformat())}: {_e(label)}</title></circle></a>"
                     f"<text x='{x:.1f}' y='{height - pad_b + 16}' text-anchor='middle'>{_e(d.isoformat()[:7])}</text>"
                     f"<text x='{x:.1f}' y='{y - 9:.1f}' text-anchor='middle'>{_e(label)}</text>")
    parts.append("</svg>")
    return "".join(parts)


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
        for r in rows:
            cell = r.get(metric)
            if cell:
                items.append((r["city"], cell["value"], figure(cell["value"], cell["unit"], cell["approx"], cell["value_max"]),
                              cell["fact_id"]))
                evidence[cell["fact_id"]] = {**cell, "city": r["city"], "metric": metric}
        if items:
            sections.append(f"<h2 id='m-{_e(metric)}'>{_e(labels.get(metric, metric))}</h2>"
                            f"<p class='meta'>Latest reported value per city: {_e(DEFAULT.describe())}; "
                            f"click a bar for its evidence.</p>"
                            + bar_chart(labels.get(metric, metric), items, PALETTE[i % len(PALETTE)]))
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
    for j, ((city, metric, _unit, status, aspect, level, scope), by_date) in enumerate(
            sorted(series.items(), key=lambda kv: tuple(str(k) for k in kv[0]))):
        if len(by_date) >= 2:
            pts = [(d, v, label, fid) for d, (v, label, fid) in sorted(by_date.items())]
            what = slice_label({"status": status, "aspect": aspect, "level": level, "scope": scope})
            trends.append(trend_chart(f"{city}: {labels.get(metric, metric)} ({what})", pts, PALETTE[j % len(PALETTE)]))
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
                       f"<td><a href='{_e(ev['url'])}' rel='noreferrer noopener'>source</a></td></tr>")
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
