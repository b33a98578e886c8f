"""API: knowledge articles — list and search, create, read (ETag), edit (If-Match), versions, moves and
feedback — and the merged suggestions of every registered source (``/api/v1/knowledge/search/``).

Querysets start from ``queries.articles_visible_to``: requesters read published public articles only
(per organisation when a base is restricted), so any other id is a 404. Writing, versions and moves
need the desk permission (403); the services check the knowledge manager's moves themselves.
"""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import can_work_tickets
from esm.api import IF_MATCH, LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, error_responses, etag_for, if_match_version
from esm.api_bases import ByIdMixin, parse_id
from esm.pagination import KeysetPagination

from .. import services
from ..choices import ArticleState
from ..models import Article, ArticleVersion
from ..queries import LIST_FIELDS, articles_visible_to
from ..search import highlight, index_search, plain_text, search_articles, suggestions
from .serializers import (
    ArticleDetailSerializer,
    ArticleFeedbackSerializer,
    ArticleSerializer,
    ArticleTransitionSerializer,
    ArticleUpdateSerializer,
    ArticleVersionSerializer,
    ArticleWriteSerializer,
    KnowledgeSuggestionSerializer,
)

SEARCH_LIMIT = 50
ID_PATH = OpenApiParameter("id", int, OpenApiParameter.PATH)
ETAG = OpenApiParameter("ETag", str, OpenApiParameter.HEADER, response=[200, 201],
                        description='The article\'s version, for If-Match (`"3"`).')
Q_PARAM = OpenApiParameter("q", str, description="Search title, body and tags (English and Korean); ranked, "
                                                 "at most 50 results, no paging")


class IsDeskStaff(BasePermission):
    def has_permission(self, request, view):
        return can_work_tickets(request.user)


def _parse_text(raw: str | None) -> str:
    return " ".join((raw or "").split())[:200]


@extend_schema_view(
    list=extend_schema(summary="List or search articles", parameters=[
        Q_PARAM, OpenApiParameter("state", str, enum=ArticleState.values),
        OpenApiParameter("knowledge_base", int)], responses={200: ArticleSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(summary="Get one article (ETag: its version)", parameters=[ID_PATH, ETAG],
                           responses={200: ArticleDetailSerializer, **READ_ERRORS}),
    create=extend_schema(summary="Write a new article (a draft with its first version)",
                         request=ArticleWriteSerializer, parameters=[ETAG],
                         responses={201: ArticleDetailSerializer, **error_responses(400, 401, 403)}),
    partial_update=extend_schema(summary="Edit an article: a new version when title, body or tags change",
                                 request=ArticleUpdateSerializer, parameters=[ID_PATH, IF_MATCH, ETAG],
                                 responses={200: ArticleDetailSerializer, **WRITE_ERRORS}),
)
class ArticleViewSet(ByIdMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ArticleSerializer
    pagination_class = KeysetPagination
    keyset_orderings = {"-updated_at": ("-updated_at", "-id"), "title": ("title", "id"), "id": ("id",)}
    keyset_default_ordering = "-updated_at"
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_permissions(self):
        if self.action in ("list", "retrieve", "feedback"):
            return super().get_permissions()
        return [*super().get_permissions(), IsDeskStaff()]

    def get_queryset(self):
        qs = articles_visible_to(self.request.user)
        if self.action != "list":
            return qs.select_related("knowledge_base").prefetch_related("cis")
        params = self.request.query_params
        state = params.get("state")
        if state is not None:
            if state not in ArticleState.values:
                raise ValidationError({"state": [f"One of {', '.join(ArticleState.values)}."]})
            qs = qs.filter(state=state)
        base = params.get("knowledge_base")
        if base is not None:
            if parse_id(base) is None:
                raise ValidationError({"knowledge_base": ["Give a knowledge base id."]})
            qs = qs.filter(knowledge_base_id=parse_id(base))
        return qs.only(*LIST_FIELDS)

    def _context(self, articles, **extra) -> dict:
        ids = [a.current_version_id for a in articles if a.current_version_id]
        numbers = dict(ArticleVersion.objects.filter(pk__in=ids).values_list("pk", "number")) if ids else {}
        return {"request": self.request, "version_numbers": numbers, **extra}

    def list(self, request):
        q = _parse_text(request.query_params.get("q"))
        if not q:
            page = self.paginate_queryset(self.get_queryset())
            return self.get_paginated_response(ArticleSerializer(page, many=True, context=self._context(page)).data)
        with index_search():
            articles = list(search_articles(self.get_queryset(), q)[:SEARCH_LIMIT])
        bodies = dict(Article.objects.filter(pk__in=[a.pk for a in articles]).values_list("pk", "body"))
        snippets = {pk: str(highlight(plain_text(body[:4000]), q)) for pk, body in bodies.items()}
        data = ArticleSerializer(articles, many=True, context=self._context(articles, snippets=snippets)).data
        return Response({"next": None, "previous": None, "results": data})

    def _detail(self, article: Article, status_code: int = 200) -> Response:
        article = self.get_queryset().get(pk=article.pk)
        actions = [a.name for a in services.article_actions(article, self.request.user)] \
            if can_work_tickets(self.request.user) else []
        data = ArticleDetailSerializer(article, context=self._context([article], actions=actions)).data
        return Response(data, status=status_code, headers={"ETag": etag_for(article.version)})

    def retrieve(self, request, pk=None):
        return self._detail(self.get_object())

    def create(self, request):
        serializer = ArticleWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        article = services.article_create(actor=request.user, **serializer.validated_data)
        return self._detail(article, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        article = self.get_object()
        serializer = ArticleUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        article = services.article_edit(actor=request.user, article=article,
                                        expected_version=if_match_version(request, article.version),
                                        **serializer.validated_data)
        return self._detail(article)

    @extend_schema(summary="The article's versions, newest first (desk staff)", parameters=[ID_PATH],
                   responses={200: ArticleVersionSerializer(many=True), **READ_ERRORS})
    @action(detail=True, methods=["get"], pagination_class=None)
    def versions(self, request, pk=None):
        article = self.get_object()
        rows = article.versions.select_related("author").order_by("-number")
        return Response(ArticleVersionSerializer(rows, many=True).data)

    @extend_schema(summary="Submit, publish, send back or retire (409 when the move is not possible now)",
                   request=ArticleTransitionSerializer, parameters=[ID_PATH, IF_MATCH, ETAG],
                   responses={200: ArticleDetailSerializer, **WRITE_ERRORS})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        article = self.get_object()
        serializer = ArticleTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        article = services.article_transition(actor=request.user, article=article,
                                              expected_version=if_match_version(request, article.version),
                                              **serializer.validated_data)
        return self._detail(article)

    @extend_schema(summary="Give feedback on an article you can read (a no, a low rating or a flag opens a task)",
                   request=ArticleFeedbackSerializer, parameters=[ID_PATH],
                   responses={201: ArticleFeedbackSerializer, **error_responses(400, 401, 404)})
    @action(detail=True, methods=["post"])
    def feedback(self, request, pk=None):
        pk = parse_id(pk)
        article = articles_visible_to(request.user, portal=not can_work_tickets(request.user)).filter(pk=pk).first() \
            if pk else None
        if article is None:
            raise Http404
        serializer = ArticleFeedbackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        feedback = services.feedback_add(actor=request.user, article=article, **serializer.validated_data)
        return Response(ArticleFeedbackSerializer(feedback).data, status=status.HTTP_201_CREATED)


class SearchView(APIView):
    """What might answer a problem: every registered suggestion source (articles, known-error
    workarounds …) for the text, merged by score. Only what the caller may read."""

    @extend_schema(summary="Suggestions for a problem description (merged across sources)", parameters=[
        OpenApiParameter("q", str, required=True, description="What the person typed"),
        OpenApiParameter("limit", int, description="At most this many (1–20, default 5)")],
        responses={200: KnowledgeSuggestionSerializer(many=True),
                   400: OpenApiResponse(description="`q` missing or `limit` not a number"),
                   **error_responses(401)})
    def get(self, request):
        q = _parse_text(request.query_params.get("q"))
        if not q:
            raise ValidationError({"q": ["Give the text to search for."]})
        limit = parse_id(request.query_params.get("limit", "5"))
        if limit is None or not 1 <= limit <= 20:
            raise ValidationError({"limit": ["A number from 1 to 20."]})
        found = suggestions(q, request.user, limit)
        return Response(KnowledgeSuggestionSerializer([vars(s) for s in found], many=True).data)
