"""Portal form pieces every process shares: several attachments in one field, and the ticket list filter."""

from django import forms
from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

MAX_FILES_PER_POST = 10
MAX_SEARCH_CHARS = 200


def attachment_help_text() -> str:
    return _("Optional. Up to %(mb)s MB per file. Accepted types: %(types)s.") % {
        "mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024),
        "types": ", ".join(settings.ATTACHMENT_ALLOWED_EXTENSIONS),
    }


# Read at render time, so the current settings (and test overrides) show up.
attachment_help_text_lazy = lazy(attachment_help_text, str)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Zero or more uploaded files (Django's documented pattern for ``<input type=file multiple>``).

    Only the count is checked here; name, type and size are the service's rules
    (``servicedesk.services.attachment_add``), so a form never disagrees with the API.
    """

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", attachment_help_text_lazy())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if len(files) > MAX_FILES_PER_POST:
            raise forms.ValidationError(
                ngettext("Attach at most %(count)d file at a time.", "Attach at most %(count)d files at a time.",
                         MAX_FILES_PER_POST) % {"count": MAX_FILES_PER_POST}
            )
        single = super().clean
        return [single(f, initial) for f in files]


class TicketListFilterForm(forms.Form):
    OPEN = "open"
    CLOSED = "closed"

    status = forms.ChoiceField(
        label=_("Show"), required=False,
        choices=[("", _("All my tickets")), (OPEN, _("Open")), (CLOSED, _("Closed"))],
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=MAX_SEARCH_CHARS, strip=True)

    def clean_q(self):
        # PostgreSQL refuses NUL characters in text parameters; drop them rather than fail.
        return self.cleaned_data["q"].replace("\x00", "")
