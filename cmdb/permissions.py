"""Who may read and who may edit the CMDB.

Every desk role reads it (agents need it to work incidents); only people with ``cmdb.manage_cmdb``
— configuration managers and administrators, granted by migration 0003 — edit it.
"""

from django.utils.translation import gettext as _

from accounts.roles import can_work_tickets
from esm.errors import NotPermitted

from .models import MANAGE_CMDB


def can_read_cmdb(user) -> bool:
    return can_work_tickets(user)


def can_edit_cmdb(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(MANAGE_CMDB))


def require_editor(actor) -> None:
    """Services call this; ``actor=None`` is the system (imports from the command line, beat jobs)."""
    if actor is not None and not can_edit_cmdb(actor):
        raise NotPermitted(_("Only configuration managers can change the CMDB."))
