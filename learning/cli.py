"""Commands: `flask --app learning <command>` or `sadar-imigrasi <command>`."""

import hashlib
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from learning.core.database import write_intent
from learning.extensions import db


def _regions_fingerprint(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.csv*")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def load_regions_with_progress(directory: Path, force: bool = False) -> str:
    """Import the region files if they changed since the last load; return a summary."""
    from learning.core.settings import get_setting, put_setting
    from learning.regions.importer import RegionsDataError, load_regions, read_region_files

    fingerprint = _regions_fingerprint(directory)
    if not force and get_setting("regions.fingerprint") == fingerprint:
        return "Data wilayah sudah termuat; tidak ada perubahan."
    try:
        data = read_region_files(directory)
    except RegionsDataError as exc:
        raise click.ClickException(
            "Berkas wilayah rusak; tidak ada yang disimpan:\n" + str(exc)
        ) from exc
    total = sum(len(rows) for rows in data.values())
    with click.progressbar(length=total, label="Memuat data wilayah", file=sys.stderr) as bar:
        stats = load_regions(data, progress=bar.update)
    put_setting("regions.fingerprint", fingerprint)
    inserted = sum(stats.inserted.values())
    updated = sum(stats.updated.values())
    return (
        f"Data wilayah: {inserted} baru, {updated} diperbarui, {total - inserted - updated} tetap."
    )


def run_setup(echo=click.echo) -> str | None:
    """Upgrade the schema and load bundled data; return a new admin's password, if one was made."""
    from flask_migrate import upgrade

    from learning.accounts import services as accounts
    from learning.accounts.models import Role
    from learning.regions.services import ensure_office

    # Migrations run on a connection of their own: end any transaction the session holds.
    db.session.close()
    with write_intent():
        upgrade(directory=current_app.extensions["migrate"].directory)
        echo(load_regions_with_progress(Path(current_app.config["REGIONS_DATA_DIR"])))
        office, created = ensure_office()
        if created:
            echo(f"Kantor dibuat: {office.name} ({', '.join(r.name for r in office.regencies)}).")
        password = None
        if accounts.count_users(Role.ADMIN) == 0:
            password = accounts.make_temporary_password()
            accounts.create_user(
                username="admin", display_name="Admin Kantor", role=Role.ADMIN, password=password
            )
        db.session.commit()
    return password


def _print_new_admin(password: str | None) -> None:
    if password:
        click.secho(
            "\nAkun admin pertama dibuat. Catat sekarang; kata sandi ini tidak ditampilkan lagi.\n"
            f"  nama pengguna: admin\n  kata sandi:    {password}\n"
            "Anda diminta menggantinya saat pertama masuk.\n",
            fg="yellow",
        )


@click.command("setup")
@with_appcontext
def setup_command():
    """Create or upgrade the database and load the bundled data (safe to run again)."""
    _print_new_admin(run_setup())
    click.echo("Selesai.")


@click.command("import-regions")
@click.option("--dir", "directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Muat ulang walaupun berkas tidak berubah.")
@with_appcontext
def import_regions_command(directory, force):
    """Load the official region files (idempotent, one transaction)."""
    directory = directory or Path(current_app.config["REGIONS_DATA_DIR"])
    with write_intent():
        click.echo(load_regions_with_progress(directory, force=force))
        db.session.commit()


@click.command("create-user")
@click.option("--role", type=click.Choice(["admin", "officer"]), required=True)
@click.option("--username", required=True)
@click.option("--name", "display_name", required=True)
@click.option(
    "--password",
    prompt="Kata sandi",
    hide_input=True,
    confirmation_prompt=True,
    help="Diminta dengan aman bila tidak diberikan.",
)
@with_appcontext
def create_user_command(role, username, display_name, password):
    """Create an admin or officer account."""
    from learning.accounts import services
    from learning.accounts.models import Role

    with write_intent():
        try:
            user = services.create_user(
                username=username,
                display_name=display_name,
                role=Role(role),
                password=password,
                must_change_password=False,
            )
        except services.AccountError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
    click.echo(f"Akun {user.username} ({role}) dibuat.")


@click.command("serve")
@click.option("--host", help="Alamat yang didengarkan (bawaan: HOST atau 127.0.0.1).")
@click.option("--port", type=int, help="Port (bawaan: PORT atau 5000).")
@click.option("--threads", type=int, default=8, show_default=True)
@click.option("--no-setup", is_flag=True, help="Jangan jalankan setup sebelum melayani.")
@with_appcontext
def serve_command(host, port, threads, no_setup):
    """Set up the database, then serve the app with waitress (Windows and Linux)."""
    from waitress import serve

    app = current_app._get_current_object()
    if not no_setup:
        _print_new_admin(run_setup())
    host = host or app.config["HOST"]
    port = port or app.config["PORT"]
    click.echo(f"Sadar Imigrasi melayani di http://{host}:{port}  (Ctrl+C untuk berhenti)")
    serve(app, host=host, port=port, threads=threads, ident="sadar-imigrasi")


def register_commands(app) -> None:
    """Attach the project's commands to `app.cli`."""
    for command in (setup_command, import_regions_command, create_user_command, serve_command):
        app.cli.add_command(command)


def main() -> None:
    """Console script `sadar-imigrasi`: the app's commands, with `run` = setup and serve."""
    from learning import create_app

    cli = FlaskGroup(create_app=create_app, add_default_commands=False, add_version_option=False)
    cli.add_command(serve_command, "run")
    cli.main(prog_name="sadar-imigrasi")
