"""Reads of the catalog: what a person may order, search."""


def orderable_items(user):
    """Active items of active categories that ``user`` may order (audience rules)."""
    raise NotImplementedError


def can_order(user, item) -> bool:
    raise NotImplementedError
