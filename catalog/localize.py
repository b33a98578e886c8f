"""Catalog content in the reader's language.

Catalog rows keep their default (English) text in their own fields and other languages in
``translations`` (``{"ko": {"name": "…", "short_description": "…"}}``); a question's choices carry
``{"value", "label", "translations": {"ko": "…"}}``. The reader sees their language's text where
one is given and the default otherwise.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _

# Fields a translation may give, per kind of row.
TRANSLATABLE = {
    "category": ("name", "description"),
    "item": ("name", "short_description", "description"),
    "question": ("label", "help_text"),
    "task": ("name", "description"),
}


def reader_language() -> str:
    return (get_language() or settings.LANGUAGE_CODE).split("-")[0]


def other_languages() -> list[str]:
    """Language codes a translation can be given for (every shipped language but the default)."""
    default = settings.LANGUAGE_CODE.split("-")[0]
    return [code for code, _name in settings.LANGUAGES if code != default]


def text(obj, field: str, language: str | None = None) -> str:
    """``obj.<field>`` in ``language`` (default: the reader's), falling back to the stored text."""
    language = language or reader_language()
    translated = ((getattr(obj, "translations", None) or {}).get(language) or {}).get(field)
    return translated or getattr(obj, field)


def choice_label(choice: dict, language: str | None = None) -> str:
    language = language or reader_language()
    return (choice.get("translations") or {}).get(language) or choice.get("label") or str(choice.get("value", ""))


def clean_translations(value, fields: tuple[str, ...]) -> dict:
    """``value`` reduced to known languages and fields, stripped; ``ValidationError`` when malformed."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValidationError(_("Give an object of languages, e.g. {\"ko\": {\"name\": \"…\"}}."))
    cleaned = {}
    for language, texts in value.items():
        if language not in other_languages():
            raise ValidationError(_("Unknown language: %(code)s.") % {"code": language})
        if not isinstance(texts, dict):
            raise ValidationError(_("The texts for %(code)s must be an object.") % {"code": language})
        unknown = set(texts) - set(fields)
        if unknown:
            raise ValidationError(_("Only these texts can be translated: %(fields)s.") % {"fields": ", ".join(fields)})
        kept = {name: str(texts[name]).strip() for name in fields if str(texts.get(name) or "").strip()}
        if kept:
            cleaned[language] = kept
    return cleaned
