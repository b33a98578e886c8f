"""The token endpoint keeps answering, and limiting, while its throttle cache (Redis) is unreachable."""

import pytest
from django.core.cache.backends.base import BaseCache

from esm.throttling import ResilientScopedRateThrottle

pytestmark = pytest.mark.django_db


class UnreachableCache(BaseCache):
    """A cache whose every call fails as redis-py does when the server is gone."""

    def __init__(self, location, params):
        super().__init__(params)

    def _down(self, *args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    get = set = add = delete = incr = get_many = set_many = delete_many = has_key = clear = touch = _down


def test_token_endpoint_answers_and_still_limits_with_the_cache_down(api, settings, requester):
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.UnreachableCache"}}
    ResilientScopedRateThrottle.fallback_cache.clear()
    client = api(None)
    ok = client.post("/api/v1/auth/token/", {"username": "alice", "password": "password"}, format="json")
    assert ok.status_code == 200, ok.content
    codes = [client.post("/api/v1/auth/token/", {"username": "alice", "password": "wrong"}, format="json").status_code
             for _ in range(12)]
    assert set(codes) <= {400, 429} and codes[-1] == 429, codes
