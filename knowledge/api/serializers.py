"""Serializers of the knowledge API (docs/api.md): articles, versions, moves, feedback, suggestions."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from cmdb.models import ConfigurationItem
from esm.api_bases import id_field
from servicedesk.models import Category
from servicedesk.rendering import MAX_BODY_CHARS, render_markdown

from ..choices import Language
from ..models import Article, ArticleVersion, Feedback, KnowledgeBase
from ..workflow import ACTIONS_BY_NAME

# The article moves (knowledge/workflow.py), one enum in the schema.
ARTICLE_ACTIONS = list(ACTIONS_BY_NAME)


class ArticleSerializer(serializers.ModelSerializer):
    """An article as lists show it (no body); ``snippet`` and ``rank`` when the list is a search."""

    number = serializers.CharField(read_only=True)
    knowledge_base = serializers.IntegerField(source="knowledge_base_id", read_only=True)
    owner = serializers.IntegerField(source="owner_id", read_only=True)
    rating = serializers.FloatField(read_only=True, allow_null=True)
    current_version = serializers.SerializerMethodField()
    snippet = serializers.SerializerMethodField()
    rank = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = ("id", "number", "knowledge_base", "state", "title", "tags", "language", "owner", "valid_to",
                  "current_version", "view_count", "helpful_count", "unhelpful_count", "rating", "rating_count",
                  "published_at", "updated_at", "version", "snippet", "rank")
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_current_version(self, article) -> int | None:
        return self.context.get("version_numbers", {}).get(article.current_version_id)

    @extend_schema_field(serializers.CharField(allow_null=True, help_text="HTML excerpt with <mark>ed words"))
    def get_snippet(self, article) -> str | None:
        return self.context.get("snippets", {}).get(article.pk)

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_rank(self, article) -> float | None:
        rank = getattr(article, "rank", None)
        return float(rank) if rank is not None else None


class ArticleDetailSerializer(ArticleSerializer):
    body = serializers.CharField(read_only=True)
    body_html = serializers.SerializerMethodField()
    category = serializers.IntegerField(source="category_id", read_only=True, allow_null=True)
    cis = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta(ArticleSerializer.Meta):
        fields = (*ArticleSerializer.Meta.fields, "body", "body_html", "category", "cis", "flag_count",
                  "resolved_count", "retired_at", "actions")
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(help_text="The body rendered from Markdown and sanitised"))
    def get_body_html(self, article) -> str:
        return str(render_markdown(article.body))

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_cis(self, article) -> list[int]:
        return sorted(ci.pk for ci in article.cis.all())

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=ARTICLE_ACTIONS)))
    def get_actions(self, article) -> list[str]:
        return self.context.get("actions", [])


class ArticleWriteSerializer(serializers.Serializer):
    knowledge_base = id_field(KnowledgeBase.objects.all())
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=MAX_BODY_CHARS, allow_blank=True, required=False, default="")
    tags = serializers.ListField(child=serializers.CharField(max_length=40), max_length=20, required=False,
                                 default=list)
    language = serializers.ChoiceField(choices=Language.choices, required=False, default=Language.KOREAN)
    category = id_field(Category.objects.all(), allow_null=True, required=False, default=None)
    owner = id_field(User.objects.filter(is_active=True), required=False, default=None)
    cis = serializers.ListField(child=id_field(ConfigurationItem.objects.all()), max_length=100, required=False,
                                default=list)
    valid_to = serializers.DateField(allow_null=True, required=False, default=None)
    note = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")

    def validate_title(self, value):
        return " ".join(value.split())


class ArticleUpdateSerializer(ArticleWriteSerializer):
    """Every field optional; a change of title, body or tags is a new version."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            field.default = serializers.empty


class ArticleVersionSerializer(serializers.ModelSerializer):
    author = serializers.IntegerField(source="author_id", read_only=True)
    author_name = serializers.CharField(source="author.display_name", read_only=True)
    published_by = serializers.IntegerField(source="published_by_id", read_only=True, allow_null=True)

    class Meta:
        model = ArticleVersion
        fields = ("number", "state", "title", "body", "tags", "note", "author", "author_name", "created_at",
                  "published_at", "published_by")
        read_only_fields = fields


class ArticleTransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=ARTICLE_ACTIONS)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ArticleFeedbackSerializer(serializers.ModelSerializer):
    class Meta:
        model = Feedback
        fields = ("id", "helpful", "rating", "flagged", "comment", "created_at")
        read_only_fields = ("id", "created_at")
        extra_kwargs = {"rating": {"min_value": 1, "max_value": 5}, "comment": {"max_length": 2000}}


class KnowledgeSuggestionSerializer(serializers.Serializer):
    source = serializers.CharField(help_text='The suggestion source: "article", "known_error" …')
    ident = serializers.CharField(help_text="The suggested object's id within its source")
    title = serializers.CharField()
    snippet = serializers.CharField(help_text="HTML excerpt with the matched words in <mark>")
    url = serializers.CharField(help_text="The portal page that shows it in full")
    score = serializers.FloatField(help_text="0..1, comparable across sources")

