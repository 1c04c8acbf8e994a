"""The staff client list: where each client stands at a glance, and finding a client by
legal name, date of birth or phone.

Listing reads plaintext columns only (the login email, account and workflow states, ids and
timestamps) and decrypts nothing. A page costs the same fixed number of queries whatever it
holds: the clients with their ordering flag and invitation (one query, plus the paginator's
count), their intakes as values (one), and the consent register of those clients (four, see
``consents.register.build_register``).

Searching is the one step that decrypts: the blind index narrows the candidates in SQL, then
each candidate's value is decrypted and compared (``blind_search``; for names, the word index
``ClientNameToken``), so the index's truncation never returns a wrong client. Candidates are
drawn only from the clients the searcher may open, so nothing of anyone else is even
decrypted. A search is limited per staff member (``SEARCHES_PER_MINUTE``), and its results
are kept, as client ids only, in the searcher's session under a random token
(``remember_results``), so the page can redirect to them (Post/Redirect/Get) without the
term ever reaching a URL.
"""

from __future__ import annotations

import datetime
import re
import secrets
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from allauth.core.internal import ratelimit
from django import forms
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from consents.register import OUTSTANDING, RESIGN, WITHDRAWN, RegisterEntry, build_register
from intake.models import Intake, IntakeState
from intake.selectors import open_safety_alerts
from portal.access import clients_visible_to
from portal.crypto.blind_index import (
    blind_search,
    name_tokens,
    normalise_phone,
    search_tokens,
)
from portal.crypto.datakeys import OWNER_CLIENT
from portal.input_checks import SingleValueFieldsMixin
from portal.models import ClientNameToken, ClientProfile, DataKey, Invitation, User

# What a search looks in: the ClientProfile field behind each choice (each has a blind index).
BY_AUTO, BY_NAME, BY_DATE_OF_BIRTH, BY_PHONE = "auto", "name", "date_of_birth", "phone"
SEARCH_SOURCES = {BY_NAME: "legal_name", BY_DATE_OF_BIRTH: "date_of_birth", BY_PHONE: "phone"}

MIN_PHONE_DIGITS, MAX_PHONE_DIGITS = 7, 15
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
# Three groups of digits split by - . or /: meant as a date, even if not in a shape we take.
_DATE_LIKE = re.compile(r"^\d{1,4}[-./]\d{1,2}[-./]\d{1,4}$")
_PHONE_CHARACTERS = re.compile(r"^\+?[\d\s().-]+$")

DATE_FORMAT_MESSAGE = (
    "Enter the date of birth as year-month-day (for example 1990-04-21) or "
    "month/day/year (04/21/1990)."
)


# Search ----------------------------------------------------------------------------------


def _parse_date(text: str) -> datetime.date | None:
    """A date typed as YYYY-MM-DD or MM/DD/YYYY (the practice is in the US); ``None`` if it
    is in neither shape. A shape with an impossible day raises ``ValidationError``."""
    if match := _ISO_DATE.match(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _US_DATE.match(text):
        month, day, year = (int(part) for part in match.groups())
    else:
        return None
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise forms.ValidationError(
            "That date does not exist. " + DATE_FORMAT_MESSAGE, code="bad_date"
        ) from None


def _guess_kind(text: str) -> str:
    """Auto-detect: three groups of digits split by ``-``, ``.`` or ``/`` are a date of birth
    (one in a shape we do not take gets the date message, not a silent name search), digits
    with phone punctuation a phone, anything else a name."""
    if _DATE_LIKE.match(text):
        return BY_DATE_OF_BIRTH
    if _PHONE_CHARACTERS.match(text):
        return BY_PHONE
    return BY_NAME


class ClientSearchForm(SingleValueFieldsMixin, forms.Form):
    """One box, and what it holds (or "work it out"). Posted, never a query string: the
    term is personal data and must not reach a URL (see ``client_list``'s docstring).

    ``cleaned_data`` gains ``kind`` (one of ``SEARCH_SOURCES``) and ``value`` (a name, a
    ``date`` or the phone's digits), ready for ``client_search``.
    """

    q = forms.CharField(
        label="Legal name, date of birth or phone",
        max_length=200,
        error_messages={
            "required": "Enter a legal name, a date of birth or a phone number to search for.",
            "max_length": "That is too long for a name, date or phone number.",
        },
        help_text=(
            "The legal name, or any part of it such as the family name alone (capitals, accents "
            "and extra spaces do not matter); date of birth as 1990-04-21 or 04/21/1990; phone "
            "with or without spaces, dashes or +1."
        ),
        widget=forms.TextInput(attrs={
            # Keep names and birth dates out of the browser's saved form history.
            "autocomplete": "off", "autocapitalize": "off", "spellcheck": "false",
        }),
    )
    by = forms.ChoiceField(
        label="Search by",
        required=False,
        choices=[
            (BY_AUTO, "Work it out from what I type"),
            (BY_NAME, "Legal name"),
            (BY_DATE_OF_BIRTH, "Date of birth"),
            (BY_PHONE, "Phone"),
        ],
        error_messages={"invalid_choice": "Choose from the list."},
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        text = cleaned.get("q")
        if not text or "by" in self.errors:
            return cleaned
        kind = cleaned.get("by") or BY_AUTO
        if kind == BY_AUTO:
            kind = _guess_kind(text)
        try:
            cleaned["value"] = _CLEANERS[kind](text)
        except forms.ValidationError as error:
            self.add_error("q", error)
            return cleaned
        cleaned["kind"] = kind
        return cleaned


def _clean_name(text: str) -> str:
    if not search_tokens(text):
        raise forms.ValidationError("Enter the client's legal name or part of it, with at "
                                    "least one letter.", code="bad_name")
    return text


def _clean_date(text: str) -> datetime.date:
    value = _parse_date(text)
    if value is None:
        raise forms.ValidationError(DATE_FORMAT_MESSAGE, code="bad_date")
    if value > timezone.localdate():
        raise forms.ValidationError("A date of birth cannot be in the future.",
                                    code="future_date")
    return value


def _clean_phone(text: str) -> str:
    if not _PHONE_CHARACTERS.match(text):
        raise forms.ValidationError(
            "Enter a phone number in digits (spaces, dashes, brackets and a leading + are "
            "fine).", code="bad_phone")
    digits = normalise_phone(text)
    if not MIN_PHONE_DIGITS <= len(digits) <= MAX_PHONE_DIGITS:
        raise forms.ValidationError(
            f"A phone number has {MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS} digits.",
            code="bad_phone")
    return digits


_CLEANERS = {BY_NAME: _clean_name, BY_DATE_OF_BIRTH: _clean_date, BY_PHONE: _clean_phone}


def client_search(*, viewer: User, kind: str, value: str | datetime.date) -> list[uuid.UUID]:
    """The ids of the clients ``viewer`` may open whose ``kind`` (legal name, date of birth
    or phone) matches ``value`` once both are normalised: for a date of birth or a phone,
    equal; for a name, every word typed is a word of the client's legal name (so "Okafor",
    "ada" or "Ada Okafor" all find "Ada N. Okafor").

    Permission first: candidates come only from ``clients_visible_to(viewer)``, so a
    clinician's search never decrypts, let alone returns, a client off their caseload. The
    blind index narrows those in SQL; each candidate's searched field is then decrypted and
    compared, dropping the index's false positives. Their data keys are fetched in one
    query. Clients whose keys were destroyed (erased) are left out in SQL: there is nothing
    to compare, and their indexes are meant to be gone too.

    Decrypting is the caller's to record (``client.searched``); the value itself must never
    be logged or recorded.
    """
    erased = DataKey.objects.filter(
        owner_kind=OWNER_CLIENT, owner_id=OuterRef("user_id"), destroyed_at__isnull=False
    )
    profiles = (
        ClientProfile.objects.filter(user__in=clients_visible_to(viewer))
        .exclude(Exists(erased))
    )
    if kind == BY_NAME:
        return _name_search(profiles, str(value))
    source = SEARCH_SOURCES[kind]
    candidates = profiles.only("id", "user_id", source).with_data_keys()
    return [profile.user_id for profile in blind_search(candidates, source, value)]


def _name_search(profiles: QuerySet[ClientProfile], typed: str) -> list[uuid.UUID]:
    """The profiles among ``profiles`` whose legal name holds every word of ``typed``.

    In SQL, the profiles with a ``ClientNameToken`` row for each typed word's digest (one
    subquery, however many words); then each candidate's legal name is decrypted and its
    words compared with the typed ones, so a digest shared by chance (16 bits) never finds
    the wrong client. Digests only: no word is stored or compared in plaintext in SQL.
    """
    wanted = search_tokens(typed)
    if not wanted:
        return []
    digests = ClientNameToken.digests(wanted)
    with_every_word = (
        ClientNameToken.objects.filter(token__in=digests)
        .values("profile_id")
        .annotate(words=Count("token", distinct=True))
        .filter(words=len(digests))
        .values("profile_id")
    )
    candidates = (
        profiles.filter(pk__in=with_every_word)
        .only("id", "user_id", "legal_name")
        .with_data_keys()
    )
    return [
        profile.user_id for profile in candidates
        if profile.legal_name and wanted <= name_tokens(profile.legal_name)
    ]


# Keeping results between the search and the page that shows them ---------------------------

# At most this many searches a minute by one staff member, counted in the shared cache
# (Redis in production) under their user id: enough for a busy front desk, too few to page
# through a practice's clients by trying names. Refused searches decrypt nothing.
SEARCHES_PER_MINUTE = 30
_SEARCH_ACTION = "client_search"
_SEARCH_RATE = {_SEARCH_ACTION: f"{SEARCHES_PER_MINUTE}/m/user"}

RESULTS_SESSION_KEY = "portal.client_search_results"
MAX_RESULT_SETS = 5  # per session; the oldest goes first
RESULTS_MAX_AGE_SECONDS = 3600
_RESULTS_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")  # secrets.token_urlsafe(16)


def _now() -> int:
    return int(time.time())


def search_allowed(request: HttpRequest) -> bool:
    """Whether ``request.user`` may run one more search now, counting it if so: a sliding
    minute of ``SEARCHES_PER_MINUTE``, per user.

    allauth's rate limiter, the one that counts failed sign-ins: declared as data, counted
    in the shared cache under a key made of the action and the user's id (no name, email
    or search term reaches the cache), under a short lock so app servers agree. Its public
    ``consume`` reads allauth's own account settings, so the rule is passed here instead.
    A refused search is not counted.
    """
    usage = ratelimit.consume(request, app="portal", action=_SEARCH_ACTION,
                              config=_SEARCH_RATE, user=request.user)
    return usage is not None


def remember_results(session: SessionBase, *, viewer: User,
                     client_ids: Sequence[uuid.UUID]) -> str:
    """Keep a search's results in ``session`` and return the random token that names them
    (for the redirect's ``?results=``).

    What is kept: the client ids found, whose search it was (the viewer's id) and when,
    never the term or how it was searched. At most ``MAX_RESULT_SETS`` per session, the
    oldest dropped; ``recall_results`` ignores them after ``RESULTS_MAX_AGE_SECONDS``, and
    signing out deletes the session with them. The token is a random 128-bit value that
    means something only inside this session: it carries nothing about the search.
    """
    token = secrets.token_urlsafe(16)
    now = _now()
    kept = {
        key: entry for key, entry in _result_sets(session).items()
        if now - entry.get("at", 0) < RESULTS_MAX_AGE_SECONDS
    }
    kept[token] = {"viewer": str(viewer.pk), "at": now,
                   "ids": [client_id.hex for client_id in client_ids]}
    newest = sorted(kept.items(), key=lambda item: item[1]["at"])[-MAX_RESULT_SETS:]
    session[RESULTS_SESSION_KEY] = dict(newest)
    return token


def recall_results(session: SessionBase, *, viewer: User, token: str) -> list[uuid.UUID] | None:
    """The client ids a search of ``viewer``'s kept under ``token`` in this session, or
    ``None`` when there is no such set (a mistyped, expired or dropped token, or one from
    another session or another user). Access is the caller's to check again: a clinician
    may have left a client's care team since the search."""
    if not isinstance(token, str) or not _RESULTS_TOKEN.fullmatch(token):
        return None
    entry = _result_sets(session).get(token)
    if (not isinstance(entry, dict) or entry.get("viewer") != str(viewer.pk)
            or _now() - entry.get("at", 0) >= RESULTS_MAX_AGE_SECONDS):
        return None
    return [uuid.UUID(hex=client_id) for client_id in entry.get("ids", [])]


def _result_sets(session: SessionBase) -> dict[str, dict[str, Any]]:
    sets = session.get(RESULTS_SESSION_KEY)
    return sets if isinstance(sets, dict) else {}


# The list ---------------------------------------------------------------------------------


def clients_for_list(clients: QuerySet[User]) -> QuerySet[User]:
    """``clients`` (already narrowed to what the viewer may open) in list order: those with
    a safety alert no one has acknowledged first, then by login email. Annotated with what
    the account column needs, and with the accepted invitation joined, all in the one query.
    """
    unacknowledged = open_safety_alerts().filter(intake__client=OuterRef("pk"))
    erased = DataKey.objects.filter(
        owner_kind=OWNER_CLIENT, owner_id=OuterRef("pk"), destroyed_at__isnull=False
    )
    verified = EmailAddress.objects.filter(user=OuterRef("pk"), verified=True)
    return (
        clients.annotate(
            needs_prompt_review=Exists(unacknowledged),
            is_erased=Exists(erased),
            email_verified=Exists(verified),
        )
        .select_related("invitation")
        .order_by("-needs_prompt_review", "email")
    )


@dataclass(frozen=True)
class Badge:
    """A short status and its Bootstrap tone (success, warning, danger, secondary, light)."""

    text: str
    tone: str


@dataclass(frozen=True)
class IntakeSummary:
    badge: Badge
    needs_prompt_review: bool
    intake_id: uuid.UUID | None  # the intake to open: the flagged one, else the latest
    submitted_at: datetime.datetime | None


@dataclass(frozen=True)
class ClientRow:
    client: User
    account: Badge
    invitation: Invitation | None  # the invitation the account was made from, if any
    intake: IntakeSummary
    consents: list[Badge]


def _account(client: Any) -> Badge:
    if client.is_erased:
        return Badge("Erased", "secondary")
    if not client.is_active:
        return Badge("Closed", "secondary")
    if not client.email_verified:
        return Badge("Email not verified", "warning")
    return Badge("Active", "success")


def _intake_summaries(client_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, IntakeSummary]:
    """Each client's intake state, from the plaintext workflow columns of all their intakes
    (one query; answers and scores are not even loaded)."""
    by_client: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    rows = Intake.objects.filter(client_id__in=client_ids).annotate(
        alert_open=Exists(open_safety_alerts().filter(intake=OuterRef("pk"))),
    ).values("id", "client_id", "state", "alert_open", "submitted_at", "updated_at")
    for row in rows:
        by_client[row["client_id"]].append(row)
    return {client_id: _intake_summary(by_client.get(client_id, [])) for client_id in client_ids}


def _intake_summary(intakes: list[dict[str, Any]]) -> IntakeSummary:
    flagged = [i for i in intakes if i["alert_open"]]
    submitted = sorted((i for i in intakes if i["state"] == IntakeState.SUBMITTED),
                       key=lambda i: i["submitted_at"], reverse=True)
    drafts = [i for i in intakes if i["state"] == IntakeState.DRAFT]
    if submitted:
        badge, latest = Badge("Submitted", "success"), submitted[0]
    elif drafts:
        badge, latest = Badge("Draft in progress", "secondary"), drafts[0]
    else:
        badge, latest = Badge("Not started", "light"), None
    shown = flagged[0] if flagged else latest
    return IntakeSummary(
        badge=badge,
        needs_prompt_review=bool(flagged),
        intake_id=shown["id"] if shown else None,
        submitted_at=submitted[0]["submitted_at"] if submitted else None,
    )


def consent_badges(entries: Iterable[RegisterEntry] | None) -> list[Badge]:
    """What a client still owes on the required documents, in words; ``None`` (a closed
    account, which the register leaves out) gives no badge. Optional documents never count.
    """
    if entries is None:
        return []
    required = [entry for entry in entries if entry.required and entry.current is not None]
    if not required:
        return [Badge("Nothing to sign yet", "light")]
    to_sign = sum(entry.state == OUTSTANDING for entry in required if entry.needs_reminder)
    again = sum(entry.state == RESIGN for entry in required if entry.needs_reminder)
    other: dict[str, int] = defaultdict(int)  # any further state the register chases
    for entry in required:
        if entry.needs_reminder and entry.state not in (OUTSTANDING, RESIGN):
            other[entry.state_label.lower()] += 1
    withdrawn = sum(entry.state == WITHDRAWN for entry in required)
    badges = []
    if to_sign:
        badges.append(Badge(f"{to_sign} required to sign", "warning"))
    if again:
        badges.append(Badge(f"{again} must sign again", "warning"))
    badges.extend(Badge(f"{count} {label}", "warning") for label, count in other.items())
    if withdrawn:
        badges.append(Badge(f"{withdrawn} withdrawn", "danger"))
    return badges or [Badge("All required signed", "success")]


def client_rows(clients: Sequence[User]) -> list[ClientRow]:
    """The rows of one page of ``clients_for_list``: a fixed number of queries (the intakes,
    and the consent register of exactly these clients), however many rows."""
    clients = list(clients)
    ids = [client.pk for client in clients]
    intakes = _intake_summaries(ids)
    register = build_register(client_ids=ids) if ids else None
    rows = []
    for client in clients:
        entries = (register.for_client(client.pk)
                   if register is not None and client.pk in register.emails else None)
        rows.append(ClientRow(
            client=client,
            account=_account(client),
            invitation=getattr(client, "invitation", None),
            intake=intakes[client.pk],
            consents=consent_badges(entries),
        ))
    return rows


def open_invitation_count() -> int:
    """Invitations still waiting for someone to create their account (not yet clients)."""
    return Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).count()
