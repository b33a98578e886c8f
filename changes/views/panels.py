"""The change page's panels that come from the change domain and the approval engine, put in the
words and shapes the templates show (facts are stored; texts are chosen here, rule 10)."""

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime

from servicedesk import approvals

from ..conflicts import conflict_text, conflicts_for
from ..risk import reason_text
from ..services import GUARD_TEXTS


def guard_texts(codes) -> list[str]:
    return [str(GUARD_TEXTS.get(code, code)) for code in codes]


def risk_reason_texts(reasons) -> list[str]:
    return [reason_text(reason) for reason in reasons or []]


def _when(start: str, end: str) -> str:
    def shown(raw):
        value = parse_datetime(raw) if isinstance(raw, str) else raw
        return formats.date_format(timezone.localtime(value), "Y-m-d H:i") if value else ""

    return f"{shown(start)} → {shown(end)}" if start else ""


def conflict_rows(conflicts) -> list[dict]:
    """Each conflict with what it is (a change or a freeze), when, a link, and why, in the reader's words."""
    rows = []
    for conflict in conflicts:
        facts = conflict.facts
        if conflict.kind == "change":
            rows.append({"kind": "change", "title": f'{facts["number"]} {facts["title"]}',
                         "url": reverse("desk-changes:detail", args=[facts["number"]]),
                         "when": _when(facts["planned_start"], facts["planned_end"]), "why": conflict_text(conflict)})
        else:
            rows.append({"kind": "freeze", "title": facts["name"], "url": "",
                         "when": _when(facts["starts_at"], facts["ends_at"]), "why": conflict_text(conflict)})
    return rows


def conflicts_context(ticket) -> dict:
    return {"conflicts": conflict_rows(conflicts_for(ticket, ticket.change))}


def approvals_context(ticket, request) -> dict:
    """The approval engine's overview for its panel include (``desk/approvals/_panel.html``)."""
    return {"approval": approvals.approval_overview(ticket, request.user),
            "next_url": reverse("desk-changes:detail", args=[ticket.number]) + "#approvals"}
