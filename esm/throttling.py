"""DRF throttles that keep answering when their cache (Redis) is down."""

import logging

import redis.exceptions
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.throttling import ScopedRateThrottle

from esm.net import client_address

log = logging.getLogger("esm.throttling")

CACHE_ERRORS = (redis.exceptions.RedisError, ConnectionError, TimeoutError)


class ResilientScopedRateThrottle(ScopedRateThrottle):
    """DRF's scoped throttle; with the shared cache unreachable it counts in this process's memory.

    Failing closed would lock everyone out of the token endpoint during a Redis outage, and failing
    open would let password guessing through unlimited; a per-process count keeps a limit (each
    web worker counts on its own, so the effective rate is at most workers × the rate).
    """

    fallback_cache = LocMemCache("esm-throttle-fallback", {"MAX_ENTRIES": 10000})

    def get_ident(self, request):
        # Not DRF's reading of X-Forwarded-For, which any client can write: see esm/net.py.
        return client_address(request)

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as exc:
            log.warning("Throttle cache unreachable (%s); counting %s attempts in process memory",
                        exc, self.scope)
            self.cache = self.fallback_cache
            return super().allow_request(request, view)
