"""The demo's SLA clocks (``manage.py seed_demo``): derived from the demo's (time-shifted) history.

The default agreements and calendars come with the migrations; the clocks are rebuilt once the
incidents are in place, because the demo moves each step of their history into the past.
"""

from django.core.management import call_command


def seed(*, stdout=None) -> None:
    call_command("sla_rebuild_clocks", all=True, stdout=stdout)
