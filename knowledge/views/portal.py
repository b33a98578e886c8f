"""Portal pages of the knowledge base: home and search, the article page with feedback, and the
deflection panel's suggestions (an htmx fragment) with the link that records a read.

Everyone signed in reads the published public articles of the bases open to them
(``queries.articles_visible_to(user, portal=True)``); any other article is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from esm.api_bases import parse_id
from servicedesk.rendering import render_markdown

from .. import services
from ..forms import FeedbackForm
from ..models import Article
from ..queries import articles_visible_to
from ..search import highlight, index_search, plain_text, search_articles, suggestions, title_html

SEARCH_LIMIT = 30
SUGGESTION_LIMIT = 5
LIST_LIMIT = 8
MAX_QUERY_CHARS = 200


def _query(request) -> str:
    return " ".join(request.GET.get("q", "").split())[:MAX_QUERY_CHARS]


def _article_or_404(request, pk) -> Article:
    pk = parse_id(pk)
    article = articles_visible_to(request.user, portal=True).filter(pk=pk).select_related("category").first() \
        if pk else None
    if article is None:
        raise Http404
    return article


@login_required
@require_GET
def home(request):
    """Search (ranked, highlighted, the best ``SEARCH_LIMIT``) or, without a query, popular and new articles."""
    q = _query(request)
    visible = articles_visible_to(request.user, portal=True)
    context = {"nav": "knowledge", "q": q}
    if q:
        with index_search():
            rows = list(search_articles(visible, q).values("id", "title", "body")[:SEARCH_LIMIT])
            if not rows:  # no article holds every word: show those holding most of them
                rows = list(search_articles(visible, q, match="any").values("id", "title", "body")[:SEARCH_LIMIT])
        context["results"] = [{"id": row["id"], "title_html": title_html(row["title"], q),
                               "snippet": highlight(plain_text(row["body"][:4000]), q)} for row in rows]
        context["limited"] = len(rows) == SEARCH_LIMIT
    else:
        fields = ("id", "title", "view_count", "published_at")
        context["popular"] = list(visible.order_by("-view_count", "-id").values(*fields)[:LIST_LIMIT])
        context["recent"] = list(visible.order_by("-published_at", "-id").values(*fields)[:LIST_LIMIT])
    return render(request, "knowledge/portal/home.html", context)


@login_required
@require_GET
def article(request, pk):
    article = _article_or_404(request, pk)
    services.article_viewed(article=article)
    return _render_article(request, article, FeedbackForm())


def _render_article(request, article: Article, form: FeedbackForm, status: int = 200):
    return render(request, "knowledge/portal/article.html", {
        "nav": "knowledge", "article": article, "body_html": render_markdown(article.body), "form": form,
    }, status=status)


@login_required
@require_POST
def feedback(request, pk):
    article = _article_or_404(request, pk)
    form = FeedbackForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.feedback_add(actor=request.user, article=article, helpful=data["helpful"],
                                  rating=data["rating"], flagged=data["flagged"], comment=data["comment"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Thank you for your feedback."))
            return redirect(reverse("portal:knowledge_article", args=[article.pk]) + "#feedback")
    return _render_article(request, article, form, status=400)


@login_required
@require_GET
def suggestion_list(request):
    """The deflection panel's content for what the person has typed so far (records the search)."""
    q = _query(request)
    source = request.GET.get("from", "report")[:20]
    found = suggestions(q, request.user, SUGGESTION_LIMIT) if q else []
    if found:
        services.deflection_search(actor=request.user, text=q, source=source)
    return render(request, "knowledge/portal/_suggestions.html", {"q": q, "suggestions": found})


@login_required
@require_GET
def suggestion_open(request, source, ident):
    """Record that a suggestion was read, then show it (its own page, from its source)."""
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        raise Http404
    services.deflection_read(actor=request.user, source=source, ident=ident,
                             title=request.GET.get("title", ""))
    return redirect(target)
