"""Every write about service requests and fulfilment tasks (rule 1): ordering, approvals, tasks,
roll-up of states, cancelling and copying a request."""

from dataclasses import dataclass, field


@dataclass
class OrderLine:
    item: object  # CatalogItem
    quantity: int = 1
    answers: dict = field(default_factory=dict)  # raw answers, validated by forms_engine.clean_answers
    files: dict = field(default_factory=dict)  # question key -> uploaded file


def request_submit(*, actor, lines: list[OrderLine], requested_for=None):
    """Order ``lines`` for ``requested_for`` (default: the actor); returns the REQ ticket.

    ``ValidationError({"items": [{...per line...}], "requested_for": [...]})`` on bad input.
    """
    raise NotImplementedError
