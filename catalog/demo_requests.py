"""Demo service requests in every state, ordered from the demo catalog (``catalog.demo``, which must
run first) through ``catalog.fulfilment``, approved and fulfilled by the demo people:

- Alice's new laptop waits for her manager Chris;
- Minji's software waits for the software licence board;
- Bob's VPN access is approved by Emma and its task is in progress;
- Alice's onboarding of a new colleague is approved, its accounts are created, the laptop is being set up;
- 박하은's password reset is complete;
- Tom's workstation laptop was rejected by his manager Emma, with a reason.

``seed()`` adds nothing when demo requests exist already.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from cmdb.models import ConfigurationItem
from servicedesk import approvals
from servicedesk.choices import TicketKind
from servicedesk.models import Notification, Ticket

from . import fulfilment
from .choices import TaskState
from .models import CatalogItem, FulfilmentTask


def _people(*usernames) -> dict[str, User]:
    return {u.username: u for u in User.objects.filter(username__in=usernames)}


def _order(person: User, item_name: str, answers: dict, requested_for: User | None = None) -> Ticket:
    item = CatalogItem.objects.select_related("current_form").get(name=item_name)
    return fulfilment.request_submit(actor=person, lines=[fulfilment.OrderLine(item=item, answers=answers)],
                                     requested_for=requested_for)


def _task(request: Ticket, key: str) -> Ticket:
    return FulfilmentTask.objects.select_related("ticket").get(requested_item__request_id=request.pk, key=key).ticket


def _work(agent: User, task: Ticket, *, finish: bool, note: str = "") -> None:
    fulfilment.task_assign(ticket=task, actor=agent, team=task.team, assignee=agent)
    fulfilment.task_transition(ticket=task, actor=agent, to=TaskState.IN_PROGRESS)
    if note:
        from servicedesk.services import comment_add

        comment_add(ticket=task, actor=agent, body=note, public=False)
    if finish:
        fulfilment.task_transition(ticket=task, actor=agent, to=TaskState.CLOSED_COMPLETE)


NOT_SENT_NOTE = "Demo data (seed_demo): recorded in the outbox, never e-mailed."


def seed() -> dict:
    """The demo requests, in one transaction whose mail stays in the outbox: the rows are marked sent
    before the commit, so the send tasks queued after it find nothing to send."""
    if Ticket.objects.filter(kind=TicketKind.REQUEST).exists():
        return {"requests": 0}
    with transaction.atomic():
        created = _orders()
        Notification.objects.filter(ticket__kind__in=[TicketKind.REQUEST, TicketKind.TASK],
                                    sent_at__isnull=True).update(sent_at=F("created_at"), last_error=NOT_SENT_NOTE)
    return created


def _orders() -> dict:
    p = _people("alice", "chris", "bob", "emma", "tom", "minji", "haeun", "agent", "agent2", "netops", "appdev",
                "fieldtech")
    application = ConfigurationItem.objects.filter(ci_class__slug="application").order_by("id").first()
    count = 0

    _order(p["alice"], "New laptop", {"model": "standard", "keyboard": "uk", "accessories": ["mouse", "dock"]})
    count += 1
    _order(p["minji"], "Software installation", {"software": "visio", "computer_name": "LT-20417"})
    count += 1

    vpn = _order(p["bob"], "VPN access", {"reason": "Customer visits: I need the CRM from hotels."})
    approvals.approval_vote(actor=p["emma"], ticket=vpn, decision="approve", comment="Fine for customer visits.")
    _work(p["netops"], _task(vpn, "vpn"), finish=False, note="Account created, waiting for the token.")
    count += 1

    start = (timezone.localdate() + timedelta(days=10)).isoformat()
    onboarding = _order(p["alice"], "New employee onboarding", {
        "employee_name": "Jisoo Han", "start_date": start, "department": "finance", "needs_laptop": True,
        "laptop_model": "standard", "desk": "3F-12"})
    approvals.approval_vote(actor=p["chris"], ticket=onboarding, decision="approve")
    _work(p["appdev"], _task(onboarding, "accounts"), finish=True)
    _work(p["fieldtech"], _task(onboarding, "laptop"), finish=False)
    count += 1

    if application is not None:
        reset = _order(p["haeun"], "Password reset", {"system": application.pk, "phone": "+82 2 555 0142"})
        _work(p["agent"], _task(reset, "reset"), finish=True)
        count += 1

    rejected = _order(p["tom"], "New laptop", {"model": "workstation", "keyboard": "us",
                                               "justification": "3D rendering for trade-fair stands."})
    approvals.approval_vote(actor=p["emma"], ticket=rejected, decision="reject",
                            comment="The performance model is enough for the stand drawings.")
    count += 1
    return {"requests": count}
