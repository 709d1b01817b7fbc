"""The admin's page of the center's accounts: add one (officer, leader, admin), reset a password,
disable one. Admin only; every form carries the CSRF token (`guard`); what the accounts layer
refuses (a weak password, a taken name, disabling oneself) comes back as the page with the reason."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from central import users
from motcua.errors import DomainError
from webui import i18n
from webui.central.auth import admin_required, guard

bp = guard(Blueprint("center_users", __name__, url_prefix="/users"))


def _page(error: str | None = None, status: int = 200, form: dict | None = None):
    return render_template("central/users.html", users=users.list_users(), roles=users.ROLES,
                           error=error, form=form or {}), status


@bp.get("/")
@admin_required
def index():
    """Every account with its role and whether it may log in."""
    return _page()


@bp.post("/")
@admin_required
def add():
    """A new account; the password is set by the admin and told to the person."""
    form = {k: (request.form.get(k) or "").strip()[:200] for k in ("username", "full_name", "role")}
    try:
        user = users.add_user(form["username"], request.form.get("password", ""), form["role"],
                              form["full_name"] or None)
    except DomainError as exc:
        return _page(i18n.error_text(exc), exc.status, form)
    flash(gettext("Đã tạo tài khoản %(username)s.", username=user.username), "ok")
    return redirect(url_for("center_users.index"))


@bp.post("/<username>/password")
@admin_required
def reset_password(username):
    """A new password; every open session of the account ends."""
    try:
        user = users.set_password(username, request.form.get("password", ""))
    except DomainError as exc:
        return _page(i18n.error_text(exc), exc.status)
    flash(gettext("Đã đặt lại mật khẩu của %(username)s.", username=user.username), "ok")
    return redirect(url_for("center_users.index"))


@bp.post("/<username>/disable")
@admin_required
def disable(username):
    """The account can no longer log in; its sessions end and its API tokens are revoked."""
    try:
        user = users.disable_user(username, by=g.user)
    except DomainError as exc:
        return _page(i18n.error_text(exc), exc.status)
    flash(gettext("Đã khoá tài khoản %(username)s.", username=user.username), "ok")
    return redirect(url_for("center_users.index"))
