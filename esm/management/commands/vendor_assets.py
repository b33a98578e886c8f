from django.core.management.base import BaseCommand, CommandError

from esm import vendor


class Command(BaseCommand):
    help = "Download the pinned browser libraries (Chart.js, cytoscape.js) from the npm registry into var/vendor/."

    def handle(self, *args, **options):
        for package in vendor.missing():
            self.stdout.write(f"Fetching {package.name} {package.version} from {vendor.REGISTRY} ...")
            try:
                vendor.fetch(package)
            except (OSError, ValueError) as exc:
                raise CommandError(f"Could not fetch {package.name}: {exc}") from exc
        self.stdout.write(f"Browser libraries ready in {vendor.VENDOR_DIR}")
