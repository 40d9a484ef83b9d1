"""The role matrix over every route: routes added later are covered without anyone remembering."""

import uuid

import pytest

from learning.accounts.models import Role

# Endpoints anyone may open. Adding one here is a decision: keep the list short.
PUBLIC = {
    "static",
    "core.index",
    "core.set_language",
    "core.healthz",
    "accounts.login",
    "kiosk.join",
    "kiosk.join_form",  # the short address on posters: /j/<code>
    "core.service_worker",  # /sw.js: the browser fetches it for the page it controls
    "field.index",  # field mode only: how to install the office's authority on a tablet
    "field.ca_certificate",  # field mode only: the authority's certificate (never its key)
    "verify.show",  # a certificate's QR: valid, expired or revoked, nothing personal
}
# The villager's way: entered with a kiosk tablet's or a join code's session, not a login.
KIOSK = {
    "kiosk.welcome",
    "kiosk.consent",
    "kiosk.register",
    "kiosk.card",
    "kiosk.next_step",
    "kiosk.start_test",
    "kiosk.after_test",
    "kiosk.lesson",
    "kiosk.result",
    "kiosk.reset",
    "kiosk.help_call",
    "kiosk.text_size",
    "kiosk.exit_kiosk",
}


def _routes(app):
    for rule in app.url_map.iter_rules():
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        values = {}
        for arg in rule.arguments:
            converter = rule._converters[arg]
            items = getattr(converter, "items", None)
            if items:
                values[arg] = sorted(items)[0]
            elif type(converter).__name__ == "IntegerConverter":
                values[arg] = 1
            else:
                values[arg] = str(uuid.uuid4())
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        for method in methods:
            yield rule.endpoint, method, url


# Endpoints a field laptop calls with its device token or one-time enrolment code.
DEVICE = {"sync_api.enrol", "sync_api.push", "sync_api.pull_snapshot"}
# Endpoints entered with a quiz attempt's secret token instead of a login.
TOKEN = {
    "quizzes.question",
    "quizzes.answer",
    "quizzes.feedback",
    "quizzes.finish",
    "quizzes.submit",
    "quizzes.result",
}


def test_every_view_declares_who_may_open_it(app):
    undeclared = []
    for endpoint, view in app.view_functions.items():
        if endpoint in PUBLIC:
            continue
        if endpoint in TOKEN or endpoint in KIOSK or endpoint in DEVICE:
            mark = (
                "is_token_access"
                if endpoint in TOKEN
                else "is_kiosk_access"
                if endpoint in KIOSK
                else "is_device_access"
            )
            if not getattr(view, mark, False):
                undeclared.append(endpoint)
            continue
        if getattr(view, "is_public", False) or not getattr(view, "allowed_roles", None):
            undeclared.append(endpoint)
    assert undeclared == []


def test_token_and_kiosk_views_are_exactly_the_known_ones(app):
    marked = {e for e, v in app.view_functions.items() if getattr(v, "is_token_access", False)}
    assert marked == TOKEN
    kiosk = {e for e, v in app.view_functions.items() if getattr(v, "is_kiosk_access", False)}
    assert kiosk == KIOSK
    device = {e for e, v in app.view_functions.items() if getattr(v, "is_device_access", False)}
    assert device == DEVICE


def test_device_views_refuse_a_caller_without_a_valid_token_or_code(app, client, admin, login_as):
    login_as(client, admin)  # a logged-in admin's cookie is no device token
    for endpoint, method, url in _routes(app):
        if endpoint in DEVICE:
            response = client.open(url, method=method, headers={"Authorization": "Bearer x"})
            assert response.status_code in (401, 403), endpoint
            assert response.is_json and response.get_json()["error"], endpoint


def test_kiosk_views_refuse_a_browser_without_an_event(app, client):
    # Forgetting the person and the text size touch only this browser's own session.
    harmless = {"kiosk.reset", "kiosk.text_size"}
    for endpoint, method, url in _routes(app):
        if endpoint in KIOSK - harmless:
            assert client.open(url, method=method).status_code in (403, 400), endpoint


def test_public_views_are_exactly_the_known_ones(app):
    public = {e for e, v in app.view_functions.items() if getattr(v, "is_public", False)}
    assert public | {"static"} == PUBLIC


@pytest.fixture
def users(make_user):
    return {role: make_user(role=role) for role in Role}


def test_anonymous_users_are_sent_to_login(app, client):
    for endpoint, method, url in _routes(app):
        if endpoint in PUBLIC or endpoint in TOKEN or endpoint in KIOSK or endpoint in DEVICE:
            continue
        response = client.open(url, method=method)
        assert response.status_code == 302, (endpoint, method, response.status_code)
        assert response.headers["Location"].startswith("/accounts/login"), endpoint


def test_each_wrong_role_gets_403_and_each_right_role_gets_in(app, users, login_as):
    for role, user in users.items():
        client = app.test_client()
        for endpoint, method, url in _routes(app):
            if endpoint in PUBLIC:
                continue
            login_as(client, user)  # again each time: one of the routes is logout
            if endpoint in TOKEN or endpoint in KIOSK or endpoint in DEVICE:
                continue  # tested with and without tokens in tests/quizzes, events and sync
            allowed = app.view_functions[endpoint].allowed_roles
            status = client.open(url, method=method).status_code
            if role in allowed:
                assert status not in (401, 403, 500), (role, endpoint, method, status)
            else:
                assert status == 403, (role, endpoint, method, status)


def test_an_undeclared_view_is_refused(app, tmp_path):
    from tests.conftest import make_test_app

    other = make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)

    @other.get("/lupa-deklarasi")
    def forgotten():
        return "rahasia"

    assert other.test_client().get("/lupa-deklarasi").status_code == 403
