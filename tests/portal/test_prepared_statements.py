"""PostgreSQL prepares the queries a connection runs again and again (issue 21).

The parameters travel apart from the query text (server-side binding), so the same query
with other values is the same statement; once a connection has run it
``prepare_threshold`` times, PostgreSQL keeps it parsed and planned
(docs/performance.md, "Prepared statements"). A deployment behind a pooler that cannot
keep prepared statements turns this off with ``DATABASE_PREPARED_STATEMENTS=false``.
"""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.db import connection

from portal.models import User
from tests.factories import UserFactory
from tests.subprocesses import production_environ, run_python

OPTIONS = (
    "import django, json; django.setup(); from django.conf import settings; "
    "print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
)


def _options(**environ: str) -> dict[str, object]:
    result = run_python(OPTIONS, production_environ(**environ))
    assert result.returncode == 0, result.stderr
    options: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return options


def test_production_binds_parameters_on_the_server_and_prepares_repeated_queries() -> None:
    options = _options()
    assert options["server_side_binding"] is True
    assert options["prepare_threshold"] == 5
    assert "jit=off" in str(options["options"])


def test_a_pooler_deployment_can_turn_prepared_statements_off() -> None:
    options = _options(DATABASE_PREPARED_STATEMENTS="false")
    assert "server_side_binding" not in options
    assert "prepare_threshold" not in options
    assert "jit=off" in str(options["options"])


def test_a_threshold_out_of_range_is_refused_with_its_name() -> None:
    result = run_python(OPTIONS, production_environ(DATABASE_PREPARE_THRESHOLD="0"))
    assert result.returncode != 0
    assert "DATABASE_PREPARE_THRESHOLD" in result.stderr


def _prepared(fragment: str) -> list[str]:
    """The statements this connection holds prepared whose text contains ``fragment``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall() if fragment in row[0]]


@pytest.mark.django_db
def test_a_lookup_run_often_is_prepared_and_still_answers_for_each_value() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's; SQLite has no such cache to see")
    people = UserFactory.create_batch(3)
    threshold = settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"]
    # A column order no other code asks for, so the statement found is this one.
    columns = ("last_login", "email", "is_active")
    shape = '"last_login" AS "last_login", "portal_user"."email" AS "email", "portal_user"'
    assert _prepared(shape) == []
    for round_ in range(threshold + 2):
        person = people[round_ % len(people)]
        rows = list(User.objects.filter(pk=person.pk).values_list(*columns))
        assert rows == [(None, person.email, True)]  # each value finds its own row
    (statement,) = _prepared(shape)
    assert "$1" in statement  # the value was bound, not written into the text
