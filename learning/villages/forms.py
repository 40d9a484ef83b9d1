"""Forms of the office's programme: designation, certificates, criteria, certificate settings."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from learning.core.forms import MultiCheckboxField

REQUIRED = _l("Wajib diisi.")


class DesignationForm(FlaskForm):
    decree_number = StringField(
        _l("Nomor SK penetapan desa binaan"),
        validators=[DataRequired(REQUIRED), Length(max=120)],
    )
    decree_date = DateField(_l("Tanggal SK"), validators=[InputRequired(_l("Isi tanggal SK."))])
    adult_population = IntegerField(
        _l("Jumlah penduduk dewasa (boleh kosong)"),
        validators=[
            Optional(),
            NumberRange(min=1, max=1_000_000, message=_l("Angka 1 sampai 1.000.000.")),
        ],
    )
    submit = SubmitField(_l("Simpan penetapan"))


class IssueForm(FlaskForm):
    override_reason = TextAreaField(
        _l("Alasan menerbitkan walau belum semua kriteria terpenuhi"),
        validators=[Optional(), Length(max=2000)],
    )
    submit = SubmitField(_l("Terbitkan sertifikat"))


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        _l("Alasan pencabutan"), validators=[DataRequired(REQUIRED), Length(min=10, max=2000)]
    )
    submit = SubmitField(_l("Cabut sertifikat"))


def _count(label, low, high):
    return IntegerField(
        label,
        validators=[
            InputRequired(REQUIRED),
            NumberRange(min=low, max=high, message=_l("Angka %(min)s sampai %(max)s.")),
        ],
    )


class CriteriaForm(FlaskForm):
    min_certified_officers = _count(_l("Petugas PIMPASA bersertifikat yang ditugaskan"), 0, 20)
    min_events = _count(_l("Acara sosialisasi di desa dalam jangka waktu"), 0, 100)
    min_passed = _count(_l("Warga desa yang lulus tes akhir"), 0, 100_000)
    passed_share_percent = DecimalField(
        _l("Atau persen penduduk dewasa (jika jumlahnya diisi untuk desa)"),
        places=1,
        validators=[Optional(), NumberRange(min=0.1, max=100, message=_l("Angka 0,1 sampai 100."))],
    )
    min_gain = DecimalField(
        _l("Rata-rata peningkatan ternormalisasi (0 sampai 1)"),
        places=2,
        validators=[
            InputRequired(REQUIRED),
            NumberRange(min=0, max=1, message=_l("Angka 0 sampai 1.")),
        ],
    )
    required_topics = MultiCheckboxField(_l("Topik warga yang wajib tercakup"), choices=[])
    window_months = _count(_l("Jangka waktu kriteria 2 sampai 5 (bulan)"), 1, 60)
    validity_months = _count(_l("Masa berlaku sertifikat (bulan)"), 1, 120)
    submit = SubmitField(_l("Simpan kriteria"))


class CertificateSettingsForm(FlaskForm):
    signatory_name = StringField(
        _l("Nama penandatangan"), validators=[DataRequired(REQUIRED), Length(max=120)]
    )
    signatory_nip = StringField(
        _l("NIP penandatangan"),
        validators=[
            DataRequired(REQUIRED),
            Regexp(r"^[0-9 ]{18,21}$", message=_l("NIP terdiri atas 18 angka.")),
        ],
    )
    signatory_title = StringField(
        _l("Jabatan penandatangan"), validators=[DataRequired(REQUIRED), Length(max=150)]
    )
    place = StringField(
        _l("Tempat penerbitan"), validators=[DataRequired(REQUIRED), Length(max=80)]
    )
    number_format = StringField(
        _l("Format nomor sertifikat"), validators=[DataRequired(REQUIRED), Length(max=120)]
    )
    logo = FileField(_l("Logo kantor (PNG atau JPEG, paling besar 300 KB)"))
    remove_logo = BooleanField(_l("Hapus logo"))
    submit = SubmitField(_l("Simpan pengaturan"))
