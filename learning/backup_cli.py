"""Commands `backup create`, `backup check FILE`, `backup restore FILE` (SQLite).

Registered in learning/cli.py with `app.cli.add_command(backup_group)`.
"""

import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from learning.core.backup import (
    KEEP_DEFAULT,
    BackupError,
    backup_sqlite,
    check_database,
    restore_sqlite,
    sqlite_path,
)


def _database_path() -> Path:
    try:
        return sqlite_path(current_app.config["SQLALCHEMY_DATABASE_URI"])
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc


def _migrations_dir() -> str:
    return current_app.extensions["migrate"].directory


@click.group("backup")
def backup_group():
    """Back up the SQLite database while the app serves, check a backup, restore one."""


@backup_group.command("create")
@click.option(
    "--to",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder tujuan (bawaan: instance/backups).",
)
@click.option(
    "--keep",
    type=click.IntRange(min=1),
    default=KEEP_DEFAULT,
    show_default=True,
    help="Jumlah cadangan terbaru yang disimpan di folder itu; yang lebih lama dihapus.",
)
@with_appcontext
def backup_create_command(directory, keep):
    """Copy the database into a dated file (safe while the server is serving)."""
    db_path = _database_path()
    directory = directory or Path(current_app.instance_path) / "backups"
    try:
        result = backup_sqlite(db_path, directory, keep=keep)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Cadangan dibuat: {result.path} ({result.size_mb:.1f} MB, {result.seconds:.1f} detik)."
    )
    if result.removed:
        click.echo(
            f"{len(result.removed)} cadangan lama dihapus; {keep} yang terbaru disimpan di "
            f"{result.path.parent}."
        )
    click.echo("Salin berkas itu ke flashdisk atau ke komputer kantor.")


@backup_group.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def backup_check_command(file):
    """Check a backup (or the database): integrity, foreign keys, schema version, tables."""
    started = time.perf_counter()
    problems = check_database(file, _migrations_dir())
    took = time.perf_counter() - started
    size = file.stat().st_size / 1024 / 1024
    for problem in problems:
        click.echo(f"- {problem}")
    if problems:
        raise click.ClickException(
            f"{file} tidak lolos pemeriksaan: {len(problems)} masalah "
            f"({size:.1f} MB, {took:.1f} detik)."
        )
    click.echo(f"{file} lolos pemeriksaan ({size:.1f} MB, {took:.1f} detik).")


@backup_group.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Jangan tanya lagi sebelum mengganti basis data.")
@with_appcontext
def backup_restore_command(file, yes):
    """Replace the database with a backup (stop the server first); the old one is kept aside."""
    from learning.extensions import db

    db_path = _database_path()
    if not yes:
        click.confirm(f"Basis data {db_path} akan diganti dengan {file}. Lanjutkan?", abort=True)
    # This command's own connections would count as "in use": close them first.
    db.session.remove()
    db.engine.dispose()
    try:
        result = restore_sqlite(file, db_path, _migrations_dir())
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Basis data dipulihkan dari {file} ({result.size_mb:.1f} MB, {result.seconds:.1f} detik)."
    )
    if result.previous:
        click.echo(f"Basis data sebelumnya disimpan sebagai {result.previous}.")
    click.echo("Jalankan server lagi: sadar-imigrasi run")
