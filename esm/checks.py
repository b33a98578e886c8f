"""Start-up checks: the database must use a UTF-8 character type (pg_trgm and Korean search need it)."""

from django.core.checks import Error, Tags, register
from django.db import connection


@register(Tags.database)
def check_database_ctype(app_configs=None, **kwargs):
    try:
        with connection.cursor() as cursor:
            # datctype, not current_setting('lc_ctype'): PostgreSQL 16 removed that setting.
            cursor.execute("SELECT datctype, pg_encoding_to_char(encoding) "
                           "FROM pg_database WHERE datname = current_database()")
            ctype, encoding = cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - a check reports, it does not crash
        return [Error(f"Cannot read the database locale: {exc}", id="esm.E002")]
    normalised = ctype.lower().replace("-", "")
    if encoding.upper() != "UTF8" or "utf8" not in normalised:
        return [
            Error(
                f"The database uses LC_CTYPE={ctype!r} and encoding {encoding}; ESM needs UTF-8 "
                "(e.g. C.UTF-8) so that trigram and Korean text search work.",
                hint="Create the database with: CREATE DATABASE esm ENCODING 'UTF8' "
                "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0;",
                id="esm.E001",
            )
        ]
    return []
