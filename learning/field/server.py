"""One process, two servers: HTTPS for the office's tablets, plain HTTP for villagers' phones.

Threads only (no fork, no POSIX signals), so Ctrl+C stops both the same way on Windows and
Linux: the main thread sleeps in short steps, where Windows delivers Ctrl+C too.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from learning.field import tls
from learning.field.network import local_addresses

ALL_INTERFACES = "0.0.0.0"  # noqa: S104  (field mode serves the laptop's own hotspot)


class PortsUnavailable(OSError):
    """A port could not be bound: in use (the app already running?) or not permitted."""


@dataclass
class FieldServers:
    """Both servers, bound and serving in threads of their own."""

    https: wsgi.Server
    http: wsgi.Server
    threads: list[threading.Thread] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)

    @property
    def https_port(self) -> int:
        return self.https.bind_addr[1]

    @property
    def http_port(self) -> int:
        return self.http.bind_addr[1]

    def running(self) -> bool:
        return all(t.is_alive() for t in self.threads)

    def start(self) -> None:
        """Serve both in threads of their own; a failure ends the wait in `serve_field`."""

        def run(server):
            try:
                server.serve()
            except BaseException as exc:  # reported to the main thread
                self.errors.append(exc)

        for server, name in ((self.https, "https"), (self.http, "http")):
            thread = threading.Thread(target=run, args=(server,), name=f"field-{name}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        for server in (self.https, self.http):
            server.stop()
        for thread in self.threads:
            thread.join(timeout=10)


def _server(app, bind: str, port: int, threads: int, ssl_adapter=None) -> wsgi.Server:
    server = wsgi.Server(
        (bind, port), app, numthreads=threads, server_name="sadar-imigrasi", shutdown_timeout=5
    )
    if ssl_adapter is not None:
        server.ssl_adapter = ssl_adapter
    return server


def bind_servers(
    app,
    cert: tls.ServerCert,
    http_port: int,
    https_port: int,
    threads: int,
    bind: str = ALL_INTERFACES,
) -> FieldServers:
    """Bind both ports; errors such as a port already in use surface here, before serving."""
    adapter = BuiltinSSLAdapter(
        str(cert.cert_path), str(cert.key_path), certificate_chain=str(cert.ca_cert_path)
    )
    servers = FieldServers(
        https=_server(app, bind, https_port, threads, adapter),
        http=_server(app, bind, http_port, threads),
    )
    try:
        servers.https.prepare()
    except OSError as exc:
        raise PortsUnavailable(f"HTTPS {https_port}: {exc}") from exc
    try:
        servers.http.prepare()
    except BaseException as exc:
        servers.https.stop()
        if isinstance(exc, OSError):
            raise PortsUnavailable(f"HTTP {http_port}: {exc}") from exc
        raise
    return servers


def serve_field(
    app,
    host_ip: str,
    http_port: int = 5000,
    https_port: int = 5443,
    threads: int = 16,
    *,
    addresses=None,
    bind: str = ALL_INTERFACES,
    echo: Callable[[str], None] = print,
    stop_event: threading.Event | None = None,
) -> None:
    """Serve `app` on HTTPS and HTTP until Ctrl+C (or `stop_event`, for tests).

    `addresses` go into the server certificate (by default every local IPv4 address found,
    plus `host_ip`). Sets PUBLIC_URL (the poster's QR: plain HTTP, which villagers' own phones
    open without the office's authority) and FIELD_HTTPS_URL (the office's tablets).
    """
    addresses = list(local_addresses() if addresses is None else addresses)
    if host_ip not in addresses:
        addresses.append(host_ip)
    started = time.perf_counter()
    authority = tls.ensure_ca(app.instance_path, app.config.get("DEVICE_ID"))
    cert = tls.ensure_server_cert(app.instance_path, addresses)
    elapsed = time.perf_counter() - started
    servers = bind_servers(app, cert, http_port, https_port, threads, bind)
    http_url = f"http://{host_ip}:{servers.http_port}"
    https_url = f"https://{host_ip}:{servers.https_port}"
    app.config.update(FIELD_MODE=True, PUBLIC_URL=http_url, FIELD_HTTPS_URL=https_url)
    servers.start()
    _announce(echo, app, authority, cert, http_url, https_url, elapsed)
    try:
        while servers.running() and not (stop_event and stop_event.is_set()):
            time.sleep(0.25)  # interruptible by Ctrl+C on Windows as well as Linux
    except KeyboardInterrupt:
        echo("Berhenti...")
    finally:
        servers.stop()
    if servers.errors:
        raise RuntimeError("Server mode lapangan berhenti karena galat") from servers.errors[0]


def _announce(echo, app, authority, cert, http_url, https_url, elapsed) -> None:
    fingerprint = tls.ca_fingerprint_sha256(app.instance_path)
    pairs = fingerprint.split(":")
    if authority.replaced:
        echo(
            "PERHATIAN: otoritas sertifikat lama rusak atau kedaluwarsa dan telah diganti. "
            "Pasang otoritas yang baru di setiap tablet kantor."
        )
    elif authority.created:
        echo(f"Otoritas sertifikat lokal dibuat ({elapsed:.2f} detik).")
    if cert.created:
        until = cert.not_after.strftime("%d-%m-%Y")
        echo(f"Sertifikat server dibuat untuk {', '.join(cert.addresses)} (berlaku s.d. {until}).")
    echo(
        "\nSadar Imigrasi, mode lapangan  (Ctrl+C untuk berhenti)\n"
        f"  Tablet kantor (HTTPS):          {https_url}\n"
        f"  Ponsel warga (HTTP, QR poster): {http_url}\n"
        f"  Pasang otoritas di tablet:      {http_url}/field/\n"
        f"  Unduh sertifikat otoritas:      {http_url}/field/ca.crt\n"
        "  Sidik jari SHA-256 otoritas (cocokkan di tablet):\n"
        + "\n".join("    " + ":".join(pairs[i : i + 8]) for i in range(0, len(pairs), 8))
        + f"\n  Kunci privat otoritas tetap di {authority.key_path.parent} dan tidak pernah "
        "dikirim.\n"
    )
