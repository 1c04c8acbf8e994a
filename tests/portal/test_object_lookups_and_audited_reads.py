"""The platform's one home for object look-ups (``owned_or_404``, ``visible_or_404``) and
for audited reads (``audited_read``), and the rule that views never write audit events
themselves."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from intake.models import Intake
from intake.services import intake_start
from portal.access import clients_visible_to, owned_or_404, visible_or_404
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.audit.reads import audited_read
from portal.models import CareAssignment, User

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
MALFORMED_IDS = ("not-a-uuid", "", None, "00000000-0000-0000-0000-00000000000g", 1.5)
UNKNOWN_ID = "00000000-0000-0000-0000-000000000000"
AUDIT_WRITER = "portal.audit.service"


def test_a_visible_object_is_found_and_anything_else_is_the_same_404(
    client_user: User, other_client_user: User, clinician_user: User
) -> None:
    CareAssignment.objects.create(client=client_user, clinician=clinician_user)
    caseload = clients_visible_to(clinician_user)
    assert visible_or_404(caseload, client_user.pk) == client_user
    assert visible_or_404(caseload, str(client_user.pk)) == client_user
    for hidden in (other_client_user.pk, clinician_user.pk, UNKNOWN_ID, *MALFORMED_IDS):
        with pytest.raises(Http404):
            visible_or_404(caseload, hidden)


def test_an_owned_object_is_found_by_its_owner_only(
    client_user: User, other_client_user: User, clinician_user: User
) -> None:
    intake = intake_start(client=client_user)
    assert owned_or_404(Intake.objects.all(), client_user, intake.pk) == intake
    for stranger in (other_client_user, clinician_user, AnonymousUser()):
        with pytest.raises(Http404):
            owned_or_404(Intake.objects.all(), stranger, intake.pk)
    for bad in (UNKNOWN_ID, *MALFORMED_IDS):
        with pytest.raises(Http404):
            owned_or_404(Intake.objects.all(), client_user, bad)


def _events(action: Action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


def test_an_audited_read_records_after_reading_with_what_it_found(
    clinician_user: User, client_user: User
) -> None:
    found = audited_read(Action.CLIENT_SEARCHED, read=lambda: [client_user.pk],
                         actor=clinician_user,
                         detail=lambda ids: {"by": "name", "results": len(ids)})
    assert found == [client_user.pk]
    (event,) = _events(Action.CLIENT_SEARCHED)
    assert (event.actor_id, event.detail) == (clinician_user.pk, {"by": "name", "results": 1})


def test_a_read_that_fails_or_shows_nothing_records_nothing(clinician_user: User) -> None:
    def fails() -> None:
        raise LookupError("the key is gone")

    with pytest.raises(LookupError):
        audited_read(Action.CONSENT_VIEWED, read=fails, actor=clinician_user)
    assert audited_read(Action.CONSENT_VIEWED, read=lambda: {}, actor=clinician_user,
                        record_if=bool) == {}
    assert _events(Action.CONSENT_VIEWED) == []


def _view_modules() -> list[Path]:
    return sorted(path for path in ROOT.glob("*/views/*.py")) + sorted(ROOT.glob("*/views.py"))


def test_no_view_imports_the_audit_writer() -> None:
    """Views read through ``portal.audit.reads``: a view that imported the writer could
    decrypt without recording, or record in another order."""
    modules = _view_modules()
    assert modules
    offenders = []
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module is not None:
                imported = {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
            elif isinstance(node, ast.Import):
                imported = {alias.name for alias in node.names}
            else:
                continue
            if AUDIT_WRITER in imported:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
