"""The shape every service function shares (docs/architecture.md, rule 1), for each app's ``services.py``."""

import functools

import pghistory
from django.db import transaction


def service(func):
    """Run a service atomically, with the acting user attached to every audit row it causes."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        actor = kwargs.get("actor")
        with transaction.atomic(), pghistory.context(actor=getattr(actor, "pk", None), service=func.__name__):
            return func(*args, **kwargs)

    return wrapper
