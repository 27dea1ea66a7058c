"""Errors of the nlp package a user can act on; str() is the one-line message (file, field, problem)."""
from __future__ import annotations


class NlpError(ValueError):
    pass


class DataFileError(NlpError):
    """A rule file (taxonomy, lexicon, markers, ...) that cannot be used."""


class EvalError(NlpError):
    """A labelled folder that cannot be scored."""
