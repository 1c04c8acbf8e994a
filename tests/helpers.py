"""What many tests need: signing in for real, reading a response's body and the text of a
PDF copy.

Tests import these from here, never from ``conftest`` or from another test module.
"""

from __future__ import annotations

import re
import socket
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar
from unittest import mock

from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core import mail
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import Model
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from consents.models import ConsentDocument, ConsentVersion
from consents.services import current_version
from intake.models import SafetyAlert, SafetyAlertAcknowledgement
from portal.audit.models import AuditEvent
from portal.crypto.envelope import parse as parse_envelope
from portal.mail import notify
from portal.models import (
    CareAssignment,
    Case,
    ClientProfile,
    DataKey,
    MessageStatus,
    OutgoingMessage,
    PracticeSettings,
    User,
)
from portal.practice import SHARED_KEY
from portal.roles import Role
from tests.factories import PASSWORD, UserFactory, totp_secret_of

if TYPE_CHECKING:
    # What Django's test client returns: the response with the request, the template
    # context and the templates attached. django-stubs declares it for type checking only.
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse


Sortable = TypeVar("Sortable", int, str)
Answer = TypeVar("Answer")


def sorted_values(values: Iterable[Sortable | None]) -> list[Sortable]:
    """``values`` sorted, none of them None (the test fails here if one is): for nullable
    fields read back after the test gave each a value."""
    present = list(values)
    assert None not in present, present
    return sorted(value for value in present if value is not None)


def must_search(pattern: re.Pattern[str] | str, text: str) -> re.Match[str]:
    """The first match of ``pattern`` in ``text``; when there is none the test fails here,
    on an assertion naming the pattern, rather than on ``None.group``."""
    match = re.search(pattern, text)
    assert match is not None, f"{pattern!r} not found"
    return match


def run_queued_tasks(*, limit: int = 1000) -> int:
    """Run every task that is ready in the queue, here and now, the way ``db_worker`` runs
    them (its ``Worker.run_task``: claim, call, mark done), until none is ready; how many
    ran. Tasks scheduled for later (a retry's backoff) wait; ``make_queued_tasks_due``
    brings them forward. The worker's own loop is not used because it closes the database
    connection between tasks, which would end the test's transaction."""
    worker = Worker(queue_names=["*"], interval=0, batch=True, backend_name="default",
                    startup_delay=False, max_tasks=None, worker_id="test-worker",
                    excluded_queue_names=[])
    ran = 0
    while ran < limit:
        with transaction.atomic():
            task = DBTaskResult.objects.ready().get_locked()
            if task is None:
                return ran
            task.claim(worker.worker_id)
        worker.run_task(task)
        ran += 1
    raise AssertionError(f"More than {limit} tasks ran: a task keeps re-enqueuing itself.")


def make_queued_tasks_due() -> int:
    """Make every waiting task runnable now (as if its backoff had passed); how many."""
    return DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())


def delivered_mail() -> list[EmailMessage]:
    """The emails sent so far, after the queue has run (``run_queued_tasks``): what a
    mailbox would have received by now."""
    run_queued_tasks()
    return list(mail.outbox)


def mail_body(message: EmailMessage) -> str:
    """The plain-text body of a sent email. django-stubs allow a lazy string there; the
    portal renders its mail to a str, and the test fails here if it did not."""
    assert isinstance(message.body, str)
    return message.body


def published_version(document: ConsentDocument) -> ConsentVersion:
    """``document``'s current version, which the test has published (it fails here if
    none is)."""
    version = current_version(document)
    assert version is not None, f"{document.kind} has no published version"
    return version


def closing_acknowledgement(alert: SafetyAlert) -> SafetyAlertAcknowledgement:
    """The acknowledgement that closed ``alert``, which the test has closed (it fails here
    if the alert is still open)."""
    acknowledgement = alert.closing_acknowledgement
    assert acknowledgement is not None, "the safety alert is still open"
    return acknowledgement


def current_totp_code(secret: str) -> str:
    """The code an authenticator app shows right now for ``secret`` (waiting for the next
    30-second window when this one is about to end, so the code is still valid on arrival)."""
    if 30 - time.time() % 30 < 2:
        time.sleep(30 - time.time() % 30 + 0.05)
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))


def sign_in(client: Client, user: User, password: str = PASSWORD) -> None:
    """Sign in through the real allauth pages: password, then a TOTP code if enrolled."""
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == 302, response.content[:500]
    if response["Location"].startswith(reverse("mfa_authenticate")):
        response = client.post(
            reverse("mfa_authenticate"), {"code": current_totp_code(totp_secret_of(user))}
        )
        assert response.status_code == 302, response.content[:500]
    assert client.session.get("_auth_user_id") == str(user.pk)


def reauthenticate(client: Client, password: str = PASSWORD) -> None:
    """Confirm the password again, as allauth asks before sensitive actions."""
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302, response.content[:500]


def signed_in(user: User, *, reauthenticated: bool = False) -> Client:
    """A new browser-like client signed in as ``user`` through the real pages (and, with
    ``reauthenticated``, having confirmed the password again, as exports ask)."""
    http = Client()
    sign_in(http, user)
    if reauthenticated:
        reauthenticate(http)
    return http


_LITERAL = re.compile(rb"\(((?:\\.|[^\\)])*)\)", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def unescape_pdf_string(raw: bytes) -> bytes:
    """A PDF literal string's bytes with its backslash escapes (named and octal) undone."""
    out, index = bytearray(), 0
    while index < len(raw):
        byte = raw[index:index + 1]
        if byte != b"\\":
            out += byte
            index += 1
            continue
        following = raw[index + 1:index + 2]
        octal = re.match(rb"[0-7]{1,3}", raw[index + 1:index + 4])
        if octal:
            out.append(int(octal.group(), 8) & 0xFF)
            index += 1 + len(octal.group())
        else:
            out += _ESCAPES.get(following, following)
            index += 2
    return bytes(out)


def pdf_text(pdf: bytes, *, unicode_font: bool) -> str:
    """The text drawn on the pages of an uncompressed fpdf2 PDF, one text object a line.

    With one TrueType font, strings are 2-byte glyph codes mapped back through the font's
    ToUnicode table; with Helvetica they are Windows-1252."""
    mapping: dict[int, str] = {}
    if unicode_font:
        for cmap in re.findall(rb"beginbfchar(.*?)endbfchar", pdf, re.S):
            for code, text in re.findall(rb"<([0-9A-F]+)>\s*<([0-9A-F]+)>", cmap):
                mapping[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    lines = []
    for block in re.findall(rb"\bBT\b(.*?)\bET\b", pdf, re.S):
        pieces = [unescape_pdf_string(raw) for raw in _LITERAL.findall(block)]
        if unicode_font:
            text = "".join(mapping.get(int.from_bytes(piece[i:i + 2], "big"), "\ufffd")
                           for piece in pieces for i in range(0, len(piece), 2))
        else:
            text = "".join(piece.decode("cp1252") for piece in pieces)
        if text:
            lines.append(text)
    return "\n".join(lines)


def client_account(email: str, *, clinician: User | None = None, **profile: object) -> User:
    """A client account (email verified), on ``clinician``'s caseload if given, with a
    profile holding ``profile`` if given."""
    client = UserFactory(role=Role.CLIENT, email=email)
    if clinician is not None:
        CareAssignment.objects.create(client=client, clinician=clinician)
    if profile:
        ClientProfile.objects.create(user=client, **profile)
    return client


def body_bytes(response: HttpResponseBase) -> bytes:
    """The whole body of ``response``: its chunks joined when it streams (downloads, CSV
    exports), else its content."""
    if isinstance(response, StreamingHttpResponse):
        chunks = response.streaming_content
        assert isinstance(chunks, Iterator), "the portal's views stream synchronously"
        return b"".join(chunks)
    assert isinstance(response, HttpResponse)
    return response.content


def listed_emails(response: TestResponse) -> list[str]:
    """The login emails of the rows on a client list page, in order."""
    return [row.client.email for row in response.context["rows"]]


def raw_audit_rows_containing(needle: str) -> list[tuple[str, object]]:
    """Every column of every event, read raw from the table, that contains ``needle``."""
    needle = needle.lower()
    found = []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuditEvent._meta.db_table}")  # noqa: S608
        columns = [column[0] for column in cursor.description]
        for row in cursor.fetchall():
            for column, value in zip(columns, row, strict=True):
                if isinstance(value, bytes | memoryview):
                    text = bytes(value).decode("latin-1")
                else:
                    text = str(value)
                if needle in text.lower():
                    found.append((column, value))
    return found


# --- Scheduled jobs (reminders branch) -------------------------------------------------------


def run_scheduled_job(name: str) -> int:
    """Start the registered periodic job ``name`` now, as the scheduler does when it is due
    (its task enqueued), and run the queue (the job, then the emails it queued); how many
    tasks ran."""
    from portal.background.scheduler import registered_jobs

    [job] = [job for job in registered_jobs() if job.name == name]
    job.task.enqueue()
    return run_queued_tasks()


# --- Outgoing messages (issue 16: the "Outgoing messages" page, erasure of pending mail) ---


def closed_local_port() -> int:
    """A local port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_task_of(message: OutgoingMessage) -> None:
    """Run ``message``'s waiting delivery task, and no other, the way a worker runs it."""
    worker = Worker(queue_names=["*"], interval=0, batch=True, backend_name="default",
                    startup_delay=False, max_tasks=None, worker_id="test-worker",
                    excluded_queue_names=[])
    with transaction.atomic():
        task = DBTaskResult.objects.ready().filter(pk=str(message.task_id)).get_locked()
        assert task is not None, "the message has no waiting task"
        task.claim(worker.worker_id)
    worker.run_task(task)


def given_up_message(recipient: User, *, template: str = "consents/email/reminder"
                     ) -> OutgoingMessage:
    """An email to ``recipient`` that the worker gave up on, the way it happens: queued by
    ``notify``, its one attempt refused by a mail server that is down (real SMTP to a
    closed port) after its time to deliver ran out. Other queued emails are not run."""
    [message] = notify(recipient, template=template,
                       context={"practice": PracticeSettings.load()})
    OutgoingMessage.objects.filter(pk=message.pk).update(deliver_by=timezone.now())
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                           EMAIL_HOST="127.0.0.1", EMAIL_PORT=closed_local_port(),
                           EMAIL_USE_TLS=False, EMAIL_USE_SSL=False, EMAIL_TIMEOUT=5):
        run_task_of(message)
    given_up = OutgoingMessage.objects.get(pk=message.pk)
    assert given_up.status == MessageStatus.FAILED, given_up.status
    return given_up


def raw_column(model: type[Model], field: str, pk: uuid.UUID) -> bytes | None:
    """What the database holds in ``model.field`` for row ``pk``, read past the ORM: the
    ciphertext of an encrypted field, to prove that it is one."""
    column = model._meta.get_field(field).column  # type: ignore[union-attr]
    sql = f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s"  # noqa: S608 - _meta names
    key: str | uuid.UUID = pk.hex if connection.vendor == "sqlite" else pk
    with connection.cursor() as cursor:
        cursor.execute(sql, [key])
        row = cursor.fetchone()
    return None if row is None or row[0] is None else bytes(row[0])


def key_owner_of(ciphertext: bytes) -> uuid.UUID:
    """Whose data key a raw encrypted value was sealed under (the key id inside it names
    the key; the key names its owner): the person whose erasure shreds it."""
    return DataKey.objects.get(pk=parse_envelope(ciphertext).key_id).owner_id


_STREAM = re.compile(rb"<<(?P<dictionary>(?:(?!>>).)*?)>>\s*stream\r?\n", re.S)
_LENGTH = re.compile(rb"/Length (\d+)\b")


def pdf_page_texts(pdf: bytes) -> list[str]:
    """The text on the pages of a compressed fpdf2 PDF, read once with each font's character
    map (``pdf_text`` knows one map at a time; the copy uses a regular and a bold font).

    The download is compressed, unlike the copies the export tests build with
    ``compress=False``, so each stream is inflated first; embedded font programs
    (``/Length1``) are left out, as their bytes would read as text operators."""
    contents: list[bytes] = []
    maps: list[bytes] = []
    for stream in _STREAM.finditer(pdf):
        dictionary = stream.group("dictionary")
        length = _LENGTH.search(dictionary)
        if length is None or b"/Length1" in dictionary:
            continue
        data = pdf[stream.end():stream.end() + int(length.group(1))]
        data = zlib.decompress(data) if b"/FlateDecode" in dictionary else data
        (maps if b"beginbfchar" in data else contents).append(data)
    pages = b"\n".join(contents)
    readings = [pdf_text(pages + b"\n" + cmap, unicode_font=True) for cmap in maps]
    return [" ".join(text.split()) for text in readings or [pdf_text(pages, unicode_font=False)]]


def couple_case(admin: User, *partners: User, clinician: User | None = None) -> Case:
    """A couple case of ``partners`` (accounts already made), built by ``admin`` through
    the services the case pages use, with ``clinician`` on its care team if given."""
    from clients.cases import case_assign, case_create, case_participant_invite

    case = case_create(kind="couple", created_by=admin)
    for partner in partners:
        case_participant_invite(case=case, email=partner.email, role="partner", actor=admin)
    if clinician is not None:
        case_assign(case=case, clinician=clinician, actor=admin)
    return case


def queries_of_a_second_call(call: Callable[[], Answer]) -> tuple[Answer, list[str]]:
    """``call`` run twice: the second run's answer and the SQL it sent. The first run loads
    what a first visit loads once (the session, the shared copy of the practice's settings).
    The two clocks that could add queries to one count and not another are held still: the
    tombstone a write to the practice's row leaves for a few seconds is cleared (setting up
    writes it, and a slow machine counted inside it), and the session's last-activity
    write, due every few seconds, cannot fall between the two runs."""
    cache.delete(SHARED_KEY)
    with mock.patch("portal.middleware.ACTIVITY_WRITE_INTERVAL_SECONDS", 10**6):
        call()
        with CaptureQueriesContext(connection) as seen:
            answer = call()
    return answer, [query["sql"] for query in seen.captured_queries]
