"""Forms of the events room: scheduling, kiosks, and the villager's consent and registration."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from learning.core.forms import MultiCheckboxField
from learning.events.models import AGE_GROUPS

AGE_LABELS = {
    "<18": _l("di bawah 18 tahun"),
    "18-25": _l("18 sampai 25 tahun"),
    "26-35": _l("26 sampai 35 tahun"),
    "36-45": _l("36 sampai 45 tahun"),
    "46-55": _l("46 sampai 55 tahun"),
    ">55": _l("di atas 55 tahun"),
}


class EventForm(FlaskForm):
    title = StringField(
        _l("Judul acara"),
        validators=[DataRequired(_l("Wajib diisi.")), Length(max=200)],
        default="Sosialisasi Desa Binaan Imigrasi",
    )
    village = SelectField(
        _l("Desa/kelurahan"), choices=[], validators=[DataRequired(_l("Pilih desa."))]
    )
    held_on = DateField(_l("Tanggal"), validators=[InputRequired(_l("Isi tanggal acara."))])
    place = StringField(
        _l("Tempat"), validators=[DataRequired(_l("Wajib diisi.")), Length(max=200)]
    )
    officers = MultiCheckboxField(_l("Petugas yang hadir"), choices=[])
    lessons = MultiCheckboxField(_l("Pelajaran yang ditampilkan"), choices=[])
    submit = SubmitField(_l("Jadwalkan acara"))


class KioskStartForm(FlaskForm):
    label = StringField(
        _l("Nama tablet"), validators=[Optional(), Length(max=40)], default="Tablet 1"
    )
    submit = SubmitField(_l("Jadikan tablet ini kios"))


class PinExitForm(FlaskForm):
    pin = PasswordField(
        _l("PIN petugas"),
        validators=[DataRequired(_l("Isi PIN."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    submit = SubmitField(_l("Keluar dari mode kios"))


class ConsentForm(FlaskForm):
    who = RadioField(
        _l("Siapa yang menyetujui?"),
        choices=[
            SelectChoice("self", _l("Saya sendiri (18 tahun atau lebih)")),
            SelectChoice("guardian", _l("Orang tua atau wali saya (saya di bawah 18 tahun)")),
            SelectChoice(
                "none", _l("Saya di bawah 18 tahun tanpa wali: ikut belajar, tidak dihitung")
            ),
        ],
        default="self",
        validators=[InputRequired(_l("Pilih salah satu."))],
    )
    agree = BooleanField(
        _l("Saya sudah membaca dan setuju"),
        validators=[DataRequired(_l("Centang tanda setuju untuk lanjut."))],
    )
    submit = SubmitField(_l("Setuju dan lanjut"))


class RegisterForm(FlaskForm):
    name = StringField(
        _l("Nama"), validators=[DataRequired(_l("Tulis nama Anda.")), Length(max=120)]
    )
    village = SelectField(_l("Desa/kelurahan"), choices=[], validators=[DataRequired()])
    age_group = RadioField(
        _l("Umur"),
        choices=[SelectChoice(a, AGE_LABELS[a]) for a in AGE_GROUPS],
        validators=[InputRequired(_l("Pilih kelompok umur."))],
    )
    gender = RadioField(
        _l("Jenis kelamin"),
        choices=[
            SelectChoice("perempuan", _l("Perempuan")),
            SelectChoice("laki-laki", _l("Laki-laki")),
        ],
        validators=[InputRequired(_l("Pilih jenis kelamin."))],
    )
    phone = StringField(
        _l("Nomor HP (boleh dikosongkan)"),
        validators=[
            Optional(),
            Regexp(r"^[0-9+ -]{8,20}$", message=_l("Tulis nomor HP dengan angka saja.")),
        ],
    )
    submit = SubmitField(_l("Daftar"))

    def offer_villages(self, event) -> None:
        """Offer the event's villages, the event's own first when the form is new."""
        self.village.choices = [(v.code, v.label.split(",")[0]) for v in event.villages]
        if not self.is_submitted():
            self.village.data = event.village_code

    def registration(self, consent_by: str):
        """The answers as the services take them (plain values, not the form)."""
        from learning.events.services import Registration

        return Registration(
            name=self.name.data,
            village_code=self.village.data,
            age_group=self.age_group.data,
            gender=self.gender.data,
            phone=self.phone.data,
            consent_by=consent_by,
        )


class CardForm(FlaskForm):
    card_code = StringField(
        _l("Kode kartu peserta"), validators=[DataRequired(_l("Tulis kode kartu.")), Length(max=20)]
    )
    submit = SubmitField(_l("Lanjut dengan kartu"))


class JoinForm(FlaskForm):
    code = StringField(
        _l("Kode acara"), validators=[DataRequired(_l("Tulis kode acara.")), Length(max=12)]
    )
    submit = SubmitField(_l("Masuk ke acara"))


class OfficerRegisterForm(RegisterForm):
    consent_by = RadioField(
        _l("Persetujuan (dibacakan kepada warga)"),
        choices=[
            SelectChoice("self", _l("Warga menyetujui sendiri (18 tahun atau lebih)")),
            SelectChoice("guardian", _l("Orang tua atau wali menyetujui")),
            SelectChoice("none", _l("Di bawah 18 tahun tanpa wali: ikut, tidak dihitung")),
        ],
        default="self",
        validators=[InputRequired(_l("Pilih salah satu."))],
    )


class VillagerCorrectionForm(FlaskForm):
    name = StringField(_l("Nama"), validators=[DataRequired(_l("Wajib diisi.")), Length(max=120)])
    village = SelectField(_l("Desa/kelurahan"), choices=[], validate_choice=False)
    age_group = SelectField(
        _l("Umur"), choices=[SelectChoice(a, AGE_LABELS[a]) for a in AGE_GROUPS]
    )
    gender = SelectField(
        _l("Jenis kelamin"),
        choices=[
            SelectChoice("perempuan", _l("Perempuan")),
            SelectChoice("laki-laki", _l("Laki-laki")),
        ],
    )
    phone = StringField(_l("Nomor HP"), validators=[Optional(), Length(max=30)])
    submit = SubmitField(_l("Simpan perbaikan"))
