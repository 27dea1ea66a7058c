"""What a figure counts: the noun phrase it quantifies.

No library attaches a number to the noun it counts in garbled, translated
prose, so this is ours. English uses spaCy's dependency parse (the noun the
number modifies, its modifiers, a conjoined noun, and the "of" phrase after
container words like "batch"); Chinese takes the noun run after the
classifier (3303个实训基地) or, when none follows, before the number
(产教融合型企业39家), using jieba's part-of-speech tags on a small window.
"""
from __future__ import annotations

from typing import Any

from spacy.tokens import Doc, Span, Token

from nlp.zh_words import tag

# Verbs whose object or complement is what their subject amounts to ("the number of schools was 39").
BEING_VERBS = frozenset(("is", "are", "was", "were", "be", "been", "reach", "reached", "reaches", "total", "totaled",
                         "totalled", "totals", "stood", "stands", "hit", "exceeded", "exceeds", "numbered"))


def _singular(t: Token) -> str:
    """The pipeline runs without a lemmatizer (it is the slowest part and only this needs it): a plain plural strip."""
    w = t.lower_
    return w[:-1] if w.endswith("s") and not w.endswith("ss") else w


def _phrase(doc: Doc, start: int, end: int) -> str | None:
    """The words of doc[start:end] up to a line break: a list item or a heading ends a noun phrase even when
    the parser ran it on into the next line."""
    for t in doc[start:end]:
        if "\n" in t.text or "\n" in t.whitespace_:
            end = t.i + (0 if "\n" in t.text else 1)
            break
    toks = [t for t in doc[start:end] if not (t.is_punct and t.text not in "-")]
    while toks and (toks[0].pos_ in ("DET", "ADP", "CCONJ") or toks[0].is_punct):
        toks = toks[1:]
    while toks and (toks[-1].pos_ in ("DET", "ADP", "CCONJ") or toks[-1].is_punct):
        toks = toks[:-1]
    if not toks:
        return None
    return " ".join(doc[toks[0].i:toks[-1].i + 1].text.split())


def _extend_phrase(noun: Token, limit: int, containers: set[str]) -> int:
    """Right edge (exclusive token index) of the counted phrase headed by noun."""
    right = noun.i + 1
    for child in noun.rights:
        if (child.dep_ == "conj" and child.pos_ in ("NOUN", "PROPN") and child.i - noun.i <= 3
                and not any(c.dep_ == "nummod" for c in child.children)):
            right = max(right, child.i + 1)
        if child.dep_ == "prep" and child.lower_ == "of" and (noun.lower_ in containers or _singular(noun) in containers):
            pobj = [c for c in child.children if c.dep_ == "pobj"]
            if pobj:
                right = max(right, pobj[0].i + 1)
    return min(right, limit)


def counted_en(doc: Doc, start: int, end: int, money_like: bool, lex: dict[str, Any]) -> tuple[str | None, Token | None]:
    """(what the figure counts, its head noun); lex is the English lexicon (containers, prepositions)."""
    containers, money_preps, verb_preps = set(lex["containers"]), set(lex["money_preps"]), set(lex["verb_preps"])

    def _extend(noun: Token, limit: int) -> int:
        return _extend_phrase(noun, limit, containers)

    span: Span | None = doc.char_span(start, end, alignment_mode="expand")
    if span is None or len(span) == 0:
        return None, None
    limit = min(len(doc), span.end + 16)
    noun: Token | None = None
    if not money_like:
        for t in span:
            h = t.head
            if t.dep_ in ("nummod", "quantmod", "compound", "amod", "nmod", "npadvmod", "appos") and h.i >= span.end and h.pos_ in ("NOUN", "PROPN"):
                noun = h
                break
        if noun is None and span.end < len(doc):
            nxt = doc[span.end]
            if nxt.pos_ in ("NOUN", "PROPN", "ADJ") and not nxt.is_punct:
                noun = nxt
                while noun.head.i > noun.i and noun.head.i < limit and noun.dep_ in ("compound", "amod", "nmod") and noun.head.pos_ in ("NOUN", "PROPN"):
                    noun = noun.head
                if noun.pos_ == "ADJ":
                    noun = None
        if noun is not None:
            return _phrase(doc, span.end, _extend(noun, limit)), noun
        partitive = _partitive(doc, span)
        if partitive is not None:
            own = [c.i for c in partitive.lefts if c.dep_ in ("nummod", "quantmod", "det", "predet")]
            # "three of its colleges" counts its colleges; "11 of the 85 standards" picks from a set named already
            theirs = any(c.dep_ == "poss" for c in partitive.lefts)
            return (_phrase(doc, max(own, default=partitive.left_edge.i - 1) + 1, _extend(partitive, limit)),
                    partitive if theirs else None)
        subject = _copula_subject(span)
        if subject is not None:
            return _phrase(doc, subject.left_edge.i, _extend(subject, limit)), subject
        return None, None
    # Money, percentages, areas: "45 million yuan in central budget subsidy funds", "30% of the investment".
    root = span.root
    if root.dep_ in ("compound", "amod", "nummod", "nmod") and root.head.i >= span.end and root.head.pos_ in ("NOUN", "PROPN"):
        return _phrase(doc, span.end, _extend(root.head, limit)), root.head  # "a 200,000-square-meter training center"
    for t in span:
        for child in t.rights:
            if child.dep_ == "prep" and child.lower_ in money_preps and child.i >= span.end - 1:
                pobj = [c for c in child.children if c.dep_ == "pobj"]
                if pobj:
                    return _phrase(doc, child.i + 1, _extend(pobj[0], limit)), pobj[0]
    if span.end < len(doc) and doc[span.end].lower_ in money_preps:
        prep = doc[span.end]
        pobj = [c for c in prep.children if c.dep_ == "pobj"]
        if pobj:
            return _phrase(doc, prep.i + 1, _extend(pobj[0], limit)), pobj[0]
    if root.dep_ == "pobj" and root.head.lower_ == "of" and root.head.head.pos_ in ("NOUN", "PROPN") and root.head.head.i < span.start:
        noun = root.head.head  # "a total investment of 80 million yuan"
        return _phrase(doc, noun.left_edge.i, noun.i + 1), noun
    head = root.head
    while head.pos_ not in ("VERB", "AUX") and head.head.i != head.i:
        head = head.head
    for child in head.rights:
        if child.dep_ == "prep" and child.lower_ in verb_preps and child.i >= span.end:
            pobj = [c for c in child.children if c.dep_ == "pobj"]
            if pobj:
                return _phrase(doc, child.i + 1, _extend(pobj[0], limit)), pobj[0]
    subj = [c for c in head.children if c.dep_ in ("nsubj", "nsubjpass") and c.pos_ != "PRON"]
    if subj and subj[0].i < span.start:
        s = subj[0]
        # The subject's own noun and what a container holds ("the output value of the bases": output value;
        # "the number of schools": schools), not every phrase hanging off it.
        return _phrase(doc, s.left_edge.i, _extend(s, limit)), s
    return None, None


def _partitive(doc: Doc, span: Span) -> Token | None:
    """"11 of the 85 teaching standards": the noun the whole is made of (its own figure aside)."""
    if span.end + 1 >= len(doc) or doc[span.end].lower_ != "of":
        return None
    pobj = [c for c in doc[span.end].children if c.dep_ == "pobj" and c.pos_ in ("NOUN", "PROPN")]
    return pobj[0] if pobj else None


def _copula_subject(span: Span) -> Token | None:
    """"the number of higher vocational schools was 39", "enrolment reached 5,000": the subject is counted
    when the figure is what a verb of being or reaching says of it."""
    root = span.root
    verb = root.head
    if root.dep_ not in ("attr", "dobj", "acomp", "npadvmod") or verb.pos_ not in ("VERB", "AUX") \
            or verb.lower_ not in BEING_VERBS:
        return None
    subj = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass") and c.pos_ in ("NOUN", "PROPN")]
    return subj[0] if subj and subj[0].i < span.start else None


def _before_zh(text: str, start: int, lex: dict[str, Any]) -> str | None:
    link = set(lex["link_words"])
    noun_flags, noun_words = tuple(lex["noun_flags"]), set(lex["noun_words"])
    before = text[max(0, start - 24):start]
    words: list[str] = []
    tokens = tag(before)
    while tokens and tokens[-1].word in link:
        tokens.pop()
    for w in reversed(tokens):
        if (w.flag.startswith(noun_flags) or w.word in noun_words) and w.word not in link:
            words.insert(0, w.word)
        else:
            break
    return "".join(words) or None


def _noun_follows(tokens: list[Any], noun_flags: tuple[str, ...]) -> bool:
    """A noun within the next two words (a place-like modifier such as 前沿 between): the phrase goes on."""
    return any(t.flag.startswith(noun_flags) for t in tokens) and not any(t.flag == "x" for t in tokens[:1])


def counted_zh(text: str, start: int, end: int, unit: str, lex: dict[str, Any]) -> str | None:
    """The noun a Chinese figure counts; for money and areas the noun before the figure comes first (资金4200万元)."""
    if unit in ("yuan", "other"):
        found = _before_zh(text, start, lex)
        if found:
            return found
    after = text[end:end + 24]
    if after.startswith("的"):
        after = after[1:]
    noun_flags, noun_verbs = tuple(lex["noun_flags"]), set(lex["noun_verbs"])
    words: list[str] = []
    tokens = tag(after)
    for i, w in enumerate(tokens):
        if w.flag.startswith(noun_flags) or (w.flag == "v" and len(w.word) > 1 and w.word in noun_verbs) \
                or (words and words[-1] == "的" and w.flag != "x"):
            words.append(w.word)
        elif w.flag in ("m", "q") and not words:
            continue
        elif words and (w.word == "的" or (w.flag.startswith("v") and tokens[i + 1:i + 2] and tokens[i + 1].word == "的")) \
                and _noun_follows(tokens[i + 1:i + 4], noun_flags):
            words.append(w.word)  # 校企共建的前沿专业: a relative clause; the head comes after 的
        else:
            break
    while words and words[-1] == "的":
        words.pop()
    if words and not (unit in ("yuan", "other", "area_m2", "percent") and words[0] in lex["money_verbs"]):
        return "".join(words)
    return _before_zh(text, start, lex)
