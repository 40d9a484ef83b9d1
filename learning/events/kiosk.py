"""The villager's way on a kiosk tablet or a phone: welcome, consent, registration, pre-test,
lesson cards, post-test, result, reset. One thing per screen; works without JavaScript."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user

from learning.accounts.services import check_pin
from learning.core.access import kiosk_access, public
from learning.core.database import writes_on_get
from learning.core.http import client_address, safe_next
from learning.events import services
from learning.events.forms import CardForm, ConsentForm, JoinForm, PinExitForm, RegisterForm
from learning.events.qr import qr_svg
from learning.events.views import KIOSK_SESSION
from learning.extensions import db
from learning.lessons.content import split_cards, spoken_text
from learning.lessons.services import get_lesson
from quizzes import services as quizzes
from quizzes.views import NEXT_PAGES, SESSION_TOKENS, remember_next, remember_token

bp = Blueprint("kiosk", __name__)
JOIN_SESSION = "join_event"
PERSON_KEYS = ("participation", "consent_by", NEXT_PAGES, SESSION_TOKENS)


def current_event():
    """The event this browser serves: a kiosk tablet's, or the one joined by code on a phone."""
    kiosk = services.get_kiosk(session.get(KIOSK_SESSION))
    if kiosk is not None:
        return kiosk.event, kiosk
    event = services.get_event(session.get(JOIN_SESSION)) if session.get(JOIN_SESSION) else None
    if event is not None and event.status != "closed":
        return event, None
    return None, None


@bp.before_app_request
def _kiosk_mode():
    """A kiosk tablet reaches only the villager's way and the quiz pages: office pages are 403.

    The villager's way and its quiz pages wear the kiosk layout, on a tablet or a phone that
    joined by code; other pages keep theirs.
    """
    from flask import current_app

    if request.endpoint in (None, "static", "core.set_language"):
        return None
    view = current_app.view_functions.get(request.endpoint)
    villager_page = getattr(view, "is_kiosk_access", False) or getattr(
        view, "is_token_access", False
    )
    if villager_page and (session.get(KIOSK_SESSION) or session.get(JOIN_SESSION)):
        g.layout = "layouts/kiosk.html"
        g.event, g.kiosk = current_event()
    if session.get(KIOSK_SESSION) and not villager_page:
        abort(
            403,
            description=_(
                "Tablet ini sedang menjadi kios acara. Halaman kantor tidak dapat dibuka."
            ),
        )
    return None


def _event_or_403():
    event, kiosk = current_event()
    if event is None:
        session.pop(KIOSK_SESSION, None)
        abort(403, description=_("Buka acara lewat kode atau QR yang diberikan petugas."))
    g.event, g.kiosk = event, kiosk
    return event


def _participation():
    participation = services.get_participation(session.get("participation"))
    if participation is None or participation.event_id != g.event.id:
        return None
    return participation


@bp.route("/j/<code>")
@public
def join(code):
    event = services.get_event_by_code(code)
    if event is None or event.status == "closed":
        return render_template("kiosk/join.html", form=JoinForm(), unknown=True), 404
    if session.get(KIOSK_SESSION):
        return redirect(url_for("kiosk.welcome"))
    session[JOIN_SESSION] = str(event.id)
    return redirect(url_for("kiosk.welcome"))


@bp.route("/j", methods=["GET", "POST"])
@public
def join_form():
    form = JoinForm()
    if form.validate_on_submit():
        return redirect(url_for("kiosk.join", code=form.code.data.strip()))
    return render_template(
        "kiosk/join.html", form=form, unknown=False
    ), 400 if request.method == "POST" else 200


@bp.route("/kiosk/")
@kiosk_access
def welcome():
    event = _event_or_403()
    participation = _participation()
    return render_template("kiosk/welcome.html", event=event, participation=participation)


@bp.route("/kiosk/consent", methods=["GET", "POST"])
@kiosk_access
def consent():
    event = _event_or_403()
    form = ConsentForm()
    if form.validate_on_submit():
        session["consent_by"] = form.who.data
        return redirect(url_for("kiosk.register"))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "kiosk/consent.html", event=event, form=form, version=services.CONSENT_VERSION
    ), status


@bp.route("/kiosk/register", methods=["GET", "POST"])
@kiosk_access
def register():
    event = _event_or_403()
    if "consent_by" not in session:
        return redirect(url_for("kiosk.consent"))
    form, card = RegisterForm(prefix="new"), CardForm(prefix="card")
    form.offer_villages(event)
    status = 200
    try:
        if card.submit.data and card.validate_on_submit():
            participation = services.returning_villager(
                event, card.card_code.data, session["consent_by"]
            )
            return _registered(participation, new=False)
        if form.submit.data and form.validate_on_submit():
            participation = services.register_villager(
                event, form.registration(session["consent_by"])
            )
            return _registered(participation, new=True)
    except services.EventError as exc:
        db.session.rollback()
        (card.card_code if card.submit.data else form.name).errors = [str(exc)]
        status = exc.status if exc.status != 404 else 400
    if request.method == "POST" and status == 200:
        status = 400
    return render_template("kiosk/register.html", event=event, form=form, card=card), status


def _registered(participation, new: bool):
    db.session.commit()
    session["participation"] = str(participation.id)
    session.pop("consent_by", None)
    return redirect(url_for("kiosk.card") if new else url_for("kiosk.next_step"))


@bp.route("/kiosk/card")
@kiosk_access
def card():
    event = _event_or_403()
    participation = _participation()
    if participation is None:
        return redirect(url_for("kiosk.welcome"))
    profile = services.get_profile(participation.user)
    return render_template(
        "kiosk/card.html",
        event=event,
        participation=participation,
        profile=profile,
        qr=qr_svg(profile.card_code, scale=6) if profile else "",
    )


@bp.route("/kiosk/next")
@kiosk_access
def next_step():
    """Send the participant to where they are in the villager's way."""
    _event_or_403()
    participation = _participation()
    if participation is None:
        return redirect(url_for("kiosk.welcome"))
    return render_template("kiosk/next.html", participation=participation)


@bp.route("/kiosk/test/<any(pre, post):which>", methods=["POST"])
@kiosk_access
def start_test(which):
    _event_or_403()
    participation = _participation()
    if participation is None:
        return redirect(url_for("kiosk.welcome"))
    try:
        attempt, token = services.start_test(participation, which)
    except (services.EventError, quizzes.AttemptError) as exc:
        db.session.rollback()
        abort(exc.status, description=str(exc))
    db.session.commit()
    remember_token(attempt.id, token)
    remember_next(attempt.id, url_for("kiosk.after_test", which=which))
    if attempt.status != "open":
        return redirect(url_for("kiosk.after_test", which=which))
    first_open = quizzes.first_unanswered(attempt)
    return redirect(url_for("quizzes.question", attempt_id=attempt.id, n=first_open))


@bp.route("/kiosk/after/<any(pre, post):which>")
@kiosk_access
@writes_on_get
def after_test(which):
    _event_or_403()
    participation = _participation()
    if participation is None:
        return redirect(url_for("kiosk.welcome"))
    services.advance(participation, "lessons" if which == "pre" else "done")
    db.session.commit()
    if which == "pre":
        return redirect(url_for("kiosk.lesson", index=0, card_no=0))
    return redirect(url_for("kiosk.result"))


@bp.route("/kiosk/lesson/<int:index>/<int:card_no>")
@kiosk_access
@writes_on_get
def lesson(index, card_no):
    event = _event_or_403()
    participation = _participation()
    if participation is None:
        return redirect(url_for("kiosk.welcome"))
    slugs = event.lesson_slugs
    if not 0 <= index < len(slugs):
        abort(404)
    item = get_lesson(slugs[index])
    if item is None:
        abort(404)
    version = item.current_version
    cards = split_cards(version.body)
    if not 0 <= card_no < len(cards):
        abort(404)
    previous = None
    if card_no > 0:
        previous = url_for("kiosk.lesson", index=index, card_no=card_no - 1)
    elif index > 0:
        earlier = get_lesson(slugs[index - 1])
        last = len(split_cards(earlier.current_version.body)) - 1 if earlier else 0
        previous = url_for("kiosk.lesson", index=index - 1, card_no=max(last, 0))
    if card_no + 1 < len(cards):
        following = url_for("kiosk.lesson", index=index, card_no=card_no + 1)
    elif index + 1 < len(slugs):
        following = url_for("kiosk.lesson", index=index + 1, card_no=0)
    else:
        following = None  # the post-test comes next
        services.advance(participation, "posttest")
        db.session.commit()
    return render_template(
        "kiosk/lesson.html",
        event=event,
        version=version,
        card=cards[card_no],
        card_no=card_no,
        cards=len(cards),
        index=index,
        lessons=len(slugs),
        following=following,
        spoken=spoken_text(cards[card_no].markdown),
        first=card_no == 0,
        previous=previous,
    )


@bp.route("/kiosk/result")
@kiosk_access
def result():
    event = _event_or_403()
    participation = _participation()
    if participation is None:
        return redirect(url_for("kiosk.welcome"))
    attempts = quizzes.get_attempts(
        [participation.pretest_attempt_id, participation.posttest_attempt_id]
    )
    post = attempts.get(participation.posttest_attempt_id)
    pre = attempts.get(participation.pretest_attempt_id)
    return render_template(
        "kiosk/result.html",
        event=event,
        participation=participation,
        pre=pre,
        post=post,
        items=quizzes.review_items(post) if post is not None and post.status == "submitted" else [],
    )


@bp.route("/kiosk/reset", methods=["POST"])
@kiosk_access
def reset():
    """Forget the person on this tablet: nothing personal stays (answers already sent stay sent)."""
    for key in PERSON_KEYS:
        session.pop(key, None)
    return redirect(url_for("kiosk.welcome"))


@bp.route("/kiosk/help", methods=["POST"])
@kiosk_access
def help_call():
    event = _event_or_403()
    where = g.kiosk.label if g.kiosk else _("Ponsel peserta")
    participation = _participation()
    if participation is not None:
        where += f" · {_('peserta')} {participation.number}"
    services.call_help(event, where)
    db.session.commit()
    flash(_("Petugas sudah dipanggil. Mohon tunggu sebentar."), "info")
    return redirect(safe_next(request.form.get("back"), url_for("kiosk.welcome")))


@bp.route("/kiosk/text-size", methods=["POST"])
@kiosk_access
def text_size():
    session["text_size"] = "normal" if session.get("text_size") == "large" else "large"
    return redirect(safe_next(request.form.get("back"), url_for("kiosk.welcome")))


@bp.route("/kiosk/exit", methods=["GET", "POST"])
@kiosk_access
def exit_kiosk():
    _event_or_403()
    if g.kiosk is None:  # a phone joined by code has nothing to unlock
        session.pop(JOIN_SESSION, None)
        return redirect(url_for("core.index"))
    form = PinExitForm()
    status = 200
    if form.validate_on_submit():
        checked = check_pin(g.kiosk.officer, form.pin.data, client_address())
        if checked.user is not None:
            services.end_kiosk(g.kiosk)
            db.session.commit()
            session.clear()
            login_user(checked.user)
            return redirect(url_for("events.show", event_id=g.event.id))
        db.session.commit()  # the failure is counted
        form.pin.errors.append(checked.error)
        status = 429 if checked.throttled else 401
    elif request.method == "POST":
        status = 400
    return render_template("kiosk/exit.html", form=form), status
