"""Service requests at scale: the request list (API and console queue) at 1,000,000 tickets.

    createdb from the prepared load:  CREATE DATABASE esm_bench_requests TEMPLATE esm_bench
    .venv/bin/python manage.py migrate            # with DATABASE_URL pointing at it
    .venv/bin/python -m bench.bench_requests generate [--requests 100000]
    .venv/bin/python -m bench.bench_requests run [--repeat 30]

``generate`` adds, with set-based SQL (triggers off, as ``generate_tickets``), ``--requests``
requests (``REQ…``, one requested item of a bench catalog item each, ordered by the bench people,
a tenth still awaiting approval, a tenth in fulfilment, the rest complete) and two fulfilment tasks
per request (``TASK…``, the second waiting for the first while the request is open). An existing
load of requests and tasks is deleted first.

``run`` times, in-process through Django's test client:

* ``GET /api/v1/requests/`` (50 rows) as desk staff (every request) and as a requester (only those
  ordered by or for them): newest first, a state filter, and a page twenty cursors deep;
* the console's request queue ``/desk/requests/`` (awaiting approval, all) and task queue
  ``/desk/requests/tasks/`` (unassigned, all).

Budget (bench/README.md): as the incident list and the console queue — p95 < 100 ms and a fixed
number of queries.
"""

import argparse
import time
from urllib.parse import parse_qs, urlsplit

from bench.common import (
    BENCH_AGENT,
    add_database_argument,
    add_quiet_argument,
    machine_summary,
    percentile,
    setup_django,
    summarise_ms,
    wait_until_quiet,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/esm_bench_requests"
BUDGET_MS = 100.0

GENERATE_SQL = """
CREATE TEMP TABLE bench_request ON COMMIT DROP AS
SELECT g AS n,
       people.ids[1 + floor(random() * array_length(people.ids, 1))::int] AS requester_id,
       now() - (random() * interval '1095 days') AS opened_at,
       CASE WHEN g %% 10 = 0 THEN 'awaiting_approval' WHEN g %% 10 = 1 THEN 'in_fulfilment'
            ELSE 'complete' END AS state
FROM generate_series(1, %(requests)s) AS g
CROSS JOIN (SELECT array_agg(id) AS ids FROM accounts_user WHERE is_active) people;

INSERT INTO servicedesk_ticket (
    version, kind, number, title, description, state, active, priority, opened_at, updated_at, resolved_at,
    closed_at, requester_id, organisation_id, team_id, reply_document, note_document, process_document
)
SELECT 1, 'request', 'REQ' || lpad(n::text, 7, '0'), 'Bench request ' || n, '', state,
       state IN ('awaiting_approval', 'in_fulfilment'), 4, opened_at, opened_at + interval '1 hour',
       CASE WHEN state = 'complete' THEN opened_at + interval '2 days' END,
       CASE WHEN state = 'complete' THEN opened_at + interval '2 days' END,
       requester_id, NULL, %(team)s,
       esm_search_document(NULL, NULL), esm_search_document(NULL, NULL), esm_search_document(NULL, NULL)
FROM bench_request ORDER BY n;

INSERT INTO catalog_servicerequest (ticket_id, requested_for_id, copied_from_id)
SELECT t.id, b.requester_id, NULL
FROM bench_request b JOIN servicedesk_ticket t ON t.number = 'REQ' || lpad(b.n::text, 7, '0');

INSERT INTO catalog_requesteditem (request_id, position, item_id, form_version_id, name, quantity, answers,
                                   snapshot, unit_price, currency, state)
SELECT t.id, 0, %(item)s, NULL, 'Bench item', 1, '{}'::jsonb, '[]'::jsonb, NULL, '',
       CASE t.state WHEN 'awaiting_approval' THEN 'awaiting_approval' WHEN 'in_fulfilment' THEN 'in_fulfilment'
                    ELSE 'complete' END
FROM servicedesk_ticket t WHERE t.kind = 'request';

INSERT INTO servicedesk_ticket (
    version, kind, number, title, description, state, active, priority, opened_at, updated_at, resolved_at,
    closed_at, requester_id, organisation_id, team_id, parent_id, reply_document, note_document, process_document
)
SELECT 1, 'task', 'TASK' || lpad((2 * b.n - 1 + s.k)::text, 7, '0'), 'Bench task ' || s.k, '',
       CASE WHEN b.state = 'complete' THEN 'closed_complete' WHEN b.state = 'awaiting_approval' THEN 'closed_skipped'
            WHEN s.k = 0 THEN 'open' ELSE 'waiting' END,
       b.state = 'in_fulfilment' AND s.k = 0, 4, b.opened_at + interval '1 hour', b.opened_at + interval '2 hours',
       CASE WHEN b.state = 'complete' THEN b.opened_at + interval '2 days' END,
       CASE WHEN b.state = 'complete' THEN b.opened_at + interval '2 days' END,
       b.requester_id, NULL, %(team)s, t.id,
       esm_search_document(NULL, NULL), esm_search_document(NULL, NULL), esm_search_document(NULL, NULL)
FROM bench_request b
JOIN servicedesk_ticket t ON t.number = 'REQ' || lpad(b.n::text, 7, '0')
CROSS JOIN (VALUES (0), (1)) AS s(k)
WHERE b.state <> 'awaiting_approval';

INSERT INTO catalog_fulfilmenttask (ticket_id, requested_item_id, template_id, key, position)
SELECT task.id, item.id, NULL, 'step', 0
FROM servicedesk_ticket task JOIN catalog_requesteditem item ON item.request_id = task.parent_id
WHERE task.kind = 'task';

INSERT INTO servicedesk_ticketsequence (kind, last_value) VALUES ('request', %(requests)s), ('task', 2 * %(requests)s)
ON CONFLICT (kind) DO UPDATE SET last_value = EXCLUDED.last_value;
"""


def generate(args) -> None:
    from django.db import connection, transaction

    from accounts import roles
    from accounts.factories import TeamFactory, UserFactory
    from accounts.models import User
    from catalog.choices import ItemState
    from catalog.models import CatalogCategory, CatalogItem

    agent = User.objects.filter(username=BENCH_AGENT).first() or UserFactory(username=BENCH_AGENT,
                                                                             roles=[roles.AGENT])
    team = TeamFactory(name="Bench fulfilment", members=[agent])
    category, _created = CatalogCategory.objects.get_or_create(name="Bench")
    item, _created = CatalogItem.objects.get_or_create(category=category, name="Bench item",
                                                       defaults={"state": ItemState.ACTIVE})
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute("DELETE FROM catalog_fulfilmenttask")
        cur.execute("DELETE FROM catalog_requesteditem")
        cur.execute("DELETE FROM catalog_servicerequest")
        cur.execute("DELETE FROM servicedesk_ticket WHERE kind IN ('task', 'request')")
        cur.execute(GENERATE_SQL, {"requests": args.requests, "team": team.pk, "item": item.pk})
    with connection.cursor() as cur:
        for table in ("servicedesk_ticket", "catalog_servicerequest", "catalog_requesteditem",
                      "catalog_fulfilmenttask"):
            cur.execute(f"VACUUM (ANALYZE) {table}")
        cur.execute("SELECT kind, count(*) FROM servicedesk_ticket GROUP BY kind ORDER BY kind")
        counts = ", ".join(f"{n} {kind}" for kind, n in cur.fetchall())
    print(f"{counts}, in {time.monotonic() - started:.1f} s")


def timed(call, repeat: int) -> list[float]:
    call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _measure(client, path, params, repeat, name) -> float:
    # Query counts are pinned by the tests (tests/requests: the same for few and many rows).
    response = client.get(path, params)
    assert response.status_code == 200, response.content[:300]
    samples = timed(lambda: client.get(path, params), repeat)
    print(f"  {name:<34} {summarise_ms(samples)}")
    return percentile(samples, 95)


def run(args) -> None:
    from django.db import connection
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from catalog.models import ServiceRequest

    print(machine_summary())
    with connection.cursor() as cur:
        cur.execute("SELECT kind, count(*) FROM servicedesk_ticket GROUP BY kind ORDER BY kind")
        print("tickets: " + ", ".join(f"{n} {kind}" for kind, n in cur.fetchall()) + "\n")
    agent = User.objects.get(username=BENCH_AGENT)
    requester_id = (ServiceRequest.objects.values_list("requested_for_id", flat=True).order_by("requested_for_id")
                    .first())
    requester = User.objects.get(pk=requester_id)
    worst = 0.0
    for who, user in (("desk staff", agent), ("a requester", requester)):
        token, _created = Token.objects.get_or_create(user=user)
        client = Client(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_HOST="localhost")
        deep = {"page_size": 50}
        for _ in range(20):
            body = client.get("/api/v1/requests/", deep).json()
            if not body["next"]:
                break
            deep = {"page_size": 50, "cursor": parse_qs(urlsplit(body["next"]).query)["cursor"][0]}
        print(f"GET /api/v1/requests/ (50 rows) as {who}, in-process")
        for name, params in (("newest first", {"page_size": 50}),
                             ("awaiting approval", {"page_size": 50, "state": "awaiting_approval"}),
                             ("page 21 (cursor)", deep)):
            worst = max(worst, _measure(client, "/api/v1/requests/", params, args.repeat, name))
    client = Client(HTTP_HOST="localhost")
    client.force_login(agent)
    print("Console queues, in-process")
    for name, path, params in (("requests awaiting approval", "/desk/requests/", {"queue": "awaiting_approval"}),
                               ("all requests", "/desk/requests/", {"queue": "all"}),
                               ("unassigned tasks", "/desk/requests/tasks/", {"queue": "unassigned"}),
                               ("all tasks", "/desk/requests/tasks/", {"queue": "all"})):
        worst = max(worst, _measure(client, path, params, args.repeat, name))
    print(f"\nbudget p95 < {BUDGET_MS:.0f} ms: {'within' if worst < BUDGET_MS else 'OVER'} (worst p95 {worst:.1f} ms)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_database_argument(parser)
    add_quiet_argument(parser)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("--requests", type=int, default=100_000)
    go = sub.add_parser("run")
    go.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    setup_django(args.database_url or DEFAULT_URL)
    if getattr(args, "wait_quiet", 0):
        wait_until_quiet(args.wait_quiet)
    {"generate": generate, "run": run}[args.command](args)


if __name__ == "__main__":
    main()
