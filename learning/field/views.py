"""The authority's certificate and the page to install it, only while field mode is on."""

from flask import Blueprint, abort, current_app, render_template, request

from learning.core.access import public
from learning.field import tls

bp = Blueprint("field", __name__, url_prefix="/field")
DOWNLOAD_NAME = "sadar-imigrasi-ca.crt"


@bp.before_request
def _only_in_field_mode():
    if not current_app.config.get("FIELD_MODE"):
        abort(404)
    if not (tls.ca_dir(current_app.instance_path) / tls.CA_CERT).exists():
        abort(404)


@bp.route("/ca.crt")
@public
def ca_certificate():
    """The authority's certificate only (PEM), never its key.

    Shown inline, iOS Safari offers to install it as a profile. With ?unduh=1 it is saved as a
    file: Android installs CA certificates from Settings only, from a saved file.
    """
    disposition = "attachment" if request.args.get("unduh") else "inline"
    return (
        tls.ca_certificate_pem(current_app.instance_path),
        {
            "Content-Type": "application/x-x509-ca-cert",
            "Content-Disposition": f'{disposition}; filename="{DOWNLOAD_NAME}"',
        },
    )


@bp.route("/")
@public
def index():
    pairs = tls.ca_fingerprint_sha256(current_app.instance_path).split(":")
    return render_template(
        "field/index.html",
        fingerprint_lines=[":".join(pairs[i : i + 8]) for i in range(0, len(pairs), 8)],
        https_url=current_app.config.get("FIELD_HTTPS_URL"),
        download_name=DOWNLOAD_NAME,
    )
