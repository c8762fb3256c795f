"""Where the bank may post a platform's callbacks: the public internet only.

A platform names its callback URL and the bank's worker posts to it, from inside the bank's
network. Pointed at loopback, a private or link-local address or a cloud metadata service,
that post would reach what no platform should (server-side request forgery). So a callback
URL is refused when it is set, if its host is such an address or a name for one, and again
when each callback is posted, after resolving the name (DNS may answer differently later).
An operator may allow named hosts (``CUNGUAN_CALLBACK_ALLOWED_HOSTS``, docs/OPERATIONS.md),
e.g. a platform inside the bank's own network, or a receiver on loopback in tests.
"""

import ipaddress
import re
from typing import Final
from urllib.parse import urlsplit

from cunguan.core.settings import settings

#: The environment variable operators set: hosts (names or addresses) callbacks may reach
#: even though they are not public, separated by commas.
ALLOWED_HOSTS_ENV: Final = "CUNGUAN_CALLBACK_ALLOWED_HOSTS"
#: Names that always mean this machine or a metadata service.
_LOCAL_NAMES: Final = frozenset({"localhost", "localhost.localdomain", "ip6-localhost",
                                 "ip6-loopback", "metadata", "metadata.google.internal"})
_LOCAL_SUFFIXES: Final = (".localhost", ".local", ".internal", ".localdomain")


def allowed_hosts_from_env() -> frozenset[str]:
    return settings().callback_allowed_host_set()


def host_of(url: str) -> str:
    """The URL's host, lower case, without brackets ('' when it has none)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def address_refusal(address: str) -> str | None:
    """Why posting to this IP address is refused, or None when it is a public one."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])   # without an IPv6 zone
    except ValueError:
        return f"{address} is not an IP address"
    ip = _embedded_ipv4(ip)
    if not ip.is_global or ip.is_multicast:
        return f"{address} is not a public address (loopback, private, link-local or reserved)"
    return None


def _embedded_ipv4(ip: ipaddress.IPv4Address | ipaddress.IPv6Address
                   ) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The IPv4 address an IPv6 one carries, where it carries one — mapped (::ffff:a.b.c.d),
    compatible (::a.b.c.d), NAT64 (64:ff9b::/96) or 6to4 (2002::/16) — so that such a form of
    127.0.0.1 or 169.254.169.254 is judged as the address it reaches."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return ip
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    packed = ip.packed
    if packed[:12] == bytes(12) or ip in _NAT64:
        return ipaddress.IPv4Address(packed[12:])
    return ip


#: Well-known NAT64 prefix (RFC 6052): its last 32 bits are an IPv4 address.
_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")
#: A host of digits, dots and hex or octal forms ("2130706433", "0x7f.1", "0177.0.0.1") that
#: resolvers take as an IPv4 address although it is not dotted-quad decimal.
_NUMERIC_HOST: Final = re.compile(r"(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}\.?")


def url_refusal(url: str, allowed_hosts: frozenset[str]) -> str | None:
    """Why a callback URL is refused when it is set, or None. A name is judged by its form
    only here (its address is checked at each post): a literal address must be public and a
    name must not be a local one, unless an operator allowed the host."""
    host = host_of(url)
    if not host:
        return "the URL has no host"
    if host in allowed_hosts:
        return None
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        if _NUMERIC_HOST.fullmatch(host):   # not a name: an address in a form to hide it
            return f"{host} is an address in another form: give a name or a dotted address"
        local = host.rstrip(".") in _LOCAL_NAMES or host.rstrip(".").endswith(_LOCAL_SUFFIXES)
        return f"{host} names a local host" if local else None
    return address_refusal(host)
