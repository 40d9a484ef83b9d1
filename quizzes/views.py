"""Quiz pages: officers take practice quizzes and the exam; answers are autosaved by token."""

import uuid

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from learning.accounts.decorators import ALL_STAFF
from learning.core.access import Role, role_required, token_access
from learning.core.http import safe_next
from learning.extensions import csrf, db
from learning.lessons import services as lessons
from quizzes import analysis, certification, services
from quizzes.forms import RevokeForm, StartForm

bp = Blueprint("quizzes", __name__, url_prefix="/quizzes")
SESSION_TOKENS = "attempt_tokens"


NEXT_PAGES = "attempt_next"


def remember_next(attempt_id, url: str) -> None:
    """Say where to go after submitting (a kiosk's next step); a path on this site only."""
    pages = dict(session.get(NEXT_PAGES, {}))
    pages[str(attempt_id)] = url
    session[NEXT_PAGES] = dict(list(pages.items())[-20:])


def remember_token(attempt_id, token: str) -> None:
    """Keep an attempt's token in this browser's session (kiosk and staff pages)."""
    tokens = dict(session.get(SESSION_TOKENS, {}))
    tokens[str(attempt_id)] = token
    session[SESSION_TOKENS] = dict(list(tokens.items())[-20:])


def session_token(attempt) -> str | None:
    token = session.get(SESSION_TOKENS, {}).get(str(attempt.id))
    return token if services.token_matches(attempt, token) else None


def _attempt_or_404(attempt_id):
    attempt = services.get_attempt(attempt_id)
    if attempt is None:
        abort(404)
    return attempt


def _attempt_for_page(attempt_id):
    """An attempt this browser holds the token of; its owner is offered to resume it."""
    attempt = _attempt_or_404(attempt_id)
    if session_token(attempt) is None:
        if (
            current_user.is_authenticated
            and current_user.id == attempt.user_id
            and attempt.status == "open"
        ):
            return None, render_template("quizzes/resume.html", attempt=attempt, form=StartForm())
        abort(
            403, description=_("Percobaan ini dibuka di perangkat lain. Mulai dari halaman kuis.")
        )
    return attempt, None


def _presented_token() -> str | None:
    return (
        request.headers.get("X-Attempt-Token")
        or request.form.get("token")
        or (request.get_json(silent=True) or {}).get("token")
    )


def _json_wanted() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


@bp.route("/")
@role_required(*ALL_STAFF)
def index():
    track = "pimpasa"
    quizzes = services.list_quizzes(track)
    results = services.list_results(current_user)
    best = {}
    for attempt in results:
        if attempt.quiz_id not in best or attempt.score > best[attempt.quiz_id].score:
            best[attempt.quiz_id] = attempt
    track_lessons = lessons.list_lessons(track)
    titles = {lesson.slug: lesson.current_version.title for lesson in track_lessons}
    order = {lesson.slug: lesson.order for lesson in track_lessons}
    quizzes.sort(key=lambda q: (q.kind != "exam", order.get(q.lesson_slug, 0)))
    return render_template(
        "quizzes/index.html",
        quizzes=quizzes,
        best=best,
        titles=titles,
        form=StartForm(),
        certified=certification.get_certification(current_user),
        lessons_done=lessons.has_completed_track(current_user, track),
        used={q.id: services.count_submitted(current_user, q) for q in quizzes if q.max_attempts},
    )


@bp.route("/<slug>/start", methods=["POST"])
@role_required(*ALL_STAFF)
def start(slug):
    quiz = services.get_quiz(slug)
    if quiz is None or quiz.track != "pimpasa":
        abort(404)
    if not StartForm().validate_on_submit():
        abort(400)
    try:
        attempt, token = services.start_attempt(current_user, quiz)
    except services.AttemptError as exc:
        db.session.rollback()
        abort(exc.status, description=str(exc))
    db.session.commit()
    remember_token(attempt.id, token)
    first_open = services.first_unanswered(attempt)
    return redirect(url_for("quizzes.question", attempt_id=attempt.id, n=first_open))


@bp.route("/attempts/<attempt_id>/<int:n>")
@token_access
def question(attempt_id, n):
    attempt, page = _attempt_for_page(attempt_id)
    if page:
        return page
    if attempt.status != "open":
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    if not 1 <= n <= len(attempt.items):
        abort(404)
    item = attempt.items[n - 1]
    versions = services.item_versions(attempt)  # one query: this page and the offline copy
    version = versions[n - 1]
    options = {o["id"]: o for o in version.options}
    answered = services.effective_answers(attempt)
    if attempt.quiz.feedback == "each" and item["v"] in answered:
        return redirect(url_for("quizzes.feedback", attempt_id=attempt.id, n=n))  # answer is final
    token = session_token(attempt)
    return render_template(
        "quizzes/question.html",
        attempt=attempt,
        n=n,
        version=version,
        options=[options[i] for i in item["o"]],
        chosen=answered.get(item["v"]),
        answered=answered,
        token=token,
        client_answer_id=uuid.uuid4(),
        offline=_offline_data(attempt, versions, n, token, answered),
    )


def _offline_data(attempt, versions, n: int, token: str | None, answered: dict) -> dict:
    """What the page needs to carry on without the server: the attempt's questions in the order
    shown (never which option is right), where to send answers, and the texts of the outbox."""
    questions = []
    for item, version in zip(attempt.items, versions, strict=True):
        by_id = {o["id"]: o["text"] for o in version.options}
        questions.append(
            {
                "v": str(version.id),
                "text": version.text,
                "multiple": version.question.kind == "multiple",
                "options": [{"id": i, "text": by_id[i]} for i in item["o"]],
            }
        )
    return {
        "attempt": str(attempt.id),
        "n": n,
        "token": token,
        "feedback": attempt.quiz.feedback,
        "answerUrl": url_for("quizzes.answer", attempt_id=attempt.id),
        "submitUrl": url_for("quizzes.submit", attempt_id=attempt.id),
        "finishUrl": url_for("quizzes.finish", attempt_id=attempt.id),
        "questionUrl": url_for("quizzes.question", attempt_id=attempt.id, n=0)[:-1],
        "answered": [str(v) for v in answered],
        "questions": questions,
        "texts": {
            "question": _("Soal %(n)s dari %(total)s", n="{n}", total=len(questions)),
            "doneTitle": _("Jawaban tersimpan di tablet ini"),
            "done": _(
                "Koneksi ke server sedang terputus. Semua jawaban Anda tersimpan di tablet ini "
                "dan dikirim otomatis begitu koneksi kembali, juga setelah tablet dipakai orang "
                "berikutnya."
            ),
            "submit": _("Kumpulkan jawaban"),
            "submitted": _("Terima kasih. Jawaban akan dikumpulkan begitu koneksi kembali."),
            "missing": _("Soal yang belum dijawab dihitung salah."),
        },
    }


@bp.route("/attempts/<attempt_id>/answers", methods=["POST"])
@token_access
@csrf.exempt  # the attempt's own secret token, sent with every answer, stops forged posts
def answer(attempt_id):
    attempt = _attempt_or_404(attempt_id)
    if not services.token_matches(attempt, _presented_token()):
        message = _("Token percobaan tidak sah. Jawaban tidak disimpan.")
        if _json_wanted():
            return jsonify(saved=False, error=message), 403
        abort(403, description=message)
    data = request.get_json(silent=True) if request.is_json else None
    if data is not None:
        fields = (data.get("question"), data.get("choices") or [], data.get("client_answer_id"))
    else:
        fields = (
            request.form.get("question"),
            request.form.getlist("choice"),
            request.form.get("client_answer_id"),
        )
    try:
        result = services.save_answer(attempt, *fields)
    except services.AttemptError as exc:
        db.session.rollback()
        if _json_wanted():
            return jsonify(saved=False, error=str(exc)), exc.status
        flash(str(exc), "error")
        n = int(request.form.get("n", 1))
        if exc.status == 409 and attempt.status != "open":
            return redirect(url_for("quizzes.result", attempt_id=attempt.id))
        if exc.status == 409:
            return redirect(url_for("quizzes.feedback", attempt_id=attempt.id, n=n))
        return redirect(url_for("quizzes.question", attempt_id=attempt.id, n=n)), 303
    show = attempt.quiz.feedback == "each"  # read before the commit expires the attempt
    db.session.commit()
    if _json_wanted():
        payload = {"saved": True, "created": result.created}
        if show:
            payload["correct"] = result.is_correct
        return jsonify(payload)
    n = int(request.form.get("n", 1))
    if show:
        return redirect(url_for("quizzes.feedback", attempt_id=attempt.id, n=n))
    return redirect(_next_url(attempt, n))


def _next_url(attempt, n: int) -> str:
    if n < len(attempt.items):
        return url_for("quizzes.question", attempt_id=attempt.id, n=n + 1)
    return url_for("quizzes.finish", attempt_id=attempt.id)


@bp.route("/attempts/<attempt_id>/<int:n>/feedback")
@token_access
def feedback(attempt_id, n):
    attempt, page = _attempt_for_page(attempt_id)
    if page:
        return page
    if attempt.quiz.feedback != "each" or not 1 <= n <= len(attempt.items):
        abort(404)
    review = services.review_items(attempt)[n - 1]
    if not review.answered:  # the right answer is shown only after one was given
        return redirect(url_for("quizzes.question", attempt_id=attempt.id, n=n))
    return render_template(
        "quizzes/feedback.html", attempt=attempt, n=n, item=review, next_url=_next_url(attempt, n)
    )


@bp.route("/attempts/<attempt_id>/finish")
@token_access
def finish(attempt_id):
    attempt, page = _attempt_for_page(attempt_id)
    if page:
        return page
    if attempt.status != "open":
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    answered = services.effective_answers(attempt)
    return render_template(
        "quizzes/finish.html", attempt=attempt, answered=answered, token=session_token(attempt)
    )


@bp.route("/attempts/<attempt_id>/submit", methods=["POST"])
@token_access
@csrf.exempt  # see answer(): the attempt token is the proof
def submit(attempt_id):
    attempt = _attempt_or_404(attempt_id)
    if not services.token_matches(attempt, _presented_token()):
        abort(403, description=_("Token percobaan tidak sah."))
    attempt = services.submit_attempt(attempt)
    db.session.commit()
    if _json_wanted():
        return jsonify(status=attempt.status, score=attempt.score, passed=attempt.passed)
    fallback = url_for("quizzes.result", attempt_id=attempt.id)
    return redirect(safe_next(session.get(NEXT_PAGES, {}).get(str(attempt.id)), fallback))


@bp.route("/attempts/<attempt_id>/result")
@token_access
def result(attempt_id):
    attempt = _attempt_or_404(attempt_id)
    owner = current_user.is_authenticated and current_user.id == attempt.user_id
    admin = current_user.is_authenticated and current_user.role == Role.ADMIN
    if not (owner or admin or session_token(attempt)):
        abort(403, description=_("Hasil ini hanya untuk pemiliknya."))
    if attempt.status == "open":
        return redirect(url_for("quizzes.finish", attempt_id=attempt.id))
    show = attempt.quiz.feedback in ("each", "end")
    return render_template(
        "quizzes/result.html",
        attempt=attempt,
        items=services.review_items(attempt) if show else [],
        show=show,
        certified=certification.get_certification(attempt.user),
    )


# ---- management (admins) -------------------------------------------------------------------


@bp.route("/manage/")
@role_required(Role.ADMIN)
def manage_index():
    return render_template("quizzes/manage/index.html", quizzes=services.list_quizzes())


@bp.route("/manage/items")
@role_required(Role.ADMIN)
def manage_items():
    track = request.args.get("track") or None
    return render_template(
        "quizzes/manage/items.html", items=analysis.item_analysis(track), track=track
    )


@bp.route("/manage/certifications")
@role_required(Role.ADMIN)
def manage_certifications():
    rows = certification.list_officers_with_status()
    return render_template(
        "quizzes/manage/certifications.html",
        rows=rows,
        progress={o.id: lessons.track_progress(o, "pimpasa") for o, _c in rows},
        form=RevokeForm(),
    )


@bp.route("/manage/certifications/<user_id>/revoke", methods=["POST"])
@role_required(Role.ADMIN)
def manage_revoke(user_id):
    from learning.accounts.services import get_user

    user = get_user(user_id)
    record = certification.get_certification(user) if user else None
    if record is None or not record.is_valid:
        abort(404)
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400, description=_("Tulis alasan pencabutan."))
    certification.revoke_certification(record, form.reason.data, current_user)
    db.session.commit()
    flash(_("Sertifikasi %(name)s dicabut.", name=user.display_name), "success")
    return redirect(url_for("quizzes.manage_certifications"))


@bp.route("/manage/questions")
@role_required(Role.ADMIN)
def manage_questions():
    from learning.core.registry import affected_by, list_changed_provisions

    track = request.args.get("track") or None
    rows = services.list_questions(track)
    changed = list_changed_provisions()
    flags = {}
    for question, version in rows:
        pending = [
            p for p in changed if not version.reviewed_at or p.changed_at > version.reviewed_at
        ]
        flags[question.id] = [p.text for p in affected_by(version.citations, pending)]
    only_flagged = request.args.get("flagged") == "1"
    if only_flagged:
        rows = [(q, v) for q, v in rows if flags[q.id] or q.has_conflict]
    return render_template(
        "quizzes/manage/questions.html",
        rows=rows,
        flags=flags,
        track=track,
        only_flagged=only_flagged,
    )


def _question_or_404(key):
    question = services.get_question(key)
    if question is None:
        abort(404)
    return question


@bp.route("/manage/questions/<key>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def manage_question(key):
    from flask import current_app

    from learning.lessons.checks import load_context
    from quizzes.bank import edit_question, question_content
    from quizzes.checks import check_question
    from quizzes.forms import QuestionEditForm

    question = _question_or_404(key)
    version = services.get_question_version(question.current_version_id)
    form = QuestionEditForm()
    if request.method == "GET":
        form.process(
            data={
                "text": version.text,
                "explanation": version.explanation,
                "citations": "\n".join(version.citations),
                "options": "\n".join(
                    ("* " if o["correct"] else "") + o["text"] for o in version.options
                ),
                "answer": "true"
                if any(o["id"] == "benar" and o["correct"] for o in version.options)
                else "false",
            }
        )
    problems, status = [], 200
    if form.validate_on_submit():
        lines = lambda text: [x.strip() for x in (text or "").splitlines() if x.strip()]  # noqa: E731
        item = {
            "key": question.key,
            "type": question.kind,
            "difficulty": question.difficulty,
            "lesson": question.lesson_slug,
            "text": form.text.data,
            "explanation": form.explanation.data,
            "citations": lines(form.citations.data),
            "illustration": version.illustration,
            **({"pool": question.pool} if question.pool else {}),
        }
        if question.kind == "truefalse":
            item["answer"] = form.answer.data == "true"
        else:
            item["options"] = [
                {"text": x.lstrip("*").strip(), **({"correct": True} if x.startswith("*") else {})}
                for x in lines(form.options.data)
            ]
        from pathlib import Path

        ctx = load_context(Path(current_app.config["CONTENT_DIR"]), Path(current_app.static_folder))
        known = {lesson.slug: {"track": lesson.track} for lesson in lessons.list_lessons()}
        audience = ctx["tracks"][question.track]["audience"]
        check_question(
            item,
            {},
            1,
            audience,
            question.track,
            ctx,
            known,
            lambda _line, message: problems.append(message),
        )
        if problems:
            status = 400
        else:
            new = edit_question(
                question, question_content({**item, "read_aloud": version.read_aloud}), current_user
            )
            db.session.commit()
            flash(_("Disimpan sebagai versi %(n)s.", n=new.number), "success")
            return redirect(url_for("quizzes.manage_question", key=key))
    elif request.method == "POST":
        status = 400
    return render_template(
        "quizzes/manage/question.html",
        question=question,
        version=version,
        form=form,
        problems=problems,
        versions=services.list_question_versions(question),
        review_form=StartForm(),
    ), status


@bp.route("/manage/questions/<key>/review", methods=["POST"])
@role_required(Role.ADMIN)
def manage_question_review(key):
    from quizzes.bank import mark_question_reviewed

    question = _question_or_404(key)
    if not StartForm().validate_on_submit():
        abort(400)
    mark_question_reviewed(services.get_question_version(question.current_version_id), current_user)
    db.session.commit()
    flash(_("Soal ditandai sudah ditinjau."), "success")
    return redirect(url_for("quizzes.manage_question", key=key))
