"""Forms of the regions room."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, SubmitField, widgets


class WorkAreaForm(FlaskForm):
    regencies = SelectMultipleField(
        _l("Kabupaten/kota wilayah kerja"),
        choices=[],
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
    )
    submit = SubmitField(_l("Simpan wilayah kerja"))
