"""Sync pages: laptops, imports and conflicts for admins; the laptops' API; exporting an event."""

import json

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from learning.accounts.decorators import ALL_STAFF
from learning.accounts.services import staff_names
from learning.core.access import Role, device_access, role_required
from learning.core.errors import Refused
from learning.core.time import utcnow
from learning.events.services import can_manage, get_event
from learning.extensions import csrf, db
from learning.sync import bundle, crypto, display, identity, imports, pull, services
from learning.sync import conflicts as sync_conflicts
from learning.sync.forms import (
    DeviceForm,
    DeviceOfficersForm,
    ExportForm,
    ImportForm,
    ResolveForm,
    RevokeDeviceForm,
)

bp = Blueprint("sync", __name__, url_prefix="/sync")
api = Blueprint("sync_api", __name__, url_prefix="/sync/api")
csrf.exempt(api)  # laptops present a bearer token, never a cookie

KIND_LABELS = {
    "event": _l("acara"),
    "villager": _l("warga"),
    "participation": _l("keikutsertaan"),
    "consent": _l("persetujuan"),
    "attempt": _l("tes"),
    "answer": _l("jawaban"),
}


def _officer_choices(form_field) -> None:
    form_field.choices = [SelectChoice(str(i), name) for i, name in staff_names(Role.OFFICER)]


@bp.app_template_filter("sync_kind")
def _kind_label(kind) -> str:
    return str(KIND_LABELS.get(kind, kind))


@bp.app_context_processor
def _sync_globals():
    return {"is_field_device": identity.is_field_device}


# ---- the office's pages ---------------------------------------------------------------------


@bp.route("/")
@role_required(Role.ADMIN)
def index(device_form=None, import_form=None, status=200):
    device_form = device_form or DeviceForm()
    _officer_choices(device_form.officers)
    return (
        render_template(
            "sync/index.html",
            devices=services.list_devices(),
            receipts=services.list_receipts(),
            open_conflicts=sync_conflicts.count_open_conflicts(),
            device_form=device_form,
            import_form=import_form or ImportForm(),
            office_key_id=crypto.key_id(services.office_public_key()),
        ),
        status,
    )


@bp.route("/devices", methods=["POST"])
@role_required(Role.ADMIN)
def register_device():
    form = DeviceForm()
    _officer_choices(form.officers)
    if not form.validate_on_submit():
        return index(device_form=form, status=400)
    try:
        device, code = services.register_device(form.name.data, form.officers.data, current_user)
    except Refused as exc:
        db.session.rollback()
        form.name.errors = [str(exc)]
        return index(device_form=form, status=exc.status)
    db.session.commit()
    return render_template(
        "sync/enrol_code.html",
        device=device,
        code=code,
        office_url=current_app.config["PUBLIC_URL"],
        hours=services.ENROL_CODE_HOURS,
    )


def _device_or_404(device_id):
    device = services.get_device(device_id)
    if device is None:
        abort(404)
    return device


@bp.route("/devices/<device_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def device(device_id):
    device = _device_or_404(device_id)
    form = DeviceOfficersForm(officers=[str(o.id) for o in device.officers])
    _officer_choices(form.officers)
    if form.validate_on_submit():
        services.set_officers(device, form.officers.data, current_user)
        db.session.commit()
        flash(_("Petugas laptop %(name)s disimpan.", name=device.name), "success")
        return redirect(url_for("sync.device", device_id=device.id))
    return render_template(
        "sync/device.html", device=device, form=form, revoke_form=RevokeDeviceForm()
    )


@bp.route("/devices/<device_id>/revoke", methods=["POST"])
@role_required(Role.ADMIN)
def revoke_device(device_id):
    device = _device_or_404(device_id)
    form = RevokeDeviceForm()
    try:
        services.revoke_device(device, form.reason.data, current_user)
    except Refused as exc:
        db.session.rollback()
        form.reason.errors = [str(exc)]
        officers = DeviceOfficersForm(officers=[str(o.id) for o in device.officers])
        _officer_choices(officers.officers)
        return render_template(
            "sync/device.html", device=device, form=officers, revoke_form=form
        ), exc.status
    db.session.commit()
    flash(_("Laptop %(name)s dicabut; bundelnya akan ditolak.", name=device.name), "success")
    return redirect(url_for("sync.device", device_id=device.id))


@bp.route("/import", methods=["POST"])
@role_required(Role.ADMIN)
def upload():
    form = ImportForm()
    if not form.validate_on_submit():
        return index(import_form=form, status=400)
    data = form.bundle.data.read()
    try:
        report = imports.import_bundle(data, via="upload", actor_name=current_user.display_name)
    except Refused as exc:
        db.session.rollback()
        current_app.logger.warning("bundle refused: %s", exc)
        form.bundle.errors = [str(exc)]
        return index(import_form=form, status=exc.status)
    db.session.commit()
    flash(report.describe(), "warning" if report.conflicts or report.clock_flagged else "success")
    return redirect(url_for("sync.index"))


@bp.route("/conflicts")
@role_required(Role.ADMIN)
def conflicts():
    show_all = request.args.get("semua") == "1"
    rows = sync_conflicts.list_conflicts(open_only=not show_all)
    return render_template(
        "sync/conflicts.html",
        conflicts=rows,
        titles=sync_conflicts.event_titles({c.event_id for c in rows}),
        show_all=show_all,
    )


@bp.route("/conflicts/<conflict_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def conflict(conflict_id):
    row = sync_conflicts.get_conflict(conflict_id)
    if row is None:
        abort(404)
    form = ResolveForm()
    status = 200
    if form.validate_on_submit():
        try:
            sync_conflicts.resolve_conflict(row, form.choice.data, current_user)
        except Refused as exc:
            db.session.rollback()
            form.choice.errors = [str(exc)]
            status = exc.status
        else:
            db.session.commit()
            flash(_("Konflik diselesaikan; catatan ini kembali dihitung."), "success")
            return redirect(url_for("sync.conflicts"))
    elif request.method == "POST":
        status = 400
    variants = sync_conflicts.variants(row)
    return (
        render_template(
            "sync/conflict.html",
            conflict=row,
            variants=zip(variants, display.rows([v.content for v in variants]), strict=True),
            title=sync_conflicts.event_titles([row.event_id]).get(row.event_id, ""),
            form=form,
        ),
        status,
    )


# ---- on a laptop: export an event -----------------------------------------------------------


@bp.route("/events/<event_id>/export", methods=["POST"])
@role_required(*ALL_STAFF)
def export_event(event_id):
    event = get_event(event_id)
    if event is None:
        abort(404)
    if not can_manage(current_user, event):
        abort(403)
    ExportForm().validate_on_submit() or abort(400)
    try:
        written = bundle.export_event(event)
    except Refused as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("events.show", event_id=event.id)), exc.status
    db.session.commit()
    return send_file(
        written.path,
        mimetype="application/octet-stream",
        as_attachment=True,
        download_name=written.path.name,
    )


# ---- the laptops' API -----------------------------------------------------------------------


def _api_refusal(exc: Refused):
    return jsonify(error=str(exc)), exc.status


def _device_or_401():
    """The enrolled laptop whose bearer token this is, or None."""
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None
    return services.device_for_token(token)


def _unauthorised():
    return jsonify(error=_("Laptop tidak dikenal atau sudah dicabut. Hubungi admin kantor.")), 401


@api.route("/enrol", methods=["POST"])
@device_access
def enrol():
    data = request.get_json(silent=True) or {}
    try:
        device, token = services.enrol(
            str(data.get("code", "")), str(data.get("device_key", "")), data.get("public_key")
        )
    except Refused as exc:
        db.session.rollback()
        return _api_refusal(exc)
    db.session.commit()
    return jsonify(
        token=token,
        device_name=device.name,
        office_public_key=services.office_public_key(),
        office_device_key=identity.device_key(),
    )


@api.route("/bundles", methods=["POST"])
@device_access
def push():
    device = _device_or_401()
    if device is None:
        return _unauthorised()
    try:
        report = imports.import_bundle(
            request.get_data(), via="push", actor_name=device.name, device=device
        )
    except Refused as exc:
        db.session.rollback()
        current_app.logger.warning("bundle from %s refused: %s", device.name, exc)
        return _api_refusal(exc)
    db.session.commit()
    return jsonify(message=report.describe(), **report.as_dict())


@api.route("/pull", methods=["POST"])
@device_access
def pull_snapshot():
    device = _device_or_401()
    if device is None:
        return _unauthorised()
    data = pull.snapshot(device)
    device.last_seen_at = utcnow()
    db.session.commit()
    return current_app.response_class(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        mimetype="application/json",
    )
