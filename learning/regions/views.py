"""The office's work area, managed by admins."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from learning.core.access import Role, role_required
from learning.extensions import db
from learning.regions import services
from learning.regions.forms import WorkAreaForm

bp = Blueprint("regions", __name__, url_prefix="/regions")

JAMBI = "15"


@bp.route("/manage/work-area", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def manage_work_area():
    office = services.get_office()
    if office is None:
        abort(404)
    current = [r.code for r in office.regencies]
    provinces = sorted({JAMBI, *(code[:2] for code in current)})
    regencies = [r for p in provinces for r in services.list_regencies(p)]
    form = WorkAreaForm()
    form.regencies.choices = [SelectChoice(r.code, f"{r.name} ({r.code})") for r in regencies]
    if request.method == "GET":
        form.regencies.data = current
    status = 200
    if form.validate_on_submit():
        if not form.regencies.data:
            form.regencies.errors.append(_("Pilih paling sedikit satu kabupaten/kota."))
            status = 400
        else:
            services.set_work_area(office, form.regencies.data, current_user)
            db.session.commit()
            flash(_("Wilayah kerja disimpan."), "success")
            return redirect(url_for("regions.manage_work_area"))
    elif request.method == "POST":
        status = 400
    counts = {code: services.count_work_area_villages([code]) for code in current}
    return render_template(
        "regions/manage/work_area.html",
        office=office,
        form=form,
        counts=counts,
        total=sum(counts.values()),
    ), status
