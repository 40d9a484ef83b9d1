"""Demo data: every stage of the programme shown, clearly marked, and removed in one step."""

import pytest
from sqlalchemy import func, select

from learning.accounts.models import Role, User
from learning.events import services as events
from learning.events.models import Event, VillagerProfile
from learning.extensions import db
from learning.villages import demo
from learning.villages.models import VillageCertificate, VillageProgress
from quizzes.models import QuizAnswer, QuizAttempt
from tests.villages.conftest import PEMBENGIS, SENGETI, days_ago, text

TELUK_SIALANG = "15.06.02.2014"


def statuses() -> dict[str, str]:
    rows = db.session.execute(select(VillageProgress.village_code, VillageProgress.status))
    return dict(rows.all())


def demo_rows() -> dict[str, int]:
    """Rows marked demo in every table that records an origin."""
    counts = {}
    for table in db.metadata.sorted_tables:
        if "origin_device" in table.c:
            counts[table.name] = db.session.scalar(
                select(func.count()).select_from(table).where(table.c.origin_device == "demo")
            )
    return {name: n for name, n in counts.items() if n}


@pytest.fixture
def loaded(content):
    summary = demo.load_demo(actor_name="Uji demo")
    db.session.commit()
    return summary


def test_load_shows_every_stage_clearly_marked_and_only_once(loaded):
    found = statuses()
    assert found[PEMBENGIS] == "tersertifikasi"
    assert found[SENGETI] == "memenuhi_syarat"
    assert found[TELUK_SIALANG] == "dalam_pembinaan"
    assert {"kedaluwarsa", "dicabut", "desa_binaan", "belum_dibina"} <= set(found.values())
    assert loaded.officers == ["demo-dewi", "demo-fajar", "demo-rizky", "demo-sari"]
    assert 20 <= loaded.events <= 30 and 600 <= loaded.participants <= 800
    assert loaded.certificates == 3

    assert all(t.startswith("[DEMO] ") for t in db.session.scalars(select(Event.title)))
    for officer in db.session.scalars(select(User).where(User.role == Role.OFFICER)):
        assert officer.username.startswith("demo-") and officer.display_name.endswith(" (demo)")
        assert not officer.must_change_password
    for certificate in db.session.scalars(select(VillageCertificate)):
        assert certificate.number.startswith("DEMO-")
        assert certificate.signatory_name == "Contoh Penandatangan (demo)"
    assert db.session.scalar(select(func.count()).where(VillagerProfile.phone.is_not(None))) == 0

    # Each attempt's score is what its answers give: the report's question table agrees.
    right = (
        select(QuizAnswer.attempt_id, func.count().label("n"))
        .where(QuizAnswer.is_correct.is_(True))
        .group_by(QuizAnswer.attempt_id)
        .subquery()
    )
    mismatched = db.session.scalar(
        select(func.count())
        .select_from(QuizAttempt)
        .outerjoin(right, right.c.attempt_id == QuizAttempt.id)
        .where(func.coalesce(right.c.n, 0) != QuizAttempt.correct_count)
    )
    assert mismatched == 0

    with pytest.raises(demo.DemoError, match="sudah dimuat"):
        demo.load_demo()


def test_load_needs_the_content_first():
    with pytest.raises(demo.DemoError, match="sadar-imigrasi setup"):
        demo.load_demo()


def test_remove_leaves_no_demo_row_and_keeps_the_real_data(app, content, admin, make_user):
    officer = make_user(role=Role.OFFICER, villages=[PEMBENGIS])
    real = events.create_event(
        title="Sosialisasi Desa Pembengis",
        village_code=PEMBENGIS,
        held_on=days_ago(10),
        place="Balai Desa",
        officer_ids=[officer.id],
        lesson_slugs=["apa-itu-paspor"],
        actor=admin,
    )
    db.session.commit()
    runner = app.test_cli_runner()

    refused = runner.invoke(args=["demo", "load"])
    assert refused.exit_code == 1 and "acara sungguhan" in refused.output
    loaded = runner.invoke(args=["demo", "load", "--force"])
    assert loaded.exit_code == 0, loaded.output
    assert "Data demo dimuat: 14 desa binaan, 4 petugas" in loaded.output
    assert demo_rows()

    kept = runner.invoke(args=["demo", "remove"], input="n\n")
    assert "Dibatalkan" in kept.output and demo_rows()
    removed = runner.invoke(args=["demo", "remove", "--yes"])
    assert removed.exit_code == 0, removed.output
    assert "Data demo dihapus: 14 desa binaan" in removed.output

    db.session.expire_all()
    assert demo_rows() == {}
    assert db.session.get(Event, real.id) is not None
    assert {u.username for u in db.session.scalars(select(User))} == {
        admin.username,
        officer.username,
    }
    assert set(statuses().values()) == {"belum_dibina"}


def test_dashboard_report_and_certificate_show_the_demo(loaded, client, admin, login_as):
    login_as(client, admin)
    dashboard = text(client.get("/villages/"))
    assert all(name in dashboard for name in ("Pembengis", "Sengeti", "Teluk Sialang"))

    event = db.session.scalars(
        select(Event).where(Event.village_code == PEMBENGIS).order_by(Event.held_on)
    ).first()
    report = client.get(f"/events/{event.id}/report")
    assert report.status_code == 200 and "[DEMO]" in text(report)

    certificate = db.session.scalars(
        select(VillageCertificate).where(VillageCertificate.village_code == PEMBENGIS)
    ).one()
    page = client.get(f"/villages/certificates/{certificate.id}")
    assert page.status_code == 200 and "Contoh Penandatangan (demo)" in text(page)
