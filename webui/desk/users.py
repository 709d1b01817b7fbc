"""The admin's page of accounts: who may log in at this desk, and disabling one at once."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import gettext

from node.users import disable_user, list_users
from webui.security import role_required

bp = Blueprint("users", __name__, url_prefix="/users")


@bp.get("/")
@role_required("admin")
def index():
    """Every account with its role and whether it is active."""
    return render_template("node/users.html", users=list_users())


@bp.post("/<username>/disable")
@role_required("admin")
def disable(username):
    """Disable an account: it cannot log in, its sessions end, its API tokens are revoked."""
    user = disable_user(username, by=g.user)
    flash(gettext("Đã khoá tài khoản %(username)s.", username=user.username), "ok")
    return redirect(url_for("users.index"))
