"""Lesson pages for officers, and the office's management of lessons and their review."""

import uuid

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from learning.accounts.decorators import ALL_STAFF, role_required
from learning.accounts.forms import ConfirmForm
from learning.accounts.models import Role
from learning.core import registry
from learning.core.citations import parse_citation
from learning.core.models import LegalInstrument
from learning.extensions import db
from learning.lessons import services
from learning.lessons.checks import check_lesson, load_context
from learning.lessons.content import (
    LessonFile,
    read_tracks,
    render_markdown,
    split_cards,
    spoken_text,
)
from learning.lessons.forms import LessonEditForm, ProvisionChangeForm, VersionChoiceForm

bp = Blueprint("lessons", __name__, url_prefix="/lessons")

OFFICER_TRACK = "pimpasa"


def _tracks() -> dict:
    from pathlib import Path

    return read_tracks(Path(current_app.config["CONTENT_DIR"]))


def _lesson_or_404(slug):
    lesson = services.get_lesson(slug)
    if lesson is None or lesson.current_version_id is None:
        abort(404)
    return lesson


def lesson_url(slug: str) -> str:
    return url_for("lessons.show", slug=slug)


def render_body(markdown_text: str) -> str:
    return render_markdown(markdown_text, lesson_url)


def _instruments() -> dict[str, LegalInstrument]:
    return {i.key: i for i in db.session.scalars(db.select(LegalInstrument))}


@bp.app_template_filter("lesson_html")
def _lesson_html(markdown_text):
    return render_body(markdown_text)


@bp.route("/")
@role_required(*ALL_STAFF)
def index():
    return redirect(url_for("lessons.track", track=OFFICER_TRACK))


@bp.route("/track/<track>")
@role_required(*ALL_STAFF)
def track(track):
    tracks = _tracks()
    if track not in tracks:
        abort(404)
    progress = services.track_progress(current_user, track)
    done = sum(p.done for p in progress)
    next_lesson = next((p.lesson for p in progress if not p.done), None)
    return render_template(
        "lessons/track.html",
        track_key=track,
        track=tracks[track],
        tracks=tracks,
        progress=progress,
        done=done,
        next_lesson=next_lesson,
    )


@bp.route("/<slug>")
@role_required(*ALL_STAFF)
def show(slug):
    lesson = _lesson_or_404(slug)
    version = lesson.current_version
    progress = {p.lesson.id: p for p in services.track_progress(current_user, lesson.track)}
    lessons = [p.lesson for p in progress.values()]
    index = next((i for i, item in enumerate(lessons) if item.id == lesson.id), 0)
    cards = split_cards(version.body) if lesson.audience == "villager" else None
    return render_template(
        "lessons/show.html",
        lesson=lesson,
        version=version,
        cards=cards,
        spoken=[spoken_text(card.markdown) for card in cards] if cards else None,
        mine=progress.get(lesson.id),
        instruments=_instruments(),
        previous=lessons[index - 1] if index > 0 else None,
        following=lessons[index + 1] if index + 1 < len(lessons) else None,
        form=ConfirmForm(),
    )


@bp.route("/<slug>/complete", methods=["POST"])
@role_required(*ALL_STAFF)
def complete(slug):
    lesson = _lesson_or_404(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.record_completion(current_user, lesson, via="read")
    db.session.commit()
    flash(
        _("Pelajaran %(title)s ditandai selesai.", title=lesson.current_version.title),
        "success",
    )
    progress = services.track_progress(current_user, lesson.track)
    following = next((p.lesson for p in progress if not p.done), None)
    if following:
        return redirect(url_for("lessons.show", slug=following.slug))
    return redirect(url_for("lessons.track", track=lesson.track))


# ---- management (admins) -------------------------------------------------------------------


@bp.route("/manage/")
@role_required(Role.ADMIN)
def manage_index():
    queue = {item.lesson.id: item.reasons for item in services.review_queue(_review_days())}
    return render_template(
        "lessons/manage/index.html", lessons=services.list_lessons(), tracks=_tracks(), queue=queue
    )


def _review_days() -> int:
    return int(current_app.config.get("LESSON_REVIEW_MAX_AGE_DAYS", 365))


@bp.route("/manage/<slug>")
@role_required(Role.ADMIN)
def manage_lesson(slug):
    lesson = _lesson_or_404(slug)
    return render_template(
        "lessons/manage/lesson.html",
        lesson=lesson,
        versions=services.list_versions(lesson),
        form=VersionChoiceForm(),
    )


@bp.route("/manage/<slug>/review", methods=["POST"])
@role_required(Role.ADMIN)
def manage_review(slug):
    lesson = _lesson_or_404(slug)
    form = VersionChoiceForm()
    if not form.validate_on_submit() or form.version_id.data != str(lesson.current_version_id):
        abort(
            400, description=_("Versi yang ditinjau bukan versi yang berlaku. Muat ulang halaman.")
        )
    services.mark_reviewed(lesson.current_version, current_user)
    db.session.commit()
    flash(_("Versi %(n)s ditandai sudah ditinjau.", n=lesson.current_version.number), "success")
    return redirect(url_for("lessons.manage_lesson", slug=slug))


@bp.route("/manage/<slug>/choose", methods=["POST"])
@role_required(Role.ADMIN)
def manage_choose(slug):
    lesson = _lesson_or_404(slug)
    form = VersionChoiceForm()
    try:
        version_id = uuid.UUID(form.version_id.data or "")
        if not form.validate_on_submit():
            raise ValueError
        version = services.choose_version(lesson, version_id, current_user)
    except ValueError:
        db.session.rollback()
        abort(400, description=_("Versi tidak dikenal."))
    db.session.commit()
    flash(_("Versi %(n)s sekarang berlaku.", n=version.number), "success")
    return redirect(url_for("lessons.manage_lesson", slug=slug))


def _form_content(lesson, form) -> dict:
    lines = lambda text: [line.strip() for line in (text or "").splitlines() if line.strip()]  # noqa: E731
    version = lesson.current_version
    return {
        "slug": lesson.slug,
        "track": lesson.track,
        "order": lesson.order,
        "title": form.title.data.strip(),
        "summary": form.summary.data.strip(),
        "audience": lesson.audience,
        "topic": lesson.topic,
        "minutes": form.minutes.data,
        "key_points": lines(form.key_points.data),
        "sources": lines(form.sources.data),
        "illustration": version.illustration,
        "read_aloud": (form.read_aloud.data or "").strip() or None,
    }


@bp.route("/manage/<slug>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def manage_edit(slug):
    from pathlib import Path

    lesson = _lesson_or_404(slug)
    version = lesson.current_version
    form = LessonEditForm()
    if request.method == "GET":
        form.process(
            data={
                "title": version.title,
                "summary": version.summary,
                "minutes": version.minutes,
                "key_points": "\n".join(version.key_points),
                "sources": "\n".join(version.sources),
                "body": version.body,
                "read_aloud": version.read_aloud or "",
            }
        )
    problems, preview, status = [], None, 200
    if form.validate_on_submit():
        meta = _form_content(lesson, form)
        candidate = LessonFile(
            Path(lesson.file_path or f"{lesson.order:02d}-{slug}.md"), meta, form.body.data, 1, {}
        )
        ctx = load_context(Path(current_app.config["CONTENT_DIR"]), Path(current_app.static_folder))
        problems = [
            p.message for p in check_lesson(candidate, ctx) if "nama berkas" not in p.message
        ]
        preview = form.body.data
        if form.submit.data and not problems:
            new = services.edit_lesson(
                lesson, candidate.content, current_user, requires_reread=form.requires_reread.data
            )
            db.session.commit()
            flash(
                _("Disimpan sebagai versi %(n)s (draf sampai ditinjau).", n=new.number), "success"
            )
            return redirect(url_for("lessons.manage_lesson", slug=slug))
        status = 400 if problems else 200
    elif request.method == "POST":
        status = 400
    return render_template(
        "lessons/manage/edit.html", lesson=lesson, form=form, problems=problems, preview=preview
    ), status


@bp.route("/manage/review")
@role_required(Role.ADMIN)
def manage_review_queue():
    return render_template(
        "lessons/manage/review.html",
        items=services.review_queue(_review_days()),
        days=_review_days(),
    )


@bp.route("/manage/provisions", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def manage_provisions():
    form = ProvisionChangeForm()
    status = 200
    if form.validate_on_submit():
        citation = parse_citation(form.citation.data)
        if citation is None or db.session.get(LegalInstrument, citation.instrument) is None:
            form.citation.errors.append(
                _("Tulis seperti contoh: UU 21/2007 Pasal 2 (peraturan harus terdaftar).")
            )
            status = 400
        else:
            registry.mark_provision_changed(citation.text, form.note.data, current_user)
            db.session.commit()
            flagged = services.flagged_lessons(citation.text)
            flash(
                _(
                    "%(p)s ditandai berubah; %(n)s pelajaran perlu ditinjau.",
                    p=citation.text,
                    n=len(flagged),
                ),
                "success",
            )
            return redirect(url_for("lessons.manage_provisions"))
    elif request.method == "POST":
        status = 400
    changed = registry.list_changed_provisions()
    flagged = {p.text: services.flagged_lessons(p.text) for p in changed}
    return render_template(
        "lessons/manage/provisions.html",
        form=form,
        changed=changed,
        flagged=flagged,
        instruments=_instruments(),
    ), status


@bp.route("/manage/progress")
@role_required(Role.ADMIN)
def manage_progress():
    return render_template(
        "lessons/manage/progress.html",
        rows=services.officers_progress(OFFICER_TRACK),
        track=_tracks()[OFFICER_TRACK],
    )
