"""Officer and admin pages of events: scheduling, report, CSV, paper sheets, personal data."""

import csv
import io
import json
import uuid

import openpyxl
from sqlalchemy import func, select

from learning.core.models import AuditEntry
from learning.events import paper, reports, services
from learning.events.models import DuplicateCandidate, Event, Participation, VillagerProfile
from learning.extensions import db
from quizzes.models import QuizAnswer, QuizAttempt


def text(response):
    return response.get_data(as_text=True)


def reg(event, name="Siti Aminah", age="26-35", **extra):
    participation = services.register_villager(
        event,
        services.Registration(
            name=name, village_code="15.06.11.2004", age_group=age, gender="perempuan", **extra
        ),
    )
    db.session.commit()
    return participation


def test_an_officer_schedules_an_event_with_a_join_code(
    client, content_loaded, pin_officer, login_as
):
    login_as(client, pin_officer)
    form = text(client.get("/events/new"))
    assert "Apa itu paspor" in form and "Pembengis" in form
    response = client.post(
        "/events/new",
        data={
            "title": "Sosialisasi",
            "village": "15.06.11.2004",
            "held_on": "2026-12-10",
            "place": "Balai Desa",
            "officers": [str(pin_officer.id)],
            "lessons": ["apa-itu-paspor", "apa-itu-tppo"],
        },
    )
    assert response.status_code == 302
    event = db.session.scalars(select(Event)).one()
    assert len(event.join_code) == 6 and [o.id for o in event.officers] == [pin_officer.id]
    page = text(client.get(f"/events/{event.id}"))
    assert event.join_code in page and f"/j/{event.join_code}" in page


def test_a_bad_event_form_is_refused_and_nothing_is_saved(
    client, content_loaded, pin_officer, login_as
):
    login_as(client, pin_officer)
    response = client.post(
        "/events/new", data={"title": "", "village": "15.06.11.2004", "place": ""}
    )
    assert response.status_code == 400 and "Isi tanggal acara." in text(response)
    assert db.session.scalar(select(func.count()).select_from(Event)) == 0


def test_officers_see_only_their_own_events(app, event, make_user, login_as):
    from learning.accounts.models import Role

    other = app.test_client()
    login_as(other, make_user(role=Role.OFFICER))
    assert other.get(f"/events/{event.id}").status_code == 403
    assert event.title not in text(other.get("/events/"))


def test_poster_has_a_server_drawn_qr_of_the_public_address(client, event, pin_officer, login_as):
    from learning.events.qr import qr_svg

    login_as(client, pin_officer)
    page = text(client.get(f"/events/{event.id}/poster"))
    # The QR holds the whole join address; the poster shows the short one to type and the code.
    assert qr_svg(f"http://127.0.0.1:5000/j/{event.join_code}", scale=10) in page
    assert "http://127.0.0.1:5000/j<" in page and event.join_code in page


def test_report_counts_and_the_csv_cannot_run_formulas(client, event, pin_officer, login_as):
    reg(event, name='=HYPERLINK("http://x")')
    reg(event, name="Budi", age="<18", consent_by="none")
    login_as(client, pin_officer)
    page = text(client.get(f"/events/{event.id}/report"))
    assert "Berita acara" in page or "telah dilaksanakan" in page
    body = client.get(f"/events/{event.id}/report.csv").data
    assert body.startswith(b"\xef\xbb\xbf")  # a BOM: Excel on Windows then reads UTF-8
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["nomor", "nama", "kelompok_umur"]
    assert rows[1][1].startswith("'=") and rows[2][4] == "tidak"
    # The same report as XLSX: the name is a text cell, never a formula.
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/events/{event.id}/report.xlsx").data)
    ).active
    assert [c.value for c in sheet[1]][:3] == ["nomor", "nama", "kelompok_umur"]
    assert sheet["B2"].value == '=HYPERLINK("http://x")' and sheet["B2"].data_type == "s"
    assert sheet["A2"].value == 1 and sheet["E3"].value == "tidak"
    report = reports.event_report(event)
    assert (report.registered, report.counted) == (2, 1)


def test_possible_duplicates_wait_for_the_officer_and_merge_only_when_confirmed(
    client, event, pin_officer, login_as, content_loaded
):
    first = reg(event, name="Siti Aminah")
    second_event = services.create_event(
        title="Acara kedua",
        village_code="15.06.11.2004",
        held_on=event.held_on,
        place="Balai",
        officer_ids=[pin_officer.id],
        lesson_slugs=["apa-itu-paspor"],
        actor=pin_officer,
    )
    db.session.commit()
    again = reg(second_event, name="Ibu Siti Aminah")
    candidate = db.session.scalars(select(DuplicateCandidate)).one()
    assert candidate.status == "pending" and candidate.existing_user_id == first.user_id
    assert (
        db.session.scalar(select(func.count()).select_from(VillagerProfile)) == 2
    )  # nothing merged yet
    login_as(client, pin_officer)
    client.post(f"/events/{second_event.id}/duplicates/{candidate.id}/same")
    assert db.session.get(Participation, again.id).user_id == first.user_id
    assert db.session.scalar(select(func.count()).select_from(VillagerProfile)) == 1


def test_rejected_duplicates_stay_two_people(client, event, pin_officer, login_as):
    reg(event, name="Siti Aminah")
    second_event = services.create_event(
        title="Acara kedua",
        village_code="15.06.11.2004",
        held_on=event.held_on,
        place="Balai",
        officer_ids=[pin_officer.id],
        lesson_slugs=["apa-itu-paspor"],
        actor=pin_officer,
    )
    db.session.commit()
    reg(second_event, name="Siti Aminah")
    candidate = db.session.scalars(select(DuplicateCandidate)).one()
    login_as(client, pin_officer)
    client.post(f"/events/{second_event.id}/duplicates/{candidate.id}/different")
    assert db.session.get(DuplicateCandidate, candidate.id).status == "rejected"
    assert db.session.scalar(select(func.count()).select_from(VillagerProfile)) == 2


def test_officer_registers_a_villager_from_their_own_screen(client, event, pin_officer, login_as):
    login_as(client, pin_officer)
    response = client.post(
        f"/events/{event.id}/register",
        data={
            "consent_by": "self",
            "name": "Pak Darto",
            "village": "15.06.11.2004",
            "age_group": ">55",
            "gender": "laki-laki",
            "phone": "",
        },
    )
    assert response.status_code == 302
    participation = db.session.scalars(select(Participation)).one()
    assert (
        participation.registered_by == "officer" and participation.user.display_name == "Pak Darto"
    )


def test_paper_sheets_entered_afterwards_count_like_tablet_answers(
    client, event, pin_officer, login_as
):
    a, b = reg(event, name="Ani"), reg(event, name="Badu")
    login_as(client, pin_officer)
    sheet = text(client.get(f"/events/{event.id}/paper/pre"))
    assert "Nomor peserta" in sheet
    items = paper.paper_items(db.session.get(Event, event.id), "pre")
    from quizzes.services import get_question_version

    form = {}
    for index, item in enumerate(items):
        version = get_question_version(uuid.UUID(item["v"]))
        right = [paper.LETTERS[item["o"].index(o)] for o in sorted(version.correct_ids)]
        form[f"p{a.number}-q{index}"] = right
    response = client.post(f"/events/{event.id}/paper/pre/entry", data=form)
    assert response.status_code == 302
    attempt = db.session.get(QuizAttempt, db.session.get(Participation, a.id).pretest_attempt_id)
    assert attempt.status == "submitted" and attempt.score == 100.0
    assert {x.source for x in db.session.scalars(select(QuizAnswer))} == {"paper"}
    assert db.session.get(Participation, b.id).pretest_attempt_id is None  # an empty row is skipped
    # Entering again does not overwrite an existing result.
    client.post(f"/events/{event.id}/paper/pre/entry", data=form)
    assert db.session.scalar(select(func.count()).select_from(QuizAttempt)) == 1
    assert reports.event_report(db.session.get(Event, event.id)).pretests == 1


def test_admin_shows_exports_corrects_withdraws_and_deletes_a_villagers_data(
    client, event, admin, login_as
):
    participation = reg(event, name="Siti Aminah", phone="081234567890")
    login_as(client, admin)
    found = text(client.get("/events/manage/participants?q=aminah"))
    assert "Siti Aminah" in found
    user_id = participation.user_id
    assert "081234567890" in text(client.get(f"/events/manage/participants/{user_id}"))
    exported = json.loads(
        client.get(f"/events/manage/participants/{user_id}/export").get_data(as_text=True)
    )
    assert exported["nama"] == "Siti Aminah" and exported["nomor_hp"] == "081234567890"
    assert "NIK" not in json.dumps(exported)
    client.post(
        f"/events/manage/participants/{user_id}",
        data={
            "name": "Siti Aminah Putri",
            "village": "15.06.11.2004",
            "age_group": "26-35",
            "gender": "perempuan",
            "phone": "",
        },
    )
    profile = db.session.scalars(select(VillagerProfile)).one()
    assert profile.user.display_name == "Siti Aminah Putri" and profile.phone is None
    client.post(f"/events/manage/participants/{user_id}/withdraw")
    assert reports.event_report(db.session.get(Event, event.id)).registered == 0  # processing stops
    client.post(f"/events/manage/participants/{user_id}/delete")
    profile = db.session.scalars(select(VillagerProfile)).one()
    assert profile.anonymised_at is not None and "Siti" not in profile.user.display_name
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {
        "villager.viewed",
        "villager.exported",
        "villager.corrected",
        "villager.consent_withdrawn",
        "villager.anonymised",
    } <= actions


def test_officers_cannot_reach_villagers_personal_data_pages(client, event, pin_officer, login_as):
    participation = reg(event)
    login_as(client, pin_officer)
    assert client.get("/events/manage/participants").status_code == 403
    assert (
        client.get(f"/events/manage/participants/{participation.user_id}/export").status_code == 403
    )


def test_retention_command_anonymises_old_data_only(app, event):
    from datetime import timedelta

    from learning.core.time import utcnow

    old, recent = reg(event, name="Lama"), reg(event, name="Baru")
    db.session.get(Participation, old.id).created_at = utcnow() - timedelta(days=800)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["purge-villager-data"])
    assert result.exit_code == 0 and "1 data warga disamarkan" in result.output
    names = set(
        db.session.scalars(select(VillagerProfile).where(VillagerProfile.anonymised_at.is_(None)))
    )
    assert [p.user.display_name for p in names] == ["Baru"]
    del recent
