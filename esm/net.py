"""The client's address, the one every throttle and the login lockout count by.

`X-Forwarded-For` is written by whoever sends the request, so it is believed only when the
connection comes from a proxy we were told about: an address or network in TRUSTED_PROXIES, or,
with BEHIND_TLS_PROXY and no list, whatever connects to us (the proxy is then the only way in).
Otherwise a client could name a new address on every request and never be throttled.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _parse(value: str) -> Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_address(request) -> str:
    """The address of the client, as text ("" if the socket address is missing)."""
    peer = request.META.get("REMOTE_ADDR", "")
    networks = _networks(tuple(settings.TRUSTED_PROXIES))

    def trusted(address: Address | None) -> bool:
        return address is not None and any(address in network for network in networks)

    peer_address = _parse(peer)
    if not (trusted(peer_address) or (settings.BEHIND_TLS_PROXY and not networks and peer_address)):
        return peer
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    # Walk back from the proxy nearest to us; the first hop that is not one of ours is the client.
    # With BEHIND_TLS_PROXY alone only that one proxy is ours, so its last entry is the client.
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            break  # garbage from the client side: the last proxy that spoke to us is all we know
        if not trusted(address):
            return str(address)
        peer = str(address)
    return peer
