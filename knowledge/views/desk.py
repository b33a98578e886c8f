"""Console pages of the knowledge app: the article list, the editor with preview, the article page with
its versions and diffs, knowledge tasks (KBT), and attaching articles to incidents.

Every write is one call into ``knowledge.services``; every page needs the desk permission
(``esm.access.desk_required``), and the services check the knowledge manager's moves themselves.
"""

import functools

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from esm.access import desk_required
from esm.api_bases import parse_id
from esm.errors import DomainError, StaleVersion
from esm.pagination import InvalidCursor, keyset_paginate, query_without
from servicedesk.choices import TicketKind
from servicedesk.models import Ticket
from servicedesk.queries import tickets_visible_to
from servicedesk.registry import desk_panels_html, state_of, ticket_url
from servicedesk.rendering import render_markdown
from servicedesk.timeline import note_text

from .. import services
from ..choices import ArticleState
from ..forms import ArticleForm, AttachArticleForm
from ..models import Article, Feedback, KnowledgeBase, KnowledgeTask
from ..queries import LIST_FIELDS, deflection_counts, diff_html, version_list
from ..search import index_search, search_articles

PAGE_SIZE = 50
ORDERINGS = {"-updated_at": ("-updated_at", "-id"), "title": ("title", "id"), "-view_count": ("-view_count", "-id")}
ORDERING_LABELS = {"-updated_at": gettext_lazy("Recently updated"), "title": gettext_lazy("Title"),
                   "-view_count": gettext_lazy("Most read")}
STATE_BADGES = {ArticleState.DRAFT: "secondary", ArticleState.REVIEW: "warning",
                ArticleState.PUBLISHED: "success", ArticleState.RETIRED: "dark"}
TASK_QUEUES = (("kb_review", gettext_lazy("Reviews before expiry")), ("kb_feedback", gettext_lazy("Feedback")),
               ("kb_publication", gettext_lazy("Articles to approve")))


def _article_or_404(pk) -> Article:
    pk = parse_id(pk)
    article = Article.objects.select_related("knowledge_base", "owner", "category", "current_version").filter(
        pk=pk).first() if pk else None
    if article is None:
        raise Http404
    return article


# --- List -----------------------------------------------------------------------------------


@desk_required
@require_GET
def article_list(request):
    params = request.GET
    q = " ".join(params.get("q", "").split())[:200]
    rows = Article.objects.only(*LIST_FIELDS).select_related("knowledge_base", "owner")
    state = params.get("state", "")
    if state in ArticleState.values:
        rows = rows.filter(state=state)
    base = parse_id(params.get("base", ""))
    if base:
        rows = rows.filter(knowledge_base_id=base)
    if params.get("mine"):
        rows = rows.filter(owner=request.user)
    cursor_error, page = "", None
    if q:
        with index_search():
            articles = list(search_articles(rows, q)[:PAGE_SIZE])
    else:
        try:
            page = keyset_paginate(rows, orderings=ORDERINGS, ordering=params.get("ordering"),
                                   default_ordering="-updated_at", cursor=params.get("cursor"), page_size=PAGE_SIZE)
        except InvalidCursor as exc:
            cursor_error = exc.messages[0]
            page = keyset_paginate(rows, orderings=ORDERINGS, ordering=params.get("ordering"),
                                   default_ordering="-updated_at", cursor=None, page_size=PAGE_SIZE)
        articles = page.items
    return render(request, "knowledge/desk/list.html", {
        "articles": articles, "page": page, "q": q, "state": state, "base": base, "mine": bool(params.get("mine")),
        "states": ArticleState.choices, "bases": KnowledgeBase.objects.order_by("name").values_list("id", "name"),
        "orderings": ORDERING_LABELS.items(), "ordering": page.ordering if page else "",
        "badges": STATE_BADGES, "cursor_error": cursor_error, "page_query": query_without(params, "cursor"),
        "deflection": deflection_counts(), "task_queues": TASK_QUEUES,
    })


# --- Editor ---------------------------------------------------------------------------------


def _prefill_from_incident(request, number: str) -> tuple[dict, Ticket | None]:
    """Symptoms, cause and resolution from an incident the person may see."""
    ticket = (tickets_visible_to(request.user, Ticket.objects.filter(kind=TicketKind.INCIDENT))
              .select_related("incident", "service").filter(number=number.upper()).first())
    if ticket is None:
        return {}, None
    incident = ticket.incident
    body = "\n\n".join([
        "## " + _("Symptoms"), ticket.description.strip() or ticket.title,
        "## " + _("Cause"), _("(Describe what caused it.)"),
        "## " + _("Resolution"), incident.resolution_notes.strip() or _("(Describe the steps that fix it.)"),
    ])
    initial = {"title": ticket.title, "body": body, "note": _("Written from %(number)s") % {"number": ticket.number}}
    if ticket.service_id:
        initial["services"] = [ticket.service_id]
    if ticket.category_id:
        initial["category"] = ticket.category_id
    return initial, ticket


def _form_fields(data: dict) -> dict:
    return {"knowledge_base": data["knowledge_base"], "title": data["title"], "body": data["body"],
            "tags": data["tags"], "language": data["language"], "category": data["category"],
            "owner": data["owner"], "cis": list(data["services"]), "valid_to": data["valid_to"],
            "note": data["note"]}


def _editor(request, form, *, article=None, incident=None, preview=None):
    return render(request, "knowledge/desk/edit.html", {
        "form": form, "article": article, "incident": incident, "preview": preview,
    }, status=400 if form.is_bound and form.errors else 200)


@desk_required
@require_http_methods(["GET", "POST"])
def article_create(request):
    initial, incident = _prefill_from_incident(request, request.GET.get("incident", ""))
    if request.method == "GET":
        base = KnowledgeBase.objects.filter(active=True).order_by("name").first()
        initial.setdefault("knowledge_base", base.pk if base else None)
        initial.update(owner=request.user.pk, language=request.LANGUAGE_CODE[:2] if request.LANGUAGE_CODE else "ko")
        return _editor(request, ArticleForm(initial=initial), incident=incident)
    form = ArticleForm(request.POST)
    if not form.is_valid():
        return _editor(request, form, incident=incident)
    if "preview" in request.POST:
        return _editor(request, form, incident=incident, preview=render_markdown(form.cleaned_data["body"]))
    try:
        article = services.article_create(actor=request.user, from_ticket=incident, **_form_fields(form.cleaned_data))
    except ValidationError as exc:
        form.add_service_errors(exc)
        return _editor(request, form, incident=incident)
    messages.success(request, _("Article %(number)s saved as a draft.") % {"number": article.number})
    return redirect("desk-knowledge:detail", article.pk)


@desk_required
@require_http_methods(["GET", "POST"])
def article_edit(request, pk):
    article = _article_or_404(pk)
    if request.method == "GET":
        latest = article.versions.order_by("-number").first()
        form = ArticleForm(initial={
            "knowledge_base": article.knowledge_base_id, "title": latest.title, "body": latest.body,
            "tags": ", ".join(latest.tags), "language": article.language, "category": article.category_id,
            "owner": article.owner_id, "services": list(article.cis.values_list("pk", flat=True)),
            "valid_to": article.valid_to, "version": article.version})
        return _editor(request, form, article=article)
    form = ArticleForm(request.POST)
    if not form.is_valid():
        return _editor(request, form, article=article)
    if "preview" in request.POST:
        return _editor(request, form, article=article, preview=render_markdown(form.cleaned_data["body"]))
    try:
        services.article_edit(actor=request.user, article=article, expected_version=form.cleaned_data["version"],
                              **_form_fields(form.cleaned_data))
    except ValidationError as exc:
        form.add_service_errors(exc)
        return _editor(request, form, article=article)
    except StaleVersion as exc:
        form.add_error(None, exc.detail)
        return _editor(request, form, article=article)
    except DomainError as exc:
        form.add_error(None, exc.detail)
        return _editor(request, form, article=article)
    messages.success(request, _("Article %(number)s saved.") % {"number": article.number})
    return redirect("desk-knowledge:detail", article.pk)


# --- Article page ---------------------------------------------------------------------------


@desk_required
@require_GET
def article_detail(request, pk):
    article = _article_or_404(pk)
    versions = version_list(article)
    pending = versions[0] if versions and services.is_pending(versions[0]) else None
    shown = pending or article.current_version or (versions[0] if versions else None)
    tasks = list(KnowledgeTask.objects.filter(article=article, ticket__active=True)
                 .select_related("ticket").order_by("-ticket__opened_at")[:20])
    return render(request, "knowledge/desk/detail.html", {
        "article": article, "versions": versions, "pending": pending, "shown": shown,
        "body_html": render_markdown(shown.body if shown else ""),
        "actions": services.article_actions(article, request.user),
        "badge": STATE_BADGES.get(article.state, "secondary"),
        "feedback": Feedback.objects.filter(article=article).select_related("user")[:20],
        "tasks": tasks, "cis": article.cis.order_by("name"),
        "incidents": article.ticket_links.select_related("ticket").order_by("-linked_at")[:20],
    })


def _move(request, move, done: str) -> None:
    """Run a lifecycle move posted with the version the page showed; its refusal becomes a message."""
    try:
        move(actor=request.user, expected_version=parse_id(request.POST.get("version", "")) or None)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, done)


@desk_required
@require_POST
def article_transition(request, pk):
    article = _article_or_404(pk)
    _move(request, functools.partial(services.article_transition, article=article,
                                     action=request.POST.get("action", ""),
                                     comment=request.POST.get("comment", "")[:500]),
          _("Article %(number)s: done.") % {"number": article.number})
    return redirect("desk-knowledge:detail", article.pk)


@desk_required
@require_GET
def version_diff(request, pk, number):
    """Version ``number`` of the article and its changes against ``against`` (default: the version before)."""
    article = _article_or_404(pk)
    versions = {v.number: v for v in version_list(article)}
    version = versions.get(parse_id(number) or 0)
    if version is None:
        raise Http404
    against_number = parse_id(request.GET.get("against", "")) or version.number - 1
    against = versions.get(against_number)
    return render(request, "knowledge/desk/version.html", {
        "article": article, "version": version, "against": against, "versions": list(versions.values()),
        "title_changed": against is not None and against.title != version.title,
        "tags_changed": against is not None and against.tags != version.tags,
        "diff": diff_html(against.body if against else "", version.body),
        "body_html": render_markdown(version.body),
    })


# --- Knowledge tasks ------------------------------------------------------------------------


def _task_or_404(request, number) -> Ticket:
    ticket = (Ticket.objects.filter(kind=TicketKind.KNOWLEDGE_TASK, number=str(number).upper())
              .select_related("knowledge_task__article", "knowledge_task__feedback__user",
                              "knowledge_task__version", "requester", "assignee", "team").first())
    if ticket is None:
        raise Http404
    return ticket


@desk_required
@require_GET
def task_detail(request, number):
    ticket = _task_or_404(request, number)
    task = ticket.knowledge_task
    entries = [(entry, note_text(entry.data or {})) for entry in
               ticket.timeline.select_related("actor").order_by("-at", "-id")[:50]]
    allowed = services.task_moves(ticket, task)
    return render(request, "knowledge/desk/task.html", {
        "ticket": ticket, "task": task, "state": state_of(ticket.kind, ticket.state), "entries": entries,
        "transitions": allowed, "panels": desk_panels_html(ticket, request),
    })


@desk_required
@require_POST
def task_transition(request, number):
    ticket = _task_or_404(request, number)
    _move(request, functools.partial(services.task_transition, ticket=ticket, target=request.POST.get("target", ""),
                                     note=request.POST.get("note", "")[:1000]),
          _("%(number)s updated.") % {"number": ticket.number})
    return redirect("desk-knowledge:task", ticket.number)


# --- Articles on incidents ------------------------------------------------------------------


def _visible_ticket_or_404(request, number) -> Ticket:
    ticket = tickets_visible_to(request.user).filter(number=str(number).upper()).first()
    if ticket is None:
        raise Http404
    return ticket


def _back_to(ticket: Ticket) -> str:
    return (ticket_url(ticket.kind, ticket.number, "desk") or reverse("desk:queue")) + "#knowledge"


@desk_required
@require_POST
def ticket_attach(request, number):
    ticket = _visible_ticket_or_404(request, number)
    form = AttachArticleForm(request.POST)
    article = None
    if form.is_valid():
        raw = form.cleaned_data["article"].strip().upper().removeprefix("KB")
        article = Article.objects.filter(pk=parse_id(raw)).first() if parse_id(raw) else None
    if article is None:
        messages.error(request, _("No article with that number."))
        return redirect(_back_to(ticket))
    try:
        services.ticket_article_attach(actor=request.user, ticket=ticket, article=article,
                                       resolved=form.cleaned_data["resolved"])
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("%(article)s attached.") % {"article": article.number})
    return redirect(_back_to(ticket))


@desk_required
@require_POST
def ticket_article_update(request, number, pk):
    ticket = _visible_ticket_or_404(request, number)
    article = _article_or_404(pk)
    try:
        if request.POST.get("detach"):
            services.ticket_article_detach(actor=request.user, ticket=ticket, article=article)
        else:
            services.ticket_article_attach(actor=request.user, ticket=ticket, article=article,
                                           resolved=request.POST.get("resolved") == "1")
    except DomainError as exc:
        messages.error(request, exc.detail)
    return redirect(_back_to(ticket))

