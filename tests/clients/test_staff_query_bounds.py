"""The staff's busiest pages cost the same number of queries however much they show: the
intake list with few or many intakes, a client's record with a small or large care team and
history. A page that loads rows one by one slows to a crawl as a practice grows."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from clients.services import client_assign
from consents.defaults import install_default_documents
from portal.models import ClientProfile, User
from portal.roles import Role
from tests.factories import UserFactory, fill_practice_settings
from tests.helpers import queries_of_a_second_call, sign_in
from tests.intake_data import filled_draft, submitted_intake

pytestmark = pytest.mark.django_db


def _count(http: Client, url: str) -> int:
    response, queries = queries_of_a_second_call(lambda: http.get(url))
    assert response.status_code == 200
    return len(queries)


def _client_with_intake(number: int, clinician: User, make: Callable[[User], object]) -> User:
    client = UserFactory(role=Role.CLIENT, email=f"client.{number}@example.com")
    client_assign(client=client, clinician=clinician, actor=None)
    make(client)
    return client


def test_the_intake_list_costs_the_same_for_two_intakes_as_for_twelve(
    clinician_user: User
) -> None:
    http = Client()
    sign_in(http, clinician_user)
    url = reverse("staff_intake_list")
    for number in range(2):
        _client_with_intake(number, clinician_user,
                            submitted_intake if number % 2 else filled_draft)
    few = _count(http, url)
    for number in range(2, 12):
        _client_with_intake(number, clinician_user,
                            submitted_intake if number % 2 else filled_draft)
    assert _count(http, url) == few


def test_a_client_record_costs_the_same_with_a_long_history_and_a_large_care_team(
    admin_user: User, clinician_user: User
) -> None:
    fill_practice_settings()
    install_default_documents(publish=True)
    client = UserFactory(role=Role.CLIENT, email="record@example.com")
    ClientProfile.objects.create(user=client, legal_name="Robin Example")
    client_assign(client=client, clinician=clinician_user, actor=None)
    submitted_intake(client)
    http = Client()
    sign_in(http, admin_user)
    url = reverse("client_profile", args=[client.pk])
    small = _count(http, url)
    for number in range(6):
        colleague = UserFactory(role=Role.CLINICIAN, email=f"dr.{number}@example.com")
        client_assign(client=client, clinician=colleague, actor=admin_user)
    for _ in range(5):
        http.get(url)  # more history: each opening is an event on the record
    assert _count(http, url) == small
