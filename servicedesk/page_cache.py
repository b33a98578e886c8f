"""A ticket page's body, rendered once and kept under everything it shows.

Rendering a ticket page (forms, pickers, the timeline, the details card) costs several times what
reading its data does. The body changes only when its data does, so a process page renders it once
and keeps the HTML in the cache under a digest of:

- the rows it was made from: the ticket row, the process's own row and the raw rows of the one
  ``read_around`` query (people, teams, watchers, CIs, the timeline page …) — any change to what the
  page shows changes these rows, so no signal has to remember to invalidate anything;
- the CMDB generation (affected services come from the CMDB cache, see ``cmdb.impact``);
- the viewer: id, name and permissions (the offered actions depend on them), language, time zone;
- the code: templates, translations and Python files, by name, size and modification time, so a
  deployment never serves the HTML of the code before it.

The CSRF token differs per request: pages are rendered with a fixed placeholder, replaced on the
way out. The panels of higher layers (SLA clocks) are time-dependent: they are rendered (or taken
from their own per-minute entry) for every request and put in the body through a placeholder.
The whole page (``page_key``) is kept too, under the body's key, the panels, the address and the
person's menu (name, the approvals waiting for them); a page with messages waiting is never kept.

The console queue is kept the same way under a light read of its page (ids, versions, SLA due
times) and the minute: its time-left column moves with the clock, and a renamed person, team or
service shows within that minute. Pages with a form the agent submitted, or asked with options
(``?edit=all``), are rendered fresh and not kept. Without a cache every page is simply rendered
(docs/architecture.md, "How a process builds a fast ticket page and detail endpoint").
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections import OrderedDict
from functools import cache as memoize
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

# Placeholders that cannot occur in rendered HTML: the CSRF token and the higher layers' panels.
CSRF_PLACEHOLDER = "esm-csrf-placeholder-4f1d9a"
PANELS_PLACEHOLDER = mark_safe("<!--esm-panels-placeholder-4f1d9a-->")
TTL = 15 * 60  # a backstop: every input is in the key
_SOURCE_SUFFIXES = {".py", ".html", ".mo", ".txt"}
_SKIP_DIRS = {".venv", "var", "tests", "bench", "node_modules", ".git", "__pycache__", "static", "media"}


@memoize
def code_version() -> str:
    """A digest of the project's templates, translations and Python files (names, sizes, times)."""
    root = Path(settings.BASE_DIR)
    digest = hashlib.sha256()
    stack = [root]
    while stack:
        folder = stack.pop()
        with contextlib.suppress(OSError):
            for entry in sorted(folder.iterdir()):
                if entry.is_dir():
                    if entry.name not in _SKIP_DIRS and not entry.name.startswith("."):
                        stack.append(entry)
                elif entry.suffix in _SOURCE_SUFFIXES:
                    stat = entry.stat()
                    digest.update(f"{entry.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def viewer_facts(user) -> tuple:
    """What of the viewer a page body may show or depend on."""
    return (user.pk, user.get_username(), user.first_name, user.last_name, user.is_active,
            tuple(sorted(user.get_all_permissions())))


def fragment_key(name: str, *inputs) -> str:
    """The key of HTML made from ``inputs`` in the reader's language and time zone by this code."""
    parts = (code_version(), name, get_language(), timezone.get_current_timezone_name(), inputs)
    return f"page:{name}:" + hashlib.sha256(repr(parts).encode()).hexdigest()[:40]


def body_key(page: str, user, *inputs) -> str:
    """The key of a page body: ``fragment_key`` plus the viewer (the offered actions depend on them)."""
    return fragment_key(page, viewer_facts(user), *inputs)


# Keys name their content, so an entry never goes stale and each web process can keep the most
# recent ones in memory too, before asking the shared cache (one round trip less per hit).
LOCAL_SIZE = 256
_local: OrderedDict[str, tuple[float, str]] = OrderedDict()
_local_lock = threading.Lock()


def get(key: str):
    if not settings.PAGE_CACHE:
        return None
    with _local_lock:
        found = _local.get(key)
        if found is not None and found[0] > time.monotonic():
            _local.move_to_end(key)
            return found[1]
    try:
        html = cache.get(key)
    except Exception:  # noqa: BLE001 - the cache is an optimisation: render without it
        return None
    if html is not None:
        _remember(key, html, TTL)
    return html


def keep(key: str, html, ttl: int = TTL) -> None:
    """Keep ``html`` (a string, or plain data such as a list of strings) under ``key``."""
    if not settings.PAGE_CACHE:
        return
    html = str(html) if isinstance(html, str) else html
    _remember(key, html, ttl)
    with contextlib.suppress(Exception):
        cache.set(key, html, ttl)


def _remember(key: str, html, ttl: int) -> None:
    with _local_lock:
        _local[key] = (time.monotonic() + ttl, html)
        _local.move_to_end(key)
        while len(_local) > LOCAL_SIZE:
            _local.popitem(last=False)


def clear_local() -> None:
    with _local_lock:
        _local.clear()


def page_key(request, name: str, *inputs) -> str | None:
    """The key of a whole console page, or None when it must be rendered (messages are waiting).

    The page's frame (menu, the person's name, the count of approvals waiting, the language switcher
    that comes back to this address) is in the key besides ``inputs``, the page's own.
    """
    from django.contrib.messages import get_messages

    from .approvals import pending_count_of_request

    if request.method != "GET" or len(get_messages(request)):
        return None
    user = request.user
    return body_key(name, user, user.email, user.is_staff, user.is_superuser, request.get_full_path(),
                    bool(getattr(request, "htmx", False)), pending_count_of_request(request), inputs)


def page_response(request, html: str, status: int = 200):
    """A kept page with this request's CSRF token put in."""
    from django.http import HttpResponse

    return HttpResponse(html.replace(CSRF_PLACEHOLDER, get_token(request)), status=status)


def body_context() -> dict:
    """Context entries that make a body template render the placeholders instead of per-request parts."""
    return {"csrf_token": CSRF_PLACEHOLDER, "extension_panels": PANELS_PLACEHOLDER}


def with_panels(body: str, panels: str) -> SafeString:
    """The body with the higher layers' panels put in (its CSRF placeholder stays for ``page_response``)."""
    return mark_safe(body.replace(PANELS_PLACEHOLDER, panels, 1))  # noqa: S308 - both rendered by templates
