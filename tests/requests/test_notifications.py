"""Email about support requests against a real SMTP server started by the test (aiosmtpd): the
right recipient for each change with a link to the request; nothing at all when SMTP is not
configured; a send that fails is reported and the change stands."""

from __future__ import annotations

import socket
import ssl
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from accountleader.config import NotificationSettings
from accountleader.domain.access import Scope
from accountleader.errors import NotFoundError
from accountleader.notifications import notifier
from accountleader.requests import Actor, Requests
from accountleader.store import Store
from accountleader.store import users as store_users


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802 - aiosmtpd's name
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))  # type: ignore[attr-defined]
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    yield inbox, port
    server.stop()


def _no_results() -> None:
    raise NotFoundError("no results kept")


def _people(store: Store) -> dict[str, Actor]:
    rita = store_users.create_user(store, username="rita", password="correct horse battery", role="rep",
                                   crm_user_id="005R1", email="rita@example.com")
    sam = store_users.create_user(store, username="sam", password="correct horse battery", role="support",
                                  crm_user_id="005S1", email="sam@example.com")
    store_users.create_user(store, username="sue", password="correct horse battery", role="support",
                            crm_user_id="005S2")
    return {"rita": Actor(Scope("rep", "005R1", frozenset({"005R1"})), rita),
            "sam": Actor(Scope("support", "005S1", frozenset()), sam)}


def _ask(svc: Requests, rita: Actor, assignee: str = "sam", days: int = 10) -> int:
    return svc.add(rita, kind="legal", outcome="A contract the buyer's counsel accepts", assignee=assignee,
                   needed_by=(datetime.now(UTC).date() + timedelta(days=days)).isoformat()).id


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_each_change_emails_whom_it_concerns_with_a_link(store: Store, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    settings = NotificationSettings(smtp_host="127.0.0.1", smtp_port=port, sender="desk@acme.test",
                                    base_url="https://cockpit.acme.test/")
    svc, a = Requests(store, _no_results, notify=notifier(lambda: settings)), _people(store)
    made = svc.add(a["rita"], kind="legal", outcome="A contract the buyer's counsel accepts", assignee="sam",
                   needed_by=(datetime.now(UTC).date() + timedelta(days=1)).isoformat())
    rid = made.id
    assert made.as_dict()["notification"] == {"event": "assigned", "sent": True, "to": "sam@example.com"}
    svc.propose(a["sam"], rid, 1, "Our standard terms with one rider", "counsel accepted it twice", "another_way")
    svc.decide(a["rita"], rid, 2, "modify", "rider limited to liability")
    sent = [(to, m["From"], m["Subject"], m.get_payload()) for to, m in inbox.messages]
    assert [to for to, *_ in sent] == [["sam@example.com"], ["rita@example.com"], ["sam@example.com"]]
    assert all(frm == "desk@acme.test" for _, frm, _, _ in sent)
    assert all(f"https://cockpit.acme.test/requests/{rid}" in body for *_, body in sent)
    assert "asks you for an outcome" in sent[0][2] and "proposes another way" in sent[1][2]
    assert "go ahead with your proposal, with changes" in sent[2][3]
    assert "Our standard terms with one rider" in sent[1][3] and "rider limited to liability" in sent[2][3]
    # the cron reminder: a decided request due tomorrow waits on its assignee; one due later is not due
    later = _ask(svc, a["rita"], days=30)
    inbox.messages.clear()
    reminded = svc.remind(within_days=2)
    assert [e["id"] for e in reminded] == [rid] and reminded[0]["notification"]["to"] == "sam@example.com"
    assert [to for to, _ in inbox.messages] == [["sam@example.com"]] and later != rid
    # a recipient without an email address: nothing sent, and said so
    no_mail = svc.add(a["rita"], kind="other", outcome="x", assignee="sue", needed_by=date.today().isoformat())
    assert no_mail.as_dict()["notification"]["sent"] is False and "has no email address" in (
        no_mail.as_dict()["notification"]["error"])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_nothing_is_sent_without_smtp_and_a_failed_send_leaves_the_change(store: Store,
                                                                          smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    off = NotificationSettings()  # the default: no smtp_host
    svc, a = Requests(store, _no_results, notify=notifier(lambda: off)), _people(store)
    rid = _ask(svc, a["rita"])
    svc.propose(a["sam"], rid, 1, None, None, "as_asked")
    assert "notification" not in svc.get(a["rita"], rid).as_dict()
    assert svc.remind(within_days=30)[0]["notification"] is None
    assert inbox.messages == []
    closed = NotificationSettings(smtp_host="127.0.0.1", smtp_port=_free_port(), smtp_timeout_seconds=2)
    broken = Requests(store, _no_results, notify=notifier(lambda: closed))
    view = broken.decide(a["rita"], rid, 2, "keep")
    note = view.as_dict()["notification"]
    assert note["sent"] is False and "ConnectionRefusedError" in note["error"]
    assert broken.get(a["rita"], rid).record.status == "decided"  # the change stands
    assert inbox.messages == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_starttls_checks_the_servers_certificate(store: Store, tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    inbox, port = Inbox(), _free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=server_tls, require_starttls=True)
    server.start()
    try:
        a = _people(store)
        untrusted = NotificationSettings(smtp_host="127.0.0.1", smtp_port=port, smtp_tls="starttls")
        view = Requests(store, _no_results, notify=notifier(lambda: untrusted)).add(
            a["rita"], kind="legal", outcome="Terms counsel accepts", assignee="sam", needed_by="2099-01-01")
        assert view.as_dict()["notification"]["sent"] is False and "CERTIFICATE_VERIFY_FAILED" in (
            view.as_dict()["notification"]["error"])
        assert inbox.messages == [] and view.record.status == "asked"  # refused, and the request stands
        trusted = untrusted.model_copy(update={"smtp_ca_file": str(cert)})
        view = Requests(store, _no_results, notify=notifier(lambda: trusted)).add(
            a["rita"], kind="legal", outcome="Terms counsel accepts", assignee="sam", needed_by="2099-01-01")
        assert view.as_dict()["notification"] == {"event": "assigned", "sent": True, "to": "sam@example.com"}
        assert [to for to, _ in inbox.messages] == [["sam@example.com"]]
    finally:
        server.stop()
