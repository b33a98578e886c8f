"""The OpenAPI document is valid, warning-free, and the API keeps to it under generated input."""

import tempfile
from pathlib import Path

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode

from cmdb.factories import CIFactory, RedundancyGroupFactory, RelationshipFactory
from cmdb.models import CIClass, RelationshipType
from servicedesk import services as desk
from servicedesk.models import Category
from sla.models import Calendar, SlaDefinition

pytestmark = pytest.mark.django_db

# Hypothesis caches what it learns under ./.hypothesis by default; keep the work tree clean.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "esm-hypothesis")


def test_schema_generates_without_warnings_or_errors(tmp_path):
    # The same command CI runs: --fail-on-warn turns any warning into an error.
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in ["/api/v1/auth/token/", "/api/v1/incidents/{number}/transition/", "/api/v1/incidents/{number}/cis/{ci_id}/",
                 "/api/v1/teams/", "/api/v1/categories/", "/api/v1/services/", "/api/v1/users/"]:
        assert f"{path}:" in text


def test_schema_is_served(anonymous_api):
    response = anonymous_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    document = response.json()
    operation = document["paths"]["/api/v1/incidents/{number}/"]["patch"]
    assert {"400", "401", "403", "404", "409", "412"} <= set(operation["responses"])
    assert any(p["name"] == "If-Match" for p in operation["parameters"])


@pytest.fixture
def api_schema(db):
    from esm.wsgi import application

    # Requests run in-process inside the test transaction: keep Django from closing the connection
    # at the end of each request, as its own test client does.
    signals = [request_started, request_finished]
    for signal in signals:
        signal.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/", application)
    for signal in signals:
        signal.connect(close_old_connections)


@pytest.fixture
def real_ids(make_incident, service, team, agent, requester):
    """Existing objects, so that half the generated requests reach a real record instead of a 404."""
    incident = make_incident(service=service)
    ci = CIFactory()
    desk.ticket_link_cis(ticket=incident, actor=agent, cis=[ci])
    relationship = RelationshipFactory(source=ci)
    group = RedundancyGroupFactory(ci=relationship.target)
    return {
        "number": incident.number, "ci_id": ci.pk, "user_id": agent.pk, "/teams/": team.pk,
        "/users/": requester.pk, "/services/": service.pk,
        "/categories/": Category.objects.values_list("pk", flat=True).first(),
        "/cmdb/cis/": ci.pk, "/cmdb/relationships/": relationship.pk, "/cmdb/redundancy-groups/": group.pk,
        "/cmdb/classes/": CIClass.objects.values_list("pk", flat=True).first(),
        "/cmdb/relationship-types/": RelationshipType.objects.values_list("pk", flat=True).first(),
        "/sla/calendars/": Calendar.objects.values_list("pk", flat=True).first(),
        "/sla/definitions/": SlaDefinition.objects.values_list("pk", flat=True).first(),
    }


def token(user) -> dict:
    return {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


# Checks that do not fit this API: a schema-valid request may still break a business rule (400), and
# list parameters are lenient by design (unknown ordering → default, page_size clamped, django-filter
# booleans read unknown words as "not set"). Everything else — no 5xx, documented status codes,
# content types, headers and response bodies that match the schema — is checked.
LENIENT = [schemathesis.checks.positive_data_acceptance, schemathesis.checks.negative_data_rejection]


def with_real_ids(operation, real_ids):
    def apply(case):
        for name in case.path_parameters or {}:
            if name in real_ids:
                case.path_parameters[name] = real_ids[name]
            elif name == "id":  # the longest known collection in the path: "/cmdb/cis/" before "/cis/"
                known = sorted((k for k in real_ids if k.startswith("/") and k in operation.path), key=len)
                if known:
                    case.path_parameters[name] = real_ids[known[-1]]
        return case

    return apply


def run_generated_cases(schema, headers, mode, real_ids) -> list[str]:
    """Send a few generated requests to every operation; return the failures, labelled."""
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        generated = operation.as_strategy(generation_mode=mode)

        @given(case=st.one_of(generated, generated.map(with_real_ids(operation, real_ids))))
        @settings(max_examples=8 if mode == GenerationMode.POSITIVE else 5, deadline=None, derandomize=True,
                  database=None, suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(headers=headers, excluded_checks=LENIENT)

        try:
            check()
        except Unsatisfiable:
            continue  # nothing in this operation can be made invalid (e.g. a free-form path string)
        except (Exception, BaseExceptionGroup) as exc:  # collected and reported together below
            failures.append(f"{operation.label}: {exc}")
    return failures


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_generated_agent_requests_keep_to_the_schema(api_schema, real_ids, agent, mode):
    failures = run_generated_cases(api_schema, token(agent), mode, real_ids)
    assert not failures, "\n\n".join(failures)


def test_generated_requester_requests_keep_to_the_schema(api_schema, real_ids, requester):
    failures = run_generated_cases(api_schema, token(requester), GenerationMode.POSITIVE, real_ids)
    assert not failures, "\n\n".join(failures)
