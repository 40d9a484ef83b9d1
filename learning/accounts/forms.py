"""Forms of the accounts room."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from learning.accounts.models import Role

USERNAME_PATTERN = r"^[A-Za-z0-9._-]{3,60}$"


class LoginForm(FlaskForm):
    username = StringField(_l("Nama pengguna"), validators=[DataRequired(_l("Isi nama pengguna."))])
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(_l("Isi kata sandi."))])
    submit = SubmitField(_l("Masuk"))


class PasswordChangeForm(FlaskForm):
    current = PasswordField(
        _l("Kata sandi saat ini"), validators=[DataRequired(_l("Wajib diisi."))]
    )
    new = PasswordField(
        _l("Kata sandi baru"),
        validators=[
            DataRequired(_l("Wajib diisi.")),
            Length(min=8, message=_l("Minimal 8 karakter.")),
        ],
    )
    confirm = PasswordField(
        _l("Ulangi kata sandi baru"),
        validators=[EqualTo("new", message=_l("Kedua kata sandi baru tidak sama."))],
    )
    submit = SubmitField(_l("Simpan kata sandi"))


class UserCreateForm(FlaskForm):
    display_name = StringField(
        _l("Nama lengkap"), validators=[DataRequired(_l("Wajib diisi.")), Length(max=120)]
    )
    username = StringField(
        _l("Nama pengguna"),
        validators=[
            DataRequired(_l("Wajib diisi.")),
            Regexp(
                USERNAME_PATTERN, message=_l("3-60 huruf, angka, titik, garis bawah atau strip.")
            ),
        ],
    )
    role = SelectField(
        _l("Peran"),
        choices=[
            SelectChoice(Role.OFFICER.value, _l("Petugas (PIMPASA)")),
            SelectChoice(Role.ADMIN.value, _l("Admin kantor")),
        ],
        default=Role.OFFICER.value,
    )
    submit = SubmitField(_l("Buat akun"))


class UserEditForm(FlaskForm):
    display_name = StringField(
        _l("Nama lengkap"), validators=[DataRequired(_l("Wajib diisi.")), Length(max=120)]
    )
    villages = SelectMultipleField(
        _l("Desa binaan yang ditugaskan"), choices=[], validate_choice=True
    )
    submit = SubmitField(_l("Simpan"))


class ConfirmForm(FlaskForm):
    """A button that posts with a CSRF token and nothing else."""

    submit = SubmitField(_l("Ya, lanjutkan"))


class PinForm(FlaskForm):
    pin = PasswordField(
        _l("PIN kios (6 angka)"),
        validators=[
            DataRequired(_l("Isi PIN.")),
            Regexp(r"^\d{6}$", message=_l("PIN harus 6 angka.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    submit = SubmitField(_l("Simpan PIN"))
