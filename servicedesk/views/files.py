"""Attachment downloads, for both surfaces: served only to people who may see the ticket."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404

from accounts.roles import can_work_tickets

from ..models import Attachment
from ..queries import can_view_ticket


@login_required
def attachment_download(request, pk: int, name: str):
    attachment = get_object_or_404(Attachment.objects.select_related("ticket"), pk=pk)
    if not can_view_ticket(request.user, attachment.ticket):
        raise Http404
    if not attachment.public and not can_work_tickets(request.user):
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404
    # Always a download, never rendered inline: an uploaded HTML or SVG file cannot run script here.
    return FileResponse(handle, as_attachment=True, filename=attachment.name,
                        content_type="application/octet-stream")
