"""The portal catalog at scale: catalog home and search over N items in English and Korean.

    .venv/bin/python -m bench.bench_catalog --database-url postgres://…/esm_bench_catalog generate [--items 5000]
    .venv/bin/python -m bench.bench_catalog --database-url postgres://…/esm_bench_catalog run [--runs 50]

``generate`` deletes the catalog bench load (categories named ``Bench …``) and inserts, with
set-based SQL, 40 categories and ``--items`` active items open to everyone, each with an English
name and descriptions and a Korean translation drawn from small vocabularies (so some words are
common and some rare), plus the requester the pages run as (``bench_requester``).

``run`` times, in-process through Django's test client signed in as that requester (server time,
session authentication): the catalog home, a category page, searches for a common and a rare
English word, a common and a rare Korean word, two words, a word found nowhere, and the API item
list with ``q``; with the SQL queries per request. Budget (bench/README.md): p95 under 100 ms and a
constant number of queries, as for the incident list.
"""

import argparse
import statistics
import time

from bench.common import (
    add_database_argument,
    add_quiet_argument,
    machine_summary,
    percentile,
    setup_django,
    wait_until_quiet,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/esm_bench_catalog"
REQUESTER = "bench_requester"
BUDGET_MS = 100.0

# Words and their Korean counterparts; item g takes nouns (g mod 97) mod 20 and (g mod 89) mod 20, so
# each noun is in about 1 item in 10 and two given nouns together in about 1 in 100.
NOUNS = ["laptop", "monitor", "headset", "licence", "printer", "badge", "folder", "account", "phone", "tablet",
         "desk", "chair", "keyboard", "mouse", "docking", "camera", "server", "database", "mailbox", "vpn"]
KOREAN = ["노트북", "모니터", "헤드셋", "라이선스", "프린터", "출입증", "폴더", "계정", "전화기", "태블릿",
          "책상", "의자", "키보드", "마우스", "도킹", "카메라", "서버", "데이터베이스", "메일함", "원격접속"]
COMMON = ["request", "install", "access"]  # in every item's description
KOREAN_COMMON = ["신청", "설치", "권한"]

GENERATE_SQL = """
DELETE FROM catalog_catalogitem WHERE category_id IN (SELECT id FROM catalog_catalogcategory WHERE name LIKE 'Bench %');
DELETE FROM catalog_catalogcategory WHERE name LIKE 'Bench %';
INSERT INTO catalog_catalogcategory (name, description, icon, position, active, translations, created_at, updated_at)
SELECT 'Bench ' || g, 'Bench category ' || g, 'box', 100 + g, true,
       jsonb_build_object('ko', jsonb_build_object('name', '벤치 분류 ' || g)), now(), now()
FROM generate_series(1, 40) AS g;
INSERT INTO catalog_catalogitem (
    category_id, name, short_description, description, icon, picture, state, audience, delivery_days, price,
    currency, max_quantity, allow_requested_for, position, translations, created_at, updated_at)
SELECT (SELECT id FROM catalog_catalogcategory WHERE name = 'Bench ' || (1 + g %% 40)),
       initcap(n1) || ' ' || n2 || ' ' || g,
       'A ' || n1 || ' with a ' || n2 || ' for your work',
       'Request to install or get access to a ' || n1 || '. Comes with a ' || n2 || '. Item ' || g || '.',
       'box', '', 'active', 'everyone', 1 + g %% 10, (g %% 500) * 10, 'EUR', 1, true, g,
       jsonb_build_object('ko', jsonb_build_object(
           'name', k1 || ' ' || k2 || ' ' || g,
           'short_description', k2 || '가 포함된 ' || k1,
           'description', k1 || ' 신청, 설치 및 권한. ' || k2 || ' 포함.')),
       now(), now()
FROM (
    SELECT g, (%(nouns)s::text[])[1 + g %% 97 %% 20] AS n1, (%(nouns)s::text[])[1 + g %% 89 %% 20] AS n2,
           (%(korean)s::text[])[1 + g %% 97 %% 20] AS k1, (%(korean)s::text[])[1 + g %% 89 %% 20] AS k2
    FROM generate_series(1, %(items)s) AS g
) AS words;
ANALYZE catalog_catalogitem;
ANALYZE catalog_catalogcategory;
"""


def generate(items: int) -> None:
    from django.db import connection, transaction

    from accounts import roles
    from accounts.factories import UserFactory

    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        params = {"items": items, "nouns": NOUNS, "korean": KOREAN}
        for statement in filter(str.strip, GENERATE_SQL.split(";")):
            cursor.execute(statement, params if "%(" in statement else None)
    UserFactory(username=REQUESTER, first_name="Bench", last_name="Requester", roles=[roles.REQUESTER])
    print(f"{items} items in 40 categories in {time.monotonic() - started:.1f} s")


def _time(client, url: str, runs: int) -> tuple[list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm caches and prepared statements
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    body = response.content.decode()
    shown = body.count('class="catalog-item-card"') if "/api/" not in url else body.count('"short_description"')
    return samples, len(queries.captured_queries), shown


def run(runs: int) -> None:
    from django.test import Client

    from accounts.models import User
    from catalog.models import CatalogCategory, CatalogItem

    requester = User.objects.get(username=REQUESTER)
    client = Client(HTTP_HOST="localhost")
    client.force_login(requester)
    category = CatalogCategory.objects.filter(name="Bench 7").first()
    print(machine_summary())
    print(f"{CatalogItem.objects.count()} items; {runs} runs per request; budget p95 < {BUDGET_MS:.0f} ms\n")
    cases = [
        ("catalog home", "/portal/catalog/"),
        ("category page", f"/portal/catalog/categories/{category.pk}/"),
        ("search, common English word (every item)", "/portal/catalog/?q=install"),
        ("search, English word (1 item in 10)", "/portal/catalog/?q=keyboard"),
        ("search, two English words (1 in 100)", "/portal/catalog/?q=keyboard+camera"),
        ("search, common Korean word (every item)", "/portal/catalog/?q=설치"),
        ("search, Korean word (1 item in 10)", "/portal/catalog/?q=키보드"),
        ("search, Korean compound (1 in 10)", "/portal/catalog/?q=데이터베이스"),
        ("search, found nowhere", "/portal/catalog/?q=zeppelin"),
        ("API items, Korean word", "/api/v1/catalog/items/?q=키보드"),
    ]
    print(f"{'request':<46} {'p50':>8} {'p95':>8} {'max':>8} {'queries':>8} {'shown':>6}")
    for name, url in cases:
        samples, queries, shown = _time(client, url, runs)
        p95 = percentile(samples, 95)
        flag = "" if p95 < BUDGET_MS else "  over budget"
        print(f"{name:<46} {statistics.median(samples):7.1f}  {p95:7.1f}  {max(samples):7.1f}  {queries:>7}  "
              f"{shown:>5}{flag}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_database_argument(parser)
    add_quiet_argument(parser)
    parser.set_defaults(database_url=DEFAULT_URL)
    commands = parser.add_subparsers(dest="command", required=True)
    generate_parser = commands.add_parser("generate")
    generate_parser.add_argument("--items", type=int, default=5000)
    run_parser = commands.add_parser("run")
    run_parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    setup_django(args.database_url)
    if args.command == "generate":
        generate(args.items)
    else:
        wait_until_quiet(args.wait_quiet)
        run(args.runs)


if __name__ == "__main__":
    main()
