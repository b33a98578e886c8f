"""API token authentication: the token, its person and their permissions in one statement.

DRF's ``TokenAuthentication`` loads the token and user with the ORM, then the permission check
reads the permissions in a second query. An integration calls the API many times a second, so the
same rules (unknown token: refused; inactive person: refused) run here as one plain SQL statement
that also fills the permission cache ``accounts.backends.ESMBackend`` reads.
"""

import functools

from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from .backends import permission_names_sql
from .models import User

TOKEN_MAX_LENGTH = Token._meta.get_field("key").max_length
# DRF's own wording, translated in its catalogue.
INVALID_TOKEN = "Invalid token."
INACTIVE_USER = "User inactive or deleted."


@functools.cache
def _token_sql() -> tuple[str, list[str]]:
    user_fields = [f.attname for f in User._meta.concrete_fields]
    columns = ", ".join(f'u."{User._meta.get_field(name).column}"' for name in user_fields)
    perms = permission_names_sql(User, user="u.id", superuser="u.is_superuser")
    # Identifiers come from model metadata; the key is bound.
    sql = (f"SELECT t.created, ARRAY({perms}), {columns} "  # noqa: S608
           f'FROM "{Token._meta.db_table}" t JOIN "{User._meta.db_table}" u ON u.id = t.user_id '
           "WHERE t.key = %s")
    return sql, user_fields


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        if len(key) > TOKEN_MAX_LENGTH or "\x00" in key:
            raise exceptions.AuthenticationFailed(_(INVALID_TOKEN))
        sql, user_fields = _token_sql()
        with connection.cursor() as cursor:
            cursor.execute(sql, [key])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_(INVALID_TOKEN))
        created, permissions, *values = row
        user = User.from_db(connection.alias, user_fields, values)
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_(INACTIVE_USER))
        user._perm_cache = set(permissions)
        token = Token.from_db(connection.alias, ["key", "user_id", "created"], [key, user.pk, created])
        token.user = user
        return user, token
