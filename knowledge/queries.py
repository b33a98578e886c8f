"""Reads shared by pages and the API: who reads which articles, lists, versions, diffs, deflection figures."""

import difflib
from datetime import timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.roles import can_work_tickets

from .choices import ArticleState, Audience
from .models import Article, ArticleVersion, DeflectionSession, KnowledgeBase
from .services import DEFLECTION_WINDOW

# Columns a list shows: the body is left out (it can be 50,000 characters).
LIST_FIELDS = ("id", "knowledge_base_id", "state", "title", "tags", "language", "owner_id", "valid_to",
               "view_count", "helpful_count", "unhelpful_count", "rating_total", "rating_count", "flag_count",
               "resolved_count", "updated_at", "version", "current_version_id", "published_at")


def is_staff_reader(user) -> bool:
    return can_work_tickets(user)


def readable_bases(user) -> QuerySet:
    """The knowledge bases whose published articles ``user`` reads on the portal."""
    bases = KnowledgeBase.objects.filter(active=True, audience=Audience.PUBLIC)
    restricted = KnowledgeBase.organisations.through.objects.filter(knowledgebase_id=OuterRef("pk"))
    open_to_all = ~Exists(restricted)
    if user.organisation_id:
        return bases.filter(open_to_all | Exists(restricted.filter(organisation_id=user.organisation_id)))
    return bases.filter(open_to_all)


def published_condition(today=None) -> Q:
    """Published, with a current version, and not past its valid-to date."""
    today = today or timezone.localdate()
    return (Q(state=ArticleState.PUBLISHED, current_version__isnull=False)
            & (Q(valid_to__isnull=True) | Q(valid_to__gte=today)))


def articles_visible_to(user, base: QuerySet | None = None, *, portal: bool = False) -> QuerySet:
    """Deny by default. Desk staff read every article in the console; everyone else (and staff on the
    portal) reads published public articles of the bases open to them, while they are valid."""
    qs = base if base is not None else Article.objects.all()
    if not user or not user.is_authenticated or not user.is_active:
        return qs.none()
    if is_staff_reader(user) and not portal:
        return qs
    # The bases as a list of ids (a handful): the planner then sees one simple condition on articles.
    bases = list(readable_bases(user).values_list("pk", flat=True))
    return qs.filter(published_condition(), knowledge_base_id__in=bases)


def version_list(article: Article) -> list[ArticleVersion]:
    return list(article.versions.select_related("author", "published_by").order_by("-number"))


def diff_html(old: str, new: str) -> SafeString:
    """A line diff of two texts as escaped HTML (``<ins>``/``<del>`` lines); nothing of the texts runs."""
    lines = []
    for line in difflib.unified_diff((old or "").splitlines(), (new or "").splitlines(), lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append(f'<div class="kb-diff-hunk">{escape(line)}</div>')
        elif line.startswith("+"):
            lines.append(f'<ins class="kb-diff-line">{escape(line)}</ins>')
        elif line.startswith("-"):
            lines.append(f'<del class="kb-diff-line">{escape(line)}</del>')
        else:
            lines.append(f'<div class="kb-diff-line">{escape(line)}</div>')
    return mark_safe("".join(lines))  # noqa: S308 - every line is escaped above


def deflection_counts(*, since=None, now=None) -> dict:
    """Deflections: attempts with an article read and no ticket in the following day (docs/knowledge.md).

    ``pending`` are reads of the last day whose outcome is not known yet.
    """
    now = now or timezone.now()
    since = since or now - timedelta(days=30)
    sessions = DeflectionSession.objects.filter(first_read_at__gte=since)
    open_ = sessions.filter(ticket__isnull=True)
    return {
        "deflected": open_.filter(first_read_at__lt=now - DEFLECTION_WINDOW).count(),
        "ticket_followed": sessions.filter(ticket__isnull=False).count(),
        "pending": open_.filter(first_read_at__gte=now - DEFLECTION_WINDOW).count(),
    }
