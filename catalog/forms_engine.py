"""Catalog forms: conditions on answers, validation, and the snapshot an order keeps.

The server re-checks every condition and validation whatever the browser showed: a question that
is hidden by its ``visible_if`` is neither required nor kept (a forged answer to it is dropped).
"""

from dataclasses import dataclass, field


@dataclass
class CleanedAnswers:
    answers: dict  # question key -> JSON value, visible questions only
    snapshot: list  # [{"key", "type", "label", "answer", "display"}] in form order
    files: dict = field(default_factory=dict)  # question key -> uploaded file, for attachment questions


def evaluate(condition, answers: dict) -> bool:
    """Whether ``condition`` (the grammar of ``Question.visible_if``) holds for ``answers``."""
    raise NotImplementedError


def clean_answers(form_version, raw: dict, *, user, files=None) -> CleanedAnswers:
    """Validate ``raw`` answers against ``form_version``; ``ValidationError({key: [messages]})``."""
    raise NotImplementedError
