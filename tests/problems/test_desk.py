"""Console and portal pages of problem management: lists, the problem page, KEDB, candidates, the
incident panel, the queue's bulk "raise a problem", permissions and query counts."""

import pytest
from django.test import Client
from django.urls import reverse

from problems import services
from problems.choices import ProblemState
from problems.models import KnownErrorUse, ProblemCandidate, ProblemIncident
from servicedesk.models import Ticket

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_pages_render_for_agents(agent, problem, make_known_error):
    known_error = make_known_error(title="Mail bounces", workaround="Resend", problem=problem.problem)
    client = browser(agent)
    for name, args in (("list", []), ("create", []), ("candidates", []), ("known_errors", []),
                       ("known_error", [known_error.pk]), ("detail", [problem.number])):
        answer = client.get(reverse(f"desk-problems:{name}", args=args))
        assert answer.status_code == 200, name
    page = client.get(reverse("desk-problems:detail", args=[problem.number])).content.decode()
    assert problem.title in page and "Raise a change" in page
    assert "Start investigation" not in page  # only problem managers move problems


def test_requesters_go_to_the_portal(requester, problem):
    answer = browser(requester).get(reverse("desk-problems:detail", args=[problem.number]))
    assert answer.status_code == 302 and "/portal/" in answer["Location"]


def test_problem_manager_moves_with_the_page(pm, problem):
    client = browser(pm)
    page = client.get(reverse("desk-problems:detail", args=[problem.number])).content.decode()
    assert "Start investigation" in page
    answer = client.post(reverse("desk-problems:transition", args=[problem.number]),
                         {"investigation-to": "investigation", "investigation-version": problem.version})
    assert answer.status_code == 302
    assert Ticket.objects.get(pk=problem.pk).state == ProblemState.INVESTIGATION


def test_a_refused_resolve_keeps_the_form_open_with_the_message(pm, problem):
    problem, _ = services.problem_transition(ticket=problem, actor=pm, to="investigation")
    answer = browser(pm).post(reverse("desk-problems:transition", args=[problem.number]),
                              {"resolved-to": "resolved", "resolved-version": problem.version,
                               "resolved-resolution_notes": "kept text"})
    assert answer.status_code == 409
    assert "kept text" in answer.content.decode() and "no change is needed" in answer.content.decode()


def test_agents_cannot_post_moves(agent, problem):
    answer = browser(agent).post(reverse("desk-problems:transition", args=[problem.number]),
                                 {"investigation-to": "investigation"})
    assert answer.status_code == 403


def test_rca_form_records_five_whys(pm, problem):
    answer = browser(pm).post(reverse("desk-problems:rca", args=[problem.number]), {
        "version": problem.version, "rca_method": "five_whys", "cause_category": "configuration",
        "root_cause": "Expired certificate", "content": "Why do mails bounce? | TLS fails\nWhy? | cert expired"})
    assert answer.status_code == 302
    problem.problem.refresh_from_db()
    assert problem.problem.rca_content["whys"][1] == {"why": "Why?", "answer": "cert expired"}


def test_bulk_raise_from_the_queue_selection(agent, incidents):
    queue = browser(agent).get(reverse("desk:queue") + "?queue=all").content.decode()
    assert 'form="queue-selection"' in queue and reverse("desk-problems:raise") in queue
    answer = browser(agent).post(reverse("desk-problems:raise"),
                                 {"number": [incidents[0].number, incidents[2].number]})
    assert answer.status_code == 302
    problem = Ticket.objects.get(kind="problem")
    assert set(ProblemIncident.objects.filter(problem_id=problem.pk).values_list("incident_id", flat=True)) \
        == {incidents[0].pk, incidents[2].pk}


def test_a_selection_with_other_tickets_raises_nothing_and_names_them(agent, incidents, problem):
    answer = browser(agent).post(reverse("desk-problems:raise"), {"number": [incidents[2].number, problem.number]},
                                 follow=True)
    assert f"Not incidents you can link: {problem.number}." in answer.content.decode()
    assert Ticket.objects.filter(kind="problem").count() == 1


def test_incident_page_shows_suggestions_and_applies_a_workaround(agent, make_known_error, make_incident):
    known_error = make_known_error(title="VPN disconnects", symptoms="Tunnel drops", workaround="Use TCP mode")
    incident = make_incident(title="VPN disconnects all the time")
    client = browser(agent)
    page = client.get(reverse("desk-incidents:detail", args=[incident.number])).content.decode()
    assert f"KE-{known_error.pk}" in page and "Raise a problem from this incident" in page
    answer = client.post(reverse("desk-problems:apply_workaround", args=[known_error.pk]),
                         {"incident": incident.number, "tell_requester": "1"})
    assert answer.status_code == 302
    assert KnownErrorUse.objects.get(incident=incident).told_requester


def test_known_error_editing_is_for_problem_managers(agent, pm, problem):
    assert browser(agent).get(reverse("desk-problems:known_error_create")).status_code == 403
    answer = browser(pm).post(reverse("desk-problems:known_error_create"), {
        "title": "Bounce", "symptoms": "NDR", "status": "active", "problem": problem.number, "cis": "mail-01"})
    assert answer.status_code == 302
    bad = browser(pm).post(reverse("desk-problems:known_error_create"), {
        "title": "Bounce", "symptoms": "NDR", "status": "active", "cis": "nope-99"})
    assert bad.status_code == 400 and "nope-99" in bad.content.decode()


def test_candidates_page_accepts(pm, incidents):
    services.candidates_detect(min_incidents=3, window_days=14)
    candidate = ProblemCandidate.objects.get(reason="same_ci")
    client = browser(pm)
    assert candidate.title in client.get(reverse("desk-problems:candidates")).content.decode()
    answer = client.post(reverse("desk-problems:candidate_accept", args=[candidate.pk]))
    assert answer.status_code == 302 and "/desk/problems/PRB" in answer["Location"]


def test_portal_shows_only_public_workarounds(requester, make_known_error):
    public = make_known_error(title="VPN", symptoms="drops", workaround="Use **TCP**", workaround_public=True)
    private = make_known_error(title="DB", symptoms="lag", workaround="Restart the replica")
    client = browser(requester)
    page = client.get(reverse("portal:known_error", args=[public.pk]))
    assert page.status_code == 200 and "<strong>TCP</strong>" in page.content.decode()
    assert client.get(reverse("portal:known_error", args=[private.pk])).status_code == 404


def test_problem_page_reads_stay_flat(pm, make_incident, django_assert_max_num_queries):
    ticket = services.problem_create(actor=pm, title="Flat", incidents=[make_incident() for _ in range(3)])
    client = browser(pm)
    client.get(reverse("desk-problems:detail", args=[ticket.number]))
    with django_assert_max_num_queries(24) as few:
        client.get(reverse("desk-problems:detail", args=[ticket.number]))
    services.problem_link_incidents(ticket=ticket, actor=pm, incidents=[make_incident() for _ in range(27)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("desk-problems:detail", args=[ticket.number]))


@pytest.mark.parametrize("page", ["list", "known_errors", "candidates"])
def test_list_pages_read_the_same_for_3_and_30_rows(pm, page, make_known_error, make_incident,
                                                   django_assert_max_num_queries):
    def fill(n):
        for i in range(n):
            services.problem_create(actor=pm, title=f"P{i}", problem_manager=pm)
            make_known_error(title=f"K{i}")
            ProblemCandidate.objects.create(signature=f"s{page}{n}{i}", reason="same_ci", title=f"C{i}",
                                            incident_count=3)

    client = browser(pm)
    fill(3)
    client.get(reverse(f"desk-problems:{page}"))
    with django_assert_max_num_queries(20) as few:
        client.get(reverse(f"desk-problems:{page}"))
    fill(27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse(f"desk-problems:{page}"))


def test_known_error_filters_ignore_what_is_not_an_id(agent, make_known_error):
    make_known_error(title="Bounces")
    for value in ("²", "x", "9" * 30, "-1"):
        response = browser(agent).get(reverse("desk-problems:known_errors"), {"ci": value, "service": value,
                                                                               "category": value})
        assert response.status_code == 200 and "Bounces" in response.content.decode()
