"""What kind of figure it is: status, aspect, level, year and scope (../shared/eval/QUALIFIERS.md).

Why our own rules: no library labels a quantity as a target or an addition,
least of all in Chinese and translated English. The cue words are data
(nlp/data/qualifiers.yaml, per language); the rules are one idea applied
to each field: the cue nearest the figure, in the window where such cues
stand, decides.

- status: the sentence up to the figure and the figure's clause; a target
  cue (will, 将, 到2025年) is beaten by an actual cue (has, 已, 目前) that
  is nearer, unless the actual cue belongs to the target ("will have").
- aspect: the figure's clause (its counted noun included: "42 new bases"),
  else the sentence before it; nearest of added / per_year / total cues.
- level: a few characters before the figure, its counted noun, and after it
  only where the clause recognises it as of a level ("selected as national").
- year: a year named in the clause or the sentence before it, or a relative
  one (last year, 去年) resolved against the publication date later.
- scope: part when the clause makes the figure a capacity, a per-unit cap,
  a programme's participants or a consortium's members; when it receives
  something ("for three colleges"); when its subject is a district or
  county, or one organisation that is not a government body; for areas.
- a subset ("其中", "among them") shares what the figure before it is.
Per-document state (`plan_text`, quoted spans) makes one instance serve one
document at a time, which is how spaCy runs a component.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nlp.places import PlaceMatch
from nlp.spans import ByStart

CLAUSE_BREAK = re.compile(r"[,，;；:：!?！？]|——")


@dataclass
class Qualified:
    status: str = "actual"
    aspect: str = "total"
    level: str | None = None
    year: int | None = None
    scope: str = "city"
    part: str | None = None
    year_offset: int | None = None  # "last year": resolved against the publication date
    target_year: int | None = None  # "by 2025": a target only if that year is still ahead
    subset: bool = False  # a part of the figure before it ("of which 6", "其中", "1281 (363 national ...)")


def _cue_re(words: Sequence[str], as_words: bool) -> re.Pattern[str]:
    alts = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(set(words), key=len, reverse=True))
    if as_words:
        return re.compile(rf"(?<![\w-])(?:{alts})(?![\w-])", re.I)
    return re.compile(alts)


def c0_of(text: str, s0: int, start: int) -> int:
    """Where the clause holding text[start] begins."""
    return max((m.end() for m in CLAUSE_BREAK.finditer(text, s0, start)), default=s0)


def _nearest(matches: list[tuple[int, int, str]], start: int, end: int) -> str | None:
    """The label of the match nearest the figure span (before it: by its end; after it: by its start);
    of two as near, the longer ("增加至" over "增加")."""
    best, best_key = None, None
    for s, e, label in matches:
        d = start - e if e <= start else (s - end if s >= end else 0)
        key = (d, -(e - s))
        if best_key is None or key < best_key:
            best, best_key = label, key
    return best


PLAN_CUES = 4  # target cues in a text that make it a plan

QUOTED = re.compile(r"《[^》\n]{0,80}》|“[^”\n]{0,80}”|\"[^\"\n]{0,80}\"")


class Qualifiers:
    def __init__(self, cues: dict[str, Any], shared: dict[str, Any], lang: str) -> None:
        """cues: the language's section of qualifiers.yaml; shared: its language-neutral lists."""
        words = lang != "zh"  # English cues are whole words; Chinese ones are characters in running text
        self.target = _cue_re(cues["target"], words)
        self.actual = _cue_re(cues["actual"], words)
        self.aspects = {k: _cue_re(cues[k], words) for k in ("added", "per_year", "total")}
        self.added_after = _cue_re(cues["added_after"], words)
        self.added_since = _cue_re(cues["added_since"], words)
        self.per_year_clause = _cue_re(cues["per_year_clause"], words)
        self.weak_total = _cue_re(cues["weak_total"], words)
        self.levels = {k: _cue_re(v, words) for k, v in cues["level"].items()}
        self.year = re.compile(cues["year_pattern"])
        self.target_year_re = re.compile(cues["target_year_pattern"])
        self.relative = {k.lower(): v for k, v in cues["relative_years"].items()}
        self.relative_re = _cue_re(list(cues["relative_years"]), words)
        self.date_re = re.compile(cues["date_pattern"])
        self.opening_chars = int(cues["opening_chars"])
        self.not_year_before = _cue_re(cues["not_year_before"], words)
        self.recognition = _cue_re(cues["recognition"], words)
        self.not_level_after = tuple(cues["not_level_after"])
        self.not_level_before = tuple(w.lower() for w in cues["not_level_before"])
        self.flow_verbs = _cue_re(cues["flow_verbs"], words)
        self.plan_verbs = _cue_re(cues["plan_verbs"], words) if cues["plan_verbs"] else None
        self.adding_verbs = _cue_re(cues["adding_verbs"], words)
        self.part_cues = _cue_re(cues["part_cues"], words)
        self.part_subjects = _cue_re(cues["part_subjects"], words)
        self.recipient_before = _cue_re(cues["recipient_before"], words)
        self.anaphora_before = _cue_re(cues["anaphora_before"], words)
        self.batch = _cue_re(cues["batch"], words)
        self.subset = _cue_re(cues["subset"], words)
        self.city_bodies = tuple(shared["city_bodies"])
        self.per_year_metrics = set(shared["per_year_metrics"])
        self.part_units = set(shared["part_units"])
        self.lang = lang
        self._quoted: list[tuple[int, int]] = []
        self.plan_text = False  # set per document by plan_genre()

    def plan_genre(self, body: str) -> bool:
        """Whether a text reads as a plan: target cues in several of its sentences (到2025年, 力争, 将 ...)."""
        self.plan_text = len(self.target.findall(body)) + len(self.target_year_re.findall(body)) >= PLAN_CUES
        return self.plan_text

    def __call__(self, text: str, start: int, end: int, sent: tuple[int, int], counted: str | None, metric: str | None,
                 places: ByStart[PlaceMatch], orgs: ByStart[tuple[int, int, str]], unit: str = "count",
                 before: Qualified | None = None) -> Qualified:
        """before: the qualifiers of the previous figure in the same sentence, which a subset of it
        ("among them 6 national-level", "其中国家级3家") shares."""
        s0, s1 = sent
        # A line break ends a sentence whatever the parser thought (headlines, list items, paragraphs).
        s0 = max(s0, text.rfind("\n", s0, start) + 1)
        nl = text.find("\n", end, s1)
        s1 = nl if nl >= 0 else s1
        c0 = c0_of(text, s0, start)
        m = CLAUSE_BREAK.search(text, end, s1)
        c1 = m.start() if m else s1
        # What follows the figure and still describes it: its counted noun ("42 new municipal bases").
        noun_end = end + 12
        if counted:
            at = text.find(counted, end, min(s1, end + 10 + len(counted)))
            if 0 <= at - end <= 10:
                noun_end = at + len(counted)
        right = min(c1, noun_end)
        self._quoted = [mq.span() for mq in QUOTED.finditer(text, s0, s1)]
        q = Qualified()
        self._status(q, text, start, end, s0, c1)
        self._year(q, text, start, end, (s0, s1), c0, c1)
        q.aspect = self._aspect(text, start, end, s0, c0, right, c1, q, metric)
        # A level after the figure's noun counts when the clause recognises the figure as of that level.
        recognised = self._finds(self.recognition, text, end, c1, "recognition")
        q.level = self._level(text, start, end, c0, max(right, recognised[-1][1] + 40) if recognised else right, counted)
        q.subset = before is not None and bool(
            self._finds(self.subset, text, c0, start, "subset") or re.search(r"[(（][^()（）]*$", text[c0:start]))
        if q.subset and before is not None:
            # "其中…新增17家": its own cues first, what it is a subset of for the rest.
            if q.status == "actual":
                q.status = before.status
            if not any(self._finds(p, text, c0, right, "cue") for p in (*self.aspects.values(), self.added_after)):
                q.aspect = before.aspect
            q.level = q.level or before.level
            q.year, q.year_offset = q.year or before.year, q.year_offset if q.year_offset is not None else before.year_offset
        self._scope(q, text, start, s0, c0, c1, places, orgs)
        if unit in self.part_units:
            q.scope = "part"  # an area is a site's (a campus, a park), not a city's total
        return q

    def _finds(self, pattern: re.Pattern[str], text: str, lo: int, hi: int, label: str) -> list[tuple[int, int, str]]:
        """Cue matches in text[lo:hi], except inside titles and quotations (《…计划》, “双高计划”): names, not cues."""
        quoted = self._quoted
        return [(m.start(), m.end(), label) for m in pattern.finditer(text, lo, hi)
                if not any(qs < m.start() and m.end() < qe for qs, qe in quoted)]

    def _status(self, q: Qualified, text: str, start: int, end: int, s0: int, c1: int) -> None:
        targets = self._finds(self.target, text, s0, c1, "target")
        years = {}
        for m in self.target_year_re.finditer(text, s0, c1):
            targets.append((m.start(), m.end(), "target_year"))
            years[m.start()] = int(next(g for g in m.groups() if g))
        if self.lang != "zh":
            # After the figure a target cue speaks of it only in the passive ("12 bases will be built");
            # "13 cities will work together" counts what exists, "goals that will drive" is another clause.
            targets = [t for t in targets if t[1] <= start or (
                re.match(r"\s+(?:\w+\s+)?be\b", text[t[1]:t[1] + 16])
                and not re.search(r"\b(?:that|which|who|where)\b", text[end:t[0]]))]
        # "will have", "将达到": an actual-looking verb right after a target cue belongs to the target.
        actuals = [a for a in self._finds(self.actual, text, s0, c1, "actual")
                   if not any(0 <= a[0] - t[1] <= 12 for t in targets)]
        nearest = _nearest(targets + actuals, start, end)
        if nearest is None and self.plan_verbs is not None and self.plan_text:
            # A plan's imperative (建设7个, 建设3个A、2个B) with nothing in the sentence saying it is done.
            verbs = self._finds(self.plan_verbs, text, c0_of(text, s0, start), start, "plan")
            if verbs and re.fullmatch(r"[^，,;；。]*", text[verbs[-1][1]:start]):
                nearest = "target"
        if nearest in ("target", "target_year"):
            q.status = "target"
            if years:  # "by 2025": resolve_year makes it an achievement if 2025 has passed
                q.target_year = years[max(years)]

    def _aspect(self, text: str, start: int, end: int, s0: int, c0: int, right: int, c1: int, q: Qualified,
                metric: str | None) -> str:
        """The nearest cue in the clause; else a yearly flow or a stated stock; else the nearest cue before."""
        found = [f for label, pattern in self.aspects.items() for f in self._finds(pattern, text, c0, right, label)]
        if found:
            return _nearest(found, start, end) or "total"
        if self._finds(self.per_year_clause, text, c0, c1, "per_year"):
            return "per_year"  # "... train 26,000 interns every year": the rate may close the clause
        if self._finds(self.added_after, text, right, c1, "added"):
            return "added"  # "23 enterprises had been newly admitted"
        previous = c0_of(text, s0, max(s0, c0 - 1))
        if any(self.batch.finditer(text, previous, c1)):  # titles count here: 《…名单》 announces the batch
            return "added"  # "第三批名单，64家企业入选", "the second batch of ...": what the batch added
        if metric in self.per_year_metrics:
            return "per_year"
        if (q.year is not None or q.year_offset is not None) and q.status == "actual" \
                and self._finds(self.flow_verbs, text, s0, c1, "flow"):
            return "per_year"  # "last year, 116 graduates were hired": one year's flow
        if self._finds(self.added_since, text, *self._opening(text, s0, start), "added"):
            return "added"  # "Since the beginning of this year, the college has held 30 job fairs"
        if self._finds(self.weak_total, text, c0, right, "total"):
            return "total"  # "在校生规模达到5万人": the clause states a stock; an earlier clause's "新建" is not about it
        if q.status == "target" and self._finds(self.adding_verbs, text, c0, start, "plan"):
            return "added"  # a plan to build (建设7个, "plans to build 30 more"): what is to be added
        # An earlier clause's cue, unless another figure stands between it and this one (it was about that one).
        found = [f for label, pattern in self.aspects.items() for f in self._finds(pattern, text, s0, c0, label)
                 if not re.search(r"[\d一二两三四五六七八九十百千万]", text[c0_of(text, s0, f[0]):c0])]
        return _nearest(found, start, end) or "total"

    def _level(self, text: str, start: int, end: int, c0: int, hi: int, counted: str | None) -> str | None:
        lo = max(c0, start - 16)
        noun_at = text.rfind(counted, c0, start) if counted else -1
        if noun_at >= 0:
            lo = min(lo, max(c0, noun_at - 64))  # "... municipal-level production-education integration enterprises to 118"
        found = [f for label, pattern in self.levels.items() for f in self._finds(pattern, text, lo, hi, label)
                 if not text[max(0, f[0] - 16):f[0]].rstrip().lower().endswith(self.not_level_after or ("\0",))
                 and not text[f[1]:f[1] + 12].lstrip().lower().startswith(self.not_level_before or ("\0",))]
        return _nearest(found, start, end)

    def _years(self, text: str, lo: int, hi: int) -> list[tuple[int, int, str]]:
        found: list[tuple[int, int, str]] = []
        for m in self.year.finditer(text, lo, hi):
            before = text[max(lo, m.start() - 16):m.start()]
            after = text[m.end():m.end() + 4]
            if self.not_year_before.search(before) or after.startswith("以来") or re.match(r"\s*[-–—~至到]\s*\d", after):
                continue  # "since 2018", "2018年以来", "2021-2025": a span, not the figure's year
            if re.search(r"\d\s*[-–—~至到]\s*$", before):
                continue
            if any(qs < m.start() and m.end() < qe for qs, qe in self._quoted):
                continue  # 《2025年...名单》: a title
            found.append((m.start(), m.end(), m.group(1)))
        for m in self.relative_re.finditer(text, lo, hi):
            found.append((m.start(), m.end(), "rel:" + m.group(0).lower()))
        return found

    def _opening(self, text: str, s0: int, before: int) -> tuple[int, int]:
        """The opening clause of a sentence or paragraph starting at s0, when it is short enough to be a
        setting ("In 2021,", "截至2014年底，") rather than a statement of its own."""
        first = CLAUSE_BREAK.search(text, s0, before)
        return (s0, first.start()) if first and first.start() - s0 <= self.opening_chars else (s0, s0)

    def _year(self, q: Qualified, text: str, start: int, end: int, sent: tuple[int, int], c0: int, c1: int) -> None:
        s0, s1 = sent
        # The figure's own clause, and the sentence's opening ("In 2021, ...", "截至2014年底，..."), which dates
        # everything the sentence goes on to list; not a year in another clause of the middle of the sentence.
        found = [f for f in self._years(text, c0, c1) + self._years(text, *self._opening(text, s0, start))
                 if f[1] <= start or f[0] >= end]
        label = _nearest(found, start, end)
        if label is None:
            # A paragraph that opens with its year ("2017年，…", "As of 2010, …", "Part of the 2024 forum, …")
            # dates the figures that follow in it.
            para = text.rfind("\n", 0, s0) + 1
            lo, hi = self._opening(text, para, s0)
            para_years = self._years(text, lo, min(hi, s0))
            label = para_years[0][2] if para_years else None
        if label is None and any(self.date_re.finditer(text, s0, s1)):
            q.year_offset = 0  # "… held in Shenzhen on Aug 20": this year's event
            return
        if label is None:
            return
        if label.startswith("rel:"):
            q.year_offset = self.relative.get(re.sub(r"\s+", " ", label[4:]))
        else:
            q.year = int(label)

    def _scope(self, q: Qualified, text: str, start: int, s0: int, c0: int, c1: int, places: ByStart[PlaceMatch],
               orgs: ByStart[tuple[int, int, str]]) -> None:
        if self._finds(self.part_cues, text, c0, c1, "part") or self._finds(self.part_subjects, text, s0, c1, "part"):
            q.scope = "part"  # a capacity, a cap per unit, a consortium's members, one college's figure
            return
        anaphora = self._finds(self.anaphora_before, text, max(c0, start - 8), start, "the")
        if anaphora and re.fullmatch(r"\s*", text[anaphora[-1][1]:start]):
            q.scope = "part"  # "the two colleges": ones already named, not the city's count
            return
        before = self._finds(self.recipient_before, text, c0, start, "for")
        if before and (self.lang == "zh" or re.fullmatch(r"\s*", text[before[-1][1]:start])):
            q.scope = "part"  # "38 million yuan for three colleges", "支持…等3所院校": those who receive it
            return
        subject = places.within(c0, start)
        if subject and subject[-1].place.level == "district":
            q.scope, q.part = "part", subject[-1].place.name_en
            return
        opening = [o for o in orgs.starting(s0, s0 + 4) if o[1] <= start and not o[2].endswith(self.city_bodies)]
        if opening:
            q.scope, q.part = "part", opening[0][2]  # the sentence is about one body: "X Institute signed ..., covering 45 majors"
            return
        bodies = [o for o in orgs.within(c0, start)
                  if not re.match(r"\s*(?:等|、|,|，|and\b|和|及|与)", text[o[1]:start])]  # "A、B等20家": the group counted
        if bodies and not bodies[-1][2].endswith(self.city_bodies):
            q.scope, q.part = "part", bodies[-1][2]


def resolve_year(fact: dict[str, Any], published_year: int | None) -> None:
    """Settle what needed the publication date, and drop the working fields from the fact."""
    offset = fact.pop("year_offset", None)
    target_year = fact.pop("target_year", None)
    if published_year is None:
        return
    if fact.get("year") is None and offset is not None:
        fact["year"] = published_year + offset
    if target_year is not None and fact.get("status") == "target" and target_year < published_year:
        fact["status"] = "actual"  # "by 2020 it had built ..." read in 2022: an achievement
