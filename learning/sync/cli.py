"""`sadar-imigrasi sync ...`: enrol a laptop, export, push and pull; import at the office."""

import uuid
from pathlib import Path

import click
from flask.cli import with_appcontext

from learning.core.database import write_intent
from learning.core.errors import Refused
from learning.extensions import db


@click.group("sync")
def sync_group():
    """Field laptops and the office: bundles of events one way, content and schedule the other."""


def _fail(exc: Refused):
    db.session.rollback()
    raise click.ClickException(str(exc)) from exc


@sync_group.command("enrol")
@click.option(
    "--office", "office_url", required=True, help="Alamat kantor, mis. https://sadar.example.go.id"
)
@click.option("--code", required=True, help="Kode pendaftaran dari halaman Laptop lapangan.")
@click.option(
    "--ca",
    "ca_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Sertifikat CA kantor, bila bukan CA umum.",
)
@with_appcontext
def enrol_command(office_url, code, ca_file):
    """Register this laptop with the office (once), then pull its content and schedule."""
    from learning.sync import client

    with write_intent():
        try:
            answer = client.enrol(office_url, code, ca_file)
            counts = client.fetch()
        except Refused as exc:
            _fail(exc)
        db.session.commit()
    click.echo(f"Terdaftar sebagai {answer['device_name']}. {_describe_pull(counts)}")


def _describe_pull(counts: dict) -> str:
    return (
        f"Diambil dari kantor: {counts.get('lesson', 0)} pelajaran, "
        f"{counts.get('question', 0)} soal, {counts.get('quiz', 0)} kuis, "
        f"{counts['officers']} petugas, {counts['events']} acara baru/berubah."
    )


@sync_group.command("pull")
@with_appcontext
def pull_command():
    """Take the office's current lessons, questions, officers and scheduled events."""
    from learning.sync import client

    with write_intent():
        try:
            counts = client.fetch()
        except Refused as exc:
            _fail(exc)
        db.session.commit()
    click.echo(_describe_pull(counts))


@sync_group.command("export")
@click.argument("event_ids", nargs=-1)
@click.option("--closed", is_flag=True, help="Semua acara yang sudah ditutup.")
@with_appcontext
def export_command(event_ids, closed):
    """Seal event bundles into the outbox (instance/sync/outbox) for push or a USB stick."""
    from sqlalchemy import select

    from learning.events.models import Event
    from learning.sync import bundle

    with write_intent():
        ids = [uuid.UUID(i) for i in event_ids]
        if closed:
            ids += list(db.session.scalars(select(Event.id).where(Event.status == "closed")))
        if not ids:
            raise click.UsageError("Sebutkan ID acara, atau --closed.")
        for event_id in ids:
            event = db.session.get(Event, event_id)
            if event is None:
                raise click.ClickException(f"Acara {event_id} tidak ada.")
            try:
                written = bundle.export_event(event)
            except Refused as exc:
                _fail(exc)
            db.session.commit()
            click.echo(f"{written.path}  ({sum(written.counts.values())} catatan)")


@sync_group.command("push")
@with_appcontext
def push_command():
    """Send the outbox to the office; run again after a failure to resume."""
    from learning.sync import client

    try:
        result = client.push()
    except Refused as exc:
        _fail(exc)
    for name, message in result.sent:
        click.echo(f"terkirim {name}: {message}")
    if result.error:
        raise click.ClickException(
            f"Berhenti: {result.error}\n"
            f"{result.waiting} bundel masih menunggu; jalankan lagi nanti."
        )
    click.echo(f"{len(result.sent)} bundel terkirim; tidak ada yang menunggu.")


@sync_group.command("import")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@with_appcontext
def import_command(files):
    """Import bundles at the office (each in its own transaction; a refused one writes nothing)."""
    from learning.sync import imports

    failed = 0
    for path in files:
        with write_intent():
            try:
                report = imports.import_bundle(
                    path.read_bytes(), via="command", actor_name="perintah impor"
                )
            except Refused as exc:
                db.session.rollback()
                failed += 1
                click.echo(f"DITOLAK {path.name}: {exc}", err=True)
                continue
            db.session.commit()
        click.echo(f"{path.name}: {report.describe()}")
    if failed:
        raise click.ClickException(f"{failed} dari {len(files)} bundel ditolak.")


@sync_group.command("status")
@with_appcontext
def status_command():
    """Say whether this is a field laptop or the office, and what is waiting."""
    from learning.sync import crypto, identity
    from learning.sync.services import list_devices, office_public_key

    enrolment = identity.enrolment()
    if enrolment:
        waiting = len(list(identity.outbox().glob("*.sadar"))) if identity.outbox().exists() else 0
        click.echo(
            f"Laptop lapangan '{enrolment['device_name']}' (ID {identity.device_key()}), "
            f"kantor {enrolment['office_url']}; {waiting} bundel menunggu dikirim."
        )
        return
    click.echo(f"Kantor. Kunci bundel: {crypto.key_id(office_public_key())}.")
    for device in list_devices():
        state = (
            "dicabut"
            if device.is_revoked
            else ("terdaftar" if device.enrolled_at else "menunggu pendaftaran")
        )
        click.echo(f"  {device.name}: {state}")
