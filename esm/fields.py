"""Input fields for single-line text (titles, names, codes), for API serializers and page forms.

A line break in a title ends up in e-mail subjects, where it is refused ("Header values can't
contain newlines"), and in one-line table cells. These fields collapse every run of whitespace —
CR, LF, tabs, Unicode line and paragraph separators — to one space and trim the ends, so what is
stored is one line whichever door it came through.
"""

from django import forms
from django.db import models
from rest_framework import serializers


def single_line(value: str) -> str:
    return " ".join(value.split())


class SingleLineCharField(serializers.CharField):
    """DRF's CharField, collapsed to one line before the length check."""

    def to_internal_value(self, data):
        return single_line(super().to_internal_value(data))


class SingleLineFormField(forms.CharField):
    """Django's form CharField, collapsed to one line before the length check."""

    def to_python(self, value):
        value = super().to_python(value)
        return single_line(value) if isinstance(value, str) else value


class SingleLineModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose generated fields for model CharFields (one-line by nature) are one line."""

    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping,
                                models.CharField: SingleLineCharField}
