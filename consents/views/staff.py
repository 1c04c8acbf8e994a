"""The practice admin's consent pages: who has signed what, chasing what is missing,
exporting the register as evidence, and writing and publishing new versions.

Every page takes ``portal.manage_consent_documents`` (held by practice admins): clinicians,
clients and strangers get a 404, as on the other admin pages. Chasing signatures covers
every client, so a client's timeline finds them among all client accounts. The register is
built from plaintext ids, versions, hashes and times (``consents.register``) and decrypts
nothing. The one decryption is on a client's timeline: the reasons they gave when
withdrawing, so opening a timeline that shows one is recorded (``consent.viewed``).
"""

from __future__ import annotations

import difflib
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from consents.audience import CASE_KINDS
from consents.expiry_reminders import EXPIRY_KIND
from consents.forms_staff import OutstandingFilterForm, RequirementForm, VersionForm
from consents.models import (
    ConsentDocument,
    ConsentSignature,
    ConsentVersion,
    DocumentKind,
    VersionStatus,
)
from consents.placeholders import PlaceholderError, find_placeholders, placeholder_problems
from consents.register import (
    REMIND_STATES,
    DocumentSummary,
    Register,
    RegisterEntry,
    VersionFacts,
    build_register,
    consent_reminders_send,
    last_reminded,
    reading_language,
)
from consents.rendering import render_markdown
from consents.services import (
    current_version,
    current_versions,
    document_countersign_set,
    document_requirement_set,
    version_publish,
)
from portal.access import get_client_account, permission_or_404
from portal.audit.actions import Action, spec_for
from portal.audit.models import AuditEvent
from portal.audit.reads import audited_read
from portal.crypto.errors import KeyDestroyedError
from portal.downloads import neutralise, streamed_csv
from portal.http import AuthenticatedHttpRequest
from portal.models import User

PAGE_SIZE = 50
CSV_COLUMNS = (
    "client_id",
    "client_email",
    "document_kind",
    "version_number",
    "version_language",
    "state",
    "signed_at",
    "withdrawn_at",
    "expires_on",
    "signature_reference",
    "sha256",
)
# Staff actions about a client's consents, shown on the client's consent timeline.
TIMELINE_ACTIONS = (Action.CONSENT_REMINDED, Action.CONSENT_VIEWED, Action.CONSENT_EXPORTED)


# Dashboard ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LanguageLine:
    """One line of a dashboard row's version cell: a language, its version in force (if
    any), its drafts, and where to start a new version in it."""

    code: str
    name: str
    current: VersionFacts | None
    drafts: list[Any]


def _language_lines(summary: DocumentSummary,
                    drafts: dict[tuple[uuid.UUID, str], list[Any]]) -> list[LanguageLine]:
    """A line per offered language, in the portal's order, then any other language a
    version was published in."""
    currents = {version.language: version for version in summary.by_language}
    codes = [code for code, _name in settings.LANGUAGES]
    codes += [code for code in currents if code not in codes]
    names = dict(settings.LANGUAGES)
    return [LanguageLine(code=code, name=str(names.get(code, code)), current=currents.get(code),
                         drafts=drafts.get((summary.document.id, code), []))
            for code in codes]


@require_safe
@permission_or_404("manage_consent_documents")
def consent_dashboard(request: HttpRequest) -> HttpResponse:
    """Per document: its current version, and how many active clients signed it, still have
    to (or must again), or withdrew. A fixed number of queries however many clients."""
    register = build_register()
    drafts: dict[tuple[uuid.UUID, str], list[Any]] = {}
    for draft in ConsentVersion.objects.filter(status=VersionStatus.DRAFT).order_by(
        "created_at"
    ).values("id", "document_id", "language", "created_at"):
        drafts.setdefault((draft["document_id"], draft["language"]), []).append(draft)
    rows = [(summary, _language_lines(summary, drafts)) for summary in register.summaries()]
    clients = len(register.emails)
    # The documents only some people sign (couples and families) get their own table: a
    # column "of N clients" means something else for them.
    return render(request, "consents/staff/dashboard.html", {
        "rows": [row for row in rows if row[0].document.kind not in CASE_KINDS],
        "case_rows": [row for row in rows if row[0].document.kind in CASE_KINDS],
        "clients": clients,
        "today": timezone.localdate(),
        "caption": ngettext(
            "Where the practice's %(count)s active client account stands with each "
            "document. \"Signed\" includes clients who signed an earlier version when every "
            "change since was not material (in the language they signed). Only an "
            "authorization to release information can expire.",
            "Where the practice's %(count)s active client accounts stand with each "
            "document. \"Signed\" includes clients who signed an earlier version when every "
            "change since was not material (in the language they signed). Only an "
            "authorization to release information can expire.",
            clients,
        ) % {"count": clients},
    })


# Outstanding list and reminders --------------------------------------------------------------


@dataclass(frozen=True)
class OutstandingRow:
    client_id: uuid.UUID
    email: str
    entries: list[RegisterEntry]
    remindable: bool


def _outstanding_rows(register: Register, document: uuid.UUID | None,
                      state: str) -> list[OutstandingRow]:
    """The clients with at least one document matching the filters: the chosen document
    (or every required one), in the chosen state (or never signed / must sign again)."""
    rows = []
    for client_id, email in register.emails.items():
        entries = [
            entry for entry in register.for_client(client_id)
            if (entry.document.id == document if document else entry.required)
            and (entry.state == state if state else entry.state in REMIND_STATES)
        ]
        if entries:
            remindable = any(e.needs_reminder for e in register.for_client(client_id))
            rows.append(OutstandingRow(client_id, email, entries, remindable))
    return rows


@require_safe
@permission_or_404("manage_consent_documents")
def consent_outstanding(request: HttpRequest) -> HttpResponse:
    """Active clients with documents to sign, to sign again, or withdrawn, filtered by
    document and state (ids and codes only in the URL), 50 a page, with reminders."""
    register = build_register()
    form = OutstandingFilterForm(request.GET, documents=register.documents)
    document, state = None, ""
    if form.is_valid():
        document, state = form.cleaned_data["document"], form.cleaned_data["state"]
    rows = _outstanding_rows(register, document, state)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    reminded = last_reminded(row.client_id for row in page.object_list)
    query = form.query()
    context = {
        "form": form,
        "page": page,
        "rows": [(row, reminded.get(row.client_id)) for row in page.object_list],
        "filtered": bool(query),
        "filters": query,
        "filter_query": f"{urlencode(query)}&" if query else "",
    }
    return render(request, "consents/staff/outstanding.html", context)


def _client_ids(values: list[str]) -> set[uuid.UUID]:
    ids = set()
    for value in values:
        try:
            ids.add(uuid.UUID(value))
        except ValueError:
            continue
    return ids


@require_POST
@permission_or_404("manage_consent_documents")
def consent_remind(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Send a content-free reminder to the chosen clients (a row's own button, or the
    ticked boxes) who still have a required document to sign; one ``consent.reminded``
    event each. Anyone else chosen (signed meanwhile, withdrew, inactive, not a client) is
    skipped quietly, and the message says how many were reminded.

    Everything posted is read before anything is sent: a field sent twice is refused
    (``RepeatedValue``, 400) with no reminder gone out."""
    # Where to go back to: the list as it was filtered.
    back = OutstandingFilterForm(
        {"document": request.POST.get("document", ""), "state": request.POST.get("state", "")},
        documents=list(ConsentDocument.objects.all()),
    ).query()
    only = request.POST.get("only")
    chosen = _client_ids([only] if only else request.POST.getlist("client"))
    if not chosen:
        messages.error(request, gettext("Choose at least one client to remind."))
    else:
        result = consent_reminders_send(client_ids=chosen, actor=request.user)
        # Whole sentences, each with its own number, shown one after the other.
        sentences = [ngettext("Reminder sent to %(count)s client.",
                              "Reminder sent to %(count)s clients.",
                              result.sent) % {"count": result.sent}]
        if result.recently_reminded:
            sentences.append(ngettext(
                "%(count)s had a reminder less than a day ago and was not reminded again.",
                "%(count)s had a reminder less than a day ago and were not reminded again.",
                result.recently_reminded) % {"count": result.recently_reminded})
        if result.nothing_to_sign:
            sentences.append(ngettext(
                "%(count)s had nothing left to sign and was not reminded.",
                "%(count)s had nothing left to sign and were not reminded.",
                result.nothing_to_sign) % {"count": result.nothing_to_sign})
        messages.success(request, " ".join(sentences))
    url = reverse("consent_outstanding")
    return redirect(f"{url}?{urlencode(back)}" if back else url)


# One client's timeline ------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    what: str
    document: str
    version: int | None
    by: str
    reference: str
    signature_id: uuid.UUID | None = None  # set on "Signed" rows: the copies to download
    # On "Withdrew"/"Revoked" rows: the client's reason, decrypted ("" when they gave none),
    # or None when it can no longer be read (the client was erased).
    reason: str | None = ""
    # What happened, as a code: signed, signed_again, withdrew, revoked, expired, staff.
    kind: str = "staff"
    language: str = ""  # the language of the version signed (signature rows)

    @property
    def is_withdrawal(self) -> bool:
        return self.kind in ("withdrew", "revoked")

    @property
    def language_name(self) -> str:
        return str(dict(settings.LANGUAGES).get(self.language, self.language))


@dataclass(frozen=True)
class WithdrawalReasons:
    """The client's withdrawal reasons by signature id, decrypted; ``erased`` when their data
    key is destroyed, so no reason can be read."""

    by_signature: dict[uuid.UUID, str]
    erased: bool = False


def _withdrawal_reasons(client: User) -> WithdrawalReasons:
    """Decrypt the reasons ``client`` gave when withdrawing or revoking (one query, one data
    key: the client's). Only signatures with a reason are loaded, and only that column is
    decrypted; the typed name and the rest stay sealed. The caller has checked the viewer
    may see the client and records the decryption."""
    signatures = ConsentSignature.objects.filter(
        client=client, withdrawn_at__isnull=False, withdrawal_reason__isnull=False
    ).only("id", "client_id", "withdrawal_reason")
    try:
        return WithdrawalReasons({row.pk: row.withdrawal_reason or "" for row in signatures})
    except KeyDestroyedError:
        return WithdrawalReasons({}, erased=True)


def _timeline(client: User, reasons: WithdrawalReasons) -> list[TimelineEntry]:
    """Signatures (signed, signed again, withdrawn, with the client's reason) and staff
    actions about the client's consents, oldest first. Apart from ``reasons`` (decrypted by
    the caller), plaintext columns only: typed names are not shown here."""
    entries: list[TimelineEntry] = []
    signed_before: set[uuid.UUID] = set()
    signatures = ConsentSignature.objects.filter(client=client).order_by("signed_at").values(
        "id", "signed_at", "withdrawn_at", "reference", "version__number", "expires_on",
        "version__document_id", "version__document__title", "version__document__kind",
        "version__language",
    )
    today = timezone.localdate()
    for row in signatures:
        document_id = row["version__document_id"]
        again = document_id in signed_before
        signed_before.add(document_id)
        common = {"document": row["version__document__title"],
                  "version": row["version__number"], "by": gettext("The client"),
                  "reference": row["reference"], "language": row["version__language"]}
        entries.append(TimelineEntry(at=row["signed_at"],
                                     what=gettext("Signed again") if again
                                     else pgettext("a timeline event", "Signed"),
                                     kind="signed_again" if again else "signed",
                                     signature_id=row["id"], **common))
        authorization = row["version__document__kind"] == DocumentKind.RELEASE_AUTHORIZATION
        if row["withdrawn_at"] is not None:
            reason = None if reasons.erased else reasons.by_signature.get(row["id"], "")
            entries.append(TimelineEntry(
                at=row["withdrawn_at"],
                what=gettext("Revoked") if authorization else gettext("Withdrew"),
                kind="revoked" if authorization else "withdrew", reason=reason, **common))
        elif row["expires_on"] is not None and row["expires_on"] < today:
            ended = datetime.combine(row["expires_on"] + timedelta(days=1), time.min,
                                     tzinfo=timezone.get_current_timezone())
            entries.append(TimelineEntry(at=ended, what=gettext("Expired"), kind="expired",
                                         **common))
    events = list(AuditEvent.objects.filter(subject_id=client.pk, action__in=TIMELINE_ACTIONS)
                  .only("occurred_at", "action", "actor_id", "actor_role", "detail_json"))
    actor_ids = {event.actor_id for event in events if event.actor_id}
    names: dict[uuid.UUID | None, str] = {pk: name or email for pk, name, email in
             User.objects.filter(pk__in=actor_ids).values_list("pk", "display_name", "email")}
    for event in events:
        entries.append(TimelineEntry(
            at=event.occurred_at, what=_timeline_label(event), document="",
            version=None, by=names.get(event.actor_id, event.actor_role), reference="",
        ))
    return sorted(entries, key=lambda entry: entry.at)


def _timeline_label(event: AuditEvent) -> str:
    """What an event on the timeline was: its action's label, and for the scheduled
    reminder that a signature ends soon, that."""
    if event.action == Action.CONSENT_REMINDED and event.detail.get("kind") == EXPIRY_KIND:
        return gettext("Reminder sent: a signature ends soon")
    return str(spec_for(event.action).label)


def _reasons_and_timeline(client: User) -> tuple[WithdrawalReasons, list[TimelineEntry]]:
    """The client's withdrawal reasons, decrypted, and their timeline showing them."""
    reasons = _withdrawal_reasons(client)
    return reasons, _timeline(client, reasons)


@require_safe
@permission_or_404("manage_consent_documents")
def consent_client_timeline(request: HttpRequest, client_id: uuid.UUID) -> HttpResponse:
    """Every consent event of one client, oldest first, with the reason they gave beside
    each withdrawal, and where they stand now. For ``manage_consent_documents`` holders
    (everyone else gets a 404 from the decorator), about any client: the client comes
    through ``get_client_account`` (404 for ids that are not a client's).

    A withdrawal reason is something the client told us: showing one decrypts it, so the
    opening is recorded (``consent.viewed``, ids only, the client as subject; they see it
    on their record-access page) once the reasons are known to open and before the page is
    rendered. A timeline without any reason decrypts nothing and records nothing; an erased
    client's reasons cannot be read, and the page says so."""
    client = get_client_account(client_id)
    reasons, entries = audited_read(
        Action.CONSENT_VIEWED,
        # The timeline is built before the opening is recorded: it is listed from the next.
        read=lambda: _reasons_and_timeline(client),
        actor=request.user,
        subject=client,
        record_if=lambda reading: bool(reading[0].by_signature),
    )
    register = build_register(client_ids=[client.pk])
    standing = register.for_client(client.pk) if client.pk in register.emails else []
    context = {"client": client, "entries": entries, "standing": standing,
               "reasons_erased": reasons.erased}
    return render(request, "consents/staff/timeline.html", context)


# Register export -------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat() if value else ""


def _csv_rows(register: Register) -> Iterator[list[str]]:
    yield list(CSV_COLUMNS)
    for entry in register.rows():
        shown = entry.signature or entry.latest
        values = (
            entry.client_id,
            register.emails[entry.client_id],
            entry.document.kind,
            entry.signed_version.number if entry.signed_version else "",
            entry.signed_version.language if entry.signed_version else "",
            entry.state,
            _iso(shown.signed_at) if shown else "",
            _iso(shown.withdrawn_at) if shown else "",
            shown.expires_on.isoformat() if shown and shown.expires_on else "",
            shown.reference if shown else "",
            shown.sha256 if shown else "",
        )
        yield [neutralise(str(value)) for value in values]


@require_safe
@permission_or_404("manage_consent_documents")
@reauthentication_required
def consent_register_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The register as CSV: one row per active client and document, with the signature
    that row rests on (the active one, or the latest withdrawn one).

    Client emails leave the portal here, so the password (or a second-factor code) is asked
    for again first, and the export is recorded (``consent.exported``) before the first byte
    goes out. Cells a spreadsheet would run as formulas are neutralised."""
    register = audited_read(Action.CONSENT_EXPORTED, read=build_register, actor=request.user,
                            detail={"format": "csv"})
    return streamed_csv(_csv_rows(register),
                        f"consent-register-{timezone.localdate().isoformat()}.csv")


# Versions ----------------------------------------------------------------------------------------


def _version_or_404(version_id: uuid.UUID) -> ConsentVersion:
    return get_object_or_404(ConsentVersion.objects.select_related("document"), pk=version_id)


@require_http_methods(["GET", "HEAD", "POST"])
@permission_or_404("manage_consent_documents")
def consent_document_requirement(
    request: AuthenticatedHttpRequest, document_id: uuid.UUID
) -> HttpResponse:
    """Choose when clients need a document, and whether a clinician of the client's care
    team countersigns each new signature of it. Takes effect at once: making a document
    required before the intake closes the intake of every client who has not signed it
    (their drafts are kept), so the page says so before the change is saved."""
    document = get_object_or_404(ConsentDocument, pk=document_id)
    form = RequirementForm(request.POST or None, initial={
        "requirement": document.requirement,
        "countersign_required": document.countersign_required,
    })
    if request.method == "POST" and form.is_valid():
        changed = document_requirement_set(document=document, actor=request.user,
                                           requirement=form.cleaned_data["requirement"])
        changed = document_countersign_set(
            document=document, actor=request.user,
            required=form.cleaned_data["countersign_required"]) or changed
        messages.success(request, (gettext("%(title)s: saved.") if changed
                                   else gettext("%(title)s: nothing changed."))
                         % {"title": document.title})
        return redirect("consent_dashboard")
    return render(request, "consents/staff/document_requirement.html",
                  {"form": form, "document": document, "versions": _version_rows(document)},
                  status=400 if form.errors else 200)


@dataclass(frozen=True)
class VersionRow:
    """One published version of a document, for its page: whether it is the one in force
    in its language, and how many active clients' standing rests on it (their signature
    in force is of it)."""

    version: ConsentVersion
    current: bool
    signed_by: int


def _version_rows(document: ConsentDocument) -> list[VersionRow]:
    """Every published version of ``document``, newest first, with who signed which
    version in which language (counts from the register: nothing decrypted)."""
    register = build_register()
    signed: dict[uuid.UUID, int] = {}
    for client_id in register.emails:
        entry = register.entry(client_id, document)
        if entry.signature is not None:
            signed[entry.signature.version_id] = signed.get(entry.signature.version_id, 0) + 1
    in_force = {version.pk for version in current_versions(document).values()}
    return [
        VersionRow(version, version.pk in in_force, signed.get(version.pk, 0))
        for version in document.versions.filter(status=VersionStatus.PUBLISHED)
        .select_related("document").order_by("-number")
    ]


@require_http_methods(["GET", "HEAD", "POST"])
@permission_or_404("manage_consent_documents")
def consent_version_new(request: HttpRequest, document_id: uuid.UUID) -> HttpResponse:
    """Start a draft of a new version in a language (``?language=``, default the
    practice's), prefilled from the current version in that language, or, when there is
    none yet, from the practice's (a starting point to translate). A draft is seen by no
    client until it is published."""
    document = get_object_or_404(ConsentDocument, pk=document_id)
    language = reading_language(request.GET.get("language") or settings.LANGUAGE_CODE)
    current = current_version(document, language, fallback=False)
    start = current or current_version(document, settings.LANGUAGE_CODE)
    initial: dict[str, Any] = {"effective_date": timezone.localdate(), "language": language}
    if start is not None:
        initial |= {"summary": start.summary, "body": start.body}
        if start.language == language:
            initial["title"] = start.display_title
    form = VersionForm(request.POST or None, initial=initial,
                       instance=ConsentVersion(document=document, language=language))
    if request.method == "POST" and form.is_valid():
        draft = form.save()
        messages.success(request, gettext("Draft saved. Check the preview before publishing."))
        return redirect("consent_version_preview", version_id=draft.pk)
    return render(request, "consents/staff/version_form.html",
                  {"form": form, "document": document, "current": current, "start": start,
                   "version": None})


@require_http_methods(["GET", "HEAD", "POST"])
@permission_or_404("manage_consent_documents")
def consent_version_edit(request: HttpRequest, version_id: uuid.UUID) -> HttpResponse:
    """Edit a draft. A published version never changes: the admin is sent to its page and
    told to start a new version instead (nothing is saved)."""
    version = _version_or_404(version_id)
    if version.is_published:
        messages.error(request, gettext("A published version never changes. To change the "
                                        "wording, start a new version."))
        return redirect("consent_version_preview", version_id=version.pk)
    form = VersionForm(request.POST or None, instance=version)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, gettext("Draft saved."))
        return redirect("consent_version_preview", version_id=version.pk)
    context = {"form": form, "document": version.document,
               "current": current_version(version.document, version.language,
                                          fallback=False),
               "version": version}
    return render(request, "consents/staff/version_form.html", context)


@dataclass(frozen=True)
class DiffLine:
    text: str
    kind: str  # added | removed | hunk | header | context
    # The line in pieces, each marked if it is what changed (words within a replaced line,
    # so one edited sentence stands out in a long paragraph). Empty: show ``text`` whole.
    segments: tuple[tuple[str, bool], ...] = ()


_WORDS = re.compile(r"(\s+)")


def _word_segments(old: str, new: str) -> tuple[tuple[tuple[str, bool], ...],
                                                tuple[tuple[str, bool], ...]]:
    """Both lines in pieces, the words that differ marked (the diff sign stays in front)."""
    sign_old, sign_new = old[:1], new[:1]
    before, after = _WORDS.split(old[1:]), _WORDS.split(new[1:])
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    old_parts: list[tuple[str, bool]] = [(sign_old, False)]
    new_parts: list[tuple[str, bool]] = [(sign_new, False)]
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        changed = tag != "equal"
        if a2 > a1:
            old_parts.append(("".join(before[a1:a2]), changed))
        if b2 > b1:
            new_parts.append(("".join(after[b1:b2]), changed))
    return tuple(old_parts), tuple(new_parts)


def _mark_words(diff: list[DiffLine]) -> list[DiffLine]:
    """Pair each run of removed lines with the run of added lines that follows it, line by
    line, and mark the words that changed in each pair."""
    out = list(diff)
    index = 0
    while index < len(out):
        if out[index].kind != "removed":
            index += 1
            continue
        removed_end = index
        while removed_end < len(out) and out[removed_end].kind == "removed":
            removed_end += 1
        added_end = removed_end
        while added_end < len(out) and out[added_end].kind == "added":
            added_end += 1
        for old_at, new_at in zip(range(index, removed_end), range(removed_end, added_end),
                                  strict=False):
            old, new = _word_segments(out[old_at].text, out[new_at].text)
            out[old_at] = DiffLine(out[old_at].text, "removed", old)
            out[new_at] = DiffLine(out[new_at].text, "added", new)
        index = max(added_end, index + 1)
    return out


def _diff_source(version: ConsentVersion) -> list[str]:
    return [gettext("Title:"), version.display_title, "", gettext("Summary:"),
            *version.summary.splitlines(), "", gettext("Full text:"),
            *version.body.splitlines()]


def _diff(base: ConsentVersion | None, version: ConsentVersion) -> list[DiffLine]:
    """A unified line diff of title, summary and text against ``base``; the template
    escapes it."""
    if base is None:
        return []
    lines = difflib.unified_diff(
        _diff_source(base), _diff_source(version),
        fromfile=gettext("Version %(number)s (published)") % {"number": base.number},
        tofile=(gettext("Version %(number)s") % {"number": version.number} if version.number
                else gettext("This draft")),
        lineterm="",
    )
    diff = []
    for line in lines:
        if line.startswith(("+++", "---")):
            kind = "header"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "added"
        elif line.startswith("-"):
            kind = "removed"
        else:
            kind = "context"
        diff.append(DiffLine(line, kind))
    return _mark_words(diff)


def _base_for(version: ConsentVersion) -> ConsentVersion | None:
    """What to compare with, in the same language: the current published version for a
    draft, the one before for a published version (numbers run across languages, so the
    one before in this language is the highest lower number in it)."""
    if not version.is_published:
        return current_version(version.document, version.language, fallback=False)
    return version.document.versions.filter(
        status=VersionStatus.PUBLISHED, language=version.language,
        number__lt=version.number or 0,
    ).order_by("-number").first()


@require_safe
@permission_or_404("manage_consent_documents")
def consent_version_preview(request: HttpRequest, version_id: uuid.UUID) -> HttpResponse:
    """A version as the client will read it, and what changed since the version before."""
    version = _version_or_404(version_id)
    base = _base_for(version)
    context = {
        "version": version,
        "document": version.document,
        "base": base,
        "body_html": render_markdown(version.body),
        "diff": _diff(base, version),
        "placeholders": [] if version.is_published
        else find_placeholders(version.summary, version.body),
    }
    return render(request, "consents/staff/version_preview.html", context)


def _publish_page(request: HttpRequest, version: ConsentVersion, problems: list[str],
                  status: int = 200) -> HttpResponse:
    """The confirmation page; with ``problems`` (one per placeholder left in the draft) it
    says what to fill in instead of offering to publish."""
    latest = max((v.number or 0 for v in version.document.versions.all()), default=0)
    return render(request, "consents/staff/version_publish.html",
                  {"version": version, "document": version.document,
                   "base": current_version(version.document, version.language,
                                           fallback=False),
                   "next_number": latest + 1, "problems": problems},
                  status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@permission_or_404("manage_consent_documents")
@reauthentication_required
def consent_version_publish(
    request: AuthenticatedHttpRequest, version_id: uuid.UUID
) -> HttpResponse:
    """Publish a draft: it gets its number and hash and never changes again, and clients
    see it at once (and must sign again if it is a material change).

    Publishing cannot be undone, so the password (or a second-factor code) is asked for
    again first; after that the GET shows a confirmation (so the admin lands somewhere
    sensible when allauth sends them back) and the POST publishes. ``version_publish``
    records ``document.published``; publishing an already published version changes
    nothing. A draft that still holds a template placeholder is not published: the page
    names each placeholder and says where to fill it in."""
    version = _version_or_404(version_id)
    if request.method in ("GET", "HEAD"):
        if version.is_published:
            raise Http404
        placeholders = find_placeholders(version.summary, version.body)
        return _publish_page(request, version, placeholder_problems(placeholders,
                                                                   version.language))
    try:
        published = version_publish(version=version, actor=request.user)
    except PlaceholderError as refused:
        return _publish_page(request, version, refused.problems, status=400)
    messages.success(request, gettext("%(title)s: version %(number)s (%(language)s) is "
                                      "published.") % {
        "title": published.document.title, "number": published.number,
        "language": published.language_name})
    return redirect("consent_dashboard")
