"""Forms of the quizzes room."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length


class StartForm(FlaskForm):
    submit = SubmitField(_l("Mulai"))


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        _l("Alasan pencabutan"),
        validators=[DataRequired(_l("Alasan wajib diisi.")), Length(max=500)],
    )
    submit = SubmitField(_l("Cabut sertifikasi"))


class QuestionEditForm(FlaskForm):
    text = TextAreaField(_l("Pertanyaan"), validators=[DataRequired(_l("Wajib diisi."))])
    options = TextAreaField(
        _l("Pilihan jawaban (satu per baris; awali jawaban yang benar dengan *)"),
    )
    answer = SelectField(
        _l("Jawaban yang benar"),
        choices=[SelectChoice("true", _l("Benar")), SelectChoice("false", _l("Salah"))],
        validate_choice=False,  # only true/false questions send it; checked in the view
    )
    explanation = TextAreaField(_l("Penjelasan"), validators=[DataRequired(_l("Wajib diisi."))])
    citations = TextAreaField(_l("Dasar hukum (satu sitasi per baris)"))
    submit = SubmitField(_l("Simpan sebagai versi baru"))
