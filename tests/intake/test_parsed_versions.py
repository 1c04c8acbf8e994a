"""A stored questionnaire version is parsed once per process and language, and pages that
show an intake do not read the version's definition again once it is parsed."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest
from django.db import IntegrityError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from intake import definitions
from intake.models import Intake, QuestionnaireVersion
from intake.schema import parse_definition

pytestmark = pytest.mark.django_db


def _start(http: Client) -> Intake:
    assert http.post(reverse("intake_home")).status_code == HTTPStatus.FOUND
    return Intake.objects.select_related("questionnaire").get(
        client__email="client@example.com", state="draft")


def test_two_fetches_of_a_version_share_one_parse_per_language(as_client: Client) -> None:
    version = _start(as_client).questionnaire
    first = QuestionnaireVersion.objects.get(pk=version.pk).questionnaire_in("en")
    again = QuestionnaireVersion.objects.get(pk=version.pk).questionnaire_in("en")
    spanish = QuestionnaireVersion.objects.get(pk=version.pk).questionnaire_in("es")

    assert again is first
    assert first == parse_definition(version.definition, "en")
    assert spanish is not first
    assert spanish.language == "es" and spanish.title != first.title
    assert spanish.title == parse_definition(version.definition, "es").title


def test_an_intake_page_reads_the_definition_only_the_first_time(as_client: Client) -> None:
    intake = _start(as_client)
    page = reverse("intake_section", args=[intake.id, "about_you"])
    definition = connection.ops.quote_name("definition")
    assert as_client.get(page).status_code == HTTPStatus.OK  # parsed at the latest here

    with CaptureQueriesContext(connection) as seen:
        response = as_client.get(page)

    assert response.status_code == HTTPStatus.OK
    assert seen.captured_queries, "the page ran no query at all"
    assert not [query["sql"] for query in seen.captured_queries
                if definition in query["sql"]]


def test_a_new_version_is_parsed_on_its_own(as_client: Client) -> None:
    version = _start(as_client).questionnaire
    changed = dict(version.definition, title="A different title", version="999")
    newer = QuestionnaireVersion.objects.create(
        slug=version.slug, version="999", title="A different title", definition=changed,
        sha256="0" * 64)

    assert newer.questionnaire_in("en").title == "A different title"
    assert version.questionnaire_in("en").title != "A different title"


def test_clients_racing_to_publish_the_shipped_questionnaire_all_get_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The first clients of a new database open their intake at once: another request
    publishes the shipped version between this one's look and its insert, which then
    loses on the unique slug and version. This one returns the stored version, no 500."""
    theirs = definitions.install_definition(definitions.DEFAULT_FILE)  # the other request
    looks = iter([None])  # this request looked before the other one's insert committed
    real_look = definitions._stored_as_shipped

    def look(path: Any) -> QuestionnaireVersion | None:
        return next(looks, real_look(path))

    def insert_loses(**_: Any) -> QuestionnaireVersion:
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(definitions, "_stored_as_shipped", look)
    monkeypatch.setattr(definitions, "publish_version", insert_loses)
    assert definitions.install_definition(definitions.DEFAULT_FILE) == theirs
    assert QuestionnaireVersion.objects.get() == theirs
