"""Fixtures for the quiz engine: the bundled content loaded, attempts started by token."""

import uuid

import pytest

from learning.cli import load_content
from learning.extensions import db
from quizzes import services


@pytest.fixture
def bank(app):
    """Load the bundled lessons, question bank and quizzes."""
    load_content(echo=lambda *_: None)
    db.session.commit()


@pytest.fixture
def start(bank):
    """Start an attempt for `user` at quiz `slug`; return (attempt, token)."""

    def starter(user, slug, **kwargs):
        attempt, token = services.start_attempt(user, services.get_quiz(slug), **kwargs)
        db.session.commit()
        return attempt, token

    return starter


def answer_all(client, attempt, token, right=True, only=None):
    """Answer every question (or the first `only`) right or wrong through the JSON endpoint."""
    for item, version in list(zip(attempt.items, services.item_versions(attempt), strict=True))[
        :only
    ]:
        correct = sorted(version.correct_ids)
        wrong = [o for o in item["o"] if o not in version.correct_ids][:1]
        response = client.post(
            f"/quizzes/attempts/{attempt.id}/answers",
            json={
                "question": item["v"],
                "choices": correct if right else wrong,
                "client_answer_id": str(uuid.uuid4()),
            },
            headers={"X-Attempt-Token": token},
        )
        assert response.status_code == 200, response.get_json()
