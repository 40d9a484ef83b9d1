"""The question bank: versions from files, browser edits, conflicts, review and flags."""

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from learning.cli import load_content
from learning.core.registry import mark_provision_changed
from learning.extensions import db
from quizzes import services
from quizzes.bank import option_id
from quizzes.models import QuestionVersion

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def content(app, tmp_path):
    folder = tmp_path / "content"
    shutil.copytree(ROOT / "content", folder)
    app.config["CONTENT_DIR"] = str(folder)
    load_content(echo=lambda *_: None)
    db.session.commit()
    yield folder
    app.config["CONTENT_DIR"] = str(ROOT / "content")


def reload():
    messages = []
    load_content(echo=messages.append)
    db.session.commit()
    return messages


def edit_file(folder, relative, old, new):
    path = folder / "questions" / relative
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_option_ids_stay_when_the_text_stays():
    assert option_id("Di Kantor Imigrasi") == option_id("  di kantor imigrasi ")
    assert option_id("Di Kantor Imigrasi") != option_id("Lewat calo")


def test_a_changed_question_file_makes_a_new_version(content):
    edit_file(
        content,
        "warga/paspor.yml",
        "Anda ingin membuat paspor.",
        "Anda ingin membuat paspor sendiri.",
    )
    messages = reload()
    assert any("1 versi baru" in m for m in messages)
    question = services.get_question("warga-paspor-01")
    assert [v.number for v in services.list_question_versions(question)] == [2, 1]


def _edit_form(version, **changes):
    data = {
        "text": version.text,
        "explanation": version.explanation,
        "citations": "\n".join(version.citations),
        "options": "\n".join(("* " if o["correct"] else "") + o["text"] for o in version.options),
    }
    data.update(changes)
    return data


def test_admin_edits_a_question_in_the_browser(client, content, admin, login_as):
    login_as(client, admin)
    question = services.get_question("warga-paspor-01")
    version = services.get_question_version(question.current_version_id)
    response = client.post(
        "/quizzes/manage/questions/warga-paspor-01",
        data=_edit_form(version, text="Bagaimana cara yang benar membuat paspor?"),
    )
    assert response.status_code == 302
    current = services.get_question_version(
        services.get_question("warga-paspor-01").current_version_id
    )
    assert (
        current.number == 2
        and current.origin == "browser"
        and current.created_by_name == "Admin Kantor"
    )
    # The options kept their ids, so answers to both versions can be compared.
    assert [o["id"] for o in current.options] == [o["id"] for o in version.options]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"options": "* Satu\n* Dua\nTiga"}, "tepat satu jawaban benar (ada 2)"),
        ({"citations": ""}, "paling sedikit satu sumber hukum"),
        ({"citations": "UU 6/2011 pasal 24"}, "sitasi tidak mengikuti format"),
        ({"options": "* Sama\nSama\nLain"}, "teks option ganda"),
    ],
)
def test_a_bad_browser_edit_is_refused_and_nothing_changes(
    client, content, admin, login_as, changes, message
):
    login_as(client, admin)
    version = services.get_question_version(
        services.get_question("warga-paspor-01").current_version_id
    )
    response = client.post(
        "/quizzes/manage/questions/warga-paspor-01", data=_edit_form(version, **changes)
    )
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert len(services.list_question_versions(services.get_question("warga-paspor-01"))) == 1


def test_browser_edit_then_file_change_is_kept_as_a_conflict(client, content, admin, login_as):
    login_as(client, admin)
    version = services.get_question_version(
        services.get_question("warga-paspor-01").current_version_id
    )
    client.post(
        "/quizzes/manage/questions/warga-paspor-01", data=_edit_form(version, text="Versi kantor?")
    )
    edit_file(content, "warga/paspor.yml", "Anda ingin membuat paspor.", "Versi berkas baru.")
    messages = reload()
    assert any("KONFLIK: 1 soal" in m for m in messages)
    question = services.get_question("warga-paspor-01")
    assert question.has_conflict
    assert services.get_question_version(question.current_version_id).text == "Versi kantor?"
    assert len(services.list_question_versions(question)) == 3


def test_review_of_a_question_and_the_flag_of_a_changed_provision(client, content, admin, login_as):
    login_as(client, admin)
    client.post("/quizzes/manage/questions/warga-paspor-01/review")
    version = db.session.scalars(
        select(QuestionVersion).join(QuestionVersion.question).where(QuestionVersion.number == 1)
    ).first()
    assert (
        services.get_question_version(
            services.get_question("warga-paspor-01").current_version_id
        ).reviewed_by_name
        == "Admin Kantor"
    )
    assert version is not None
    mark_provision_changed("UU 21/2007 Pasal 2", "Diganti KUHP Pasal 455", admin)
    db.session.commit()
    page = client.get("/quizzes/manage/questions?flagged=1").get_data(as_text=True)
    citing = [
        q.key
        for q, v in services.list_questions()
        if any(
            c == "UU 21/2007 Pasal 2" or c.startswith("UU 21/2007 Pasal 2 ") for c in v.citations
        )
    ]
    assert citing, "some question cites UU 21/2007 Pasal 2"
    for key in citing:
        assert key in page
    assert "warga-paspor-01" not in page
