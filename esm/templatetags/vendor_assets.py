"""``{% vendor_url "chart.js/chart.umd.min.js" as src %}``: a vendored library's URL, or "" when missing.

Chart.js and cytoscape.js are fetched at set-up (esm/vendor.py). On a server where that did not
happen (offline install, a wiped ``var/``) ``{% static %}`` would fail the whole page under the
manifest storage; pages ask here instead and show their figures without the chart or map.
"""

import logging
from pathlib import Path

from django import template
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.templatetags.static import static

register = template.Library()
log = logging.getLogger("esm.vendor")


@register.simple_tag
def vendor_url(path: str) -> str:
    name = f"vendor/{path}"
    if not (Path(settings.VENDOR_DIR) / path).is_file() and not staticfiles_storage.exists(name):
        log.warning("Vendored file %s is missing; run `manage.py vendor_assets`", name)
        return ""
    try:
        return static(name)
    except ValueError:  # collected before the file was fetched: not in the manifest
        log.warning("Vendored file %s is not in the static manifest; run collectstatic", name)
        return ""
