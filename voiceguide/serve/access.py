"""Who may listen, and where: the secret path token kept in the user's config folder, and
the machine's address on the local network."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import secrets
import socket
import struct
from pathlib import Path

from voiceguide import atomic
from voiceguide.errors import OutputError, UsageError

TOKEN_FILE = "serve-token"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22,64}")


def config_dir() -> Path:
    """The user's voiceguide config folder (``VOICEGUIDE_HOME`` overrides it)."""
    override = os.environ.get("VOICEGUIDE_HOME")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir("voiceguide"))


def token(folder: Path | None = None) -> str:
    """The access token: made once, then read back, so a subscribed feed keeps working."""
    path = (folder or config_dir()) / TOKEN_FILE
    with contextlib.suppress(FileNotFoundError):
        kept = path.read_text(encoding="ascii", errors="replace").strip()
        if _TOKEN.fullmatch(kept):
            return kept
        raise UsageError(f"{path} does not hold a voiceguide token; remove it and a new one is made")
    made = secrets.token_urlsafe(24)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic.replacing(path) as temp:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(made + "\n")
    except OSError as exc:
        raise OutputError(f"cannot keep the access token in {path.parent}: {exc.strerror or exc}") from None
    return made


def lan_address() -> str:
    """This machine's IPv4 address on its local network, found without sending anything: the
    address of the interface that holds the default route, else any address of the host's
    name that is not loopback."""
    found = _default_route_address()
    if found:
        return found
    with contextlib.suppress(OSError):
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            address = str(info[4][0])
            if _usable(address):
                return address
    raise UsageError("found no network address for --lan; join a network, or give --host ADDRESS")


def _default_route_address() -> str | None:
    """Linux: the interface of the default route in /proc/net/route, and its address."""
    try:
        rows = Path("/proc/net/route").read_text().splitlines()[1:]
    except OSError:
        return None
    interfaces = [row.split()[0] for row in rows if len(row.split()) > 1 and row.split()[1] == "00000000"]
    for name in interfaces:
        address = _interface_address(name)
        if address and _usable(address):
            return address
    return None


def _interface_address(name: str) -> str | None:
    import fcntl

    siocgifaddr = 0x8915
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            packed = fcntl.ioctl(probe.fileno(), siocgifaddr, struct.pack("256s", name.encode()[:15]))
        except OSError:
            return None
    return socket.inet_ntoa(packed[20:24])


def _usable(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not (ip.is_loopback or ip.is_link_local or ip.is_unspecified)
