"""Every URL the service contacts on a user's behalf: checked, and connected to only at a checked address.

Two kinds of URL come from outside: a call's ``callback_url`` (POSTed to when the call ends) and a
webhook's ``recording_url`` (fetched). Either could name an address inside the site (a database, the
cloud's metadata service), which the service must not reach for someone else (server-side request
forgery). So:

* **Refused addresses**: everything that is not global unicast by IANA's special-purpose address
  registries, as Python's :mod:`ipaddress` reads them (``is_global``), plus multicast. That covers
  loopback (127/8, ::1), private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16, where
  cloud metadata lives, and fe80::/10), shared carrier NAT (100.64/10), unspecified (0.0.0.0, ::),
  documentation and reserved ranges, and multicast (224/4, ff00::/8). An IPv4 address written inside
  IPv6 (``::ffff:127.0.0.1``) is judged as the IPv4 address.
* **Every notation**: the host is resolved by the system resolver, the same call the connection
  makes, so decimal (``2130706433``), hex (``0x7f000001``), octal and short forms (``127.1``) are
  judged as the address they open, not as text. A name is refused if *any* address it resolves to is.
* **Pinned**: the connection goes to the address that was checked (:class:`_PinnedConnection` resolves,
  checks and connects in one step), so a name that answers differently the second time (DNS rebinding)
  cannot slip another address in. HTTPS still verifies the certificate against the host name.
* **Redirects** are followed by the same session, so each hop's connection is checked the same way
  (at most :data:`MAX_REDIRECTS`).
* Proxies from the environment are not used for these requests: the check is of the address the
  service itself connects to.

An operator can let internal hosts through with ``CALLSCOPE_ALLOWED_FETCH_HOSTS``: a comma-separated
list of host names (matched exactly, case-insensitive) and networks in CIDR form (``10.2.0.0/16``).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field

__all__ = ["MAX_REDIRECTS", "OutboundPolicy", "RefusedURL", "check_url", "session"]

#: Redirects followed per request (requests' default is 30; a recording store needs one or two).
MAX_REDIRECTS = 5

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class RefusedURL(ValueError):
    """The URL is not one the service will contact; the message says why."""


@dataclass(frozen=True)
class OutboundPolicy:
    """Which non-public destinations an operator allows (none by default)."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = field(default=())

    @classmethod
    def from_setting(cls, value: str | tuple[str, ...] | list[str]) -> OutboundPolicy:
        """Read ``CALLSCOPE_ALLOWED_FETCH_HOSTS`` (``"recordings.local,10.2.0.0/16"``) or its items."""
        items = [x.strip() for x in (value.split(",") if isinstance(value, str) else value) if x.strip()]
        hosts, networks = set(), []
        for item in items:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                hosts.add(item.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def allows(self, host: str, address: Address) -> bool:
        if host.lower().rstrip(".") in self.hosts:
            return True
        return any(address in network for network in self.networks if network.version == address.version)


def _public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _resolve(host: str, port: int, policy: OutboundPolicy) -> list[tuple[int, str]]:
    """(family, address) pairs for ``host``, all checked; raises :class:`RefusedURL`."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RefusedURL(f"the host {host!r} does not resolve ({exc})") from None
    found = []
    for family, _, _, _, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if not (_public(address) or policy.allows(host, address)):
            raise RefusedURL(
                f"the host {host!r} is {address}, a loopback, private, link-local, multicast or reserved "
                "address; the service contacts only public addresses unless CALLSCOPE_ALLOWED_FETCH_HOSTS "
                "allows it"
            )
        if (family, str(address)) not in found:
            found.append((family, str(address)))
    return found


def check_url(url: str, policy: OutboundPolicy) -> None:
    """Check a URL when it is given (a 400 is better than a failure later); raises :class:`RefusedURL`."""
    from urllib3.exceptions import LocationParseError
    from urllib3.util import parse_url

    try:
        parts = parse_url(url)
    except LocationParseError:
        raise RefusedURL("the URL cannot be parsed") from None
    if parts.scheme not in ("http", "https") or not parts.host:
        raise RefusedURL("the URL must be http:// or https:// with a host")
    _resolve(parts.host.strip("[]"), parts.port or (443 if parts.scheme == "https" else 80), policy)


def session(policy: OutboundPolicy):
    """A :class:`requests.Session` whose every connection, redirects included, is checked and pinned."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
    from urllib3.util.connection import create_connection

    class _PinnedConnection:
        """Resolve, check and connect in one step (instead of urllib3's own lookup)."""

        def _new_conn(self):
            last: OSError | None = None
            for _, address in _resolve(self._dns_host, self.port, policy):
                try:
                    return create_connection(
                        (address, self.port),
                        self.timeout,
                        source_address=self.source_address,
                        socket_options=self.socket_options,
                    )
                except TimeoutError as exc:
                    raise ConnectTimeoutError(self, f"connecting to {self.host} timed out") from exc
                except OSError as exc:
                    last = exc
            raise NewConnectionError(self, f"Failed to establish a new connection: {last}")

    http_conn = type("PinnedHTTPConnection", (_PinnedConnection, HTTPConnection), {})
    https_conn = type("PinnedHTTPSConnection", (_PinnedConnection, HTTPSConnection), {})
    pools = {
        "http": type("PinnedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
        "https": type("PinnedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
    }

    class _PinnedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs):
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = pools

    s = requests.Session()
    s.trust_env = False
    s.max_redirects = MAX_REDIRECTS
    adapter = _PinnedAdapter()
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    return s
