"""Change risk: the questionnaire, the CMDB blast radius and the history of the CIs touched.

``assess`` returns a score (0–100), a level and the reasons as facts — ``{"code", "params",
"points"}`` — which pages and the API render in the reader's language (``reason_text``). The
services store the result on the change whenever its CIs, service or answers change, and copy it
into the approval's context when the CAB is asked (docs/changes.md, "Risk").

Points:

* each question answered the risky way adds its weight; an unanswered one half of it (not known
  is a risk too, but a smaller one than a known risk);
* every business service the CIs endanger (``cmdb.impact``, which already discounts redundant
  relationships) adds points by its criticality (1: 15, 2: 8, 3: 4, 4: 1), at most 40 in all; the
  change's own service counts when no CI leads to it;
* each change on the same CIs in the last year that failed or was rolled back adds 10 (at most
  20), each incident such changes caused 10 (at most 20);
* an emergency change adds 10: less time to plan and test.

Levels: below 20 low, below 40 medium, below 60 high, from 60 very high.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop as N_

from cmdb.impact import affected_services_cached
from cmdb.models import ConfigurationItem

from .choices import ChangeType, ImplementationOutcome, LinkRelation, RiskLevel

SERVICE_POINTS = {1: 15, 2: 8, 3: 4, 4: 1}
SERVICE_CAP = 40
FAILED_POINTS, FAILED_CAP = 10, 20
CAUSED_POINTS, CAUSED_CAP = 10, 20
EMERGENCY_POINTS = 10
HISTORY_DAYS = 365
LEVELS = ((60, RiskLevel.VERY_HIGH), (40, RiskLevel.HIGH), (20, RiskLevel.MEDIUM), (0, RiskLevel.LOW))

# The questionnaire every installation starts with (migration changes.0003): text, explanation, the
# risky answer, weight. Administrators edit the questions in the admin; the texts are marked for
# translation so pages show a shipped question in the reader's language.
DEFAULT_QUESTIONS = [
    (N_("Was the change tested in a staging or test environment?"),
     N_("Tested with data and load like production's."), False, 15),
    (N_("Has the back-out plan been tested?"), N_("Someone has rolled it back before, in a test environment."),
     False, 15),
    (N_("Will users notice the change while it is made?"), N_("Slowness, sessions lost, features missing."), True, 10),
    (N_("Does the change need an outage?"), N_("A service is unavailable for part of the window."), True, 15),
    (N_("Has the team made this change before?"), N_("The same steps, on the same kind of CI."), False, 10),
]


@dataclass
class Assessment:
    score: int
    level: str
    reasons: list[dict] = field(default_factory=list)
    service_ids: list[int] = field(default_factory=list)


def level_for(score: int) -> str:
    return next(level for floor, level in LEVELS if score >= floor)


def assess(change, ci_ids, *, service_id: int | None = None) -> Assessment:
    from .models import RiskQuestion

    reasons: list[dict] = []
    score = 0

    answers = change.risk_answers or {}
    for question in RiskQuestion.objects.filter(active=True).only("id", "text", "risky_answer", "weight"):
        answer = answers.get(str(question.pk))
        if answer is None:
            points = question.weight // 2
            code = "unanswered"
        elif answer == question.risky_answer:
            points = question.weight
            code = "risky_answer"
        else:
            continue
        if points:
            score += points
            reasons.append({"code": code, "points": points,
                            "params": {"question_id": question.pk, "question": question.text,
                                       "answer": answer}})

    ci_ids = sorted({int(pk) for pk in ci_ids})
    services = affected_services_cached(ci_ids) if ci_ids else []
    by_id = {s.id: s.criticality for s in services}
    if service_id and service_id not in by_id:
        named = ConfigurationItem.objects.filter(pk=service_id).values_list("criticality", flat=True).first()
        if named is not None:
            by_id[service_id] = named
    if by_id:
        points = min(SERVICE_CAP, sum(SERVICE_POINTS.get(c, 1) for c in by_id.values()))
        critical = sum(1 for c in by_id.values() if c == 1)
        score += points
        reasons.append({"code": "services_endangered", "points": points,
                        "params": {"count": len(by_id), "critical": critical, "service_ids": sorted(by_id)}})

    if ci_ids:
        failed, caused = _history(change, ci_ids)
        if failed:
            points = min(FAILED_CAP, failed * FAILED_POINTS)
            score += points
            reasons.append({"code": "failed_before", "points": points, "params": {"count": failed}})
        if caused:
            points = min(CAUSED_CAP, caused * CAUSED_POINTS)
            score += points
            reasons.append({"code": "caused_incidents", "points": points, "params": {"count": caused}})

    if change.change_type == ChangeType.EMERGENCY:
        score += EMERGENCY_POINTS
        reasons.append({"code": "emergency", "points": EMERGENCY_POINTS, "params": {}})

    score = min(score, 100)
    reasons.sort(key=lambda r: -r["points"])
    return Assessment(score=score, level=level_for(score), reasons=reasons, service_ids=sorted(by_id))


def _history(change, ci_ids: list[int]) -> tuple[int, int]:
    """Changes on the same CIs in the last year that failed or were rolled back; incidents they caused."""
    from .models import Change, ChangeLink

    since = timezone.now() - timedelta(days=HISTORY_DAYS)
    past = (Change.objects.filter(ticket__ci_links__ci_id__in=ci_ids, ticket__opened_at__gte=since)
            .exclude(pk=change.pk).values("pk").distinct())
    failed = past.filter(outcome__in=[ImplementationOutcome.FAILED, ImplementationOutcome.ROLLED_BACK]).count()
    caused = (ChangeLink.objects.filter(relation=LinkRelation.CAUSED, change__in=past)
              .values("ticket_id").distinct().count())
    return failed, caused


REASON_TEXTS = {
    "risky_answer": _("“%(question)s”: %(answer_label)s"),
    "unanswered": _("“%(question)s” is not answered yet"),
    "emergency": _("Emergency change: little time to plan and test"),
}


def reason_text(reason: dict) -> str:
    """One reason in the reader's language."""
    code = reason.get("code")
    params = dict(reason.get("params") or {})
    if code == "services_endangered":
        text = ngettext("Endangers %(count)s business service", "Endangers %(count)s business services",
                        params.get("count", 0)) % params
        if params.get("critical"):
            text += ngettext(" (%(critical)s critical)", " (%(critical)s critical)", params["critical"]) % params
        return text
    if code == "failed_before":
        return ngettext("%(count)s earlier change on these CIs failed or was rolled back",
                        "%(count)s earlier changes on these CIs failed or were rolled back",
                        params.get("count", 0)) % params
    if code == "caused_incidents":
        return ngettext("Earlier changes on these CIs caused %(count)s incident",
                        "Earlier changes on these CIs caused %(count)s incidents", params.get("count", 0)) % params
    if code == "risky_answer":
        params["answer_label"] = str(_("yes") if params.get("answer") else _("no"))
    if code in ("risky_answer", "unanswered") and params.get("question"):
        params["question"] = gettext(params["question"])  # a shipped question reads in the reader's language
    template = REASON_TEXTS.get(code)
    if template is None:
        return str(code)
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)
