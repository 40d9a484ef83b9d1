"""`sadar-imigrasi field`: set up, then serve the laptop's network on HTTPS and plain HTTP."""

import ipaddress

import click
from flask import current_app
from flask.cli import with_appcontext

from learning.field.network import local_addresses, preferred_address
from learning.field.server import PortsUnavailable, serve_field


def run_field_mode(app, *, http_port=5000, https_port=5443, address=None, threads=16) -> None:
    """Choose the address, ensure the certificates and serve until Ctrl+C (setup already run)."""
    app.config["FIELD_MODE"] = True
    addresses = local_addresses()
    host_ip = address or preferred_address(addresses)
    if not addresses:
        click.secho(
            "Laptop ini belum punya alamat jaringan: tablet belum dapat menjangkaunya. Nyalakan "
            "hotspot laptop (atau sambungkan ke router/hotspot), lalu jalankan perintah ini lagi.",
            fg="yellow",
        )
    elif address and address not in addresses:
        click.secho(
            f"Alamat {address} tidak ditemukan di laptop ini ({', '.join(addresses)}).",
            fg="yellow",
        )
    elif len(addresses) > 1 and not address:
        click.echo(
            f"Alamat laptop: {', '.join(addresses)}; dipakai {host_ip}. "
            "Pilih yang lain dengan --address."
        )
    try:
        serve_field(
            app, host_ip, http_port, https_port, threads, addresses=addresses, echo=click.echo
        )
    except PortsUnavailable as exc:
        raise click.ClickException(
            f"Port tidak dapat dibuka ({exc}). Mungkin aplikasi ini sudah berjalan: tutup "
            "dulu, atau pilih --http-port/--https-port lain."
        ) from exc


def _ipv4(_ctx, _param, value):
    if value is None:
        return None
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError as exc:
        raise click.BadParameter("bukan alamat IPv4, misalnya 192.168.137.1") from exc


@click.command("field")
@click.option("--http-port", type=int, default=5000, show_default=True, help="HTTP (ponsel warga).")
@click.option("--https-port", type=int, default=5443, show_default=True, help="HTTPS (tablet).")
@click.option(
    "--address", callback=_ipv4, help="Alamat laptop untuk QR (bawaan: dipilih otomatis)."
)
@click.option("--threads", type=int, default=16, show_default=True, help="Per server.")
@click.option("--no-setup", is_flag=True, help="Jangan jalankan setup sebelum melayani.")
@with_appcontext
def field_command(http_port, https_port, address, threads, no_setup):
    """Field mode: serve the laptop's hotspot on HTTPS (office tablets) and HTTP (phones)."""
    from learning.cli import _print_new_admin, run_setup  # learning.cli imports the app

    app = current_app._get_current_object()
    app.config["FIELD_MODE"] = True
    if not no_setup:
        _print_new_admin(run_setup())
    run_field_mode(
        app, http_port=http_port, https_port=https_port, address=address, threads=threads
    )
