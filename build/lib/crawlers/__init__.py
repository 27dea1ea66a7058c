"""The Scrapy project: sources config, the report spider, items, item pipelines and page parsing.

Imports neither nlp, pipeline nor flows.
"""
