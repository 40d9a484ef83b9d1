"""Forms of the lessons room."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange


class LessonEditForm(FlaskForm):
    title = StringField(_l("Judul"), validators=[DataRequired(_l("Wajib diisi.")), Length(max=200)])
    summary = TextAreaField(_l("Ringkasan"), validators=[DataRequired(_l("Wajib diisi."))])
    minutes = IntegerField(_l("Perkiraan menit membaca"), validators=[NumberRange(1, 60)])
    key_points = TextAreaField(_l("Poin penting (satu per baris)"))
    sources = TextAreaField(_l("Sumber hukum (satu sitasi per baris)"))
    body = TextAreaField(_l("Isi (Markdown)"), validators=[DataRequired(_l("Wajib diisi."))])
    read_aloud = TextAreaField(_l("Teks untuk dibacakan (kosongkan untuk memakai isi)"))
    requires_reread = BooleanField(
        _l("Perubahan penting: yang sudah membaca versi lama harus membaca lagi")
    )
    preview = SubmitField(_l("Pratinjau"))
    submit = SubmitField(_l("Simpan sebagai versi baru"))


class VersionChoiceForm(FlaskForm):
    version_id = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Jadikan versi yang berlaku"))


class ProvisionChangeForm(FlaskForm):
    citation = StringField(
        _l("Ketentuan yang berubah"), validators=[DataRequired(_l("Wajib diisi.")), Length(max=120)]
    )
    note = TextAreaField(
        _l("Catatan perubahan"), validators=[DataRequired(_l("Wajib diisi.")), Length(max=500)]
    )
    submit = SubmitField(_l("Tandai berubah"))
