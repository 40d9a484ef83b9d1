"""Pages every visitor shares: the front page, the language switch, error pages, health."""

from flask import (
    Blueprint,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import text
from werkzeug.exceptions import HTTPException

from learning.core.access import public
from learning.core.http import safe_next
from learning.extensions import db

bp = Blueprint("core", __name__)

# Landing page of each role, by endpoint name, and the office navigation as
# (endpoint, label, roles): the factory fills both, since rooms further right own the pages.
LANDING_PAGES: dict[str, str] = {}
OFFICE_NAV: list[tuple[str, object, frozenset]] = []


@bp.app_context_processor
def _office_nav():
    def office_nav():
        role = getattr(current_user, "role", None)
        return [(endpoint, label) for endpoint, label, roles in OFFICE_NAV if role in roles]

    return {"office_nav": office_nav}


@bp.route("/")
@public
def index():
    if current_user.is_authenticated:
        endpoint = LANDING_PAGES.get(current_user.role.value)
        if endpoint:
            return redirect(url_for(endpoint))
    return render_template("core/index.html")


@bp.route("/lang/<code>", methods=["POST"])
@public
def set_language(code):
    if code not in current_app.config["LANGUAGES"]:
        code = current_app.config["BABEL_DEFAULT_LOCALE"]
    response = make_response(redirect(safe_next(request.form.get("next"), url_for("core.index"))))
    response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


@bp.route("/sw.js")
@public
def service_worker():
    """The service worker, served from the root so that it may control every page.

    Browsers run it only in a secure context: over HTTPS with the office's local authority in
    field mode, or on 127.0.0.1. Elsewhere the answer outbox still works without it.
    """
    offline_page = render_template("core/offline.html")
    response = make_response(render_template("core/sw.js", offline_page=offline_page))
    response.mimetype = "text/javascript"
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/healthz")
@public
def healthz():
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")


def render_error(error: HTTPException):
    """Render an error page in the user's language, or JSON for JSON clients."""
    code = error.code or 500
    if code >= 500:
        db.session.rollback()
    messages = {
        400: _("Data yang dikirim tidak lengkap atau tidak sah. Periksa isian lalu coba lagi."),
        401: _("Silakan masuk terlebih dahulu."),
        403: _("Anda tidak memiliki izin untuk membuka halaman ini."),
        404: _("Alamat yang Anda buka tidak ada. Periksa kembali alamatnya."),
        405: _("Halaman ini tidak dapat dibuka dengan cara itu."),
        413: _("Berkas yang dikirim terlalu besar."),
        429: _("Terlalu banyak permintaan. Tunggu sebentar lalu coba lagi."),
        500: _("Maaf, terjadi kesalahan. Coba lagi; jika berulang, hubungi admin kantor."),
    }
    titles = {
        400: _("Permintaan tidak dapat diproses"),
        401: _("Perlu masuk"),
        403: _("Akses ditolak"),
        404: _("Halaman tidak ditemukan"),
        405: _("Cara membuka halaman ini tidak diizinkan"),
        413: _("Berkas terlalu besar"),
        429: _("Terlalu banyak permintaan"),
        500: _("Terjadi kesalahan di server"),
    }
    # Our own aborts carry an Indonesian description; Werkzeug's English defaults do not count.
    own = getattr(error, "description", None)
    default = type(error).description if hasattr(type(error), "description") else None
    message = own if own and own != default else messages.get(code, messages[500])
    title = titles.get(code, titles[500])
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return jsonify(error=message, status=code), code
    return render_template("errors/error.html", code=code, title=title, message=message), code
