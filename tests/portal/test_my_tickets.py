"""Home and "My tickets": the person's tickets, newest first, filtered, searched, paged by keyset."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import services
from incidents.choices import IncidentState, OnHoldReason
from servicedesk.views.portal import HOME_OPEN_TICKETS, PAGE_SIZE

pytestmark = pytest.mark.django_db

URL = "/portal/tickets/"
LINK_RE = re.compile(r'href="/portal/tickets/(INC\d+)/"')


def numbers_on(page: str) -> list[str]:
    return LINK_RE.findall(page)


def test_newest_first_with_plain_states(portal, make_incident, agent, resolve):
    first, second, third = (make_incident(title=f"Problem {i}") for i in range(3))
    services.incident_transition(ticket=second, actor=agent, to=IncidentState.ON_HOLD,
                                 on_hold_reason=OnHoldReason.AWAITING_CALLER)
    resolve(third)
    page = portal.get(URL).content.decode()
    assert numbers_on(page) == [third.number, second.number, first.number]
    assert "Solved — please confirm" in page and "Waiting for you" in page and "Received" in page


def test_filter_open_and_closed(portal, make_incident, requester):
    open_ticket = make_incident()
    cancelled = make_incident()
    services.incident_transition(ticket=cancelled, actor=requester, to=IncidentState.CANCELLED)
    assert numbers_on(portal.get(URL, {"status": "open"}).content.decode()) == [open_ticket.number]
    assert numbers_on(portal.get(URL, {"status": "closed"}).content.decode()) == [cancelled.number]
    assert len(numbers_on(portal.get(URL, {"status": "bogus"}).content.decode())) == 2


@pytest.mark.parametrize("query, expected", [("printer", "printer"), ("서버", "server"), ("", None)])
def test_search(portal, make_incident, query, expected):
    tickets = {"printer": make_incident(title="Printer jam"), "server": make_incident(title="메일서버 장애")}
    found = numbers_on(portal.get(URL, {"q": query}).content.decode())
    assert found == ([tickets[expected].number] if expected else [t.number for t in reversed(tickets.values())])


def test_hostile_search_and_cursor_are_harmless(portal, make_incident):
    make_incident()
    for params in [{"q": "a\x00b"}, {"q": "'\"&|!():*"}, {"q": "x" * 5000}, {"cursor": "%%%"},
                   {"cursor": "eyJvIjoiLW9wZW5lZF9hdCIsInYiOlsibm90IGEgZGF0ZSIsMV19"}]:
        assert portal.get(URL, params).status_code == 200, params


def test_pages_walk_forward_and_back(portal, make_incident):
    tickets = [make_incident(title=f"T{i}") for i in range(PAGE_SIZE + 3)]
    newest_first = [t.number for t in reversed(tickets)]
    first = portal.get(URL, {"status": "open"}).content.decode()
    assert numbers_on(first) == newest_first[:PAGE_SIZE]
    assert "Previous" not in first
    next_url = re.search(r'href="(\?[^"]*cursor=[^"]*)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "status=open" in next_url, "filters are kept across pages"
    second = portal.get(URL + next_url).content.decode()
    assert numbers_on(second) == newest_first[PAGE_SIZE:]
    assert 'rel="next"' not in second
    previous_url = re.search(r'href="(\?[^"]*)" rel="prev"', second).group(1).replace("&amp;", "&")
    assert numbers_on(portal.get(URL + previous_url).content.decode()) == newest_first[:PAGE_SIZE]


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", [URL, "/portal/"])
def test_query_count_does_not_grow_with_tickets(portal, make_incident, agent, colleague, organisation, url):
    organisation.share_tickets = True
    organisation.save()

    def add(n):
        for i in range(n):
            ticket = make_incident(requester=colleague if i % 2 else None) if i % 2 else make_incident()
            if i % 3 == 0:
                services.incident_transition(ticket=ticket, actor=agent, to=IncidentState.ON_HOLD,
                                             on_hold_reason=OnHoldReason.AWAITING_CALLER)

    add(3)
    few = count_queries(portal, url)
    add(27)
    many = count_queries(portal, url)
    assert few == many
    assert len(numbers_on(portal.get(url).content.decode())) == (PAGE_SIZE if url == URL else HOME_OPEN_TICKETS)


def test_home_lists_open_requests_and_the_big_button(portal, make_incident, requester):
    open_ticket = make_incident(title="VPN drops")
    closed = make_incident(title="Old one")
    services.incident_transition(ticket=closed, actor=requester, to=IncidentState.CANCELLED)
    page = portal.get("/portal/").content.decode()
    assert "Hello, Alice" in page
    assert 'href="/portal/report/"' in page
    assert numbers_on(page) == [open_ticket.number]
    assert 'href="/portal/tickets/"' in page


def test_home_without_tickets(portal):
    assert "You have no open requests" in portal.get(reverse("portal:home")).content.decode()


def test_colleagues_tickets_appear_only_with_sharing(portal, colleague, organisation, make_incident):
    theirs = make_incident(requester=colleague, title="Projector broken")
    assert theirs.number not in numbers_on(portal.get(URL).content.decode())
    organisation.share_tickets = True
    organisation.save()
    page = portal.get(URL).content.decode()
    assert theirs.number in numbers_on(page)
    assert "reported by Carol Yoon" in page


def test_waiting_for_you_is_only_said_to_the_requester(portal, colleague, organisation, make_incident, agent):
    organisation.share_tickets = True
    organisation.save()
    theirs = make_incident(requester=colleague)
    services.incident_transition(ticket=theirs, actor=agent, to=IncidentState.ON_HOLD,
                                 on_hold_reason=OnHoldReason.AWAITING_CALLER)
    page = portal.get(URL).content.decode()
    assert "Waiting for Carol Yoon" in page and "Waiting for you" not in page
