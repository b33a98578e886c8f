"""What the survey pages share: one service call whose refusals land on the form that caused them."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from esm.errors import DomainError, StaleVersion


def run_service(form, call: Callable[[], object]) -> bool:
    """Run ``call()`` (one service); False with the errors on ``form`` (input kept) when it refuses."""
    try:
        call()
    except StaleVersion:
        form.add_error(None, _("Someone else saved this since you opened it. Nothing was saved: reload the page, "
                               "check the current values and save again."))
    except ValidationError as exc:
        form.add_service_errors(exc)
    except DomainError as exc:
        form.add_error(None, exc.detail)
    else:
        return True
    return False
