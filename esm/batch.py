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

import hashlib
import re
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db import DatabaseError, connections, transaction
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


@dataclass
class Batch:
    """The compiled statement of several reads: SQL, values, and how to read each result back."""

    sql: str
    params: list
    alias: str | None
    shapes: list[tuple[str, list]]  # (name, converters) of each read sent
    empty: list[str]  # names of reads known to be empty without asking
    # Set for batches compiled once per shape (read_prepared): the name of its server-side statement.
    statement: str = field(default="", compare=False)


def compile_reads(reads: dict[str, QuerySet]) -> Batch:
    parts, params, shapes, empty = [], [], [], []
    alias = None
    for name, qs in reads.items():
        if qs.query.is_empty():
            empty.append(name)
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
    return Batch("SELECT " + ", ".join(parts) if parts else "", params, alias, shapes, empty)


def run_batch(batch: Batch, params: list | None = None) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = dict.fromkeys(batch.empty, [])
    if not batch.shapes:
        return {name: [] for name in out}
    params = batch.params if params is None else params
    with connections[batch.alias].cursor() as cursor:
        if batch.statement and _prepare(cursor, batch):
            placeholders = ", ".join(["%s"] * len(params))
            cursor.execute(f"EXECUTE {batch.statement}({placeholders})" if params else f"EXECUTE {batch.statement}",
                           params)
        else:
            cursor.execute(batch.sql, params)  # compiled by the ORM, values bound
        results = cursor.fetchone()
    for (name, converters), rows in zip(batch.shapes, results, strict=True):
        if any(converters):
            rows = [tuple(convert(v) if convert and v is not None else v for convert, v in zip(converters, r,
                                                                                             strict=True))
                    for r in rows]
        else:
            rows = [tuple(r) for r in rows]
        out[name] = rows
    return {name: list(rows) for name, rows in out.items()}


def read_together(**reads: QuerySet) -> dict[str, list[tuple]]:
    """Run every ``values_list()`` queryset of ``reads`` in one query: ``{name: [row tuples]}``.

    An empty queryset (``.none()``) costs nothing and gives ``[]``.
    """
    return run_batch(compile_reads(reads))


# --- Prepared batches ---------------------------------------------------------------------------
# Building a dozen querysets and compiling them costs more CPU than PostgreSQL spends answering
# (about 10 ms a ticket page). The statement depends only on the *shape* of the reads, not on the
# ids in them: ``read_prepared`` builds and compiles the reads once per shape, with a unique
# sentinel number in place of every id, and afterwards only puts the request's ids in the sentinels'
# places among the values. The caller's shape key must cover everything else that changes the reads
# (which reads, list lengths, a person's visibility rules); ids must reach the reads only through
# ``values``.

# A statement of a dozen sub-selects takes PostgreSQL longer to plan (8-13 ms at 1,000,000 tickets)
# than to run. A prepared batch is therefore also PREPAREd on each database connection the first time
# that connection runs it, and EXECUTEd afterwards: after five executions PostgreSQL keeps a generic
# plan and stops planning it. Connections live for DB_CONN_MAX_AGE (docs/operations.md). Behind a
# pooler in transaction mode, which does not keep a session's prepared statements, set
# DB_PREPARED_READS=0.

_PREPARED_ON: "weakref.WeakKeyDictionary[object, set[str]]" = weakref.WeakKeyDictionary()
MAX_STATEMENTS_PER_CONNECTION = 200
_UNPREPARABLE: set[str] = set()  # statements PostgreSQL refused to prepare: they run as before
_PLACEHOLDER = re.compile(r"%%|%s")


def _numbered(sql: str) -> str:
    """The ORM's ``%s`` placeholders as ``$1, $2, …`` (and ``%%`` as ``%``) for PREPARE."""
    counter = iter(range(1, 1_000_000))
    return _PLACEHOLDER.sub(lambda m: "%" if m.group() == "%%" else f"${next(counter)}", sql)


def _prepare(cursor, batch: Batch) -> bool:
    """Make sure ``batch`` is prepared on this cursor's connection; False where it cannot be."""
    if not getattr(settings, "DB_PREPARED_READS", True) or batch.statement in _UNPREPARABLE:
        return False
    try:
        done = _PREPARED_ON.setdefault(cursor.connection, set())
    except TypeError:  # a connection that cannot be weakly referenced: no bookkeeping, no preparing
        return False
    if batch.statement not in done:
        if len(done) >= MAX_STATEMENTS_PER_CONNECTION:  # e.g. one shape per requester: start over
            cursor.execute("DEALLOCATE ALL")
            done.clear()
        try:
            with transaction.atomic(using=batch.alias):  # a savepoint: a refusal leaves the caller's transaction intact
                cursor.execute(f"PREPARE {batch.statement} AS {_numbered(batch.sql)}")
        except DatabaseError:
            _UNPREPARABLE.add(batch.statement)
            return False
        done.add(batch.statement)
    return True


SENTINEL_BASE = -(2**52)
_PREPARED: dict[tuple, tuple[Batch, list]] = {}
_PREPARED_LOCK = threading.Lock()
MAX_PREPARED = 512


def read_prepared(shape: tuple, build: Callable[[dict], dict[str, QuerySet]],
                  values: dict[str, int | str | list[int] | None]) -> dict[str, list[tuple]]:
    """``read_together(**build(values))``, compiled once per ``shape``.

    ``values`` are ids (None: no row), strings for exact matches (a ticket number), or lists of ids
    (used as ``= ANY(%s)``, one parameter); each must reach the SQL unchanged as one parameter.
    """
    names = sorted(values)
    key = (shape, tuple(names), tuple(type(values[n]).__name__ for n in names))
    prepared = _PREPARED.get(key)
    if prepared is None:
        sentinels = {name: _sentinel(values[name], i) for i, name in enumerate(names)}
        batch = compile_reads(build(sentinels))
        batch.statement = "esm_read_" + hashlib.sha256(batch.sql.encode()).hexdigest()[:20]
        by_sentinel = {_hashable(v): k for k, v in sentinels.items()}
        slots = [by_sentinel.get(_hashable(p)) if isinstance(p, int | str | list) and not isinstance(p, bool)
                 else None for p in batch.params]
        missing = {name for name in names if isinstance(values[name], list)} - set(slots)
        if missing:  # e.g. a list used with ``__in``, which the ORM spreads over several parameters
            raise ValueError(f"{sorted(missing)} must reach the SQL as one parameter each")
        prepared = (batch, slots)
        with _PREPARED_LOCK:
            if len(_PREPARED) >= MAX_PREPARED:
                _PREPARED.clear()
            _PREPARED[key] = prepared
    batch, slots = prepared
    # An absent id (None) becomes 0, which no row has: the read finds nothing, as it would for NULL.
    params = [p if slot is None else (values[slot] or (0 if not isinstance(values[slot], list) else []))
              for p, slot in zip(batch.params, slots, strict=True)]
    return run_batch(batch, params)


def _sentinel(value, i: int):
    if isinstance(value, str):
        return f"esm-sentinel-{i}-7c2e"
    if isinstance(value, list):
        return [SENTINEL_BASE - i]
    return SENTINEL_BASE - i


def _hashable(value):
    return ("list", *value) if isinstance(value, list) else value
