"""Forms of the quizzes room."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length


class StartForm(FlaskForm):
    submit = SubmitField(_l("Mulai"))


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        _l("Alasan pencabutan"),
        validators=[DataRequired(_l("Alasan wajib diisi.")), Length(max=500)],
    )
    submit = SubmitField(_l("Cabut sertifikasi"))
