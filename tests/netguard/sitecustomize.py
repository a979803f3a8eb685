"""Tests reach no network, by construction: this module is put first on PYTHONPATH by
tests/conftest.py, so every Python process the tests start (batch workers, CLI subprocesses,
Ray workers) loads it and refuses connections and name lookups beyond this machine.

Loopback, the machine's own addresses and Unix sockets stay open (the fake OpenAI server, Ray's
local instance, the batch's worker pipes). Active only with EXTRACTOR_TEST_NETGUARD=1, which
conftest sets; the opt-in live tier (EXTRACTOR_LIVE_LLM=1) runs without it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
from typing import Any

REFUSED = "network access refused in tests (tests/netguard)"


def _local_names() -> set[str]:
    names = {"localhost", "localhost.localdomain", "", socket.gethostname()}
    with contextlib.suppress(OSError):
        names.add(socket.getfqdn())
    return names


def _is_local_ip(host: str, own: set[str]) -> bool | None:
    """True/False for an IP literal (loopback, unspecified or one of this machine's), None
    for a name."""
    try:
        ip = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return None
    return ip.is_loopback or ip.is_unspecified or str(ip) in own


def install() -> None:
    if getattr(socket, "_extractor_netguard", False):
        return
    names = _local_names()
    real_getaddrinfo = socket.getaddrinfo
    own: set[str] = set()
    for name in names - {""}:
        with contextlib.suppress(OSError):
            own |= {str(a[4][0]) for a in real_getaddrinfo(name, None)}
    # the address of the default route (what Ray binds to): a UDP connect sends nothing
    for family, probe in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as udp:
            udp.connect((probe, 9))
            own.add(str(udp.getsockname()[0]))

    def getaddrinfo(host: Any, *args: Any, **kw: Any) -> Any:
        h = host.decode() if isinstance(host, bytes) else host
        if h is None or str(h) in names or _is_local_ip(str(h), own):
            return real_getaddrinfo(host, *args, **kw)
        raise socket.gaierror(socket.EAI_NONAME, f"{REFUSED}: {h}")

    def guarded(real: Any) -> Any:
        def connect(self: socket.socket, address: Any) -> Any:
            # a UDP connect sends nothing (Ray finds this machine's address that way)
            if self.family in (socket.AF_INET, socket.AF_INET6) and self.type != socket.SOCK_DGRAM:
                host = str(address[0])
                if host not in names and not _is_local_ip(host, own):
                    raise ConnectionRefusedError(f"{REFUSED}: {address!r}")
            return real(self, address)

        return connect

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = guarded(socket.socket.connect)  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded(socket.socket.connect_ex)  # type: ignore[method-assign]
    socket._extractor_netguard = True  # type: ignore[attr-defined]


if os.environ.get("EXTRACTOR_TEST_NETGUARD") == "1":
    install()
