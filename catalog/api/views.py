"""API of the service catalog.

Everyone signed in reads the categories and items they may order (``catalog.queries``): an item
they may not order is a 404. Catalog managers (``catalog.manage_catalog``) see every item and
write categories, items, forms (a draft's questions, publish), task templates and approval rules;
every write is one call into ``catalog.services``, which refuses others with a 403.
"""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from accounts.roles import can_manage_catalog
from esm.api import LIST_ERRORS, READ_ERRORS, error_responses
from esm.api_bases import ByIdMixin, ServiceWritesMixin, parse_id
from esm.pagination import KeysetPagination

from .. import queries, services
from ..choices import FormState
from ..models import ApprovalRule, CatalogCategory, CatalogItem, FormVersion, Question, TaskTemplate
from .serializers import (
    CatalogApprovalRuleSerializer,
    CatalogCategorySerializer,
    CatalogFormVersionSerializer,
    CatalogItemDetailSerializer,
    CatalogItemListSerializer,
    CatalogItemStateSerializer,
    CatalogItemWriteSerializer,
    CatalogQuestionMoveSerializer,
    CatalogQuestionSerializer,
    CatalogTaskTemplateSerializer,
)

ID_PATH = OpenApiParameter("id", int, OpenApiParameter.PATH)
WRITE = error_responses(400, 401, 403, 404, 409)


class IsCatalogManager(BasePermission):
    def has_permission(self, request, view):
        return can_manage_catalog(request.user)


# --- Categories -------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List catalog categories (those with items you may order; managers: all)",
                       responses={200: CatalogCategorySerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(summary="Get a catalog category", parameters=[ID_PATH],
                           responses={200: CatalogCategorySerializer, **READ_ERRORS}),
    create=extend_schema(summary="Add a category (catalog managers)",
                         responses={201: CatalogCategorySerializer, **error_responses(400, 401, 403)}),
    partial_update=extend_schema(summary="Edit a category (catalog managers)", parameters=[ID_PATH],
                                 responses={200: CatalogCategorySerializer, **error_responses(400, 401, 403, 404)}),
)
class CategoryViewSet(ServiceWritesMixin, ByIdMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):
    serializer_class = CatalogCategorySerializer
    pagination_class = KeysetPagination
    keyset_orderings = {"position": ("position", "name", "id"), "name": ("name", "id")}
    keyset_default_ordering = "position"
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "head", "options"]
    save_service = staticmethod(services.category_save)
    instance_argument = "category"

    def get_queryset(self):
        if can_manage_catalog(self.request.user):
            return CatalogCategory.objects.all()
        orderable = queries.orderable_items(self.request.user).values("category_id")
        return CatalogCategory.objects.filter(pk__in=orderable)


# --- Items ------------------------------------------------------------------------------------

Q_PARAM = OpenApiParameter("q", str, OpenApiParameter.QUERY,
                           description="Search names and descriptions in English and Korean (every word).")
CATEGORY_PARAM = OpenApiParameter("category", int, OpenApiParameter.QUERY, description="Only this category's items.")
STATE_PARAM = OpenApiParameter("state", str, OpenApiParameter.QUERY, enum=["draft", "active", "retired"],
                               description="Catalog managers: items in this state (default: every state).")


@extend_schema_view(
    list=extend_schema(summary="List catalog items you may order (managers: every item)",
                       parameters=[Q_PARAM, CATEGORY_PARAM, STATE_PARAM],
                       responses={200: CatalogItemListSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(summary="Get a catalog item with its current form", parameters=[ID_PATH],
                           responses={200: CatalogItemDetailSerializer, **READ_ERRORS}),
    create=extend_schema(summary="Add an item (catalog managers): a draft with an empty draft form",
                         request=CatalogItemWriteSerializer,
                         responses={201: CatalogItemDetailSerializer, **error_responses(400, 401, 403)}),
    partial_update=extend_schema(summary="Edit an item (catalog managers)", parameters=[ID_PATH],
                                 request=CatalogItemWriteSerializer,
                                 responses={200: CatalogItemDetailSerializer, **error_responses(400, 401, 403, 404)}),
)
class ItemViewSet(ByIdMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CatalogItemDetailSerializer
    pagination_class = KeysetPagination
    keyset_orderings = queries.ITEM_ORDERINGS
    keyset_default_ordering = queries.DEFAULT_ITEM_ORDERING
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def _category(self):
        raw = self.request.query_params.get("category")
        if raw is None:
            return None
        pk = parse_id(raw)
        if pk is None:
            raise ValidationError({"category": [_("Give a category id.")]})
        return CatalogCategory(pk=pk)

    def get_queryset(self):
        manager = can_manage_catalog(self.request.user)
        text = self.request.query_params.get("q", "")[:200]
        if self.action == "list":
            if not manager:
                return queries.item_list(self.request.user, category=self._category(), text=text)
            items = CatalogItem.objects.select_related("category").only(*queries.ITEM_LIST_FIELDS)
            category, state = self._category(), self.request.query_params.get("state")
            if category is not None:
                items = items.filter(category_id=category.pk)
            if state:
                if state not in ("draft", "active", "retired"):
                    raise ValidationError({"state": [_("Give draft, active or retired.")]})
                items = items.filter(state=state)
            return queries.search_items(items, text)
        items = CatalogItem.objects.all() if manager else queries.orderable_items(self.request.user)
        return items.select_related("category", "current_form").prefetch_related(
            "organisations", "groups", "current_form__questions")

    def get_serializer_class(self):
        return CatalogItemListSerializer if self.action == "list" else CatalogItemDetailSerializer

    def _detail(self, item, status_code=status.HTTP_200_OK):
        item = self.get_queryset().get(pk=item.pk)
        data = CatalogItemDetailSerializer(item, context=self.get_serializer_context()).data
        return Response(data, status=status_code)

    def create(self, request):
        serializer = CatalogItemWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.item_save(actor=request.user, **serializer.validated_data)
        return self._detail(item, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        item = self.get_object()
        serializer = CatalogItemWriteSerializer(item, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        item = services.item_save(actor=request.user, item=item, **serializer.validated_data)
        return self._detail(item)

    @extend_schema(summary="Open an item for orders or retire it (catalog managers)", parameters=[ID_PATH],
                   request=CatalogItemStateSerializer, responses={200: CatalogItemDetailSerializer, **WRITE})
    @action(detail=True, methods=["post"])
    def state(self, request, pk=None):
        item = self.get_object()
        serializer = CatalogItemStateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.item_set_state(actor=request.user, item=item, state=serializer.validated_data["state"])
        return self._detail(item)

    def _draft_response(self, draft, status_code=status.HTTP_200_OK):
        draft = FormVersion.objects.prefetch_related("questions").get(pk=draft.pk)
        return Response(CatalogFormVersionSerializer(draft).data, status=status_code)

    @extend_schema(methods=["GET"], summary="The item's draft form (catalog managers); 404 when there is none",
                   parameters=[ID_PATH], responses={200: CatalogFormVersionSerializer, **READ_ERRORS})
    @extend_schema(methods=["POST"], summary="Make (or return) the item's draft form, a copy of the current one "
                                             "(catalog managers)",
                   parameters=[ID_PATH], request=None, responses={200: CatalogFormVersionSerializer, **WRITE})
    @extend_schema(methods=["DELETE"], summary="Discard the draft form (catalog managers)", parameters=[ID_PATH],
                   request=None, responses={204: None, **WRITE})
    @action(detail=True, methods=["get", "post", "delete"], permission_classes=[IsCatalogManager])
    def draft(self, request, pk=None):
        item = self.get_object()
        if request.method == "POST":
            return self._draft_response(services.form_draft(actor=request.user, item=item))
        draft = item.form_versions.filter(state=FormState.DRAFT).first()
        if draft is None:
            raise Http404
        if request.method == "DELETE":
            services.form_discard(actor=request.user, form=draft)
            return Response(status=status.HTTP_204_NO_CONTENT)
        return self._draft_response(draft)

    @extend_schema(summary="Publish the draft form: new orders use it, the previous version is superseded "
                           "(catalog managers)", parameters=[ID_PATH], request=None,
                   responses={200: CatalogFormVersionSerializer, **WRITE})
    @action(detail=True, methods=["post"], permission_classes=[IsCatalogManager])
    def publish(self, request, pk=None):
        item = self.get_object()
        draft = item.form_versions.filter(state=FormState.DRAFT).first()
        if draft is None:
            raise Http404
        return self._draft_response(services.form_publish(actor=request.user, form=draft))


# --- Questions, task templates, approval rules (catalog managers) -----------------------------

FORM_PARAM = OpenApiParameter("form", int, OpenApiParameter.QUERY, required=True,
                              description="The form version whose questions to list.")
ITEM_PARAM = OpenApiParameter("item", int, OpenApiParameter.QUERY, required=True,
                              description="The catalog item.")


def _required_id(request, name: str) -> int:
    pk = parse_id(request.query_params.get(name, ""))
    if pk is None:
        raise ValidationError({name: [_("Give the id.")]})
    return pk


@extend_schema_view(
    list=extend_schema(summary="List a form version's questions (catalog managers)", parameters=[FORM_PARAM],
                       responses={200: CatalogQuestionSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(summary="Get a question", parameters=[ID_PATH],
                           responses={200: CatalogQuestionSerializer, **READ_ERRORS}),
    create=extend_schema(summary="Add a question to a draft form", responses={201: CatalogQuestionSerializer, **WRITE}),
    partial_update=extend_schema(summary="Edit a question of a draft form", parameters=[ID_PATH],
                                 responses={200: CatalogQuestionSerializer, **WRITE}),
    destroy=extend_schema(summary="Remove a question from a draft form", parameters=[ID_PATH],
                          responses={204: None, **WRITE}),
)
class QuestionViewSet(ServiceWritesMixin, ByIdMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):
    serializer_class = CatalogQuestionSerializer
    permission_classes = [IsCatalogManager]
    pagination_class = KeysetPagination
    keyset_orderings = {"position": ("position", "id")}
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    save_service = staticmethod(services.question_save)
    delete_service = staticmethod(services.question_delete)
    instance_argument = "question"

    def get_queryset(self):
        if self.action == "list":
            return Question.objects.filter(form_id=_required_id(self.request, "form"))
        return Question.objects.all()

    def partial_update(self, request, pk=None):
        question = self.get_object()
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if data.pop("form", question.form) != question.form:
            raise ValidationError({"form": [_("A question cannot move to another form.")]})
        saved = services.question_save(actor=request.user, form=question.form, question=question, **data)
        return Response(self.get_serializer(saved).data)

    @extend_schema(summary="Move a question up or down its draft form", parameters=[ID_PATH],
                   request=CatalogQuestionMoveSerializer, responses={200: CatalogQuestionSerializer, **WRITE})
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        serializer = CatalogQuestionMoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        moved = services.question_move(actor=request.user, question=self.get_object(),
                                       offset=serializer.validated_data["offset"])
        return Response(self.get_serializer(moved).data)


class ItemChildWrites(ServiceWritesMixin):
    """Task templates and approval rules: the item is named in the body on create and stays."""

    permission_classes = [IsCatalogManager]
    pagination_class = KeysetPagination
    keyset_orderings = {"position": ("position", "id")}
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    instance_argument = ""

    def partial_update(self, request, pk=None):
        instance = self.get_object()
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if data.pop("item", instance.item) != instance.item:
            raise ValidationError({"item": [_("It cannot move to another item.")]})
        saved = self.save_service(actor=request.user, item=instance.item, **{self.instance_argument: instance},
                                  **data)
        return Response(self.get_serializer(saved).data)


@extend_schema_view(
    list=extend_schema(summary="List an item's fulfilment task templates (catalog managers)",
                       parameters=[ITEM_PARAM],
                       responses={200: CatalogTaskTemplateSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(summary="Get a task template", parameters=[ID_PATH],
                           responses={200: CatalogTaskTemplateSerializer, **READ_ERRORS}),
    create=extend_schema(summary="Add a task template", responses={201: CatalogTaskTemplateSerializer, **WRITE}),
    partial_update=extend_schema(summary="Edit a task template", parameters=[ID_PATH],
                                 responses={200: CatalogTaskTemplateSerializer, **WRITE}),
    destroy=extend_schema(summary="Remove a task template", parameters=[ID_PATH], responses={204: None, **WRITE}),
)
class TaskTemplateViewSet(ItemChildWrites, ByIdMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          viewsets.GenericViewSet):
    serializer_class = CatalogTaskTemplateSerializer
    save_service = staticmethod(services.task_template_save)
    delete_service = staticmethod(services.task_template_delete)
    instance_argument = "template"

    def get_queryset(self):
        templates = TaskTemplate.objects.prefetch_related("depends_on")
        if self.action == "list":
            return templates.filter(item_id=_required_id(self.request, "item"))
        return templates


@extend_schema_view(
    list=extend_schema(summary="List an item's approval steps (catalog managers)", parameters=[ITEM_PARAM],
                       responses={200: CatalogApprovalRuleSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(summary="Get an approval step", parameters=[ID_PATH],
                           responses={200: CatalogApprovalRuleSerializer, **READ_ERRORS}),
    create=extend_schema(summary="Add an approval step", responses={201: CatalogApprovalRuleSerializer, **WRITE}),
    partial_update=extend_schema(summary="Edit an approval step", parameters=[ID_PATH],
                                 responses={200: CatalogApprovalRuleSerializer, **WRITE}),
    destroy=extend_schema(summary="Remove an approval step", parameters=[ID_PATH], responses={204: None, **WRITE}),
)
class ApprovalRuleViewSet(ItemChildWrites, ByIdMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          viewsets.GenericViewSet):
    serializer_class = CatalogApprovalRuleSerializer
    save_service = staticmethod(services.approval_rule_save)
    delete_service = staticmethod(services.approval_rule_delete)
    instance_argument = "rule"

    def get_queryset(self):
        rules = ApprovalRule.objects.prefetch_related("people")
        if self.action == "list":
            return rules.filter(item_id=_required_id(self.request, "item"))
        return rules
