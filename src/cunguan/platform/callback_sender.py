"""Delivers one signed callback over HTTP: a 2xx answer is a delivery, anything else is not.

The callback's host is resolved here, each time, and every address it resolves to must be
public unless an operator allowed the host (core/callback_targets.py); the post then goes to
the address that was checked — the host kept in the Host header and, for https, in TLS
(SNI and the certificate check) — so a name that resolves anew between the check and the
connection (DNS rebinding) cannot move the post to another address.
"""

import socket
from urllib.parse import urlsplit

import httpx

from cunguan.core import limits
from cunguan.core.callback_targets import address_refusal, allowed_hosts_from_env, host_of


class HttpSender:
    def __init__(self, timeout_ms: int = limits.callback_timeout_ms,
                 allowed_hosts: frozenset[str] | None = None) -> None:
        """``allowed_hosts``: hosts posted to whatever their addresses (default: the
        operator's ``CUNGUAN_CALLBACK_ALLOWED_HOSTS``)."""
        self.client = httpx.Client(timeout=timeout_ms / 1000, follow_redirects=False)
        self.allowed_hosts = (allowed_hosts_from_env() if allowed_hosts is None
                              else frozenset(h.lower() for h in allowed_hosts))

    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> str | None:
        host = host_of(url)
        try:
            address = host if host in self.allowed_hosts else _checked_address(url, host)
        except _Refused as exc:
            return f"callback target refused: {exc}"[:256]
        try:
            answer = self._post(url, host, address, body, headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:256]
        if 200 <= answer.status_code < 300:
            return None
        return f"HTTP {answer.status_code}"

    def _post(self, url: str, host: str, address: str, body: bytes,
              headers: dict[str, str]) -> httpx.Response:
        target = httpx.URL(url)
        if address == host:
            return self.client.post(target, content=body, headers=headers)
        netloc = urlsplit(url).netloc.rsplit("@", 1)[-1]
        pinned = target.copy_with(host=address)
        extensions = {"sni_hostname": host} if target.scheme == "https" else {}
        return self.client.post(pinned, content=body, headers={**headers, "Host": netloc},
                                extensions=extensions)

    def close(self) -> None:
        self.client.close()


class _Refused(Exception):
    pass


def _checked_address(url: str, host: str) -> str:
    """The first address ``host`` resolves to, once every one of them is public."""
    if not host:
        raise _Refused("the URL has no host")
    try:
        port = urlsplit(url).port
        found = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as exc:
        raise _Refused(f"{host} does not resolve ({exc})") from exc
    addresses = [str(info[4][0]) for info in found]
    for address in addresses:
        if (why := address_refusal(address)) is not None:
            raise _Refused(f"{host}: {why}")
    if not addresses:
        raise _Refused(f"{host} does not resolve")
    return addresses[0]
