"""Text search (English and Korean) and keyset pagination over tickets."""

from datetime import timedelta

import pytest
from django.utils import timezone

from esm.pagination import InvalidCursor, keyset_paginate
from servicedesk.models import Ticket
from servicedesk.queries import TICKET_ORDERINGS, search_tickets

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(make_incident):
    return {
        "mail": make_incident(title="메일서버 장애", description="메일 발송이 안 됩니다"),
        "printer": make_incident(title="Printer jam on floor 3", description="paper stuck"),
        "vpn": make_incident(title="VPN 접속 불가", description="재택근무 중 VPN connection fails"),
        "server": make_incident(title="서버 점검 요청", description="정기 점검"),
    }


@pytest.mark.parametrize("query, expected", [
    ("서버", {"mail", "server"}),  # two-syllable noun inside a compound word
    ("장애", {"mail"}),
    ("메일 장애", {"mail"}),
    ("printer", {"printer"}),
    ("print", {"printer"}),  # prefix
    ("PRINTER FLOOR", {"printer"}),
    ("vpn", {"vpn"}),
    ("접속", {"vpn"}),
    ("재택근무", {"vpn"}),
    ("nothing-like-this", set()),
    ("'\"&|!():*", None),  # operators only: no error, no rows
])
def test_search(corpus, query, expected):
    found = set(search_tickets(Ticket.objects.all(), query, internal=True))
    names = {name for name, t in corpus.items() if t in found}
    assert names == (expected or set())


def test_search_by_number(corpus):
    assert list(search_tickets(Ticket.objects.all(), corpus["vpn"].number.lower(), internal=True)) == [corpus["vpn"]]


def _walk(ordering, page_size=4):
    seen, cursor, pages = [], None, 0
    while True:
        page = keyset_paginate(Ticket.objects.all(), orderings=TICKET_ORDERINGS, ordering=ordering,
                               default_ordering="priority", cursor=cursor, page_size=page_size)
        seen += [t.pk for t in page.items]
        pages += 1
        if not page.next_cursor:
            return seen, page, pages
        cursor = page.next_cursor


@pytest.mark.parametrize("ordering", list(TICKET_ORDERINGS))
def test_keyset_walks_every_row_once_in_order(make_incident, ordering):
    for i in range(11):
        make_incident(impact=1 + i % 3, urgency=1 + (i // 3) % 3)
    # Due times with ties (what the SLA app writes), so "sla_due" has rows to walk.
    for i, pk in enumerate(Ticket.objects.order_by("id").values_list("pk", flat=True)):
        Ticket.objects.filter(pk=pk).update(sla_due_at=timezone.now() + timedelta(minutes=i % 4))
    seen, _last, pages = _walk(ordering)
    fields = [f.lstrip("-") for f in TICKET_ORDERINGS[ordering]]
    expected = list(Ticket.objects.order_by(*TICKET_ORDERINGS[ordering]).values_list("pk", flat=True))
    assert seen == expected and pages == 3
    assert len(set(seen)) == 11, fields


def test_keyset_previous_returns_the_page_before(make_incident):
    for _ in range(9):
        make_incident()
    first = keyset_paginate(Ticket.objects.all(), orderings=TICKET_ORDERINGS, ordering="opened_at",
                            default_ordering="priority", cursor=None, page_size=4)
    assert first.previous_cursor is None
    second = keyset_paginate(Ticket.objects.all(), orderings=TICKET_ORDERINGS, ordering="opened_at",
                             default_ordering="priority", cursor=first.next_cursor, page_size=4)
    back = keyset_paginate(Ticket.objects.all(), orderings=TICKET_ORDERINGS, ordering="opened_at",
                           default_ordering="priority", cursor=second.previous_cursor, page_size=4)
    assert [t.pk for t in back.items] == [t.pk for t in first.items]


@pytest.mark.parametrize("cursor", ["garbage", "e30", "eyJvIjoicHJpb3JpdHkiLCJ2IjpbIngiLDFdfQ",
                                    "eyJvIjoib3BlbmVkX2F0IiwidiI6WzEsMl19"])
def test_bad_cursors_are_rejected_cleanly(make_incident, cursor):
    make_incident()
    with pytest.raises(InvalidCursor):
        keyset_paginate(Ticket.objects.all(), orderings=TICKET_ORDERINGS, ordering="priority",
                        default_ordering="priority", cursor=cursor, page_size=4)


def test_unknown_ordering_falls_back_to_default(make_incident):
    make_incident()
    page = keyset_paginate(Ticket.objects.all(), orderings=TICKET_ORDERINGS, ordering="title; drop",
                           default_ordering="priority", cursor=None, page_size=4)
    assert page.ordering == "priority"
