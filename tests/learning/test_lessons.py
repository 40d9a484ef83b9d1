"""Lessons: loading files into versions, conflicts, review, completion, progress, pages."""

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from learning.accounts.models import Role
from learning.cli import load_content
from learning.core.models import AuditEntry
from learning.extensions import db
from learning.lessons import services
from learning.lessons.content import parse_lesson_file
from learning.lessons.models import Completion, LessonVersion

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def content(app, tmp_path):
    """A copy of the bundled content that a test may change, loaded into the database."""
    folder = tmp_path / "content"
    shutil.copytree(ROOT / "content", folder)
    app.config["CONTENT_DIR"] = str(folder)
    load_content(echo=lambda *_: None)
    db.session.commit()
    yield folder
    app.config["CONTENT_DIR"] = str(ROOT / "content")


def reload(echo=None):
    messages = []
    load_content(echo=messages.append)
    db.session.commit()
    return messages


def edit_file(folder, name, old, new):
    path = next(folder.glob(f"lessons/*/{name}"))
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def version_count():
    return db.session.scalar(select(func.count()).select_from(LessonVersion))


def test_every_bundled_lesson_loads_as_a_draft(content):
    lessons = services.list_lessons()
    assert [len([x for x in lessons if x.track == t]) for t in ("pimpasa", "warga")] == [11, 7]
    assert all(not lesson.current_version.is_reviewed for lesson in lessons)
    assert all(lesson.current_version.number == 1 for lesson in lessons)


def test_loading_unchanged_files_again_changes_nothing(content):
    before = version_count()
    messages = reload()
    assert version_count() == before
    assert messages[0] == "Pelajaran: 0 baru, 0 versi baru, 18 tetap."


def test_a_changed_file_makes_a_new_current_version(content):
    edit_file(content, "05-tppo.md", "Korban dilindungi", "Korban selalu dilindungi")
    reload()
    lesson = services.get_lesson("tppo")
    assert lesson.current_version.number == 2
    assert [v.number for v in services.list_versions(lesson)] == [2, 1]
    assert not lesson.has_conflict


def test_the_same_text_is_the_same_version_everywhere(content):
    lesson = services.get_lesson("tppo")
    file = parse_lesson_file(Path(lesson.file_path))
    assert lesson.current_version.content_hash == file.content_hash
    assert lesson.current_version.id == LessonVersion.make_id("tppo", file.content_hash)


def _browser_edit(lesson, admin, marker="Catatan kantor."):
    content = services.version_content(lesson.current_version)
    content["body"] = content["body"] + "\n\n" + marker
    return services.edit_lesson(lesson, content, admin)


def test_browser_edit_then_file_change_keeps_both_as_a_conflict(content, admin):
    lesson = services.get_lesson("tppm")
    edited = _browser_edit(lesson, admin)
    db.session.commit()
    edit_file(content, "06-tppm.md", "## ", "## Bagian: ")
    messages = reload()
    assert any("KONFLIK: tppm" in m for m in messages)
    lesson = services.get_lesson("tppm")
    assert lesson.has_conflict
    assert lesson.current_version_id == edited.id  # the browser's edit stays current
    assert len(services.list_versions(lesson)) == 3


def test_export_writes_browser_edits_back_and_the_next_load_agrees(content, admin):
    lesson = services.get_lesson("tppm")
    edited = _browser_edit(lesson, admin, "Catatan baru dari kantor.")
    db.session.commit()
    written = services.export_browser_edits()
    db.session.commit()
    assert written == [lesson.file_path]
    assert "Catatan baru dari kantor." in Path(lesson.file_path).read_text(encoding="utf-8")
    reload()
    lesson = services.get_lesson("tppm")
    assert lesson.current_version_id == lesson.file_version_id == edited.id
    assert len(services.list_versions(lesson)) == 2


def test_admin_chooses_the_file_version_to_end_a_conflict(client, content, admin, login_as):
    lesson = services.get_lesson("tppm")
    _browser_edit(lesson, admin)
    db.session.commit()
    edit_file(content, "06-tppm.md", "## ", "## Bagian: ")
    reload()
    login_as(client, admin)
    file_version = services.get_lesson("tppm").file_version_id
    response = client.post("/lessons/manage/tppm/choose", data={"version_id": str(file_version)})
    assert response.status_code == 302
    lesson = services.get_lesson("tppm")
    assert lesson.current_version_id == file_version and not lesson.has_conflict
    bad = client.post("/lessons/manage/tppm/choose", data={"version_id": "bukan-uuid"})
    assert bad.status_code == 400


def test_review_is_recorded_by_name_and_time_never_prefilled(client, content, admin, login_as):
    lesson = services.get_lesson("tppo")
    assert lesson.current_version.reviewed_at is None
    login_as(client, admin)
    response = client.post(
        "/lessons/manage/tppo/review", data={"version_id": str(lesson.current_version_id)}
    )
    assert response.status_code == 302
    version = services.get_lesson("tppo").current_version
    assert version.reviewed_by_name == "Admin Kantor" and version.reviewed_at is not None
    assert db.session.scalars(select(AuditEntry.action)).all() == ["lesson.reviewed"]


def test_reviewing_a_stale_version_is_refused(client, content, admin, login_as):
    login_as(client, admin)
    old = services.get_lesson("tppo").current_version_id
    _browser_edit(services.get_lesson("tppo"), admin)
    db.session.commit()
    response = client.post("/lessons/manage/tppo/review", data={"version_id": str(old)})
    assert response.status_code == 400
    assert "bukan versi yang berlaku" in response.get_data(as_text=True)


def test_marking_a_provision_changed_flags_the_lessons_that_cite_it(
    client, content, admin, login_as
):
    login_as(client, admin)
    response = client.post(
        "/lessons/manage/provisions",
        data={
            "citation": "UU 21/2007 Pasal 2",
            "note": "Diganti KUHP Pasal 455 sejak 2 Januari 2026",
        },
    )
    assert response.status_code == 302
    citing = {
        lesson.slug
        for lesson in services.list_lessons()
        if any(
            s == "UU 21/2007 Pasal 2" or s.startswith("UU 21/2007 Pasal 2 ")
            for s in lesson.current_version.sources
        )
    }
    assert citing  # the TPPO lessons cite it
    queue = {item.lesson.slug: item.reasons for item in services.review_queue(365)}
    flagged = {slug for slug, reasons in queue.items() if "changed:UU 21/2007 Pasal 2" in reasons}
    assert flagged == citing
    # Pasal 20 is not a part of Pasal 2.
    assert services.flagged_lessons("UU 21/2007 Pasal 2") == [
        lesson for lesson in services.list_lessons() if lesson.slug in citing
    ]
    # A review after the change clears the flag.
    slug = sorted(citing)[0]
    services.mark_reviewed(services.get_lesson(slug).current_version, admin)
    db.session.commit()
    queue = {item.lesson.slug: item.reasons for item in services.review_queue(365)}
    assert slug not in queue


def test_a_provision_outside_the_grammar_is_refused(client, content, admin, login_as):
    login_as(client, admin)
    response = client.post(
        "/lessons/manage/provisions", data={"citation": "pasal 2 UU TPPO", "note": "x"}
    )
    assert response.status_code == 400
    assert "Tulis seperti contoh" in response.get_data(as_text=True)


def test_completion_is_recorded_once_per_learner_and_version(client, content, officer, login_as):
    login_as(client, officer)
    first = client.post("/lessons/tppo/complete")
    second = client.post("/lessons/tppo/complete")
    assert first.status_code == second.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Completion)) == 1
    assert services.record_completion(officer, services.get_lesson("tppo")) is False


def test_an_older_completion_counts_unless_the_new_version_must_be_reread(content, officer, admin):
    lesson = services.get_lesson("tppo")
    services.record_completion(officer, lesson)
    db.session.commit()
    _browser_edit(lesson, admin, "Perbaikan kecil.")
    db.session.commit()
    done = {p.lesson.slug: p.done for p in services.track_progress(officer, "pimpasa")}
    assert done["tppo"] is True
    content_ = services.version_content(services.get_lesson("tppo").current_version)
    content_["body"] += "\n\nPerubahan penting."
    services.edit_lesson(services.get_lesson("tppo"), content_, admin, requires_reread=True)
    db.session.commit()
    done = {p.lesson.slug: p.done for p in services.track_progress(officer, "pimpasa")}
    assert done["tppo"] is False


def test_officer_sees_the_track_progress_and_what_is_left(client, content, officer, login_as):
    services.record_completion(officer, services.get_lesson("program-desa-binaan"))
    db.session.commit()
    login_as(client, officer)
    page = client.get("/lessons/track/pimpasa").get_data(as_text=True)
    assert "1 dari 11 selesai" in page
    assert "Lanjutkan: Dasar hukum keimigrasian" in page
    assert "Draf — belum ditinjau" in page


def test_admin_sees_every_officers_progress(client, content, admin, officer, login_as):
    services.record_completion(officer, services.get_lesson("tppo"))
    db.session.commit()
    login_as(client, admin)
    page = client.get("/lessons/manage/progress").get_data(as_text=True)
    assert "Petugas Satu" in page and "1 dari 11 selesai" in page


def test_a_script_in_a_lesson_never_reaches_the_page(client, content, admin, login_as):
    lesson = services.get_lesson("tppo")
    data = services.version_content(lesson.current_version)
    data["body"] += (
        '\n\n<script>alert("x")</script>\n\n[klik](javascript:alert(1))'
        "\n\n<img src=x onerror=alert(1)>"
    )
    services.edit_lesson(lesson, data, admin)
    db.session.commit()
    login_as(client, admin)
    page = client.get("/lessons/tppo").get_data(as_text=True)
    assert "<script>alert" not in page
    assert 'href="javascript:' not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page  # shown as text, harmless


def test_villager_lessons_show_as_cards_with_spoken_text_without_citations(
    client, content, admin, login_as
):
    login_as(client, admin)
    page = client.get("/lessons/apa-itu-paspor").get_data(as_text=True)
    assert page.count('class="lesson-card"') == 6
    spoken = page.split('class="hint spoken"')[1].split("</p>")[0]
    assert "UU 6/2011" not in spoken and "paspor" in spoken


def test_browser_edit_with_a_bad_citation_is_refused_with_the_reason(
    client, content, admin, login_as
):
    login_as(client, admin)
    form = client.get("/lessons/manage/tppo/edit").get_data(as_text=True)
    assert "Simpan sebagai versi baru" in form
    version = services.get_lesson("tppo").current_version
    data = {
        "title": version.title,
        "summary": version.summary,
        "minutes": version.minutes,
        "key_points": "\n".join(version.key_points),
        "sources": "\n".join(version.sources) + "\nUU 99/2099 Pasal 1",
        "body": version.body,
        "submit": "1",
    }
    response = client.post("/lessons/manage/tppo/edit", data=data)
    assert response.status_code == 400
    assert "peraturan tidak ada di instruments.yml: UU 99/2099" in response.get_data(as_text=True)
    assert len(services.list_versions(services.get_lesson("tppo"))) == 1
    data["sources"] = "\n".join(version.sources)
    data["body"] = version.body + "\n\nTambahan dari kantor."
    preview = client.post("/lessons/manage/tppo/edit", data={**data, "submit": "", "preview": "1"})
    assert preview.status_code == 200 and "Tambahan dari kantor." in preview.get_data(as_text=True)
    assert len(services.list_versions(services.get_lesson("tppo"))) == 1
    saved = client.post("/lessons/manage/tppo/edit", data=data)
    assert saved.status_code == 302
    current = services.get_lesson("tppo").current_version
    assert (
        current.number == 2
        and current.origin == "browser"
        and current.created_by_name == "Admin Kantor"
    )


def test_officers_cannot_manage_lessons(client, content, officer, login_as):
    login_as(client, officer)
    assert client.get("/lessons/manage/").status_code == 403
    assert client.post("/lessons/manage/tppo/review", data={}).status_code == 403


def test_content_check_passes_on_the_bundled_content(app):
    result = app.test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert "18 pelajaran, 138 soal diperiksa; 0 masalah." in result.output


def test_setup_refuses_broken_content_and_writes_nothing(app, content):
    path = edit_file(content, "05-tppo.md", "sources:\n", "sources:\n  - UU 7/1999 Pasal 1\n")
    before = version_count()
    import click

    with pytest.raises(click.ClickException) as info:
        reload()
    db.session.rollback()
    assert f"{path}:" in info.value.message and "UU 7/1999" in info.value.message
    assert version_count() == before


@pytest.mark.parametrize("role", [Role.OFFICER, Role.ADMIN])
def test_staff_can_open_every_lesson(client, content, make_user, login_as, role):
    login_as(client, make_user(role=role))
    for lesson in services.list_lessons():
        assert client.get(f"/lessons/{lesson.slug}").status_code == 200, lesson.slug
