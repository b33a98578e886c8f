"""Template helpers of the catalog: texts in the reader's language, item icons, prices."""

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from .. import localize

register = template.Library()

# A few outline icons (16×16 paths) an item or category may name; anything else gets the box.
ICONS = {
    "laptop": '<path d="M3 3.5h10v7H3z"/><path d="M1.5 12.5h13"/>',
    "app": '<rect x="2.5" y="2.5" width="4" height="4"/><rect x="9.5" y="2.5" width="4" height="4"/>'
           '<rect x="2.5" y="9.5" width="4" height="4"/><rect x="9.5" y="9.5" width="4" height="4"/>',
    "key": '<circle cx="5" cy="8" r="2.5"/><path d="M7.5 8h7M12.5 8v2.5M10.5 8v2"/>',
    "folder": '<path d="M1.5 4.5v8h13v-7h-7l-1.5-1.5h-4.5z"/>',
    "globe": '<circle cx="8" cy="8" r="6.5"/><path d="M1.5 8h13M8 1.5c-2.5 3-2.5 10 0 13M8 1.5c2.5 3 2.5 10 0 13"/>',
    "people": '<circle cx="5.5" cy="5.5" r="2"/><circle cx="11" cy="6" r="1.7"/><path d="M1.5 13c0-2.5 2-4 4-4s4 '
              '1.5 4 4M10 9.5c2 0 4 1 4 3.5"/>',
    "person-plus": '<circle cx="6" cy="5" r="2.5"/><path d="M1.5 14c0-3 2-4.5 4.5-4.5S10.5 11 10.5 14M13 4v4M11 '
                   '6h4"/>',
    "box": '<path d="M2 5l6-3 6 3v6l-6 3-6-3z"/><path d="M2 5l6 3 6-3M8 8v6"/>',
}


@register.simple_tag
def catalog_icon(name: str, size: int = 32):
    paths = ICONS.get(name) or ICONS["box"]
    return format_html(
        '<svg class="catalog-icon" aria-hidden="true" width="{}" height="{}" viewBox="0 0 16 16" fill="none" '
        'stroke="currentColor" stroke-width="1.1" stroke-linejoin="round" stroke-linecap="round">{}</svg>',
        size, size, mark_safe(paths))  # noqa: S308 - fixed markup from ICONS above


@register.filter
def localized(obj, field: str) -> str:
    """``obj.<field>`` in the reader's language: ``{{ item|localized:"name" }}``."""
    return localize.text(obj, field)


@register.filter
def price(item) -> str:
    if item.price is None:
        return ""
    return f"{item.currency} {number_format(item.price, decimal_pos=2, force_grouping=True)}".strip()
