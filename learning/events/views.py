"""Officer and admin pages of events: schedule, run (live report, help calls), report, print."""

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from wtforms.fields.choices import SelectChoice

from learning.accounts.decorators import ALL_STAFF
from learning.accounts.forms import ConfirmForm
from learning.accounts.services import list_staff
from learning.core.access import Role, role_required
from learning.core.audit import record_audit
from learning.core.spreadsheet import spreadsheet_response
from learning.core.time import utcnow
from learning.events import paper, privacy, reports, services
from learning.events.forms import EventForm, KioskStartForm
from learning.events.models import DuplicateCandidate, HelpCall
from learning.events.qr import qr_svg
from learning.extensions import db
from learning.lessons.services import list_lessons
from learning.regions.services import list_work_area_villages
from quizzes.services import AttemptError

bp = Blueprint("events", __name__, url_prefix="/events")
KIOSK_SESSION = "kiosk_token"


def _event_or_404(event_id):
    event = services.get_event(event_id)
    if event is None:
        abort(404)
    if not services.can_manage(current_user, event):
        abort(403)
    return event


def join_url(event) -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/") + url_for(
        "kiosk.join", code=event.join_code
    )


@bp.route("/")
@role_required(*ALL_STAFF)
def index():
    mine = None if current_user.role == Role.ADMIN else current_user
    return render_template("events/index.html", events=services.list_events(mine))


@bp.route("/new", methods=["GET", "POST"])
@role_required(*ALL_STAFF)
def new():
    form = EventForm()
    villages = list_work_area_villages()
    form.village.choices = [
        SelectChoice(
            v.code,
            v.label.split(",")[0],
            optgroup=f"{v.district.regency.name} / Kec. {v.district.name}",
        )
        for v in villages
    ]
    officers = [u for u in list_staff(Role.OFFICER) if u.is_active_account]
    form.officers.choices = [SelectChoice(str(u.id), u.display_name) for u in officers]
    lessons = list_lessons("warga")
    form.lessons.choices = [
        SelectChoice(lesson.slug, lesson.current_version.title) for lesson in lessons
    ]
    if request.method == "GET":
        form.lessons.data = [lesson.slug for lesson in lessons]
        form.officers.data = [str(current_user.id)] if current_user.role == Role.OFFICER else []
        if current_user.role == Role.OFFICER and current_user.villages:
            form.village.data = current_user.villages[0].code
    status = 200
    if form.validate_on_submit():
        if not form.lessons.data:
            form.lessons.errors.append(_("Pilih paling sedikit satu pelajaran."))
            status = 400
        else:
            import uuid

            officer_ids = [uuid.UUID(i) for i in form.officers.data or []]
            event = services.create_event(
                title=form.title.data,
                village_code=form.village.data,
                held_on=form.held_on.data,
                place=form.place.data,
                officer_ids=officer_ids,
                lesson_slugs=form.lessons.data,
                actor=current_user,
            )
            db.session.commit()
            flash(_("Acara dijadwalkan. Kode bergabung: %(code)s", code=event.join_code), "success")
            return redirect(url_for("events.show", event_id=event.id))
    elif request.method == "POST":
        status = 400
    return render_template("events/new.html", form=form), status


@bp.route("/<event_id>")
@role_required(*ALL_STAFF)
def show(event_id):
    event = _event_or_404(event_id)
    return render_template(
        "events/show.html",
        event=event,
        report=reports.event_report(event),
        calls=services.open_help_calls(event),
        duplicates=services.pending_duplicates(event),
        join_url=join_url(event),
        form=ConfirmForm(),
        kiosk_form=KioskStartForm(),
    )


@bp.route("/<event_id>/<any(open, closed):status>", methods=["POST"])
@role_required(*ALL_STAFF)
def set_status(event_id, status):
    event = _event_or_404(event_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.set_status(event, status, current_user)
    db.session.commit()
    flash(
        _("Acara dibuka.")
        if status == "open"
        else _("Acara ditutup; tes yang belum selesai ikut ditutup."),
        "success",
    )
    return redirect(url_for("events.show", event_id=event.id))


@bp.route("/<event_id>/kiosk", methods=["POST"])
@role_required(*ALL_STAFF)
def start_kiosk(event_id):
    event = _event_or_404(event_id)
    form = KioskStartForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        _kiosk, token = services.start_kiosk(event, current_user, form.label.data)
    except services.EventError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(
            url_for("accounts.pin")
            if current_user.pin_hash is None
            else url_for("events.show", event_id=event.id)
        )
    db.session.commit()
    # The officer's session is replaced by a kiosk bound to this event: no office rights left.
    logout_user()
    session.clear()
    session[KIOSK_SESSION] = token
    return redirect(url_for("kiosk.welcome"))


@bp.route("/<event_id>/help/<call_id>", methods=["POST"])
@role_required(*ALL_STAFF)
def answer_help(event_id, call_id):
    event = _event_or_404(event_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    call = db.session.get(HelpCall, _uuid_or_404(call_id))
    if call is None or call.event_id != event.id:
        abort(404)
    call.answered_at = utcnow()
    db.session.commit()
    return redirect(url_for("events.show", event_id=event.id))


def _uuid_or_404(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        abort(404)


@bp.route("/<event_id>/duplicates/<candidate_id>/<any(same, different):decision>", methods=["POST"])
@role_required(*ALL_STAFF)
def decide_duplicate(event_id, candidate_id, decision):
    event = _event_or_404(event_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    candidate = db.session.get(DuplicateCandidate, _uuid_or_404(candidate_id))
    if candidate is None or candidate.participation.event_id != event.id:
        abort(404)
    try:
        services.decide_duplicate(candidate, decision == "same", current_user)
    except services.EventError as exc:
        db.session.rollback()
        abort(exc.status, description=str(exc))
    db.session.commit()
    flash(_("Keputusan disimpan."), "success")
    return redirect(url_for("events.show", event_id=event.id))


@bp.route("/<event_id>/poster")
@role_required(*ALL_STAFF)
def poster(event_id):
    event = _event_or_404(event_id)
    url = join_url(event)
    # The QR holds the whole address with the code; people who type go to the short one.
    typed = current_app.config["PUBLIC_URL"].rstrip("/") + url_for("kiosk.join_form")
    return render_template("events/poster.html", event=event, url=typed, qr=qr_svg(url, scale=10))


@bp.route("/<event_id>/checklist")
@role_required(*ALL_STAFF)
def checklist(event_id):
    return render_template("events/checklist.html", event=_event_or_404(event_id))


@bp.route("/<event_id>/report")
@role_required(*ALL_STAFF)
def report(event_id):
    event = _event_or_404(event_id)
    return render_template("events/report.html", event=event, report=reports.event_report(event))


@bp.route("/<event_id>/report.<any(csv, xlsx):fmt>")
@role_required(*ALL_STAFF)
def report_export(event_id, fmt):
    event = _event_or_404(event_id)
    data = reports.event_report(event)
    header = [
        "nomor",
        "nama",
        "kelompok_umur",
        "jenis_kelamin",
        "dihitung",
        "nilai_pre_test",
        "nilai_post_test",
    ]
    rows = [
        (
            participation.number,
            participation.user.display_name,
            participation.age_group,
            participation.gender,
            "ya" if participation.is_counted else "tidak",
            pre,
            post,
        )
        for participation, pre, post in data.participants
    ]
    record_audit(current_user, "event.report_exported", "event", event.id, format=fmt)
    db.session.commit()
    return spreadsheet_response(f"acara-{event.join_code}", fmt, header, rows)


@bp.route("/<event_id>/register", methods=["GET", "POST"])
@role_required(*ALL_STAFF)
def register(event_id):
    """An officer registers a villager who cannot type, from the officer's own screen."""
    from learning.events.forms import OfficerRegisterForm

    event = _event_or_404(event_id)
    form = OfficerRegisterForm()
    form.offer_villages(event)
    status = 200
    if form.validate_on_submit():
        try:
            participation = services.register_villager(
                event, form.registration(form.consent_by.data), registered_by="officer"
            )
        except services.EventError as exc:
            db.session.rollback()
            form.name.errors.append(str(exc))
            status = exc.status
        else:
            db.session.commit()
            profile = services.get_profile(participation.user)
            flash(
                _(
                    "%(name)s terdaftar sebagai peserta %(n)s. Kode kartu: %(code)s",
                    name=participation.user.display_name,
                    n=participation.number,
                    code=profile.card_code,
                ),
                "success",
            )
            return redirect(url_for("events.show", event_id=event.id))
    elif request.method == "POST":
        status = 400
    return render_template("events/register.html", event=event, form=form), status


@bp.route("/<event_id>/paper/<any(pre, post):which>")
@role_required(*ALL_STAFF)
def paper_sheet(event_id, which):
    """A printable test sheet: the same questions for everyone, a box for the participant number."""
    event = _event_or_404(event_id)
    try:
        items = paper.paper_items(event, which)
    except services.EventError as exc:
        abort(exc.status, description=str(exc))
    db.session.commit()
    return render_template(
        "events/paper.html",
        event=event,
        which=which,
        questions=_paper_questions(items),
        letters=paper.LETTERS,
    )


def _paper_questions(items):
    from quizzes.services import get_question_version

    return [(item, get_question_version(_uuid_or_404(item["v"]))) for item in items]


@bp.route("/<event_id>/paper/<any(pre, post):which>/entry", methods=["GET", "POST"])
@role_required(*ALL_STAFF)
def paper_entry(event_id, which):
    """Enter the paper sheets afterwards: one row per participant, one choice per question."""
    event = _event_or_404(event_id)
    items = paper.paper_items(event, which)
    questions = _paper_questions(items)
    participants = reports.active_participations(event)
    form = ConfirmForm()
    if form.validate_on_submit():
        sheets = {}
        for participation in participants:
            choices = {}
            for index, (item, _version) in enumerate(questions):
                values = request.form.getlist(f"p{participation.number}-q{index}")
                letters = [v for v in values if v]
                ids = [
                    item["o"][paper.LETTERS.index(v)]
                    for v in letters
                    if v in paper.LETTERS and paper.LETTERS.index(v) < len(item["o"])
                ]
                if ids:
                    choices[item["v"]] = ids
            if choices:
                sheets[participation.number] = choices
        try:
            outcome = paper.enter_paper_answers(event, which, sheets, current_user)
        except (services.EventError, AttemptError) as exc:  # a bad sheet: report, keep nothing
            db.session.rollback()
            abort(400, description=_("Lembar tidak dapat disimpan: %(error)s", error=str(exc)))
        db.session.commit()
        flash(
            _(
                "%(n)s lembar disimpan; %(s)s dilewati karena sudah ada hasil tablet.",
                n=len(outcome["entered"]),
                s=len(outcome["skipped"]),
            ),
            "success",
        )
        return redirect(url_for("events.show", event_id=event.id))
    db.session.commit()
    return render_template(
        "events/paper_entry.html",
        event=event,
        which=which,
        questions=questions,
        participants=participants,
        letters=paper.LETTERS,
        form=form,
    )


# ---- personal data of villagers (admins; UU 27/2022) -----------------------------------------


def _profile_or_404(user_id):
    from learning.events.models import VillagerProfile

    profile = db.session.scalars(
        db.select(VillagerProfile).where(VillagerProfile.user_id == _uuid_or_404(user_id))
    ).first()
    if profile is None:
        abort(404)
    return profile


@bp.route("/manage/participants")
@role_required(Role.ADMIN)
def manage_participants():
    query = request.args.get("q", "")
    return render_template(
        "events/manage/participants.html", query=query, profiles=privacy.find_villagers(query)
    )


@bp.route("/manage/participants/<user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def manage_participant(user_id):
    from learning.events.forms import VillagerCorrectionForm

    profile = _profile_or_404(user_id)
    form = VillagerCorrectionForm()
    form.village.choices = [("", "–")] + [(v.code, v.label) for v in list_work_area_villages()]
    if request.method == "GET":
        form.process(
            data={
                "name": profile.user.display_name,
                "phone": profile.phone or "",
                "gender": profile.gender,
                "age_group": profile.age_group,
                "village": profile.village_code or "",
            }
        )
    status = 200
    if form.validate_on_submit():
        privacy.correct_villager(
            profile,
            {
                "name": form.name.data,
                "phone": form.phone.data,
                "gender": form.gender.data,
                "age_group": form.age_group.data,
                "village_code": form.village.data,
            },
            current_user,
        )
        db.session.commit()
        flash(_("Data warga diperbaiki."), "success")
        return redirect(url_for("events.manage_participant", user_id=user_id))
    elif request.method == "POST":
        status = 400
    record_audit(current_user, "villager.viewed", "villager", profile.user_id)
    db.session.commit()
    return render_template(
        "events/manage/participant.html",
        profile=profile,
        form=form,
        data=privacy.villager_data(profile),
        action_form=ConfirmForm(),
    ), status


@bp.route("/manage/participants/<user_id>/export")
@role_required(Role.ADMIN)
def manage_participant_export(user_id):
    import json

    profile = _profile_or_404(user_id)
    record_audit(current_user, "villager.exported", "villager", profile.user_id)
    db.session.commit()
    return Response(
        json.dumps(privacy.villager_data(profile), ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="data-peserta-{profile.card_code}.json"'
        },
    )


@bp.route("/manage/participants/<user_id>/<any(withdraw, delete):action>", methods=["POST"])
@role_required(Role.ADMIN)
def manage_participant_action(user_id, action):
    profile = _profile_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if action == "withdraw":
        privacy.withdraw_consent(profile, current_user)
        message = _("Persetujuan ditarik: data warga ini tidak lagi diproses atau dihitung.")
    else:
        privacy.anonymise_villager(profile, current_user, reason="permintaan warga")
        message = _("Data pribadi warga dihapus; hasil agregat tetap tanpa nama.")
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("events.manage_participants"))
