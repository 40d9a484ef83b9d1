"""Forms of the regions room."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField

from learning.core.forms import MultiCheckboxField


class WorkAreaForm(FlaskForm):
    regencies = MultiCheckboxField(_l("Kabupaten/kota wilayah kerja"), choices=[])
    submit = SubmitField(_l("Simpan wilayah kerja"))
