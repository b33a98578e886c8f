"""``manage.py sla_rebuild_clocks``: recompute SLA clocks from ticket history (after loading data,
restoring a backup, or shifting demo time). Idempotent."""

import time

from django.core.management.base import BaseCommand

from sla.services import clocks_rebuild


class Command(BaseCommand):
    help = "Recompute the SLA clocks of every open ticket (or of all tickets with --all) from their history."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Every ticket, finished ones included.")

    def handle(self, *args, all: bool = False, **options):
        from servicedesk.models import Ticket

        started = time.monotonic()
        ids = list(Ticket.objects.order_by("id").values_list("id", flat=True)) if all else None
        count = clocks_rebuild(ticket_ids=ids, reason="rebuild", force=True)
        self.stdout.write(f"SLA clocks recomputed for {count} tickets in {time.monotonic() - started:.1f} s")
