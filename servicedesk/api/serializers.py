"""API representations of what every ticket has: categories, comments, attachments, time, timeline."""

from django.conf import settings
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.api.serializers import BriefUserSerializer
from cmdb.api.serializers import ci_ids_field, cis_from_ids
from servicedesk.choices import EventKind
from servicedesk.models import Attachment, Category, Comment, TimeEntry, TimelineEntry
from servicedesk.rendering import MAX_BODY_CHARS
from servicedesk.timeline import APPROVAL_KINDS, approval_summary, note_text, with_labels


class BriefCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "parent"]
        read_only_fields = fields


class CategorySerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(source="__str__", read_only=True,
                                      help_text=_('"Parent / Name" for a subcategory.'))

    class Meta:
        model = Category
        fields = ["id", "name", "full_name", "parent", "description", "active"]
        read_only_fields = fields


# --- Conversation ---------------------------------------------------------------------------


class CommentSerializer(serializers.ModelSerializer):
    author = BriefUserSerializer(read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "public", "created_at"]
        read_only_fields = fields


class CommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_BODY_CHARS, help_text=_("Markdown."))
    public = serializers.BooleanField(
        default=True, help_text=_("A reply the requester sees; false for an internal work note (agents only).")
    )


class AttachmentSerializer(serializers.ModelSerializer):
    uploaded_by = BriefUserSerializer(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "name", "size", "content_type", "public", "uploaded_by", "created_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, attachment) -> str:
        path = reverse("attachment_download", args=[attachment.pk, attachment.name])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        max_length=200, allow_empty_file=False,
        help_text=format_lazy(_("At most {mb} MB; accepted types: {types}."),
                              mb=settings.ATTACHMENT_MAX_BYTES // (1024 * 1024),
                              types=", ".join(settings.ATTACHMENT_ALLOWED_EXTENSIONS)),
    )
    public = serializers.BooleanField(default=True,
                                      help_text=_("Visible to the requester. Requesters' uploads are always public."))


# --- Time -----------------------------------------------------------------------------------


class TimeEntryCreateSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(min_value=1, max_value=24 * 60)
    note = serializers.CharField(max_length=MAX_BODY_CHARS, help_text=_("Work note saying what was done."))


class TimeEntrySerializer(serializers.ModelSerializer):
    agent = BriefUserSerializer(read_only=True)
    note = serializers.CharField(source="note.body", read_only=True, allow_null=True)

    class Meta:
        model = TimeEntry
        fields = ["id", "agent", "minutes", "note", "created_at"]
        read_only_fields = fields


class AgentTimeSerializer(serializers.Serializer):
    agent = BriefUserSerializer(read_only=True)
    minutes = serializers.IntegerField(read_only=True)


class TimeTotalsSerializer(serializers.Serializer):
    total_minutes = serializers.IntegerField(read_only=True)
    by_agent = AgentTimeSerializer(many=True, read_only=True)


# --- CI links -------------------------------------------------------------------------------


class CILinkSerializer(serializers.Serializer):
    cis = ci_ids_field(min_length=1)

    def validate_cis(self, ids):
        return cis_from_ids(ids)


# --- Timeline -------------------------------------------------------------------------------


class TimelineEntrySerializer(serializers.ModelSerializer):
    actor = BriefUserSerializer(read_only=True, allow_null=True)
    kind = serializers.ChoiceField(choices=EventKind.choices, read_only=True)
    data = serializers.DictField(read_only=True, help_text=_("What happened; the keys depend on the kind."))
    comment = CommentSerializer(read_only=True, allow_null=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "at", "actor", "kind", "public", "data", "comment"]
        read_only_fields = fields

    def to_representation(self, instance):
        # Entries store facts; labels and system notes are given in the reader's language.
        out = super().to_representation(instance)
        data = out.get("data") or {}
        if instance.kind == EventKind.FIELDS:
            out["data"] = with_labels(self.context.get("kind"), data)
        elif data.get("note_code"):
            out["data"] = {**data, "note": note_text(data)}
        elif instance.kind in APPROVAL_KINDS:
            out["data"] = {**data, "summary": approval_summary(instance.kind, data)}
        return out
