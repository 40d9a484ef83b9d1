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
    from learning.regions.importer import region_files

    digest = hashlib.sha256()
    for path in region_files(directory).values():
        if path is not None:
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


def check_content(content_dir: Path, static_dir: Path):
    """Validate every lesson and question file; return (lesson files, questions, problems)."""
    from learning.lessons.checks import check_lessons, load_context
    from quizzes.checks import check_question_files

    lessons, problems = check_lessons(content_dir, static_dir)
    ctx = load_context(content_dir, static_dir)
    known = {f.get("slug"): {"track": f.get("track"), "topic": f.get("topic")} for f in lessons}
    questions, question_problems = check_question_files(content_dir, ctx, known)
    return (
        lessons,
        questions,
        problems + question_problems + _check_quizzes(content_dir, lessons, questions),
    )


def quiz_definitions_for(content_dir: Path, lessons) -> list[dict]:
    """Read content/quizzes.yml and expand it (one practice quiz per officer lesson)."""
    import yaml

    from quizzes.bank import quiz_definitions

    data = yaml.safe_load((content_dir / "quizzes.yml").read_text(encoding="utf-8")) or {}
    officer = sorted(
        (f.get("order"), f.get("slug"), f.get("title"))
        for f in lessons
        if f.get("audience") == "officer"
    )
    return quiz_definitions(data, [(slug, title) for _order, slug, title in officer])


def _check_quizzes(content_dir: Path, lessons, questions) -> list:
    from collections import Counter

    from learning.lessons.checks import Problem
    from quizzes.bank import check_quiz_definitions

    available = Counter((q["track"], q["topic"], q.get("pool")) for q in questions)
    path = content_dir / "quizzes.yml"
    return [
        Problem(path, 1, message)
        for message in check_quiz_definitions(quiz_definitions_for(content_dir, lessons), available)
    ]


def load_content(echo=click.echo) -> None:
    """Check the bundled content, then load the registry and lessons (the caller commits)."""
    from learning.core.registry import load_instruments, read_instruments
    from learning.lessons.services import load_lesson_files
    from quizzes.bank import load_questions, load_quizzes

    content_dir = Path(current_app.config["CONTENT_DIR"])
    lessons, questions, problems = check_content(content_dir, Path(current_app.static_folder))
    if problems:
        raise click.ClickException(
            "Konten tidak lolos pemeriksaan; tidak ada yang dimuat:\n"
            + "\n".join(str(p) for p in problems)
        )
    load_instruments(read_instruments(content_dir / "instruments.yml"))
    report = load_lesson_files(lessons)
    echo(
        f"Pelajaran: {len(report.created)} baru, {len(report.new_versions)} versi baru, "
        f"{len(report.unchanged)} tetap."
    )
    for slug in report.conflicts:
        echo(
            f"KONFLIK: {slug} diubah di peramban dan berkasnya juga berubah; kedua versi "
            "disimpan. Pilih versi di halaman Kelola pelajaran."
        )
    for slug in report.deactivated:
        echo(f"Dinonaktifkan (berkasnya tidak ada lagi): {slug}")
    counts = load_questions(questions)
    quizzes = load_quizzes(quiz_definitions_for(content_dir, lessons))
    echo(
        f"Soal: {counts['created']} baru, {counts['new_versions']} versi baru, "
        f"{counts['unchanged']} tetap; {quizzes} kuis."
    )
    if counts["conflicts"]:
        echo(
            f"KONFLIK: {counts['conflicts']} soal diubah di peramban dan berkasnya juga berubah; "
            "kedua versi disimpan. Lihat halaman Kelola soal."
        )


def run_setup(echo=click.echo) -> str | None:
    """Upgrade the schema and load bundled data; return a new admin's password, if one was made."""
    from flask_migrate import upgrade

    from learning.accounts import services as accounts
    from learning.accounts.models import Role
    from learning.regions.services import ensure_office
    from learning.sync.identity import is_field_device

    # Migrations run on a connection of their own: end any transaction the session holds.
    db.session.close()
    with write_intent():
        upgrade(directory=current_app.extensions["migrate"].directory)
        echo(load_regions_with_progress(Path(current_app.config["REGIONS_DATA_DIR"])))
        if is_field_device():
            echo("Laptop lapangan: pelajaran dan soal diambil dari kantor (sync pull).")
        else:
            load_content(echo)
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
@click.option(
    "--field",
    "field_mode",
    is_flag=True,
    help="Mode lapangan: HTTPS untuk tablet kantor dan HTTP untuk ponsel warga (lihat README).",
)
@with_appcontext
def serve_command(host, port, threads, no_setup, field_mode):
    """Set up the database, then serve the app with waitress (Windows and Linux)."""
    from waitress import serve

    app = current_app._get_current_object()
    if field_mode:
        app.config["FIELD_MODE"] = True
    if not no_setup:
        _print_new_admin(run_setup())
    if field_mode:
        from learning.field.cli import run_field_mode

        run_field_mode(app, http_port=port or 5000, threads=max(threads, 16))
        return
    host = host or app.config["HOST"]
    port = port or app.config["PORT"]
    click.echo(f"Sadar Imigrasi melayani di http://{host}:{port}  (Ctrl+C untuk berhenti)")
    serve(app, host=host, port=port, threads=threads, ident="sadar-imigrasi")


@click.group("content")
def content_group():
    """Check, load and write back lessons and questions."""


@content_group.command("check")
@with_appcontext
def content_check_command():
    """Validate every content file; print `file:line: message` and exit 1 on any fault."""
    content_dir = Path(current_app.config["CONTENT_DIR"])
    lessons, questions, problems = check_content(content_dir, Path(current_app.static_folder))
    root = Path.cwd()
    for problem in problems:
        path = problem.path.resolve()
        shown = path.relative_to(root) if path.is_relative_to(root) else path
        click.echo(f"{shown}:{problem.line}: {problem.message}")
    click.echo(
        f"{len(lessons)} pelajaran, {len(questions)} soal diperiksa; {len(problems)} masalah.",
        err=True,
    )
    if problems:
        sys.exit(1)


@content_group.command("load")
@with_appcontext
def content_load_command():
    """Load the content files into the database (unchanged files change nothing)."""
    with write_intent():
        load_content()
        db.session.commit()


@content_group.command("export-edits")
@with_appcontext
def content_export_command():
    """Write lessons edited in the browser back to their files, so the repository catches up."""
    from learning.lessons.services import export_browser_edits

    with write_intent():
        written = export_browser_edits()
        db.session.commit()
    for path in written:
        click.echo(f"ditulis: {path}")
    click.echo(f"{len(written)} berkas diperbarui.")


@click.command("purge-villager-data")
@click.option("--dry-run", is_flag=True, help="Hanya tampilkan jumlahnya.")
@with_appcontext
def purge_villager_data_command(dry_run):
    """Anonymise villagers' personal data whose retention period has passed (run daily)."""
    from learning.events.privacy import anonymise_villager, expired_profiles

    days = current_app.config["VILLAGER_DATA_RETENTION_DAYS"]
    with write_intent():
        profiles = expired_profiles(days)
        if not dry_run:
            for profile in profiles:
                anonymise_villager(profile, None, reason=f"masa simpan {days} hari berakhir")
            db.session.commit()
    verb = "akan disamarkan" if dry_run else "disamarkan"
    click.echo(f"{len(profiles)} data warga {verb} (masa simpan {days} hari).")


def register_commands(app) -> None:
    """Attach the project's commands to `app.cli`."""
    from learning.backup_cli import backup_group
    from learning.demo_cli import demo_group
    from learning.field.cli import field_command
    from learning.sync.cli import sync_group

    for command in (
        setup_command,
        import_regions_command,
        create_user_command,
        serve_command,
        content_group,
        purge_villager_data_command,
        demo_group,
        backup_group,
        field_command,
        sync_group,
    ):
        app.cli.add_command(command)


def main() -> None:
    """Console script `sadar-imigrasi`: the app's commands, with `run` = setup and serve."""
    from learning import create_app

    cli = FlaskGroup(create_app=create_app, add_default_commands=False, add_version_option=False)
    cli.add_command(serve_command, "run")
    cli.main(prog_name="sadar-imigrasi")
