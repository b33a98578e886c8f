"""``manage.py cmdb_import``: import CIs and relationships from CSV or JSON files (dry run unless --apply)."""

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from cmdb.imports import ci_import, parse_csv
from esm.errors import DomainError


def read_rows(path: str) -> tuple[list, list]:
    """A .csv file → CI rows; a .json file → a list of CI rows, or {"cis": [...], "relationships": [...]}."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"Cannot read {path}: {exc}")
    if file.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise CommandError(f"{path} is not valid JSON: {exc}")
        if isinstance(data, list):
            return data, []
        if isinstance(data, dict):
            return list(data.get("cis") or []), list(data.get("relationships") or [])
        raise CommandError(f"{path}: expected a list of rows or an object with 'cis' and 'relationships'.")
    return parse_csv(text), []


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
        cis, relationships = read_rows(options["cis"]) if options["cis"] else ([], [])
        if options["relationships"]:
            more_cis, rels = read_rows(options["relationships"])
            relationships += rels or more_cis  # a CSV of relationships parses as plain rows
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
