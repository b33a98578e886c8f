"""``manage.py seed_demo``: load the demo (docs/demo.md). Idempotent.

Each app provides its own part: people and teams (accounts.demo), the estate (cmdb.demo), the
incidents (incidents.demo, which asks the first two for its cast), the SLA clocks (sla.demo),
change management (changes.demo), the service catalog and its requests (catalog.demo,
catalog.demo_requests), problem management (problems.demo), knowledge (knowledge.demo) and
satisfaction surveys (surveys.demo).
"""

import time

from django.core.management.base import BaseCommand

from accounts.demo import DEMO_PASSWORD, MONITORING, PEOPLE
from catalog import demo as catalog_demo
from catalog import demo_requests
from changes import demo as changes_demo
from incidents.demo import seed_demo
from knowledge import demo as knowledge_demo
from problems import demo as problems_demo
from sla import demo as sla_demo
from surveys import demo as surveys_demo


class Command(BaseCommand):
    help = "Load demo people, teams, services and a few hundred incidents. Running it again adds nothing."
    # The launcher runs `manage.py check` just before; checking again would only slow every start.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--incidents", type=int, default=300,
                            help="How many incidents to create when there are none yet (default 300).")

    def handle(self, *args, incidents: int, **options):
        started = time.monotonic()
        report = seed_demo(incidents=incidents)
        # SLA clocks come from the (time-shifted) history; the sla app owns them (incidents cannot import it).
        sla_demo.seed(stdout=self.stdout)
        changes = changes_demo.seed()
        catalog = catalog_demo.seed()
        requests = demo_requests.seed()  # orders from the catalog above
        problems = problems_demo.seed()
        knowledge_demo.seed()
        surveys_demo.seed()  # satisfaction policies and answered surveys of resolved incidents
        elapsed = time.monotonic() - started

        self.stdout.write(self.style.MIGRATE_HEADING("Demo data"))
        for what in ("organisations", "people", "teams", "services", "other CIs", "relationships"):
            self.stdout.write(f"  {what:<14} {report.created[what]} created")
        if report.skipped_incidents:
            self.stdout.write("  incidents      0 created (the demo incidents are already there)")
        else:
            states = ", ".join(f"{state} {n}" for state, n in report.incidents_by_state.items())
            self.stdout.write(f"  incidents      {report.created['incidents']} created ({states})")
        if changes:
            self.stdout.write(f"  changes        {changes['changes']} created (with {changes['templates']} templates, "
                              f"{changes['freeze windows']} freeze windows, two CABs and their rules)")
        else:
            self.stdout.write("  changes        0 created (the demo changes are already there)")
        if problems:
            self.stdout.write(f"  problems       {problems['problems']} created (with {problems['known errors']} known "
                              f"errors and {problems['candidates']} recurring-incident candidates)")
        else:
            self.stdout.write("  problems       0 created (the demo problems are already there)")
        self.stdout.write(f"  catalog        {catalog['items']} items created in {catalog['categories']} new "
                          "categories")
        self.stdout.write(f"  requests       {requests['requests']} created (awaiting approval, in fulfilment, "
                          "complete, rejected)")
        self.stdout.write(f"  took {elapsed:.1f} s")

        if options["verbosity"] >= 1:
            self.stdout.write(self.style.MIGRATE_HEADING(f"Demo logins (password for all: {DEMO_PASSWORD})"))
            for person in PEOPLE:
                if person.documented:
                    self.stdout.write(f"  {person.username:<9} {person.role:<22} {person.try_this}")
            others = ", ".join(p.username for p in PEOPLE if not p.documented)
            self.stdout.write(f"  also: {others} (same password); '{MONITORING.username}' is the API-only "
                              "monitoring account")
