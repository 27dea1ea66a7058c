"""How numbers are written for people: shared by the terminal tables and the HTML report."""
from __future__ import annotations

from typing import Any

APPROX_SIGN = {"more_than": ">", "about": "~", "less_than": "<"}
UNIT_SUFFIX = {"yuan": " yuan", "percent": "%", "area_m2": " m²", "person_times": " person-times", "people": " people"}


def fmt_number(v: Any) -> str:
    if isinstance(v, float):
        return f"{int(v):,}" if v.is_integer() else f"{v:,.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    return "" if v is None else str(v)


def short_number(v: Any) -> str:
    """1.2bn, 150m, 86,000: readable in a narrow table or beside a bar."""
    if not isinstance(v, (int, float)):
        return fmt_number(v)
    for scale, suffix in ((1e9, "bn"), (1e6, "m")):
        if abs(v) >= scale:
            return f"{v / scale:,.2f}".rstrip("0").rstrip(".") + suffix
    return fmt_number(v)


def figure(value: Any, unit: str | None, approx: str | None, value_max: Any = None) -> str:
    """'>86,000 people', '~41%', '2.3bn yuan', '10-15'."""
    text = short_number(value)
    if value_max is not None:
        text += f"–{short_number(value_max)}"
    return APPROX_SIGN.get(approx or "", "") + text + UNIT_SUFFIX.get(unit or "", "")
