"""Email about support requests over SMTP (issue 15): on assignment (to the assignee), on a
proposal (to the requester), on a decision (to the assignee) and when a request is due soon
(to whoever it waits on). Off while ``notifications.smtp_host`` is empty: nothing is sent.

This module knows no database: it is given the settings, the request as shown and the app
users. Each message carries a link to ``{base_url}/requests/{id}``. A send that fails raises;
the caller (the requests service) logs and reports it, and the change it was about stands.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from typing import Any

log = logging.getLogger(__name__)

#: who each event goes to: "assignee", "requester", or "waiting" (whoever the request waits on)
RECIPIENT = {"assigned": "assignee", "proposed": "requester", "decided": "assignee", "due": "waiting"}
#: the environment variables of an SMTP login (never in settings.yaml): both or neither
SMTP_USER_ENV = "ACCOUNTLEADER_SMTP_USER"
SMTP_PASSWORD_ENV = "ACCOUNTLEADER_SMTP_PASSWORD"


def recipient_role(event: str, status: str) -> str:
    role = RECIPIENT[event]
    if role == "waiting":
        return "requester" if status == "proposed" else "assignee"
    return role


def compose(event: str, request: Mapping[str, Any], *, sender: str, to: str, base_url: str) -> EmailMessage:
    """The email of ``event`` about ``request`` (a request's JSON shape)."""
    rid = request["id"]
    link = f"{base_url.rstrip('/')}/requests/{rid}"
    asker = (request.get("requester") or {}).get("name") or "someone"
    asked = (request.get("assignee") or {}).get("name") or "someone"
    deal = request.get("opportunity_name") or request.get("opportunity_id")
    about = f" for {deal}" if deal else ""
    head = {
        "assigned": f"{asker} asks you for an outcome{about}, needed by {request['needed_by']}",
        "proposed": (f"{asked} proposes another way for your request{about}" if request.get("reply") == "another_way"
                     else f"{asked} will do your request{about} as asked"),
        "decided": f"{asker} decided on the request{about}: {_decision(request)}",
        "due": f"Request {rid}{about} is needed by {request['needed_by']} and is still {request.get('status')}",
    }[event]
    lines = [head, "", f"Outcome needed: {request.get('outcome')}"]
    if request.get("constraints"):
        lines.append(f"Constraints: {request['constraints']}")
    if event == "proposed" and request.get("proposal"):
        lines += [f"Proposal: {request['proposal']}", f"Why: {request.get('proposal_rationale') or ''}"]
    if event == "decided" and request.get("decision_note"):
        lines.append(f"Note: {request['decision_note']}")
    lines += ["", f"Open it: {link}"]
    msg = EmailMessage()
    msg["Subject"] = f"[accountleader] request {rid}: " + head.split(":")[0][:120]
    msg["From"] = sender
    msg["To"] = to
    msg.set_content("\n".join(lines) + "\n")
    return msg


def _decision(request: Mapping[str, Any]) -> str:
    decision, other = request.get("decision"), request.get("reply") == "another_way"
    if decision == "accept":
        return "go ahead with your proposal" if other else "go ahead as asked"
    if decision == "modify":
        return "go ahead with your proposal, with changes"
    return "keep the original ask" + ("" if request.get("consulted") else " (decided before an answer)")


def send(settings: Any, msg: EmailMessage) -> None:
    """Send one message by the SMTP settings (``smtp_tls``: none, starttls or ssl)."""
    import smtplib
    import ssl

    host, port, timeout = settings.smtp_host, int(settings.smtp_port), float(settings.smtp_timeout_seconds)
    # TLS checks the server's certificate and name (smtplib's own default does not)
    tls = ssl.create_default_context(cafile=settings.smtp_ca_file) if settings.smtp_tls != "none" else None
    client = (smtplib.SMTP_SSL(host, port, timeout=timeout, context=tls) if settings.smtp_tls == "ssl"
              else smtplib.SMTP(host, port, timeout=timeout))
    with client as smtp:
        if settings.smtp_tls == "starttls":
            smtp.starttls(context=tls)
        user, password = os.environ.get(SMTP_USER_ENV), os.environ.get(SMTP_PASSWORD_ENV)
        if user and password:
            smtp.login(user, password)
        smtp.send_message(msg)


def notifier(settings: Callable[[], Any]) -> Callable[[str, Any, Mapping[int, Any]], dict[str, Any] | None]:
    """The requests service's ``notify(event, view, users)``: None when SMTP is not set up
    (nothing sent); else what was sent to whom, or why not (a recipient without an email)."""

    def notify(event: str, view: Any, users: Mapping[int, Any]) -> dict[str, Any] | None:
        s = settings()
        if s is None or not s.smtp_host:
            return None
        request = view.as_dict()
        role = recipient_role(event, request["status"])
        person = users.get(request[role]["id"])
        email = getattr(person, "email", None)
        if not email:
            who = getattr(person, "username", None) or "a former user"
            return {"event": event, "sent": False, "to": None,
                    "error": f"the {role} ({who}) has no email address (accountleader users set-email)"}
        send(s, compose(event, request, sender=s.sender, to=email, base_url=s.base_url))
        log.info("request %s: %s email sent to %s", request["id"], event, email)
        return {"event": event, "sent": True, "to": email}

    return notify
