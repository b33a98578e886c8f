"""Serializers of the catalog API. Reads give texts in the reader's language (``localized``) next to
the stored ones; writes are parsed here and validated and saved by ``catalog.services``."""

from django.contrib.auth.models import Group
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Organisation, Team, User
from cmdb.models import CIClass, ConfigurationItem
from esm.api_bases import id_field
from esm.fields import SingleLineCharField
from servicedesk.models import ApproverGroup, Category
from servicedesk.rendering import render_markdown

from .. import localize
from ..models import ApprovalRule, CatalogCategory, CatalogItem, FormVersion, Question, TaskTemplate


class CatalogLocalizedCategorySerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()


class CatalogCategorySerializer(serializers.ModelSerializer):
    name = SingleLineCharField(max_length=120)
    parent = id_field(CatalogCategory.objects.all(), allow_null=True, required=False)
    localized = serializers.SerializerMethodField(help_text="Name and description in the reader's language.")

    class Meta:
        model = CatalogCategory
        fields = ["id", "name", "description", "icon", "parent", "position", "active", "translations", "localized"]
        read_only_fields = ["id", "localized"]

    @extend_schema_field(CatalogLocalizedCategorySerializer)
    def get_localized(self, obj):
        return {name: localize.text(obj, name) for name in ("name", "description")}


class CatalogLocalizedItemSerializer(serializers.Serializer):
    name = serializers.CharField()
    short_description = serializers.CharField()


class CatalogItemListSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField(help_text="The item with its current form.")
    category = serializers.IntegerField(source="category_id")
    category_name = serializers.SerializerMethodField(help_text="In the reader's language.")
    name = serializers.CharField()
    short_description = serializers.CharField()
    localized = serializers.SerializerMethodField(help_text="Name and short description in the reader's language.")
    icon = serializers.CharField()
    picture = serializers.SerializerMethodField(help_text="Address of the picture, or null.")
    price = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    currency = serializers.CharField()
    delivery_days = serializers.IntegerField(allow_null=True, help_text="Delivery estimate in working days.")
    state = serializers.CharField()

    def get_url(self, obj) -> str:
        return self.context["request"].build_absolute_uri(reverse("catalog-item-detail", args=[obj.pk]))

    def get_category_name(self, obj) -> str:
        return localize.text(obj.category, "name")

    @extend_schema_field(CatalogLocalizedItemSerializer)
    def get_localized(self, obj):
        return {name: localize.text(obj, name) for name in ("name", "short_description")}

    def get_picture(self, obj) -> str | None:
        if not obj.picture:
            return None
        return self.context["request"].build_absolute_uri(reverse("portal:catalog_picture", args=[obj.pk]))


class CatalogChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField(help_text="In the reader's language.")


class CatalogFormQuestionSerializer(serializers.Serializer):
    """A question as a requester answers it: texts and options in the reader's language."""

    key = serializers.CharField()
    type = serializers.CharField()
    label = serializers.SerializerMethodField()
    help_text = serializers.SerializerMethodField()
    required = serializers.BooleanField()
    default = serializers.JSONField(allow_null=True)
    choices = serializers.SerializerMethodField()
    min_value = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True)
    max_value = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True)
    pattern = serializers.CharField(help_text="Python regular expression the whole answer must match.")
    pattern_message = serializers.CharField()
    ci_class = serializers.IntegerField(source="ci_class_id", allow_null=True)
    visible_if = serializers.JSONField(allow_null=True, help_text="Condition (docs/catalog.md): asked only when it "
                                                                  "holds; answers to hidden questions are dropped.")
    required_if = serializers.JSONField(allow_null=True)

    def get_label(self, obj) -> str:
        return localize.text(obj, "label")

    def get_help_text(self, obj) -> str:
        return localize.text(obj, "help_text")

    @extend_schema_field(CatalogChoiceSerializer(many=True))
    def get_choices(self, obj):
        return [{"value": str(c["value"]), "label": localize.choice_label(c)} for c in obj.choices or []]


class CatalogFormSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField(help_text="Version number; an order keeps the version it was made with.")
    state = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)
    questions = CatalogFormQuestionSerializer(many=True)


class CatalogLocalizedItemDetailSerializer(CatalogLocalizedItemSerializer):
    description = serializers.CharField()


class CatalogItemDetailSerializer(CatalogItemListSerializer):
    description = serializers.CharField(help_text="Markdown, as stored.")
    description_html = serializers.SerializerMethodField(help_text="The description in the reader's language, "
                                                                   "rendered and sanitised.")
    localized = serializers.SerializerMethodField(help_text="Texts in the reader's language.")
    audience = serializers.CharField()
    organisations = serializers.SerializerMethodField(help_text="Ids of the organisations that may order it.")
    groups = serializers.SerializerMethodField(help_text="Ids of the groups that may order it.")
    max_quantity = serializers.IntegerField()
    allow_requested_for = serializers.BooleanField()
    fulfilment_team = serializers.IntegerField(source="fulfilment_team_id", allow_null=True)
    ticket_category = serializers.IntegerField(source="ticket_category_id", allow_null=True)
    service = serializers.IntegerField(source="service_id", allow_null=True)
    position = serializers.IntegerField()
    translations = serializers.JSONField()
    form = serializers.SerializerMethodField(help_text="The current (published) form; null before the first "
                                                       "publication.")

    @extend_schema_field(CatalogLocalizedItemDetailSerializer)
    def get_localized(self, obj):
        return {name: localize.text(obj, name) for name in ("name", "short_description", "description")}

    def get_organisations(self, obj) -> list[int]:
        return [organisation.pk for organisation in obj.organisations.all()]

    def get_groups(self, obj) -> list[int]:
        return [group.pk for group in obj.groups.all()]

    def get_description_html(self, obj) -> str:
        return str(render_markdown(localize.text(obj, "description")))

    @extend_schema_field(CatalogFormSerializer(allow_null=True))
    def get_form(self, obj):
        form = obj.current_form
        if form is None:
            return None
        questions = getattr(obj, "questions", None)
        return CatalogFormSerializer({"id": form.pk, "number": form.number, "state": form.state,
                               "published_at": form.published_at,
                               "questions": questions if questions is not None else form.questions.all()}).data


class CatalogItemWriteSerializer(serializers.ModelSerializer):
    name = SingleLineCharField(max_length=160)
    category = id_field(CatalogCategory.objects.all())
    organisations = id_field(Organisation.objects.all(), many=True, required=False)
    groups = id_field(Group.objects.all(), many=True, required=False)
    fulfilment_team = id_field(Team.objects.all(), allow_null=True, required=False)
    ticket_category = id_field(Category.objects.all(), allow_null=True, required=False)
    service = id_field(ConfigurationItem.objects.all(), allow_null=True, required=False)

    class Meta:
        model = CatalogItem
        fields = ["category", "name", "short_description", "description", "icon", "audience", "organisations",
                  "groups", "delivery_days", "fulfilment_team", "ticket_category", "service", "price", "currency",
                  "max_quantity", "allow_requested_for", "position", "translations"]


class CatalogItemStateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=["active", "retired"])


class CatalogQuestionSerializer(serializers.ModelSerializer):
    """A question as stored, for catalog managers (``form``: a draft version's id)."""

    form = id_field(FormVersion.objects.all())
    label = SingleLineCharField(max_length=200)
    ci_class = id_field(CIClass.objects.all(), allow_null=True, required=False)

    class Meta:
        model = Question
        fields = ["id", "form", "key", "position", "type", "label", "help_text", "required", "default", "choices",
                  "min_value", "max_value", "pattern", "pattern_message", "ci_class", "visible_if", "required_if",
                  "translations"]
        read_only_fields = ["id"]
        validators = []  # the service checks keys (one message, on the field)


class CatalogQuestionMoveSerializer(serializers.Serializer):
    offset = serializers.IntegerField(min_value=-100, max_value=100, help_text="Negative: up; positive: down.")


class CatalogFormVersionSerializer(serializers.ModelSerializer):
    questions = CatalogQuestionSerializer(many=True, read_only=True)

    class Meta:
        model = FormVersion
        fields = ["id", "item", "number", "state", "created_at", "published_at", "questions"]
        read_only_fields = fields


class CatalogTaskTemplateSerializer(serializers.ModelSerializer):
    item = id_field(CatalogItem.objects.all())
    name = SingleLineCharField(max_length=200)
    team = id_field(Team.objects.all(), allow_null=True, required=False)
    depends_on = id_field(TaskTemplate.objects.all(), many=True, required=False,
                          help_text="Tasks of the same item this one waits for (no cycles).")

    class Meta:
        model = TaskTemplate
        fields = ["id", "item", "key", "position", "name", "description", "team", "depends_on", "condition",
                  "translations"]
        read_only_fields = ["id"]
        validators = []


class CatalogApprovalRuleSerializer(serializers.ModelSerializer):
    item = id_field(CatalogItem.objects.all())
    name = SingleLineCharField(max_length=120)
    group = id_field(ApproverGroup.objects.all(), allow_null=True, required=False)
    people = id_field(User.objects.all(), many=True, required=False)
    escalate_to = id_field(ApproverGroup.objects.all(), allow_null=True, required=False)

    class Meta:
        model = ApprovalRule
        fields = ["id", "item", "position", "name", "source", "group", "people", "answer_key", "policy", "threshold",
                  "condition", "timeout_hours", "timeout_action", "escalate_to"]
        read_only_fields = ["id"]
