"""Generated requests against the CMDB endpoints keep to the OpenAPI document (no 5xx, documented answers)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from cmdb.factories import CIFactory, RedundancyGroupFactory, RelationshipFactory
from cmdb.models import CIClass, RelationshipType
from tests.api.test_schema import LENIENT, api_schema, token, with_real_ids  # noqa: F401 - api_schema is a fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def cmdb_ids(db):
    relationship = RelationshipFactory()
    group = RedundancyGroupFactory(ci=relationship.source)
    return {"/cmdb/cis/": relationship.target_id, "/cmdb/relationships/": relationship.pk,
            "/cmdb/redundancy-groups/": group.pk, "/cmdb/classes/": CIClass.objects.first().pk,
            "/cmdb/relationship-types/": RelationshipType.objects.first().pk}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("who", ["config_manager", "agent", "requester"])
def test_generated_cmdb_requests_keep_to_the_schema(api_schema, cmdb_ids, request, who, mode):  # noqa: F811
    if who == "requester" and mode == GenerationMode.NEGATIVE:
        pytest.skip("requesters are refused before any input is read")
    headers = token(request.getfixturevalue(who))
    CIFactory()
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith("/api/v1/cmdb/"):
            continue
        generated = operation.as_strategy(generation_mode=mode)

        @given(case=st.one_of(generated, generated.map(with_real_ids(operation, cmdb_ids))))
        @settings(max_examples=6, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(headers=headers, excluded_checks=LENIENT)

        try:
            check()
        except Unsatisfiable:
            continue
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
