"""The page behind the approve and reject links of an approval e-mail (servicedesk.approvals).

A GET only shows what would be decided, so a mail scanner that prefetches links decides nothing;
the POST of the confirmation form decides, as the approver the link was sent to. The link works
without signing in — the signed token is the credential — and once: a forged, expired or spent
link says so and decides nothing.
"""

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from .. import approvals
from ..models import Decision


@require_http_methods(["GET", "POST"])
def approval_link(request, token):
    context = {"token": token}
    try:
        vote, decision = approvals.link_vote(token)
    except approvals.LinkInvalid as exc:
        return render(request, "portal/approval_link.html", {**context, "invalid": exc.detail}, status=400)
    context.update(vote=vote, ticket=vote.step.ticket, step=vote.step, decision=decision,
                   decision_label=Decision(decision).label)
    if request.method == "POST":
        comment = request.POST.get("comment", "")
        try:
            approvals.approval_vote_by_link(token=token, comment=comment)
        except approvals.LinkInvalid as exc:
            return render(request, "portal/approval_link.html", {**context, "invalid": exc.detail}, status=400)
        except approvals.ApprovalRefused as exc:
            return render(request, "portal/approval_link.html", {**context, "invalid": exc.detail}, status=403)
        except ValidationError as exc:
            return render(request, "portal/approval_link.html", {**context, "errors": exc.messages,
                                                                  "comment": comment}, status=400)
        return render(request, "portal/approval_link.html", {**context, "done": True})
    return render(request, "portal/approval_link.html", context)
