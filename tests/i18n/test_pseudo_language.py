"""No English left: every page of the client's, the clinician's and the admin's journeys,
rendered in a pseudo-language that brackets every translated string (``tests.i18n.pseudo``),
shows no word outside the brackets but the data the test itself put there, or text marked
with its own language (a questionnaire's English on a page in another language)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings

from consents.models import (
    ConsentDocument,
    ConsentSignature,
    ConsentVersion,
    ReleaseAuthorization,
)
from intake.models import Intake
from portal.models import ClientProfile, Invitation, PracticeSettings, User
from tests.helpers import reauthenticate, sign_in
from tests.hostile import build_world
from tests.i18n import pseudo
from tests.i18n.crawl import pages

ROLES = ("client", "clinician", "admin")


@pytest.fixture
def pseudo_language(tmp_path: Path) -> Iterator[str]:
    locale = pseudo.build_catalogs(tmp_path)
    with override_settings(LANGUAGES=[*settings.LANGUAGES, (pseudo.CODE, "Pseudo")],
                           LOCALE_PATHS=[locale, *settings.LOCALE_PATHS]):
        yield pseudo.CODE


def _texts_of(value: Any) -> Iterator[str]:
    """Every string inside a JSON value (a client's answers)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts_of(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts_of(item)


def _data() -> list[str]:
    """What the test put on pages that is nobody's words to translate: the practice's name,
    the accounts' addresses and names, the clients' names and answers, the consent
    documents' titles and summaries.

    Not the questionnaires' and instruments' texts: a pseudo-language has none, so they
    fall back to English, and each says so with its ``lang="en"`` (``LangText``, marked by
    the ``portal_lang`` filters): a text of a definition shown without its mark fails here.
    Their Spanish is tested in test_questionnaires_spanish, the marks in
    test_language_of_parts. Nor the answers "Yes" and "No": they are the portal's words,
    translated like any other."""
    practice = PracticeSettings.objects.first()
    values = [] if practice is None else [
        practice.name, practice.contact_email, practice.contact_phone, practice.crisis_text,
        *practice.address.splitlines()]
    values += list(Invitation.objects.values_list("email", flat=True))
    # A yes-or-no question's fixed answers come with the questionnaire's languages too.
    for person in User.objects.all():
        values += [person.email, person.display_name]
    for profile in ClientProfile.objects.all():
        values += [profile.legal_name or "", profile.preferred_name or ""]
    values += [name for _, name in settings.LANGUAGES]
    for document in ConsentDocument.objects.all():
        values.append(document.title)
    for version in ConsentVersion.objects.all():
        values += [version.title, version.summary, version.change_note,
                   *version.body.splitlines()]
    for signature in ConsentSignature.objects.all():
        values += [signature.statement, signature.typed_name]
    for details in ReleaseAuthorization.objects.all():
        values += [details.information, details.discloser, details.recipient,
                   details.purpose, details.expiry_event or "",
                   *details.required_statements.splitlines()]
    for intake in Intake.objects.all():
        values += list(_texts_of(intake.answers))
    return values


@pytest.mark.django_db
def test_every_page_is_translated(pseudo_language: str) -> None:
    world = build_world(signed_in=())
    allowed = _data()
    leftovers: dict[str, str] = {}  # an untranslated run of text: the first page showing it
    for role in ROLES:
        person = world.people[role]
        person.language = pseudo_language  # before signing in: its message is read too
        person.save(update_fields=["language"])
        http = Client()
        sign_in(http, person)
        if role != "client":
            reauthenticate(http)
        for url, kind, body in pages(http, "/"):
            if not kind.startswith("text/html"):
                continue
            html = body.decode()
            assert f'<html lang="{pseudo_language}">' in html, url
            for run in pseudo.untranslated(pseudo.visible_text(html), allowed):
                leftovers.setdefault(run, f"{role} {url}")
    assert not leftovers, f"{len(leftovers)} runs of text never translated:\n" + "\n".join(
        f"{page}: {run}" for run, page in leftovers.items())
