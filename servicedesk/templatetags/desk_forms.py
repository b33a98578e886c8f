"""Form fields on dense console pages, written in Python: the same markup as ``desk/_field.html`` and
``desk/_form_errors.html`` without an included template per field (a ticket page has about thirty)."""

from html import escape as esc

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def desk_field(f, cls: str = ""):
    """``{% desk_field form.title "col-md-6" %}``: label, widget, errors and help text."""
    errors = f.errors
    classes = "esm-field" + (" has-error" if errors else "") + (f" {esc(cls)}" if cls else "")
    parts = [f'<div class="{classes}">\n  <label class="form-label" for="{esc(f.id_for_label or "")}">'
             f"{esc(str(f.label))}</label>\n  {f}\n  "]
    parts.extend(f'<div class="invalid-feedback d-block">{esc(str(error))}</div>' for error in errors)
    if f.help_text:
        parts.append(f'\n  <div class="form-text">{esc(str(f.help_text))}</div>')
    parts.append("\n</div>")
    return mark_safe("".join(parts))  # noqa: S308 - every value is escaped; the widget renders itself safely


@register.simple_tag
def form_errors(form):
    """The form's own errors and its hidden fields' errors (nothing at all for a clean form)."""
    if not form.is_bound or not form.errors:
        return ""
    parts = []
    non_field = form.non_field_errors()
    if non_field:
        parts.append('<div class="alert alert-danger py-1 px-2 mb-2 small" role="alert">'
                     + "".join(f"<div>{esc(str(e))}</div>" for e in non_field) + "</div>")
    for hidden in form.hidden_fields():
        parts.extend(f'<div class="alert alert-danger py-1 px-2 mb-2 small" role="alert">{esc(str(e))}</div>'
                     for e in hidden.errors)
    return mark_safe("".join(parts))  # noqa: S308 - every value is escaped
