"""API representations of service requests and fulfilment tasks (documented for drf-spectacular)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from esm.api_bases import NamedRefSerializer, PersonRefSerializer

from ..choices import RequestedItemState, RequestState, TaskState

# --- Ordering ---------------------------------------------------------------------------------


class OrderLineSerializer(serializers.Serializer):
    item = serializers.IntegerField(min_value=1, help_text=_("A catalog item's id."))
    quantity = serializers.IntegerField(min_value=1, max_value=1000, default=1)
    answers = serializers.DictField(default=dict, help_text=_(
        "Answers by question key, as the item's current form asks (GET /api/v1/catalog/items/{id}/)."))


class RequestCreateSerializer(serializers.Serializer):
    items = OrderLineSerializer(many=True, allow_empty=False, max_length=20)
    requested_for = serializers.IntegerField(min_value=1, required=False, allow_null=True, help_text=_(
        "The person it is for (default: you), when the items may be ordered for someone else."))


class RequestTransitionSerializer(serializers.Serializer):
    to = serializers.CharField(max_length=40, help_text=_("The target state (see `actions`)."))
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class TaskTransitionSerializer(serializers.Serializer):
    to = serializers.CharField(max_length=40, help_text=_("The target state (see `actions`)."))
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="",
                                 help_text=_("Required to close incomplete or to skip."))


class TicketActionSerializer(serializers.Serializer):
    target = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)


# --- Requests ---------------------------------------------------------------------------------


class RequestListItemSerializer(serializers.Serializer):
    number = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    state = serializers.ChoiceField(choices=RequestState.choices, read_only=True)
    state_label = serializers.CharField(read_only=True)
    priority = serializers.IntegerField(read_only=True)
    requester = PersonRefSerializer(read_only=True)
    requested_for = PersonRefSerializer(read_only=True)
    assignee = PersonRefSerializer(read_only=True, allow_null=True)
    opened_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    url = serializers.CharField(read_only=True)


class TaskBriefSerializer(serializers.Serializer):
    number = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    state = serializers.ChoiceField(choices=TaskState.choices, read_only=True)
    state_label = serializers.CharField(read_only=True)
    team = NamedRefSerializer(read_only=True, allow_null=True)
    assignee = PersonRefSerializer(read_only=True, allow_null=True)
    depends_on = serializers.ListField(child=serializers.CharField(), read_only=True,
                                       help_text=_("Numbers of the tasks it waits for."))


class AnswerSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True)
    type = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)
    answer = serializers.JSONField(read_only=True)
    display = serializers.JSONField(read_only=True)


class RequestedItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    item = NamedRefSerializer(read_only=True, help_text=_("The catalog item (its name as ordered)."))
    quantity = serializers.IntegerField(read_only=True)
    state = serializers.ChoiceField(choices=RequestedItemState.choices, read_only=True)
    state_label = serializers.CharField(read_only=True)
    form_version = serializers.IntegerField(read_only=True, allow_null=True)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True, allow_null=True)
    currency = serializers.CharField(read_only=True)
    answers = AnswerSerializer(many=True, read_only=True, help_text=_("Every question and answer as ordered."))
    tasks = TaskBriefSerializer(many=True, read_only=True)


class RequestDetailSerializer(RequestListItemSerializer):
    description = serializers.CharField(read_only=True)
    version = serializers.IntegerField(read_only=True)
    copied_from = serializers.CharField(read_only=True, allow_null=True)
    items = RequestedItemSerializer(many=True, read_only=True)
    actions = TicketActionSerializer(many=True, read_only=True, help_text=_("Moves you may take now."))


# --- Tasks ------------------------------------------------------------------------------------


class TaskListItemSerializer(serializers.Serializer):
    number = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    state = serializers.ChoiceField(choices=TaskState.choices, read_only=True)
    state_label = serializers.CharField(read_only=True)
    priority = serializers.IntegerField(read_only=True)
    team = NamedRefSerializer(read_only=True, allow_null=True)
    assignee = PersonRefSerializer(read_only=True, allow_null=True)
    request = serializers.CharField(read_only=True, help_text=_("The request's number."))
    opened_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    url = serializers.CharField(read_only=True)


class TaskDetailSerializer(TaskListItemSerializer):
    description = serializers.CharField(read_only=True)
    version = serializers.IntegerField(read_only=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    depends_on = serializers.ListField(child=serializers.CharField(), read_only=True)
    request_items = serializers.ListField(child=serializers.DictField(), read_only=True, help_text=_(
        "The request's items with their questions and answers."))
    actions = TicketActionSerializer(many=True, read_only=True)


class TaskAssignSerializer(serializers.Serializer):
    team = serializers.IntegerField(min_value=1, allow_null=True)
    assignee = serializers.IntegerField(min_value=1, required=False, allow_null=True)

