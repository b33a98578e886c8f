"""Several small reads in one round trip to PostgreSQL.

A ticket page needs a dozen small, independent reads (people, teams, watchers, linked CIs, the
latest timeline entries, …). Each as its own query costs a round trip, Django's query compilation
and PostgreSQL's parse and plan; together they were most of the page's database time.
:func:`read_together` compiles each ``values_list()`` queryset with the ORM — so visibility rules,
orderings and limits stay ORM code — and sends them as one statement of scalar subqueries, each
aggregating its rows to a JSON array:

    SELECT (SELECT coalesce(json_agg(json_build_array(r.c0, r.c1)), '[]') FROM (<sql 1>) r(c0, c1)),
           (SELECT … FROM (<sql 2>) r(c0, …)), …

Rows come back as tuples in the queryset's order (PostgreSQL aggregates a plain subquery scan in its
order). JSON carries strings, numbers, booleans, nulls and JSON values as they are; date-times and
dates are turned back into Python objects. Use it for small reads (a page's worth of rows), not for
lists that need model instances or exact decimals.
"""

from datetime import date, datetime

from django.db import connections
from django.db.models import QuerySet

_CONVERTERS = {
    "DateTimeField": datetime.fromisoformat,
    "DateField": date.fromisoformat,
}


def _compile(qs: QuerySet) -> tuple[str, tuple, list]:
    compiler = qs.query.get_compiler(using=qs.db)
    sql, params = compiler.as_sql()
    converters = []
    for expression, _sql, _alias in compiler.select:
        field = getattr(expression, "output_field", None)
        converters.append(_CONVERTERS.get(field.get_internal_type()) if field is not None else None)
    return sql, tuple(params), converters


def read_together(**reads: QuerySet) -> dict[str, list[tuple]]:
    """Run every ``values_list()`` queryset of ``reads`` in one query: ``{name: [row tuples]}``.

    An empty queryset (``.none()``) costs nothing and gives ``[]``.
    """
    parts, params, shapes = [], [], []
    out: dict[str, list[tuple]] = {}
    alias = None
    for name, qs in reads.items():
        if qs.query.is_empty():
            out[name] = []
            continue
        sql, qs_params, converters = _compile(qs)
        alias = alias or qs.db
        columns = ", ".join(f"c{i}" for i in range(len(converters)))
        row = ", ".join(f"r.c{i}" for i in range(len(converters)))
        # The SQL is the ORM's, its values bound; only column aliases are formatted in.
        part = f"(SELECT coalesce(json_agg(json_build_array({row})), '[]'::json) FROM ({sql}) r({columns}))"  # noqa: S608
        parts.append(part)
        params.extend(qs_params)
        shapes.append((name, converters))
    if not parts:
        return out
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)  # compiled by the ORM, values bound
        results = cursor.fetchone()
    for (name, converters), rows in zip(shapes, results, strict=True):
        if any(converters):
            rows = [tuple(convert(v) if convert and v is not None else v for convert, v in zip(converters, r,
                                                                                             strict=True))
                    for r in rows]
        else:
            rows = [tuple(r) for r in rows]
        out[name] = rows
    return out
