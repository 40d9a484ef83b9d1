"""Forms of the sync pages: registering and revoking laptops, importing, resolving conflicts."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    HiddenField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from learning.core.forms import MultiCheckboxField

REQUIRED = _l("Wajib diisi.")


class DeviceForm(FlaskForm):
    name = StringField(
        _l("Nama laptop"),
        validators=[DataRequired(REQUIRED), Length(max=80)],
        description=_l("Contoh: Laptop lapangan 2 (Dell, stiker biru)"),
    )
    officers = MultiCheckboxField(_l("Petugas yang memakai laptop ini"))
    submit = SubmitField(_l("Daftarkan laptop"))


class DeviceOfficersForm(FlaskForm):
    officers = MultiCheckboxField(_l("Petugas yang memakai laptop ini"))
    submit = SubmitField(_l("Simpan petugas"))


class RevokeDeviceForm(FlaskForm):
    reason = TextAreaField(
        _l("Alasan pencabutan"),
        validators=[DataRequired(REQUIRED), Length(min=5, max=500)],
        description=_l("Contoh: laptop hilang di perjalanan, 3 Desember"),
    )
    submit = SubmitField(_l("Cabut laptop ini"))


class ImportForm(FlaskForm):
    bundle = FileField(
        _l("Berkas bundel (.sadar)"), validators=[FileRequired(_l("Pilih berkasnya."))]
    )
    submit = SubmitField(_l("Impor bundel"))


class ResolveForm(FlaskForm):
    choice = HiddenField(validators=[DataRequired(_l("Pilih salah satu versi."))])
    submit = SubmitField(_l("Pakai versi ini"))


class ExportForm(FlaskForm):
    submit = SubmitField(_l("Buat bundel untuk kantor"))
