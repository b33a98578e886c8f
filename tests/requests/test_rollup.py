"""The roll-up of states is a pure function: item from its tasks, request from its items."""

import pytest

from catalog.rollup import item_state, request_state

T_WAIT, T_OPEN, T_WORK = "waiting", "open", "in_progress"
T_DONE, T_FAIL, T_SKIP = "closed_complete", "closed_incomplete", "closed_skipped"


@pytest.mark.parametrize(("tasks", "expected"), [
    ([], "complete"),
    ([T_WAIT], "in_fulfilment"),
    ([T_DONE, T_OPEN], "in_fulfilment"),
    ([T_DONE, T_WORK], "in_fulfilment"),
    ([T_FAIL, T_WAIT], "in_fulfilment"),
    ([T_DONE, T_DONE], "complete"),
    ([T_DONE, T_SKIP], "complete"),
    ([T_DONE, T_FAIL], "incomplete"),
    ([T_SKIP, T_FAIL], "incomplete"),
    ([T_SKIP, T_SKIP], "skipped"),
])
def test_item_state_from_tasks(tasks, expected):
    assert item_state(tasks) == expected


@pytest.mark.parametrize(("items", "expected"), [
    (["awaiting_approval"], "awaiting_approval"),
    (["in_fulfilment", "awaiting_approval"], "awaiting_approval"),
    (["complete", "awaiting_approval"], "awaiting_approval"),
    (["approved"], "in_fulfilment"),
    (["complete", "in_fulfilment"], "in_fulfilment"),
    (["rejected", "in_fulfilment"], "in_fulfilment"),
    (["rejected", "rejected"], "rejected"),
    (["cancelled"], "cancelled"),
    (["complete", "complete"], "complete"),
    (["complete", "skipped"], "complete"),
    (["complete", "cancelled"], "complete"),
    (["complete", "incomplete"], "incomplete"),
    (["complete", "rejected"], "incomplete"),
    (["rejected", "cancelled"], "rejected"),
    (["skipped", "skipped"], "skipped"),
    (["skipped", "cancelled"], "skipped"),
])
def test_request_state_from_items(items, expected):
    assert request_state(items) == expected
