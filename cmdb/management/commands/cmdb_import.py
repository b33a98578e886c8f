"""``manage.py cmdb_import``: import CIs and relationships from CSV or JSON files (dry run unless --apply)."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from cmdb.imports import CIS, RELATIONSHIPS, ci_import, read_file
from esm.errors import DomainError


def read_rows(path: str, *, kind: str) -> tuple[list, list]:
    """One file → (CI rows, relationship rows); parsed as the API and the console page parse uploads."""
    try:
        content = Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc}")
    try:
        _text, cis, relationships = read_file(Path(path).name, content, kind=kind)
    except ValidationError as exc:
        raise CommandError(f"{path}: {' '.join(exc.messages)}")
    return cis, relationships


class Command(BaseCommand):
    help = "Import configuration items (and relationships) from CSV or JSON. Reports only, unless --apply."

    def add_arguments(self, parser):
        parser.add_argument("--source", required=True, help="The system the rows come from (matched with external_id).")
        parser.add_argument("--cis", help="CSV or JSON file of CI rows.")
        parser.add_argument("--relationships", help="CSV file of relationships (source,type,target) or JSON list.")
        parser.add_argument("--apply", action="store_true", help="Write the changes (default: dry run).")
        parser.add_argument("--skip-rejected", action="store_true",
                            help="Apply the good rows even if some are rejected (default: all or nothing).")
        parser.add_argument("--user", help="Username recorded as the actor (default: the system).")
        parser.add_argument("--show", type=int, default=50, help="How many reported rows to print (default 50).")

    def handle(self, *args, **options):
        cis, relationships = read_rows(options["cis"], kind=CIS) if options["cis"] else ([], [])
        if options["relationships"]:
            more_cis, more_relationships = read_rows(options["relationships"], kind=RELATIONSHIPS)
            cis += more_cis
            relationships += more_relationships
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"No user {options['user']!r}.")
        try:
            report = ci_import(actor=actor, source=options["source"], cis=cis, relationships=relationships,
                               dry_run=not options["apply"], skip_rejected=options["skip_rejected"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages))
        except DomainError as exc:
            raise CommandError(exc.detail)
        shown = 0
        for row in report.rows:
            if row.outcome == "unchanged" or shown >= options["show"]:
                continue
            shown += 1
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in row.errors.items()) or ", ".join(row.changes)
            self.stdout.write(f"{row.kind} #{row.row} {row.key}: {row.outcome}" + (f" ({detail})" if detail else ""))
        counts = ", ".join(f"{n} {outcome}" for outcome, n in report.counts.items())
        if report.applied:
            self.stdout.write(self.style.SUCCESS(f"Applied: {counts}."))
        elif report.dry_run:
            self.stdout.write(f"Dry run, nothing written: {counts}. Add --apply to write.")
        else:
            self.stdout.write(self.style.ERROR(f"Nothing written, rows were rejected: {counts}. "
                                               "Fix them or add --skip-rejected."))
            raise SystemExit(1)
