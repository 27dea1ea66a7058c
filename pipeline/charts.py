"""The report's charts: Vega-Lite specifications, laid out and rendered to inline SVG offline by vl-convert.

Why a library: hand-placed SVG text clipped right-hand labels, overlapped titles and values and labelled two
points with the same month. Vega-Lite sizes its axes and labels itself; vl-convert renders it in-process
(no browser, no network), so the report stays one file with no script of its own for drawing. The SVGs
scale with the page (viewBox, width 100%), so a narrow window shrinks a chart instead of cutting it.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any

# Latin, then CJK fonts a reader is likely to have, then the generic family (no font is downloaded).
FONTS = 'system-ui, -apple-system, "Segoe UI", "Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", ' \
        '"Hiragino Sans GB", "Microsoft YaHei", sans-serif'
CONFIG = {"font": FONTS, "view": {"stroke": None}, "axis": {"labelFontSize": 12, "titleFontSize": 12},
          "title": {"fontSize": 13, "anchor": "start"}}
WIDTH = 640  # the drawing's own width; on the page it scales to the column


def _svg(spec: dict[str, Any], css_class: str, label: str) -> str:
    import vl_convert

    svg: str = vl_convert.vegalite_to_svg({"$schema": "https://vega.github.io/schema/vega-lite/v5.json",
                                           "config": CONFIG, **spec})
    # Links to the evidence rows stay in the page (vl-convert resolves them against its own base URL).
    svg = re.sub(r'xlink:href="[^"#]*#', 'href="#', svg)
    # Responsive: keep the viewBox, let CSS set the size.
    svg = re.sub(r'^<svg ([^>]*?)width="[\d.]+" height="[\d.]+"',
                 lambda m: f'<svg {m.group(1)}class="chart {css_class}" role="img" aria-label="{_attr(label)}"',
                 svg, count=1)
    return svg.replace(' class="marks"', "", 1)


def _text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(s: str) -> str:
    return s.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def bar_chart(title: str, unit_title: str, items: list[dict[str, Any]], color: str) -> str:
    """items: {city, value, label, href}; one bar per city, largest first, each labelled with its value and date."""
    values = [{**i, "href": i["href"]} for i in items]
    enc_y = {"field": "city", "type": "nominal", "sort": "-x", "title": None}
    width = WIDTH - 140
    # Room right of the longest bar for its label (value and date): the axis runs on past the largest value.
    room = min(width * 0.6, 6.5 * max((len(i["label"]) for i in items), default=0) + 12)
    top = max((i["value"] for i in items), default=0) or 1
    x_scale = {"domainMin": 0, "domainMax": top * width / (width - room), "nice": False}
    x = {"field": "value", "type": "quantitative", "title": unit_title, "scale": x_scale,
         "axis": {"format": "~s", "tickCount": 4, "labelOverlap": True, "labelFlush": True}}
    spec = {
        "width": width, "height": {"step": 26}, "data": {"values": values},
        "layer": [
            {"mark": {"type": "bar", "color": color, "cursor": "pointer"},
             "encoding": {"y": enc_y, "x": x, "href": {"field": "href"}}},
            {"mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 11},
             "encoding": {"y": enc_y, "x": x, "text": {"field": "label"}}},
        ],
    }
    return _svg(spec, "bars", title)


def trend_chart(title: str, unit_title: str, points: list[tuple[date, float, str, str]], color: str,
                dashed: bool = False) -> str:
    """points: (date, value, label, href) of one series (one metric, unit and kind of figure); a target is dashed."""
    values = [{"date": d.isoformat(), "value": v, "label": label, "href": href} for d, v, label, href in points]
    x = {"field": "date", "type": "temporal", "title": None, "scale": {"padding": 40},
         "axis": {"format": "%Y-%m-%d", "labelAngle": -30, "values": [p["date"] for p in values], "labelOverlap": True}}
    y = {"field": "value", "type": "quantitative", "title": unit_title, "scale": {"padding": 16},
         "axis": {"format": "~s", "tickCount": 4}}
    spec = {
        "width": 300, "height": 150, "data": {"values": values},
        "layer": [
            {"mark": {"type": "line", "color": color, "strokeDash": [6, 4] if dashed else [1, 0]},
             "encoding": {"x": x, "y": y}},
            {"mark": {"type": "point", "filled": True, "size": 60, "color": color, "cursor": "pointer"},
             "encoding": {"x": x, "y": y, "href": {"field": "href"}}},
            {"mark": {"type": "text", "dy": -10, "fontSize": 11}, "encoding": {"x": x, "y": y, "text": {"field": "label"}}},
        ],
    }
    # The title is the page's (a caption that wraps), not drawn in the SVG, where the reader's font may be wider.
    return f"<figure class='trend'><figcaption>{_text(title)}</figcaption>{_svg(spec, 'trend', title)}</figure>"
