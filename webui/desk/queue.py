"""The queue's pages: the kiosk (take a number, rate), the ticket, the clerk's calling panel and
the TV display (polls `display.json` twice a second, plays each new call's WAV)."""
from __future__ import annotations

import io
from pathlib import Path

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext

from motcua import errors as E, legaltime
from motcua.errors import DomainError, InvalidInput, NotFound, TooManyAttempts
from motcua.web import date_arg
from node import clerk, queue, ticketprint, voice
from node.facts import get_state
from node.reception import get_dossier
from node.users import actor_name
from webui.i18n import error_text
from webui.security import client_ip, login_required, throttle

bp = Blueprint("queue", __name__, url_prefix="/queue")


def _groups() -> list[queue.Group]:
    return queue.groups_from(current_app.config.get("QUEUE_GROUPS"))


def voice_folder() -> Path:
    return Path(current_app.config["DATA_DIR"]) / "voice"


# ---- kiosk ------------------------------------------------------------------------------------

@bp.get("/kiosk")
def kiosk():
    """Big buttons, one per service group."""
    return render_template("queue/kiosk.html", groups=_groups())


def kiosk_limit() -> queue.KioskLimit:
    cfg = current_app.config
    return queue.KioskLimit(per_kiosk=int(cfg["TICKET_KIOSK_MAX"]), overall=int(cfg["TICKET_ALL_MAX"]),
                            window_seconds=float(cfg["TICKET_WINDOW_SECONDS"]))


@bp.post("/tickets")
def take():
    """Issue a number and show the ticket (which prints itself on the kiosk); a kiosk issuing too
    fast gets the kiosk page back with the reason and how long to wait."""
    try:
        ticket = queue.take_ticket(request.form.get("group", ""), _groups(), kiosk=client_ip(),
                                   limit=kiosk_limit())
    except TooManyAttempts as exc:
        return render_template("queue/kiosk.html", groups=_groups(), error=error_text(exc)), 429
    target = current_app.config.get("TICKET_PRINTER")
    if not target:
        return redirect(url_for("queue.ticket", uid=ticket.uid, printing=1))
    printed = ticketprint.print_ticket(target, _printed(ticket))
    return redirect(url_for("queue.ticket", uid=ticket.uid, printed=1 if printed else 0))


def _printed(t) -> ticketprint.PrintedTicket:
    group = next((g_ for g_ in _groups() if g_.code == t.group), None)
    return ticketprint.PrintedTicket(
        unit=get_state("unit_name", ""), label=queue.label(t),
        group=group.name_vi if group else t.group, issued=t.issued_at.strftime("%H:%M %d/%m/%Y"),
        ahead=queue.waiting_before(t), secret=t.secret,
        url=url_for("queue.ticket", uid=t.uid, _external=True))


@bp.get("/t/<uid>")
def ticket(uid):
    """The ticket: number, group, time, people ahead, and a QR of this page for the phone."""
    t = queue.get_ticket(uid)
    link = url_for("queue.ticket", uid=t.uid, _external=True)
    qr = segno.make(link, error="m")
    buf = io.BytesIO()
    qr.save(buf, kind="svg", scale=4, border=2, xmldecl=False)
    group = next((g_ for g_ in _groups() if g_.code == t.group), None)
    return render_template("queue/ticket.html", t=t, label=queue.label(t), group=group,
                           ahead=queue.waiting_before(t), qr_svg=buf.getvalue().decode(),
                           printing=request.args.get("printing") == "1",
                           printed=request.args.get("printed"))


# ---- the clerk's panel ------------------------------------------------------------------------

@bp.get("/desk")
@login_required
def desk():
    """Call the next number, recall, skip, transfer; the waiting line."""
    mine = queue.desk_of(actor_name(g.user))
    current = queue.serving(mine["desk"]) if mine.get("desk") else None
    state = queue.display_state(_groups(), after_call=10 ** 12)
    return render_template("queue/desk.html", mine=mine, current=current,
                           current_label=queue.label(current) if current else None,
                           groups=_groups(), waiting=state["next"], desks=state["desks"],
                           dossiers=queue.dossiers_of(current) if current else [])


@bp.post("/desk/<action>")
@login_required
def act(action):
    """One button of the panel; errors come back as a message on the panel."""
    actor = actor_name(g.user)
    mine = queue.desk_of(actor)
    try:
        if action == "settings":
            queue.set_desk(actor, request.form.get("desk"), request.form.getlist("groups"))
        elif action == "next":
            called = queue.call_next(mine.get("desk"), actor, mine.get("groups") or ())
            if called is None:
                flash(gettext("Không còn ai chờ."), "info")
        elif action == "recall":
            queue.recall(mine.get("desk"))
        elif action == "skip":
            queue.skip(mine.get("desk"))
        elif action == "done":
            queue.finish(mine.get("desk"))
        elif action == "transfer":
            queue.transfer(mine.get("desk"), request.form.get("to_desk"))
        else:
            abort(404)
    except DomainError as exc:
        flash(exc.message_vi, "error")
    return redirect(url_for("queue.desk"))


# ---- the display ------------------------------------------------------------------------------

@bp.get("/display")
def display():
    """The TV: desks and their numbers, the next ones; sound after one tap (browsers' rule)."""
    return render_template("queue/display.html")


@bp.get("/display.json")
def display_json():
    """The display's state; `after` = the last call it announced."""
    after = request.args.get("after", "0")
    state = queue.display_state(_groups(), after_call=int(after) if after.isdigit() else 0)
    state["voice"] = (voice_folder() / "moi_so.wav").exists()
    return jsonify(state)


@bp.get("/call/<int:call_id>.wav")
def call_sound(call_id):
    """One call read aloud (clips joined); 404 when the clips were never made."""
    call = queue.get_call(call_id)
    data = voice.join_call(voice_folder(), voice.call_words(call.ticket.group, call.ticket.number,
                                                            call.desk))
    if data is None:
        abort(404)
    return Response(data, mimetype="audio/wav", headers={"Cache-Control": "max-age=3600"})


# ---- rating at the kiosk ----------------------------------------------------------------------

@bp.route("/rate", methods=["GET", "POST"])
def rate():
    """Rate by ticket (number + its 4 letters) or dossier (code + lookup secret); no level is
    preselected, and a dossier is rated once."""
    scale = current_app.config["RATING_SCALE"]
    code, secret, error, done = "", "", None, None
    if request.method == "POST":
        code, secret = request.form.get("code", "").strip(), request.form.get("s", "").strip()
        per_address, cfg = throttle("lookup_address"), current_app.config
        per_address.check(client_ip(), E.ADDRESS_LOCKED)
        try:
            if len(code) <= 7:                 # a ticket: A012
                dossier_codes = queue.dossiers_of(queue.find_ticket_today(code, secret))
            else:
                clerk.guarded_lookup(code, secret,
                                           max_failures=int(cfg["LOOKUP_MAX_FAILURES"]),
                                           lock_seconds=float(cfg["LOOKUP_LOCK_SECONDS"]))
                dossier_codes = [get_dossier(code).code]
        except NotFound as exc:
            per_address.fail(client_ip())
            error = exc.message_vi
        else:
            if request.form.get("rating"):
                try:
                    done = queue.rate_once(dossier_codes, request.form["rating"], scale)
                except DomainError as exc:
                    error = exc.message_vi
    return render_template("queue/rate.html", scale=scale, code=code, secret=secret,
                           error=error, done=done, asked=request.method == "POST" and not error), \
        (200 if not error else 422)


# ---- statistics -------------------------------------------------------------------------------

def _stats_range():
    """`from` and `to` (ISO dates; both default to today). :raises InvalidInput: bad or reversed."""
    date_from, date_to = date_arg("from"), date_arg("to")
    today = legaltime.today()
    date_from, date_to = date_from or date_to or today, date_to or date_from or today
    if date_to < date_from:
        raise InvalidInput(E.STATS_RANGE, field="to")
    return date_from, date_to


@bp.get("/stats")
@login_required
def stats():
    """Waiting and service per group and desk, tickets per hour, satisfaction, for the days chosen."""
    date_from, date_to = _stats_range()
    return render_template("queue/stats.html", s=queue.point_figures(date_from, date_to),
                           date_from=date_from, date_to=date_to)


@bp.get("/stats.json")
@login_required
def stats_json():
    """The same figures as JSON (those under `points` are what the center computes after sync)."""
    return jsonify(queue.point_figures(*_stats_range()))
