"""The office's dashboard, a village's page, certificates, criteria, and public verification."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from learning.accounts.decorators import ALL_STAFF
from learning.accounts.services import staff_names
from learning.core.access import Role, public, role_required
from learning.core.spreadsheet import spreadsheet_response
from learning.core.time import today_local
from learning.events.forms import AGE_LABELS
from learning.events.qr import qr_svg
from learning.events.services import list_events
from learning.extensions import db
from learning.villages import demo, listing, rules, services
from learning.villages.forms import (
    CertificateSettingsForm,
    CriteriaForm,
    DesignationForm,
    IssueForm,
    RevokeForm,
)

bp = Blueprint("villages", __name__, url_prefix="/villages")
verify_bp = Blueprint("verify", __name__)

STATUS_LABELS = {
    "belum_dibina": _l("Belum dibina"),
    "desa_binaan": _l("Desa binaan"),
    "dalam_pembinaan": _l("Dalam pembinaan"),
    "memenuhi_syarat": _l("Memenuhi syarat"),
    "tersertifikasi": _l("Tersertifikasi"),
    "kedaluwarsa": _l("Kedaluwarsa"),
    "dicabut": _l("Dicabut"),
    "perlu_perhatian": _l("Perlu perhatian"),
}
CRITERION_LABELS = {
    "officers": _l("PIMPASA bersertifikat ditugaskan"),
    "events": _l("Acara sosialisasi di desa"),
    "passed": _l("Warga desa lulus tes akhir"),
    "gain": _l("Rata-rata peningkatan ternormalisasi"),
    "topics": _l("Topik wajib tercakup"),
}
TOPIC_LABELS = {
    "paspor": _l("Paspor"),
    "kerja-luar-negeri": _l("Bekerja ke luar negeri secara prosedural"),
    "tppo": _l("TPPO (perdagangan orang)"),
    "tppm": _l("TPPM (penyelundupan manusia)"),
    "pelaporan": _l("Melapor dan minta bantuan"),
}
CRITERION_SHORT = {
    "officers": _l("PIMPASA"),
    "events": _l("Acara"),
    "passed": _l("Lulus"),
    "gain": _l("Peningkatan"),
    "topics": _l("Topik"),
}
SORT_LABELS = {
    "kode": _l("Kode wilayah"),
    "nama": _l("Nama desa"),
    "kemajuan": _l("Kriteria terpenuhi"),
    "peserta": _l("Peserta terbanyak"),
    "acara": _l("Acara terbaru"),
}
GENDER_LABELS = {"perempuan": _l("Perempuan"), "laki-laki": _l("Laki-laki")}


@bp.app_template_filter("village_status")
def _status_label(status) -> str:
    return str(STATUS_LABELS.get(str(status), status))


@bp.app_template_filter("criterion")
def _criterion_label(key) -> str:
    return str(CRITERION_LABELS.get(key, key))


@bp.app_template_filter("topic")
def _topic_label(key) -> str:
    return str(TOPIC_LABELS.get(key, key))


@bp.app_template_filter("topics")
def _topics(keys) -> str:
    """Topics in the programme's order, by name."""
    order = list(TOPIC_LABELS)
    ranked = sorted(keys or (), key=lambda k: order.index(k) if k in order else len(order))
    return ", ".join(_topic_label(k) for k in ranked)


@bp.app_template_filter("gain")
def _gain(value) -> str:
    """A normalised gain as people write it: 0,35 (0.35 in English)."""
    return "–" if value is None else format_decimal(value, "0.00")


@bp.app_template_global()
def criterion_value(result) -> str:
    """A criterion's value as people read it: '1 dari 2', '0,35 (target 0,30)'."""
    return snapshot_value({"key": result.key, "value": result.value, "target": result.target})


@bp.app_template_global()
def snapshot_value(item: dict) -> str:
    """The same for a criterion kept in a certificate's snapshot."""
    if item["key"] == "gain":
        return _(
            "%(value)s (target %(target)s)",
            value=_gain(item["value"]),
            target=_gain(item["target"]),
        )
    return _("%(value)s dari %(target)s", value=item["value"] or 0, target=item["target"])


def _filters() -> listing.Filters:
    args = request.args
    try:
        page = int(args.get("halaman", 1))
    except ValueError:
        page = 1
    status = args.get("status", "")
    return listing.Filters(
        regency=args.get("kabupaten", "")[:5],
        district=args.get("kecamatan", "")[:8],
        status=status if status in STATUS_LABELS else "",
        officer=args.get("petugas", "")[:36],
        q=args.get("q", "")[:100],
        sort=args.get("urut", "kode") if args.get("urut") in listing.SORTS else "kode",
        page=page,
    )


def _filter_args(filters: listing.Filters, **changes) -> dict:
    values = {
        "kabupaten": filters.regency,
        "kecamatan": filters.district,
        "status": filters.status,
        "petugas": filters.officer,
        "q": filters.q,
        "urut": filters.sort if filters.sort != "kode" else "",
        "halaman": filters.page if filters.page > 1 else "",
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v}


@bp.route("/")
@role_required(Role.ADMIN)
def dashboard():
    services.ensure_fresh()
    filters = _filters()
    rows, total, page, pages = listing.dashboard_page(filters)
    filters.page = page
    criteria = services.get_criteria()
    designations = services.designations_for([v.code for v, _row in rows])
    counts, attention = listing.status_counts(filters)
    return render_template(
        "villages/dashboard.html",
        filters=filters,
        filter_args=lambda **c: _filter_args(filters, **c),
        rows=[
            (village, row, services.results_of(row, designations.get(village.code), criteria))
            for village, row in rows
        ],
        total=total,
        page=page,
        pages=pages,
        counts=counts,
        attention=attention,
        months=listing.monthly_figures(filters),
        regencies=listing.regencies_of_work_area(),
        districts=listing.districts_of(filters.regency or None),
        officers=staff_names(Role.OFFICER),
        status_labels=STATUS_LABELS,
        sort_labels=SORT_LABELS,
        criteria_short=CRITERION_SHORT,
        criteria=criteria,
        has_demo=demo.has_demo(),
    )


@bp.route("/export.<any(csv, xlsx):fmt>")
@role_required(Role.ADMIN)
def export(fmt):
    services.ensure_fresh()
    filters = _filters()
    name = f"desa-sadar-imigrasi-{today_local():%Y%m%d}"
    if filters.regency:
        name += f"-{filters.regency.replace('.', '')}"
    rows = ((*row[:4], _status_label(row[4]), *row[5:]) for row in listing.export_rows(filters))
    return spreadsheet_response(name, fmt, listing.EXPORT_HEADER, rows)


def _village_or_404(code):
    village = services.get_village(code)
    if village is None or not services.in_work_area(village):
        abort(404)
    if current_user.role != Role.ADMIN and code not in {v.code for v in current_user.villages}:
        abort(403)
    return village


@bp.route("/<code>")
@role_required(*ALL_STAFF)
def village(code):
    return _village_page(_village_or_404(code))


def _village_page(village, designation_form=None, status: int = 200):
    """The village's page; after a refused form, with that form's errors and the refusal's code."""
    state = services.village_state(village)
    if designation_form is None:
        designation_form = DesignationForm(obj=state.designation)
    return render_template(
        "villages/village.html",
        village=village,
        state=state,
        designation_form=designation_form,
        issue_form=IssueForm(),
        revoke_form=RevokeForm(),
        events=listing.village_events(village.code),
        officers=listing.village_officers(village.code),
        demographics=listing.village_demographics(village.code),
        certificates=services.list_certificates(village.code),
        timeline=listing.village_timeline(village.code),
        certificate_status=services.certificate_status,
        age_labels=AGE_LABELS,
        gender_labels=GENDER_LABELS,
        criteria=services.get_criteria(),
    ), status


def _refuse(exc, code):
    """Show the village's page again with the refusal, answering with the refusal's status."""
    db.session.rollback()
    flash(str(exc), "error")
    return _village_page(_village_or_404(code), status=exc.status)


@bp.route("/<code>/designation", methods=["POST"])
@role_required(Role.ADMIN)
def designate(code):
    target = _village_or_404(code)
    form = DesignationForm()
    if not form.validate():
        db.session.rollback()
        return _village_page(target, designation_form=form, status=400)
    try:
        services.designate(
            target,
            form.decree_number.data,
            form.decree_date.data,
            form.adult_population.data,
            current_user,
        )
    except services.VillageError as exc:
        return _refuse(exc, code)
    db.session.commit()
    flash(_("Penetapan desa binaan disimpan."), "success")
    return redirect(url_for("villages.village", code=code))


@bp.route("/<code>/certificates", methods=["POST"])
@role_required(Role.ADMIN)
def issue(code):
    target = _village_or_404(code)
    form = IssueForm()
    if not form.validate():
        return _refuse(services.VillageError(_("Alasan terlalu panjang.")), code)
    try:
        certificate = services.issue_certificate(target, current_user, form.override_reason.data)
    except services.VillageError as exc:
        return _refuse(exc, code)
    db.session.commit()
    flash(_("Sertifikat %(number)s diterbitkan.", number=certificate.number), "success")
    return redirect(url_for("villages.certificate", certificate_id=certificate.id))


def _certificate_or_404(certificate_id):
    certificate = services.get_certificate(certificate_id)
    if certificate is None:
        abort(404)
    _village_or_404(certificate.village_code)
    return certificate


def verify_url(certificate) -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/") + url_for(
        "verify.show", token=certificate.verify_token
    )


@bp.route("/certificates/<certificate_id>")
@role_required(*ALL_STAFF)
def certificate(certificate_id):
    certificate = _certificate_or_404(certificate_id)
    url = verify_url(certificate)
    with force_locale("id"):  # a legal document: Indonesian whatever the interface language
        return render_template(
            "villages/certificate.html",
            certificate=certificate,
            status=services.certificate_status(certificate),
            verify_url=url,
            qr=qr_svg(url, scale=4),
            settings=services.get_certificate_settings(),
        )


@bp.route("/certificates/<certificate_id>/revoke", methods=["POST"])
@role_required(Role.ADMIN)
def revoke(certificate_id):
    certificate = _certificate_or_404(certificate_id)
    form = RevokeForm()  # the service checks the reason and says what is wrong
    try:
        services.revoke_certificate(certificate, form.reason.data, current_user)
    except services.VillageError as exc:
        return _refuse(exc, certificate.village_code)
    db.session.commit()
    flash(_("Sertifikat %(number)s dicabut.", number=certificate.number), "success")
    return redirect(url_for("villages.village", code=certificate.village_code))


@bp.route("/criteria", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def criteria():
    row = services.get_criteria_row()
    form = CriteriaForm(obj=row)
    form.required_topics.choices = [SelectChoice(k, v) for k, v in TOPIC_LABELS.items()]
    status = 200
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in services.CRITERIA_FIELDS}
        values["min_gain"] = float(values["min_gain"])
        if values["passed_share_percent"] is not None:
            values["passed_share_percent"] = float(values["passed_share_percent"])
        try:
            changed = services.update_criteria(values, current_user)
        except services.VillageError as exc:
            db.session.rollback()
            form.required_topics.errors = [str(exc)]
            status = 400
        else:
            db.session.commit()
            flash(
                _("Kriteria disimpan; semua desa dihitung ulang.")
                if changed
                else _("Tidak ada perubahan."),
                "success",
            )
            return redirect(url_for("villages.criteria"))
    elif form.is_submitted():
        status = 400
    db.session.rollback()  # the defaults row is only kept when saved
    return render_template("villages/criteria.html", form=form, row=row), status


@bp.route("/certificate-settings", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def certificate_settings():
    row = services.get_certificate_settings()
    form = CertificateSettingsForm(obj=row)
    status = 200
    if form.validate_on_submit():
        upload = form.logo.data
        logo = upload.read(services.LOGO_MAX_BYTES + 1) if upload else None
        try:
            services.update_certificate_settings(
                {
                    k: getattr(form, k).data
                    for k in (
                        "signatory_name",
                        "signatory_nip",
                        "signatory_title",
                        "place",
                        "number_format",
                    )
                },
                logo,
                form.remove_logo.data,
                current_user,
            )
        except services.VillageError as exc:
            db.session.rollback()
            form.number_format.errors = [str(exc)]
            status = 400
        else:
            db.session.commit()
            flash(_("Pengaturan sertifikat disimpan."), "success")
            return redirect(url_for("villages.certificate_settings"))
    elif form.is_submitted():
        status = 400
    example = None
    if not rules.check_number_format(form.number_format.data or ""):
        example = rules.format_number(form.number_format.data, 7, today_local(), "15.06.11.2004")
    return render_template(
        "villages/certificate_settings.html", form=form, row=row, example=example
    ), status


@bp.route("/mine")
@role_required(Role.OFFICER)
def mine():
    return render_template(
        "villages/mine.html",
        villages=listing.officer_villages(current_user),
        events=list_events(current_user)[:10],
        today=today_local(),
    )


@verify_bp.route("/verify/<token>")
@public
def show(token):
    certificate = services.get_certificate_by_token(token)
    if certificate is None:
        return render_template("villages/verify.html", certificate=None), 404
    return render_template(
        "villages/verify.html",
        certificate=certificate,
        status=services.certificate_status(certificate),
    )
