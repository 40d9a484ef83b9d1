"""Login, logout, one's own password, and the office's management of accounts."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from wtforms.fields.choices import SelectChoice

from learning.accounts import services
from learning.accounts.decorators import ALL_STAFF, public, role_required
from learning.accounts.forms import (
    ConfirmForm,
    LoginForm,
    PasswordChangeForm,
    PinForm,
    UserCreateForm,
    UserEditForm,
)
from learning.accounts.models import Role
from learning.core.audit import list_audit_entries
from learning.core.http import client_address, safe_next
from learning.extensions import db
from learning.regions.services import count_work_area_villages, get_office, list_work_area_villages

bp = Blueprint("accounts", __name__, url_prefix="/accounts")

AUDIT_ACTIONS = {
    "user.created": _l("Akun dibuat"),
    "user.password_changed": _l("Kata sandi diganti"),
    "user.password_reset": _l("Kata sandi direset"),
    "user.activated": _l("Akun diaktifkan"),
    "user.deactivated": _l("Akun dinonaktifkan"),
    "user.villages_changed": _l("Desa tugas diubah"),
    "user.renamed": _l("Nama diubah"),
    "office.work_area_changed": _l("Wilayah kerja diubah"),
    "lesson.edited": _l("Pelajaran diubah"),
    "lesson.reviewed": _l("Pelajaran ditinjau"),
    "lesson.version_chosen": _l("Versi pelajaran dipilih"),
    "provision.marked_changed": _l("Ketentuan ditandai berubah"),
    "provision.change_cleared": _l("Tanda perubahan dicabut"),
    "question.edited": _l("Soal diubah"),
    "question.reviewed": _l("Soal ditinjau"),
    "officer.certified": _l("Petugas tersertifikasi"),
    "officer.certification_revoked": _l("Sertifikasi petugas dicabut"),
    "user.pin_set": _l("PIN kios diatur"),
    "event.created": _l("Acara dijadwalkan"),
    "event.open": _l("Acara dibuka"),
    "event.closed": _l("Acara ditutup"),
    "event.scheduled": _l("Acara dijadwalkan ulang"),
    "event.paper_entered": _l("Jawaban lembar kertas dimasukkan"),
    "event.report_exported": _l("Laporan acara diunduh"),
    "kiosk.started": _l("Tablet kios dimulai"),
    "kiosk.ended": _l("Tablet kios diakhiri"),
    "villager.viewed": _l("Data warga dilihat"),
    "villager.exported": _l("Data warga diekspor"),
    "villager.corrected": _l("Data warga dikoreksi"),
    "villager.consent_withdrawn": _l("Persetujuan warga ditarik"),
    "villager.anonymised": _l("Data warga dianonimkan"),
    "villager.duplicate_confirmed": _l("Warga ganda digabung"),
    "villager.duplicate_rejected": _l("Warga ganda ditolak"),
    "village.designated": _l("Desa ditetapkan desa binaan"),
    "village.designation_changed": _l("Penetapan desa binaan diubah"),
    "criteria.changed": _l("Kriteria desa diubah"),
    "certificate.issued": _l("Sertifikat desa diterbitkan"),
    "certificate.issued_override": _l("Sertifikat desa diterbitkan dengan pengecualian"),
    "certificate.revoked": _l("Sertifikat desa dicabut"),
    "certificate.settings_changed": _l("Pengaturan sertifikat diubah"),
    "device.registered": _l("Laptop lapangan didaftarkan"),
    "device.enrolled": _l("Laptop lapangan memakai kode pendaftarannya"),
    "device.officers_changed": _l("Petugas laptop lapangan diubah"),
    "device.revoked": _l("Laptop lapangan dicabut"),
    "sync.conflict_resolved": _l("Konflik sinkronisasi diselesaikan"),
    "demo.loaded": _l("Data demo dimuat"),
    "demo.removed": _l("Data demo dihapus"),
}
# The audit page's filter: groups of actions by the start of their name.
AUDIT_GROUPS = {
    "sertifikasi": (_l("Sertifikasi desa"), ("village.", "criteria.", "certificate.")),
    "akun": (_l("Akun dan petugas"), ("user.", "officer.")),
    "konten": (_l("Pelajaran dan soal"), ("lesson.", "question.", "provision.")),
    "acara": (_l("Acara dan kios"), ("event.", "kiosk.")),
    "data-pribadi": (_l("Data pribadi warga"), ("villager.",)),
    "wilayah": (_l("Wilayah kerja"), ("office.", "demo.")),
    "lapangan": (_l("Laptop lapangan dan sinkronisasi"), ("device.", "sync.")),
}
AUDIT_DETAILS = {
    "before": _l("sebelum"),
    "after": _l("sesudah"),
    "username": _l("nama pengguna"),
    "role": _l("peran"),
    "version": _l("versi"),
    "note": _l("catatan"),
    "requires_reread": _l("wajib dibaca ulang"),
    "decree_number": _l("nomor SK"),
    "decree_date": _l("tanggal SK"),
    "adult_population": _l("penduduk dewasa"),
    "number": _l("nomor"),
    "reason": _l("alasan"),
    "fields": _l("isian"),
    "village": _l("desa"),
    "held_on": _l("tanggal"),
    "format": _l("format"),
    "min_certified_officers": _l("petugas bersertifikat"),
    "min_events": _l("acara"),
    "min_passed": _l("warga lulus"),
    "passed_share_percent": _l("persen penduduk dewasa"),
    "min_gain": _l("peningkatan"),
    "required_topics": _l("topik wajib"),
    "window_months": _l("jangka waktu (bulan)"),
    "validity_months": _l("masa berlaku (bulan)"),
    "events": _l("acara"),
    "participants": _l("peserta"),
    "name": _l("nama"),
    "officers": _l("petugas"),
    "device_key": _l("ID perangkat"),
    "kind": _l("jenis catatan"),
    "record": _l("catatan"),
    "chosen": _l("versi dipilih"),
}


@bp.app_template_filter("audit_action")
def _audit_action(action: str) -> str:
    return str(AUDIT_ACTIONS.get(action, action))


@bp.app_template_filter("audit_detail")
def _audit_detail(key: str) -> str:
    return str(AUDIT_DETAILS.get(key, key))


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        result = services.authenticate(form.username.data, form.password.data, client_address())
        db.session.commit()  # failures are counted even though the login is refused
        if result.user:
            login_user(result.user)
            if result.user.must_change_password:
                return redirect(url_for("accounts.password"))
            return redirect(safe_next(request.args.get("next"), url_for("core.index")))
        flash(result.error, "error")
        status = 429 if result.throttled else 401
    elif request.method == "POST":
        status = 400
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@role_required(*Role)
def logout():
    form = ConfirmForm()
    if form.validate_on_submit():
        logout_user()
        flash(_("Anda sudah keluar."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/password", methods=["GET", "POST"])
@role_required(*ALL_STAFF)
def password():
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.new.data)
        except services.AccountError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            status = 400
        else:
            db.session.commit()
            login_user(current_user)  # the session id changed with the password
            flash(_("Kata sandi sudah diganti."), "success")
            return redirect(url_for("core.index"))
    elif request.method == "POST":
        status = 400
    return render_template("accounts/password.html", form=form), status


@bp.route("/pin", methods=["GET", "POST"])
@role_required(*ALL_STAFF)
def pin():
    form = PinForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.set_pin(current_user, form.pin.data)
        except services.AccountError as exc:
            db.session.rollback()
            form.pin.errors.append(str(exc))
            status = 400
        else:
            db.session.commit()
            flash(_("PIN kios disimpan."), "success")
            return redirect(url_for("core.index"))
    elif request.method == "POST":
        status = 400
    return render_template("accounts/pin.html", form=form), status


@bp.route("/manage/users")
@role_required(Role.ADMIN)
def manage_users():
    return render_template(
        "accounts/manage/users.html", users=services.list_staff(), form=ConfirmForm()
    )


@bp.route("/manage/users/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def manage_user_new():
    form = UserCreateForm()
    status = 200
    if form.validate_on_submit():
        temporary = services.make_temporary_password()
        try:
            user = services.create_user(
                username=form.username.data,
                display_name=form.display_name.data,
                role=Role(form.role.data),
                password=temporary,
                actor=current_user,
            )
        except services.AccountError as exc:
            db.session.rollback()
            form.username.errors.append(str(exc))
            status = 400
        else:
            db.session.commit()
            # Shown once in this response, never stored in the session cookie.
            return render_template(
                "accounts/manage/temporary_password.html",
                user=user,
                password=temporary,
                created=True,
            )
    elif request.method == "POST":
        status = 400
    return render_template("accounts/manage/user_new.html", form=form), status


def _staff_or_404(user_id):
    user = services.get_user(user_id)
    if user is None or user.role == Role.VILLAGER:
        abort(404)
    return user


def _village_choices(assigned) -> list[SelectChoice]:
    """List the work area's villages grouped by regency and district (optgroups)."""
    choices = [
        SelectChoice(
            v.code,
            v.label.split(",")[0],
            optgroup=f"{v.district.regency.name} / Kec. {v.district.name}",
        )
        for v in list_work_area_villages()
    ]
    known = {choice.value for choice in choices}
    # Villages already assigned stay selectable even if the work area shrank since.
    outside = _("Di luar wilayah kerja")
    choices += [
        SelectChoice(v.code, v.label, optgroup=outside) for v in assigned if v.code not in known
    ]
    return choices


@bp.route("/manage/users/<user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def manage_user(user_id):
    user = _staff_or_404(user_id)
    form = UserEditForm(obj=user)
    form.villages.choices = _village_choices(user.villages) if user.role == Role.OFFICER else []
    if request.method == "GET":
        form.villages.data = [v.code for v in user.villages]
    status = 200
    if form.validate_on_submit():
        try:
            services.update_profile(user, form.display_name.data, current_user)
            if user.role == Role.OFFICER:
                services.set_officer_villages(user, form.villages.data or [], current_user)
        except services.AccountError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            status = 400
        else:
            db.session.commit()
            flash(_("Perubahan disimpan."), "success")
            return redirect(url_for("accounts.manage_user", user_id=user.id))
    elif request.method == "POST":
        status = 400
    return render_template(
        "accounts/manage/user.html", user=user, form=form, action_form=ConfirmForm()
    ), status


@bp.route("/manage/users/<user_id>/reset-password", methods=["POST"])
@role_required(Role.ADMIN)
def manage_user_reset_password(user_id):
    user = _staff_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    temporary = services.reset_password(user, current_user)
    db.session.commit()
    return render_template(
        "accounts/manage/temporary_password.html", user=user, password=temporary, created=False
    )


@bp.route("/manage/users/<user_id>/<any(deactivate, activate):action>", methods=["POST"])
@role_required(Role.ADMIN)
def manage_user_set_active(user_id, action):
    user = _staff_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.set_active(user, action == "activate", current_user)
    except services.AccountError as exc:
        db.session.rollback()
        abort(400, description=str(exc))
    db.session.commit()
    flash(_("Akun diaktifkan.") if action == "activate" else _("Akun dinonaktifkan."), "success")
    return redirect(url_for("accounts.manage_user", user_id=user.id))


@bp.route("/manage/")
@role_required(Role.ADMIN)
def office_home():
    office = get_office()
    return render_template(
        "accounts/manage/home.html",
        office=office,
        officers=services.count_users(Role.OFFICER),
        admins=services.count_users(Role.ADMIN),
        villages=count_work_area_villages(),
        audit=list_audit_entries(limit=10),
    )


@bp.route("/manage/audit")
@role_required(Role.ADMIN)
def manage_audit():
    group = request.args.get("jenis", "")
    prefixes = AUDIT_GROUPS[group][1] if group in AUDIT_GROUPS else None
    return render_template(
        "accounts/manage/audit.html",
        entries=list_audit_entries(limit=500, action_prefixes=prefixes),
        groups=AUDIT_GROUPS,
        group=group if prefixes else "",
    )
