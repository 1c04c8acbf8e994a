"""Finding a client by legal name, date of birth or phone, and keeping the results.

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
from collections.abc import Callable, Sequence
from typing import Any

from django import forms
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Count, Exists, OuterRef
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal import rate_limits
from portal.access import clients_visible_to
from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.crypto.blind_index import (
    blind_search,
    name_tokens,
    normalise_phone,
    search_tokens,
)
from portal.crypto.models import EncryptedQuerySet
from portal.crypto.owners import OWNER_CLIENT
from portal.models import ClientNameToken, ClientProfile, DataKey, User
from portal.rate_limits import PORTAL_LIMITS

# What a search looks in: the ClientProfile field behind each choice (each has a blind index).
BY_AUTO, BY_NAME, BY_DATE_OF_BIRTH, BY_PHONE = "auto", "name", "date_of_birth", "phone"
SEARCH_SOURCES = {BY_NAME: "legal_name", BY_DATE_OF_BIRTH: "date_of_birth", BY_PHONE: "phone"}

MIN_PHONE_DIGITS, MAX_PHONE_DIGITS = 7, 15
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
# Three groups of digits split by - . or /: meant as a date, even if not in a shape we take.
_DATE_LIKE = re.compile(r"^\d{1,4}[-./]\d{1,2}[-./]\d{1,4}$")
_PHONE_CHARACTERS = re.compile(r"^\+?[\d\s().-]+$")

DATE_FORMAT_MESSAGE = _(
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
        # One sentence pair, one string: never "That date does not exist. " + the format.
        raise forms.ValidationError(
            gettext("That date does not exist. Enter the date of birth as year-month-day "
                    "(for example 1990-04-21) or month/day/year (04/21/1990)."),
            code="bad_date",
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


def _clean_name(text: str) -> str:
    if not search_tokens(text):
        raise forms.ValidationError(gettext("Enter the client's legal name or part of it, "
                                            "with at least one letter."), code="bad_name")
    return text


def _clean_date(text: str) -> datetime.date:
    value = _parse_date(text)
    if value is None:
        raise forms.ValidationError(DATE_FORMAT_MESSAGE, code="bad_date")
    if value > timezone.localdate():
        raise forms.ValidationError(gettext("A date of birth cannot be in the future."),
                                    code="future_date")
    return value


def _clean_phone(text: str) -> str:
    if not _PHONE_CHARACTERS.match(text):
        raise forms.ValidationError(
            gettext("Enter a phone number in digits (spaces, dashes, brackets and a leading + "
                    "are fine)."), code="bad_phone")
    digits = normalise_phone(text)
    if not MIN_PHONE_DIGITS <= len(digits) <= MAX_PHONE_DIGITS:
        raise forms.ValidationError(
            gettext("A phone number has %(fewest)s to %(most)s digits.")
            % {"fewest": MIN_PHONE_DIGITS, "most": MAX_PHONE_DIGITS},
            code="bad_phone")
    return digits


_CLEANERS: dict[str, Callable[[str], str | datetime.date]] = {
    BY_NAME: _clean_name, BY_DATE_OF_BIRTH: _clean_date, BY_PHONE: _clean_phone
}


def interpret_term(text: str, by: str) -> tuple[str, str | datetime.date]:
    """What a typed search term means: its kind (``by``, or worked out from the text when
    ``by`` is ``BY_AUTO``) and its value, cleaned for ``client_search``. Raises
    ``ValidationError`` with a message a person understands."""
    kind = _guess_kind(text) if by == BY_AUTO else by
    return kind, _CLEANERS[kind](text)


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

    Decrypting is the caller's to record (``client.searched``, through
    ``portal.audit.reads.audited_read``); the value itself must never be logged or recorded.
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


def client_search_refused(*, viewer: User) -> None:
    """Record a search refused for being over ``SEARCHES_PER_MINUTE``
    (``client.search_rate_limited``, the viewer only: never the term), so someone trawling
    the client list stays visible while held off. Nothing was decrypted."""
    record_event(Action.CLIENT_SEARCH_RATE_LIMITED, actor=viewer)


def _name_search(
    profiles: EncryptedQuerySet[ClientProfile, ClientProfile], typed: str
) -> list[uuid.UUID]:
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
_SEARCH_LIMIT = "client_search"  # in portal.rate_limits' table: "30/m/user"
SEARCHES_PER_MINUTE = PORTAL_LIMITS[_SEARCH_LIMIT].amount

RESULTS_SESSION_KEY = "portal.client_search_results"
MAX_RESULT_SETS = 5  # per session; the oldest goes first
RESULTS_MAX_AGE_SECONDS = 3600
_RESULTS_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")  # secrets.token_urlsafe(16)


def _now() -> int:
    return int(time.time())


def search_allowed(request: HttpRequest) -> bool:
    """Whether ``request.user`` may run one more search now, counting it if so: a sliding
    minute of ``SEARCHES_PER_MINUTE``, per user.

    The limit is declared in ``portal.rate_limits`` (counted in the shared cache under the
    limit's name and the user's id: no name, email or search term reaches the cache). A
    refused search is not counted.
    """
    return rate_limits.allow(request, _SEARCH_LIMIT)


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
