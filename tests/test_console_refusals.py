"""Every console page of the request, problem, knowledge, catalog and survey areas refuses people
who may not use it (rule 7): a requester is sent to the portal or refused, and an agent is refused
the catalog editor and the satisfaction pages — for a GET and a POST alike, never a page or a 500."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

AREAS = ("desk-requests", "desk-problems", "desk-knowledge", "desk-catalog", "desk-surveys")
MANAGERS_ONLY = ("desk-catalog", "desk-surveys")
REFUSED = {302, 403, 404, 405}


def _paths(namespace: str) -> list[str]:
    """Each page of the namespace, with a plausible value in every URL argument."""
    resolver = next(r for r in get_resolver().url_patterns
                    if isinstance(r, URLResolver) and r.namespace == namespace)
    paths = []
    for pattern in resolver.url_patterns:
        assert isinstance(pattern, URLPattern)
        names = list(pattern.pattern.converters)
        kwargs = {name: "1" if name in ("pk", "id") or name.endswith("_id") else "X0000001" for name in names}
        converters = pattern.pattern.converters
        kwargs = {name: (1 if converters[name].regex == "[0-9]+" else value) for name, value in kwargs.items()}
        paths.append(f"/{resolver.pattern}{pattern.pattern}".replace("//", "/") if not names else
                     _reverse(namespace, pattern, kwargs))
    return paths


def _reverse(namespace, pattern, kwargs):
    from django.urls import reverse

    return reverse(f"{namespace}:{pattern.name}", kwargs=kwargs)


@pytest.mark.parametrize("namespace", AREAS)
def test_a_requester_reaches_no_console_page(client, requester, namespace):
    client.force_login(requester)
    for path in _paths(namespace):
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code in REFUSED, (method.__name__, path, response.status_code)
            if response.status_code == 302:
                assert not response.url.startswith("/desk/"), path


@pytest.mark.parametrize("namespace", MANAGERS_ONLY)
def test_an_agent_is_refused_the_managers_pages(client, agent, namespace):
    client.force_login(agent)
    for path in _paths(namespace):
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code in REFUSED - {302}, (method.__name__, path, response.status_code)
