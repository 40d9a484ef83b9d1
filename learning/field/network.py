"""The laptop's local IPv4 addresses, found without sending any traffic (Windows and Linux)."""

import ipaddress
import socket
import sys

# Where the laptop is the hotspot itself: Windows "Mobile hotspot" and NetworkManager's
# "Hotspot" (Linux) give the laptop these addresses.
HOTSPOT_HOST_ADDRESSES = ("192.168.137.1", "10.42.0.1")
# Host sides of virtual networks (VirtualBox, Docker): never the one tablets can reach.
VIRTUAL_ADDRESSES = ("192.168.56.1", "172.17.0.1")
# Connecting a UDP socket sends nothing: it only asks the system which address it would use.
_PROBES = ("10.254.254.254", "172.31.254.254", "192.168.254.254")
_PRIVATE = [ipaddress.ip_network(net) for net in ("192.168.0.0/16", "10.0.0.0/8", "172.16.0.0/12")]
_LINK_LOCAL = ipaddress.ip_network("169.254.0.0/16")


def _usable(address: str) -> bool:
    try:
        ip = ipaddress.IPv4Address(address)
    except ValueError:
        return False
    return not (ip.is_loopback or ip.is_unspecified or ip.is_multicast)


def _route_sources() -> list[str]:
    """The source address the system would use toward each private range (no packet sent)."""
    found = []
    for target in _PROBES:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.connect((target, 1))
                found.append(sock.getsockname()[0])
            except OSError:  # no route: no network, or no default route on a bare hotspot
                continue
    return found


def _hostname_addresses() -> list[str]:
    """What the host name resolves to: on Windows, every adapter's address."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return []
    return [info[4][0] for info in infos]


def _interface_addresses() -> list[str]:
    """Linux: each interface's address (a hotspot's address does not resolve from the name)."""
    if not sys.platform.startswith("linux"):
        return []
    import fcntl
    import struct

    siocgifaddr = 0x8915
    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _index, name in socket.if_nameindex():
            request = struct.pack("256s", name.encode()[:15])
            try:
                reply = fcntl.ioctl(sock.fileno(), siocgifaddr, request)
            except OSError:  # the interface has no IPv4 address
                continue
            found.append(socket.inet_ntoa(reply[20:24]))
    return found


def sort_by_preference(addresses, default_routes=()) -> list[str]:
    """Order addresses for the QR code: the laptop's own hotspot first, virtual networks last."""
    default_routes = set(default_routes)

    def rank(address: str):
        ip = ipaddress.IPv4Address(address)
        if address in HOTSPOT_HOST_ADDRESSES:
            group = 0
        elif address in VIRTUAL_ADDRESSES:
            group = 8
        elif ip in _LINK_LOCAL:
            group = 9
        else:
            # A private range, the one the system routes through first: 192.168 and 10 are
            # what hotspots and portable routers hand out.
            ranges = [i for i, net in enumerate(_PRIVATE) if ip in net]
            group = 1 + (ranges[0] if ranges else len(_PRIVATE))
        return (group, address not in default_routes, ip)

    return sorted({a for a in addresses if _usable(a)}, key=rank)


def local_addresses() -> list[str]:
    """The laptop's LAN IPv4 addresses (no 127.x), the preferred one for the QR code first."""
    routes = _route_sources()
    found = routes + _hostname_addresses() + _interface_addresses()
    return sort_by_preference(found, default_routes=routes)


def preferred_address(addresses) -> str:
    """The address to print on posters; 127.0.0.1 when the laptop has no network at all."""
    return next(iter(addresses), "127.0.0.1")
