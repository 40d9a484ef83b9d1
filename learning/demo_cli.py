"""Commands `demo load` and `demo remove`: clearly marked demo records to try the app.

Registered in learning/cli.py with `app.cli.add_command(demo_group)`.
"""

import click
from flask.cli import with_appcontext

from learning.core.database import write_intent
from learning.extensions import db


@click.group("demo")
def demo_group():
    """Load or remove clearly marked demo records (to try the app; never beside real data)."""


@demo_group.command("load")
@click.option("--force", is_flag=True, help="Muat walaupun database sudah berisi acara sungguhan.")
@with_appcontext
def demo_load_command(force):
    """Fill the office's area with demo villages, officers, events and results (one transaction)."""
    from learning.core.errors import Refused
    from learning.villages.demo import load_demo

    with write_intent():
        try:
            summary = load_demo(actor_name="Data demo", force=force)
        except Refused as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
    click.echo(f"Data demo dimuat: {summary.describe()}.")
    click.secho(
        f"Petugas demo: {', '.join(summary.officers)}\n"
        f"Kata sandi (sama untuk semua petugas demo): {summary.password}\n"
        "Hapus semua data demo dengan `sadar-imigrasi demo remove`.",
        fg="yellow",
    )


@demo_group.command("remove")
@click.option("--yes", is_flag=True, help="Jangan minta konfirmasi.")
@with_appcontext
def demo_remove_command(yes):
    """Delete every demo record in one step (one transaction)."""
    from learning.villages.demo import has_demo, remove_demo

    if not has_demo():
        click.echo("Tidak ada data demo.")
        return
    if not yes and not click.confirm("Hapus semua data demo?"):
        click.echo("Dibatalkan; tidak ada yang dihapus.")
        return
    with write_intent():
        summary = remove_demo()
        db.session.commit()
    click.echo(f"Data demo dihapus: {summary.describe()}.")
