"""Storage: the DuckDB schema, bulk loads through Arrow, and the queries analysts run.

May import nlp's record types; never crawlers or flows.
"""
