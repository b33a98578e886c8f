"""The API's JSON renderer writes what DRF's own renderer writes, only faster (floats aside: see esm.renderers)."""

import datetime
import decimal
import json
import uuid
import zoneinfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from esm.renderers import JSONRenderer

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")

SAMPLES = [
    {"when": datetime.datetime(2026, 11, 27, 6, 0, 1, 250000, tzinfo=datetime.UTC)},
    {"when": datetime.datetime(2026, 11, 27, 15, 0, tzinfo=SEOUL), "day": datetime.date(2026, 11, 27)},
    {"cost": decimal.Decimal("12.50"), "id": uuid.UUID(int=7), "label": gettext_lazy("Open")},
    {"title": "서버 장애 \u2028 line \u2029 paragraph", "nested": [{"a": None, "b": True, "c": 1.5}]},
    ReturnDict({"results": ReturnList([{"n": 1}], serializer=None)}, serializer=None),
    {1: "integer keys"},
    [],
    "plain",
]


@pytest.mark.parametrize("data", SAMPLES)
def test_same_json_as_drf(data):
    assert JSONRenderer().render(data) == DRFJSONRenderer().render(data)


def test_falls_back_to_drf_for_what_orjson_refuses():
    huge = {"n": 2**70}
    assert JSONRenderer().render(huge) == DRFJSONRenderer().render(huge) == b'{"n":1180591620717411303424}'


def test_indent_still_pretty_prints():
    out = JSONRenderer().render({"a": 1}, "application/json; indent=2")
    assert out == DRFJSONRenderer().render({"a": 1}, "application/json; indent=2")
    assert json.loads(out) == {"a": 1} and b"\n" in out


def test_floats_are_the_same_numbers():
    values = [0.1, 1.5, 1e-05, 1e-07, 123456.789, -2.5e20]
    assert json.loads(JSONRenderer().render(values)) == json.loads(DRFJSONRenderer().render(values)) == values


def test_nothing_renders_as_empty_body():
    assert JSONRenderer().render(None) == b""


def test_unserialisable_value_fails_as_with_drf():
    with pytest.raises(TypeError):
        DRFJSONRenderer().render({"x": object()})
    with pytest.raises(TypeError):
        JSONRenderer().render({"x": object()})
