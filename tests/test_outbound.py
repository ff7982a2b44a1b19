"""Outbound URLs (store.outbound): every address form inside the site is refused, redirects included,
and the connection goes only to the address that was checked."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote

import pytest

from store.outbound import OutboundPolicy, RefusedURL, check_url, session

#: Each names a loopback, private, link-local, multicast, shared or unspecified address in some notation.
INSIDE = [
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
    "http://[fd00:ec2::254]/latest/",  # AWS metadata over IPv6 (unique local)
    "http://[::1]:6379/",
    "http://0x7f000001:22/",  # hex
    "http://2130706433/",  # decimal
    "http://017700000001/",  # octal
    "http://127.1/",  # short form
    "http://[::ffff:127.0.0.1]/",  # IPv4 inside IPv6
    "http://[::ffff:a9fe:a9fe]/",  # the metadata address inside IPv6, in hex
    "http://localhost:8080/",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",  # carrier NAT
    "http://[fe80::1]/",
    "http://224.0.0.251/",  # multicast
    "http://[ff02::1]/",
    "http://0.0.0.0:5432/",
    "http://[::]/",
    "https://127.0.0.1/",
]


@pytest.mark.parametrize("url", INSIDE)
def test_every_inside_address_form_is_refused(url):
    with pytest.raises(RefusedURL, match="CALLSCOPE_ALLOWED_FETCH_HOSTS"):
        check_url(url, OutboundPolicy())
    with pytest.raises(RefusedURL):
        session(OutboundPolicy()).get(url, timeout=2)


@pytest.mark.parametrize("url", ["ftp://example.com/a.wav", "file:///etc/passwd", "http:///nohost", "gopher://x"])
def test_only_http_urls_with_a_host(url):
    with pytest.raises(RefusedURL, match="http"):
        check_url(url, OutboundPolicy())


def test_public_addresses_pass_the_check():
    check_url("http://8.8.8.8/", OutboundPolicy())
    check_url("https://[2001:4860:4860::8888]/x", OutboundPolicy())


def test_allow_list_by_host_name_and_network():
    policy = OutboundPolicy.from_setting("Recordings.Local, 10.2.0.0/16")
    assert policy.hosts == {"recordings.local"}
    check_url("http://10.2.3.4/a.wav", policy)
    with pytest.raises(RefusedURL):
        check_url("http://10.3.0.1/a.wav", policy)


@pytest.fixture
def redirector():
    """A real server on 127.0.0.1 that answers /to?<url> with a 302 to <url>, and / with 200."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.startswith("/to?"):
                self.send_response(302)
                self.send_header("Location", unquote(self.path[4:]))
            else:
                self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_a_redirect_to_an_inside_address_is_refused(redirector):
    policy = OutboundPolicy.from_setting("127.0.0.1/32")  # only this one loopback address is let through
    assert session(policy).get(f"{redirector}/", timeout=5).status_code == 200
    assert session(policy).get(f"{redirector}/to?{redirector}/", timeout=5).status_code == 200
    for target in ("http://127.0.0.2/", "http://169.254.169.254/", "http://[::1]/", "http://0x7f000002/"):
        with pytest.raises(RefusedURL):
            session(policy).get(f"{redirector}/to?{quote(target, safe='')}", timeout=5)


def test_the_connection_goes_to_the_checked_address(monkeypatch, redirector):
    """DNS rebinding: a name that is public when checked and loopback when connected cannot get through.

    The resolver is the only stand-in: it answers 'rebind.test' with a public address the first time and
    with the loopback server's address after that.
    """
    port = int(redirector.rsplit(":", 1)[1])
    real = socket.getaddrinfo
    answers = iter(["93.184.216.34"])

    def resolver(host, *args, **kwargs):
        if host == "rebind.test":
            address = next(answers, "127.0.0.1")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    check_url(f"http://rebind.test:{port}/", OutboundPolicy())  # public at check time
    with pytest.raises(RefusedURL, match=r"127\.0\.0\.1"):
        session(OutboundPolicy()).get(f"http://rebind.test:{port}/", timeout=5)
