"""Progress kept current as results arrive, and the office issuing and revoking certificates."""

import re
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from learning.accounts import services as accounts
from learning.core.models import AuditEntry
from learning.core.time import today_local
from learning.events import privacy
from learning.events import services as events
from learning.events.models import VillagerProfile
from learning.extensions import db
from learning.villages import progress, rules, services
from learning.villages.models import (
    CertificationCriteria,
    EventSummary,
    VillageCertificate,
    VillageDesignation,
    VillageProgress,
)
from quizzes import certification
from tests.villages.conftest import (
    ALL_TOPICS,
    BRAM_ITAM_RAYA,
    OUTSIDE,
    PEMBENGIS,
    REASON,
    SENGETI,
    SIGNATORY_NAME,
    days_ago,
    progress_of,
    register,
    take_test,
    text,
    village,
)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audit_actions(prefix: str) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.action.startswith(prefix))
            .order_by(AuditEntry.at)
        )
    )


def issue(client, code=PEMBENGIS, reason=None):
    data = {} if reason is None else {"override_reason": reason}
    return client.post(f"/villages/{code}/certificates", data=data)


def certificates(code=PEMBENGIS) -> list[VillageCertificate]:
    return list(
        db.session.scalars(
            select(VillageCertificate)
            .where(VillageCertificate.village_code == code)
            .order_by(VillageCertificate.created_at)
            .execution_options(populate_existing=True)
        )
    )


# ---- progress follows the data --------------------------------------------------------------


def test_a_submitted_post_test_counts_for_the_village_once_committed(
    client, admin, login_as, make_event
):
    """Driven through the real path: start the tests, answer each question, submit."""
    event = make_event()
    participation = register(event, name="Siti Aminah")
    db.session.commit()
    assert progress_of(PEMBENGIS).passed_villagers == 0

    take_test(participation, "pre", right=4)
    take_test(participation, "post", right=9)
    db.session.commit()  # the result's own commit is all it takes

    login_as(client, admin)
    page = text(client.get(f"/villages/{PEMBENGIS}"))
    assert "1 dari 30" in page  # criterion 3 on the village's page
    row = progress_of(PEMBENGIS)
    assert (row.passed_villagers, row.participants, row.events_held) == (1, 1, 1)
    summary = db.session.get(EventSummary, event.id, populate_existing=True)
    assert (summary.pretests, summary.posttests, summary.passed, summary.pairs) == (1, 1, 1, 1)
    assert (summary.pre_mean, summary.post_mean) == (40.0, 90.0)
    assert summary.normalised_gain == pytest.approx((90 - 40) / (100 - 40), abs=0.001)
    assert row.mean_gain == pytest.approx(summary.normalised_gain, abs=0.01)
    # A second villager who fails the post-test takes part but does not pass.
    other = register(event, name="Budi Santoso")
    take_test(other, "pre", right=2)
    take_test(other, "post", right=5)
    db.session.commit()
    row = progress_of(PEMBENGIS)
    assert (row.passed_villagers, row.participants) == (1, 2)


def test_a_result_rolled_back_leaves_the_figures_as_they_were(make_event):
    event = make_event()
    participation = register(event)
    db.session.commit()
    take_test(participation, "post")
    db.session.rollback()
    db.session.commit()  # nothing left over from the rolled-back result is counted later
    assert progress_of(PEMBENGIS).passed_villagers == 0
    assert db.session.get(EventSummary, event.id, populate_existing=True).posttests == 0


def test_a_change_committed_without_an_explicit_flush_is_still_counted(admin):
    """The session hook must see every change of the commit, not only those flushed before it."""
    assert progress_of(PEMBENGIS).status == "belum_dibina"
    db.session.add(
        VillageDesignation(
            id=uuid.uuid4(),
            village_code=PEMBENGIS,
            decree_number="SK-5/2026",
            decree_date=date(2026, 1, 5),
            designated_by_name=admin.display_name,
        )
    )
    db.session.commit()  # no flush before it: the commit itself flushes the new row
    assert progress_of(PEMBENGIS).status == "desa_binaan"


def test_a_villager_counts_for_their_own_village_when_taught_at_another(make_event):
    """Criterion 3 counts villagers of the village: a Bram Itam Raya villager at Pembengis."""
    event = make_event(village_code=PEMBENGIS)
    participation = register(event, village_code=BRAM_ITAM_RAYA)
    db.session.commit()
    assert progress_of(BRAM_ITAM_RAYA).passed_villagers == 0  # the work area is computed today
    take_test(participation, "post")
    db.session.commit()

    assert progress_of(PEMBENGIS).passed_villagers == 0
    home = progress_of(BRAM_ITAM_RAYA)
    assert home is not None and home.passed_villagers == 1, (
        "the villager's home village was not refreshed when their result arrived"
    )


def test_only_events_held_in_the_last_twelve_months_count(make_event, pass_villagers):
    """One village a case: when the event was held, its status, and whether it counts."""
    today = today_local()
    start = rules.window_start(today, rules.Criteria())
    cases = [
        ("15.06.11.1001", start, "open", True),  # the first day of the window counts
        ("15.06.11.2002", start, "closed", True),
        ("15.06.11.2003", today, "open", True),
        ("15.06.11.2004", start - timedelta(days=1), "open", False),  # a day too early
        ("15.06.11.2005", start - timedelta(days=31), "closed", False),  # 13 months ago
        ("15.06.11.2006", today + timedelta(days=1), "open", False),  # not held yet
        ("15.06.02.1004", today, "scheduled", False),  # never opened
    ]
    for code, held_on, status, _counts in cases:
        event = make_event(
            village_code=code,
            held_on=held_on,
            status="scheduled" if status == "scheduled" else "open",
        )
        pass_villagers(event, 3)
        if status == "closed":
            events.set_status(event, "closed", None)
            db.session.commit()
    topics = sorted(rules.Criteria().required_topics)
    for code, held_on, status, counts in cases:
        row = progress_of(code)
        expected = (1, 3, topics, True) if counts else (0, 0, [], False)
        found = (
            row.events_held,
            row.passed_villagers,
            sorted(row.topics),
            row.mean_gain is not None,
        )
        assert found == expected, (held_on, status)


def test_withdrawn_and_uncounted_participations_do_not_count(make_event, pass_villagers, admin):
    event = make_event()
    counted = pass_villagers(event, 3)
    pass_villagers(event, 1, age="<18", consent_by="none")  # a child without a guardian's consent
    row = progress_of(PEMBENGIS)
    assert (row.passed_villagers, row.participants) == (3, 3)

    profile = db.session.scalars(
        select(VillagerProfile).where(VillagerProfile.user_id == counted[0].user_id)
    ).one()
    privacy.withdraw_consent(profile, admin)
    db.session.commit()
    row = progress_of(PEMBENGIS)
    assert (row.passed_villagers, row.participants) == (2, 2)
    summary = db.session.get(EventSummary, event.id, populate_existing=True)
    assert (summary.participants, summary.posttests, summary.passed) == (2, 2, 2)


def test_revoking_an_officers_certification_lowers_criterion_one(certified_officer, admin):
    assert progress_of(PEMBENGIS).certified_officers == 1
    record = certification.get_certification(certified_officer)
    certification.revoke_certification(record, "Pindah tugas ke kantor lain", admin)
    db.session.commit()
    assert progress_of(PEMBENGIS).certified_officers == 0


def test_criterion_one_follows_the_officers_assignment_and_account(certified_officer, admin):
    accounts.set_officer_villages(certified_officer, [BRAM_ITAM_RAYA], admin)
    db.session.commit()
    assert progress_of(PEMBENGIS).certified_officers == 0
    assert progress_of(BRAM_ITAM_RAYA).certified_officers == 1
    accounts.set_active(certified_officer, False, admin)
    db.session.commit()
    assert progress_of(BRAM_ITAM_RAYA).certified_officers == 0


def test_an_officer_without_certification_does_not_count(make_user):
    make_user(villages=[PEMBENGIS])
    assert progress_of(PEMBENGIS).certified_officers == 0


def test_status_follows_the_programme_through_every_transition(
    client, admin, login_as, certified_officer, designate, make_event, pass_villagers, signatory
):
    def status():
        row = progress_of(PEMBENGIS)
        return row.status, row.needs_attention

    progress.refresh_villages(db.session(), [PEMBENGIS])
    db.session.commit()
    assert status() == ("belum_dibina", False)
    designate()
    assert status() == ("desa_binaan", False)
    first = make_event(held_on=days_ago(60), lesson_slugs=ALL_TOPICS[:2])
    pass_villagers(first, 10)
    assert status() == ("dalam_pembinaan", False)
    second = make_event(held_on=days_ago(10), lesson_slugs=ALL_TOPICS[2:])
    pass_villagers(second, 20)
    assert status() == ("memenuhi_syarat", False)

    login_as(client, admin)
    assert issue(client).status_code == 302
    assert status() == ("tersertifikasi", False)
    # A criterion lapses while the certificate is valid: still certified, needs attention.
    certification.revoke_certification(
        certification.get_certification(certified_officer), "Mengundurkan diri", admin
    )
    db.session.commit()
    assert status() == ("tersertifikasi", True)

    (first_certificate,) = certificates()
    revoked = client.post(
        f"/villages/certificates/{first_certificate.id}/revoke",
        data={"reason": "Data peserta acara kedua tidak sah."},
    )
    assert revoked.status_code == 302
    assert status() == ("dicabut", False)
    # A new certificate (with a reason: criterion 1 is unmet) decides again.
    assert issue(client, reason=REASON).status_code == 302
    assert status() == ("tersertifikasi", True)
    # It runs out: the day after its last valid day the village is kedaluwarsa.
    revoked, newest = certificates()
    revoked.issued_on = revoked.valid_until = today_local() - timedelta(days=900)
    newest.issued_on = today_local() - timedelta(days=731)
    newest.valid_until = today_local() - timedelta(days=1)
    db.session.flush()  # as services do; the session hook then refreshes the village
    db.session.commit()
    assert status() == ("kedaluwarsa", False)
    assert services.certificate_status(newest) == "expired"


# ---- issuing --------------------------------------------------------------------------------


def test_issuing_is_refused_while_a_criterion_is_unmet_and_no_reason_is_given(
    client, admin, login_as, designate, signatory
):
    designate()
    login_as(client, admin)
    response = issue(client)
    # The answer is the village's page again: the refusal in Indonesian, the reason field.
    assert response.status_code == 400
    page = text(response)
    assert "Belum semua kriteria terpenuhi. Untuk tetap menerbitkan, tulis alasannya." in page
    assert 'name="override_reason"' in page
    assert count(VillageCertificate) == 0
    assert audit_actions("certificate.issued") == []


@pytest.mark.parametrize("reason", ["Bupati meminta", "   singkat saja   ", "x" * 19])
def test_issuing_with_a_too_short_reason_is_refused(
    client, admin, login_as, designate, signatory, reason
):
    designate()
    login_as(client, admin)
    response = issue(client, reason=reason)
    assert response.status_code == 400
    assert "Tulis alasan penerbitan tanpa semua kriteria (minimal 20 huruf)." in text(response)
    assert count(VillageCertificate) == 0 and audit_actions("certificate.issued") == []


def test_issuing_with_a_reason_is_allowed_and_audited_as_an_override(
    client, admin, login_as, designate, signatory
):
    designate()
    login_as(client, admin)
    response = issue(client, reason=f"  {REASON}  ")
    (certificate,) = certificates()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/villages/certificates/{certificate.id}"
    assert certificate.override_reason == REASON
    assert [item["met"] for item in certificate.snapshot] == [False] * 5
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.startswith("certificate.issued"))
    ).one()
    assert (entry.action, entry.actor_name, entry.target_id) == (
        "certificate.issued_override",
        "Admin Kantor",
        PEMBENGIS,
    )
    assert entry.details == {"number": certificate.number, "reason": REASON}
    row = progress_of(PEMBENGIS)
    assert (row.status, row.needs_attention) == ("tersertifikasi", True)


def test_issuing_when_every_criterion_is_met(client, admin, login_as, ready_village):
    login_as(client, admin)
    response = issue(client)
    assert response.status_code == 302
    (certificate,) = certificates()
    today = today_local()
    roman = rules.ROMAN_MONTHS[today.month - 1]
    assert certificate.number == f"001/DSHK/KKT/{roman}/{today.year}"
    assert (certificate.issued_on, certificate.valid_until) == (
        today,
        rules.valid_until(today, rules.Criteria()),
    )
    assert certificate.override_reason is None
    assert [(i["key"], i["value"], i["met"]) for i in certificate.snapshot] == [
        ("officers", 1, True),
        ("events", 2, True),
        ("passed", 30, True),
        ("gain", 0.67, True),
        ("topics", 5, True),
    ]
    assert (certificate.signatory_name, certificate.issued_by_name) == (
        SIGNATORY_NAME,
        "Admin Kantor",
    )
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "certificate.issued"))
    assert entry.one().details == {"number": certificate.number}
    assert audit_actions("certificate.issued") == ["certificate.issued"]
    row = progress_of(PEMBENGIS)
    assert (row.status, row.needs_attention) == ("tersertifikasi", False)
    # The printable certificate, in Indonesian, with the signatory and a verification link.
    page = text(client.get(response.headers["Location"]))
    assert certificate.number in page and SIGNATORY_NAME in page
    assert f"/verify/{certificate.verify_token}" in page


def test_a_second_certificate_while_one_is_valid_is_refused(
    client, admin, login_as, designate, signatory
):
    designate()
    login_as(client, admin)
    assert issue(client, reason=REASON).status_code == 302
    again = issue(client, reason=REASON)
    assert again.status_code == 409
    assert "Desa ini sudah memiliki sertifikat yang berlaku." in text(again)
    assert len(certificates()) == 1
    assert audit_actions("certificate.issued") == ["certificate.issued_override"]


def test_issuing_needs_a_designation(client, admin, login_as, signatory):
    login_as(client, admin)
    response = issue(client, reason=REASON)
    assert response.status_code == 400
    assert "Tetapkan desa ini sebagai desa binaan dulu (nomor dan tanggal SK)." in text(response)
    assert count(VillageCertificate) == 0 and audit_actions("certificate.issued") == []


def test_issuing_needs_the_signatory_in_the_settings(client, admin, login_as, designate):
    designate()
    login_as(client, admin)
    response = issue(client, reason=REASON)
    assert response.status_code == 400
    assert "Isi nama dan NIP penandatangan di pengaturan sertifikat dulu." in text(response)
    assert count(VillageCertificate) == 0 and audit_actions("certificate.issued") == []


def test_certificate_numbers_are_unique_and_sequential_per_year(
    client, admin, login_as, designate, signatory
):
    codes = [PEMBENGIS, BRAM_ITAM_RAYA, SENGETI]
    for code in codes:
        designate(code)
    login_as(client, admin)
    today = today_local()
    roman = rules.ROMAN_MONTHS[today.month - 1]
    for code in codes:
        assert issue(client, code, reason=REASON).status_code == 302
    issued = [certificates(code)[0] for code in codes]
    assert [c.sequence for c in issued] == [1, 2, 3]
    assert [c.number for c in issued] == [f"00{n}/DSHK/KKT/{roman}/{today.year}" for n in (1, 2, 3)]
    assert len({c.verify_token for c in issued}) == 3

    # Last year's numbers do not continue into this year: a new year starts at 1 again.
    for certificate in issued:
        certificate.year = today.year - 1
        certificate.number = certificate.number.replace(str(today.year), str(today.year - 1))
    db.session.commit()
    for certificate in issued[:2]:
        client.post(
            f"/villages/certificates/{certificate.id}/revoke",
            data={"reason": "Penomoran ulang untuk uji."},
        )
    assert issue(client, PEMBENGIS, reason=REASON).status_code == 302
    assert issue(client, BRAM_ITAM_RAYA, reason=REASON).status_code == 302
    newest = [certificates(code)[-1] for code in (PEMBENGIS, BRAM_ITAM_RAYA)]
    assert [(c.year, c.sequence) for c in newest] == [(today.year, 1), (today.year, 2)]


@pytest.mark.parametrize(
    "number_format",
    [
        "{nomor:03}/{kode_desa}/{tahun}",
        "{nomor:099}/{kode_desa:99}/{tahun}",
        "{nomor}/{tahun}/" + "{kode_desa}" * 9,
    ],
    ids=["default-like", "99-wide", "nine-village-codes"],
)
def test_a_number_format_the_settings_accept_issues_certificates(
    client, admin, login_as, designate, number_format
):
    designate()
    login_as(client, admin)
    saved = client.post(
        "/villages/certificate-settings", data={**SETTINGS_FORM, "number_format": number_format}
    )
    if saved.status_code == 400:  # refused where it is entered: acceptable
        assert "Format nomor tidak dapat dipakai." in text(saved)
        return
    assert saved.status_code == 302
    assert issue(client, reason=REASON).status_code == 302
    (certificate,) = certificates()
    assert certificate.number == rules.format_number(
        number_format, 1, certificate.issued_on, PEMBENGIS
    )


@pytest.mark.parametrize("reason", ["", "   ", "singkat"])
def test_revoking_needs_a_reason(client, admin, login_as, designate, signatory, reason):
    designate()
    login_as(client, admin)
    issue(client, reason=REASON)
    (certificate,) = certificates()
    response = client.post(
        f"/villages/certificates/{certificate.id}/revoke", data={"reason": reason}
    )
    assert response.status_code == 400
    assert "Tulis alasan pencabutan (minimal 10 huruf)." in text(response)
    assert certificates()[0].revoked_at is None
    assert audit_actions("certificate.revoked") == []
    assert progress_of(PEMBENGIS).status == "tersertifikasi"


def test_revoking_with_a_reason_is_audited_and_the_village_is_dicabut(
    client, admin, login_as, designate, signatory
):
    designate()
    login_as(client, admin)
    issue(client, reason=REASON)
    (certificate,) = certificates()
    reason = "Laporan warga: kegiatan tidak pernah dilaksanakan."
    response = client.post(
        f"/villages/certificates/{certificate.id}/revoke", data={"reason": reason}
    )
    assert response.status_code == 302
    (certificate,) = certificates()
    assert certificate.revoked_at is not None and certificate.revoked_reason == reason
    assert certificate.revoked_by_name == "Admin Kantor"
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "certificate.revoked")
    ).one()
    assert entry.details == {"number": certificate.number, "reason": reason}
    assert progress_of(PEMBENGIS).status == "dicabut"
    assert services.certificate_status(certificate) == "revoked"
    # Revoking twice is refused and changes nothing.
    again = client.post(
        f"/villages/certificates/{certificate.id}/revoke", data={"reason": "Sekali lagi dicabut."}
    )
    assert again.status_code == 409
    assert certificates()[0].revoked_reason == reason
    assert audit_actions("certificate.revoked") == ["certificate.revoked"]


def test_a_new_certificate_after_a_revoked_one_decides_the_status(
    client, admin, login_as, designate, signatory
):
    designate()
    login_as(client, admin)
    issue(client, reason=REASON)
    (old,) = certificates()
    client.post(f"/villages/certificates/{old.id}/revoke", data={"reason": "Salah desa pada SK."})
    assert issue(client, reason=REASON).status_code == 302
    old, new = certificates()
    assert (old.sequence, new.sequence) == (1, 2)
    assert services.latest_certificate(PEMBENGIS).id == new.id
    assert progress_of(PEMBENGIS).status == "tersertifikasi"
    page = text(client.get(f"/villages/{PEMBENGIS}"))
    assert old.number in page and new.number in page and "Salah desa pada SK." in page


def test_an_expired_certificate_makes_the_village_kedaluwarsa(
    client, admin, login_as, designate, signatory
):
    designate()
    login_as(client, admin)
    issue(client, reason=REASON)
    (certificate,) = certificates()
    certificate.issued_on = today_local() - timedelta(days=800)
    certificate.valid_until = today_local() - timedelta(days=70)
    db.session.flush()
    db.session.commit()
    assert progress_of(PEMBENGIS).status == "kedaluwarsa"
    page = text(client.get(f"/villages/{PEMBENGIS}"))
    assert "Kedaluwarsa" in page
    # An expired village may be certified again.
    assert issue(client, reason=REASON).status_code == 302
    assert progress_of(PEMBENGIS).status == "tersertifikasi"


def test_a_certificate_keeps_the_criteria_as_they_stood_at_issue(
    client, admin, login_as, ready_village
):
    login_as(client, admin)
    issue(client)
    services.update_criteria({"min_events": 5}, admin)
    db.session.commit()
    (certificate,) = certificates()
    assert [i["target"] for i in certificate.snapshot][:2] == [1, 2]
    row = progress_of(PEMBENGIS)
    assert (row.status, row.needs_attention) == ("tersertifikasi", True)


# ---- designation ----------------------------------------------------------------------------


def test_designation_by_decree_is_audited_and_can_be_corrected(client, admin, login_as):
    login_as(client, admin)
    response = client.post(
        f"/villages/{PEMBENGIS}/designation",
        data={"decree_number": "SK-7/2026", "decree_date": "2026-02-03", "adult_population": "420"},
    )
    assert response.status_code == 302
    designation = services.get_designation(PEMBENGIS)
    assert (designation.decree_number, str(designation.decree_date)) == ("SK-7/2026", "2026-02-03")
    assert designation.adult_population == 420
    assert progress_of(PEMBENGIS).status == "desa_binaan"
    client.post(
        f"/villages/{PEMBENGIS}/designation",
        data={"decree_number": "SK-7A/2026", "decree_date": "2026-02-03"},
    )
    assert audit_actions("village.") == ["village.designated", "village.designation_changed"]
    assert count(VillageDesignation) == 1


def test_a_bad_designation_is_refused_in_indonesian_and_nothing_is_saved(client, admin, login_as):
    login_as(client, admin)
    response = client.post(
        f"/villages/{PEMBENGIS}/designation",
        data={"decree_number": "", "decree_date": "", "adult_population": "-5"},
    )
    assert response.status_code == 400  # the page again, each message at its field
    page = text(response)
    for message in ("Wajib diisi.", "Isi tanggal SK.", "Angka 1 sampai 1.000.000."):
        assert message in page, message
    assert count(VillageDesignation) == 0 and audit_actions("village.") == []


def test_a_village_outside_the_work_area_cannot_be_designated(client, admin, login_as):
    login_as(client, admin)
    response = client.post(
        f"/villages/{OUTSIDE}/designation",
        data={"decree_number": "SK-1/2026", "decree_date": "2026-02-03"},
    )
    assert response.status_code == 404
    assert count(VillageDesignation) == 0


def test_a_population_share_makes_criterion_three_a_share_of_adults(
    client, admin, login_as, designate, make_event, pass_villagers
):
    services.update_criteria({"passed_share_percent": 10.0}, admin)
    db.session.commit()
    designate(adult_population=120)
    pass_villagers(make_event(), 12)
    row = progress_of(PEMBENGIS)
    assert (row.passed_villagers, row.passed_target) == (12, 12)
    assert [r.met for r in services.results_of(row, services.get_designation(PEMBENGIS))][2]
    # Without a population entered, the fixed number applies.
    designate(BRAM_ITAM_RAYA)
    assert progress_of(BRAM_ITAM_RAYA).passed_target == 30


# ---- criteria -------------------------------------------------------------------------------

CRITERIA_FORM = {
    "min_certified_officers": "1",
    "min_events": "2",
    "min_passed": "30",
    "passed_share_percent": "",
    "min_gain": "0.30",
    "required_topics": sorted(rules.Criteria().required_topics),
    "window_months": "12",
    "validity_months": "24",
}


def stored_rows() -> dict[str, VillageProgress]:
    """The progress rows as stored, without bringing them up to date first."""
    return {
        row.village_code: row
        for row in db.session.scalars(
            select(VillageProgress).execution_options(populate_existing=True)
        )
    }


def test_criteria_edits_recompute_every_village(
    client, admin, login_as, certified_officer, designate, make_event, pass_villagers
):
    designate()
    pass_villagers(make_event(), 30)
    assert progress_of(PEMBENGIS).status == "dalam_pembinaan"  # one event of two
    codes = set(progress.work_area_village_codes(db.session()))
    assert {c for c, row in stored_rows().items() if row.criteria_met == 0} == codes - {PEMBENGIS}
    login_as(client, admin)
    response = client.post(
        "/villages/criteria",
        data={**CRITERIA_FORM, "min_certified_officers": "0", "min_events": "1", "min_passed": "0"},
    )
    assert response.status_code == 302
    assert "Kriteria disimpan; semua desa dihitung ulang." in text(client.get("/villages/criteria"))
    # The save itself counted every village of the work area again under the new criteria.
    rows = stored_rows()
    assert codes <= set(rows)
    assert (rows[PEMBENGIS].status, rows[PEMBENGIS].criteria_met) == ("memenuhi_syarat", 5)
    others = {code: rows[code].criteria_met for code in codes - {PEMBENGIS}}
    assert set(others.values()) == {2}, others  # officers 0 of 0 and passed 0 of 0 now met


def test_criteria_edits_are_audited_with_what_changed(client, admin, login_as):
    login_as(client, admin)
    response = client.post(
        "/villages/criteria",
        data={**CRITERIA_FORM, "min_events": "3", "min_gain": "0.25"},
    )
    assert response.status_code == 302
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "criteria.changed")
    ).one()
    assert entry.actor_name == "Admin Kantor"
    # Only what changed: the topics were sent as they were (in another order).
    assert entry.details == {"min_events": [2, 3], "min_gain": [0.3, 0.25]}
    assert services.get_criteria().min_events == 3


def test_saving_unchanged_criteria_records_nothing(client, admin, login_as):
    login_as(client, admin)
    assert client.post("/villages/criteria", data=CRITERIA_FORM).status_code == 302
    assert audit_actions("criteria.") == []
    assert "Tidak ada perubahan." in text(client.get("/villages/criteria"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"required_topics": []}, "Pilih sekurang-kurangnya satu topik wajib."),
        ({"min_gain": "1.5"}, "Angka 0 sampai 1."),
        ({"min_events": ""}, "Wajib diisi."),
        ({"window_months": "0"}, "Angka 1 sampai 60."),
        ({"passed_share_percent": "150"}, "Angka 0,1 sampai 100."),
    ],
)
def test_bad_criteria_are_refused_in_indonesian_and_nothing_changes(
    client, admin, login_as, changes, message
):
    login_as(client, admin)
    response = client.post("/villages/criteria", data={**CRITERIA_FORM, **changes})
    assert response.status_code == 400
    assert message in text(response)
    assert count(CertificationCriteria) == 0 and audit_actions("criteria.") == []


# ---- certificate settings -------------------------------------------------------------------

SETTINGS_FORM = {
    "signatory_name": "Raden Sukma Wijaya, S.H.",
    "signatory_nip": "198001012005011001",
    "signatory_title": "Kepala Kantor",
    "place": "Kuala Tungkal",
    "number_format": "{nomor:03}/DSHK/{bulan_romawi}/{tahun}",
}


def test_certificate_settings_are_saved_audited_and_show_an_example(client, admin, login_as):
    login_as(client, admin)
    assert client.post("/villages/certificate-settings", data=SETTINGS_FORM).status_code == 302
    settings = services.get_certificate_settings()
    assert (settings.signatory_name, settings.number_format) == (
        SETTINGS_FORM["signatory_name"],
        SETTINGS_FORM["number_format"],
    )
    assert audit_actions("certificate.settings") == ["certificate.settings_changed"]
    roman = rules.ROMAN_MONTHS[today_local().month - 1]
    page = text(client.get("/villages/certificate-settings"))
    assert f"007/DSHK/{roman}/{today_local().year}" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"number_format": "{nomor.__class__}/{tahun}"}, "Format nomor tidak dapat dipakai."),
        ({"number_format": "{nomor}/DSHK"}, "Format nomor tidak dapat dipakai."),
        ({"number_format": "{nama}/{nomor}/{tahun}"}, "Format nomor tidak dapat dipakai."),
        ({"signatory_nip": "12345"}, "NIP terdiri atas 18 angka."),
        ({"signatory_name": ""}, "Wajib diisi."),
    ],
)
def test_bad_certificate_settings_are_refused_in_indonesian(
    client, admin, login_as, changes, message
):
    login_as(client, admin)
    response = client.post("/villages/certificate-settings", data={**SETTINGS_FORM, **changes})
    assert response.status_code == 400
    assert message in text(response)
    assert services.get_certificate_settings().signatory_name == ""
    assert audit_actions("certificate.settings") == []


# ---- CSRF -----------------------------------------------------------------------------------


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.mark.parametrize(
    "target",
    ["designation", "issue", "revoke", "criteria", "certificate-settings"],
)
def test_every_post_of_the_room_needs_a_csrf_token(
    app, client, admin, login_as, designate, signatory, target
):
    designate(BRAM_ITAM_RAYA)
    certificate = services.issue_certificate(village(BRAM_ITAM_RAYA), admin, REASON)
    db.session.commit()
    designate()  # Pembengis: designated, no certificate
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    url, data = {
        "designation": (
            f"/villages/{SENGETI}/designation",
            {"decree_number": "SK-9/2026", "decree_date": "2026-03-01"},
        ),
        "issue": (f"/villages/{PEMBENGIS}/certificates", {"override_reason": REASON}),
        "revoke": (
            f"/villages/certificates/{certificate.id}/revoke",
            {"reason": "Dicabut tanpa token formulir."},
        ),
        "criteria": ("/villages/criteria", {**CRITERIA_FORM, "min_events": "1"}),
        "certificate-settings": (
            "/villages/certificate-settings",
            {
                "signatory_name": "Orang Lain",
                "signatory_nip": "199001012015011001",
                "signatory_title": "Kepala",
                "place": "Jambi",
                "number_format": "{nomor}/{tahun}",
            },
        ),
    }[target]
    login_as(client, admin)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(url, data=data)
        forged = client.post(url, data={**data, "csrf_token": "palsu.palsu"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    for refused in (response, forged):
        assert refused.status_code == 400
        assert "Formulir sudah kedaluwarsa atau tidak sah" in text(refused)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before
    assert count(VillageCertificate) == 1 and certificates(BRAM_ITAM_RAYA)[0].revoked_at is None
    assert services.get_designation(SENGETI) is None


def test_the_forms_carry_a_token_that_is_accepted(app, client, admin, login_as, csrf_on):
    login_as(client, admin)
    page = text(client.get(f"/villages/{PEMBENGIS}"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        f"/villages/{PEMBENGIS}/designation",
        data={"decree_number": "SK-3/2026", "decree_date": "2026-01-02", "csrf_token": token},
    )
    assert response.status_code == 302
    assert services.get_designation(PEMBENGIS) is not None
