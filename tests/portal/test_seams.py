"""Hooks: a feature asks another a question without importing it (``portal.seams``)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from consents.defaults import install_default_documents
from portal.models import Case, User
from portal.seams import Hook, Prerequisite, before_intake
from tests.factories import fill_practice_settings
from tests.helpers import sign_in


def test_a_hook_joins_every_providers_answer_in_registration_order(client_user: User) -> None:
    hook = Hook[str](name="test", question="What?")
    hook.provide(lambda person, case: ["first"])
    hook.provide(lambda person, case: ["second", "third"])
    assert hook.ask(client_user) == ["first", "second", "third"]


def test_registering_a_provider_twice_does_not_double_its_answers(client_user: User) -> None:
    hook = Hook[str](name="test", question="What?")

    def provider(person: User, case: Case | None) -> list[str]:
        return ["once"]

    hook.provide(provider)
    hook.provide(provider)
    assert hook.ask(client_user) == ["once"]


def test_a_hook_no_app_answers_gives_no_answers(client_user: User) -> None:
    assert Hook[str](name="test", question="What?").ask(client_user) == []


@pytest.mark.django_db
def test_the_consents_app_answers_before_intake_with_the_documents_to_sign(
    client: Client, client_user: User
) -> None:
    """The intake never imports the consents: it asks the hook, and the answer sends the
    client to sign the documents required before the intake."""
    fill_practice_settings()
    install_default_documents(publish=True)
    prerequisites = before_intake.ask(client_user)
    assert prerequisites, "published documents required before the intake are unsigned"
    assert all(isinstance(item, Prerequisite) and item.url_name == "consent_list"
               for item in prerequisites)
    sign_in(client, client_user)
    response = client.get(reverse("intake_home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("consent_list")
