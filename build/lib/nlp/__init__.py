"""Extraction: from a report's plain text to figures, places and organisations.

Nothing here imports crawlers, pipeline or flows; `pipeline` may import the
record types in `nlp.records`.
"""
