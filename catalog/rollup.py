"""How states roll up: an item's from its tasks, a request's from its items (pure functions).

Item (once approved; approval and cancelling set the other states):

| its tasks                                   | item          |
|---------------------------------------------|---------------|
| none                                        | complete      |
| any still waiting, open or in progress      | in fulfilment |
| all closed, one or more closed incomplete   | incomplete    |
| all closed skipped                          | skipped       |
| all closed otherwise                        | complete      |

Request:

| its items                                                        | request           |
|------------------------------------------------------------------|-------------------|
| any awaiting approval                                            | awaiting approval |
| any approved or in fulfilment                                    | in fulfilment     |
| all cancelled                                                    | cancelled         |
| the items not cancelled: all rejected                            | rejected          |
| the items not cancelled: any incomplete or rejected              | incomplete        |
| the items not cancelled: all skipped                             | skipped           |
| otherwise (complete, with skipped or cancelled ones)             | complete          |

A rejected item in an otherwise delivered request makes it incomplete: not everything ordered came.
"""

from collections.abc import Iterable

from .choices import RequestedItemState as I
from .choices import RequestState as R
from .choices import TaskState as T

OPEN_TASK_STATES = frozenset({T.WAITING, T.OPEN, T.IN_PROGRESS})
ITEM_FINISHED = frozenset({I.COMPLETE, I.INCOMPLETE, I.SKIPPED, I.REJECTED, I.CANCELLED})


def item_state(task_states: Iterable[str]) -> str:
    """The state of an approved item whose tasks are in ``task_states``."""
    states = list(task_states)
    if not states:
        return I.COMPLETE
    if any(s in OPEN_TASK_STATES for s in states):
        return I.IN_FULFILMENT
    if T.CLOSED_INCOMPLETE in states:
        return I.INCOMPLETE
    if all(s == T.CLOSED_SKIPPED for s in states):
        return I.SKIPPED
    return I.COMPLETE


def request_state(item_states: Iterable[str]) -> str:
    """The state of a request whose items are in ``item_states``."""
    states = list(item_states)
    if not states or I.AWAITING_APPROVAL in states:
        return R.AWAITING_APPROVAL
    if I.APPROVED in states or I.IN_FULFILMENT in states:
        return R.IN_FULFILMENT
    if all(s == I.CANCELLED for s in states):
        return R.CANCELLED
    kept = [s for s in states if s != I.CANCELLED]
    if all(s == I.REJECTED for s in kept):
        return R.REJECTED
    if I.INCOMPLETE in kept or I.REJECTED in kept:
        return R.INCOMPLETE
    if all(s == I.SKIPPED for s in kept):
        return R.SKIPPED
    return R.COMPLETE
