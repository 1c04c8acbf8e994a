"""Downloads of a submitted intake: the client's own PDF copy and FHIR
``QuestionnaireResponse``, and the care team's PDF and FHIR ``QuestionnaireResponse``.

Each download decrypts what the client told us, so each is recorded (``intake.exported``
with its format) once the file is built and before it is returned: a download that fails
to build records nothing, a download that is served is always on the trail. Drafts have no
copy (404, like strangers). File names carry only the intake's short reference, never a
name; responses are never cached. A staff copy leaves the portal with everything the client
told us, so staff confirm their password (allauth re-authentication) before it is built;
a client downloading their own answers is not asked again (as for their PDF copy).
"""

from __future__ import annotations

import json
import uuid

from allauth.account.decorators import reauthentication_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from intake.access import get_intake_for_staff, get_own_intake
from intake.exports.fhir import FHIR_JSON, questionnaire_response
from intake.exports.pdf import intake_pdf, short_reference
from intake.models import Intake
from portal.access import permission_or_404
from portal.audit.actions import Action
from portal.audit.reads import audited_read
from portal.downloads import attachment
from portal.http import AuthenticatedHttpRequest

PDF = "application/pdf"


def _submitted(intake: Intake) -> Intake:
    """Only a submitted intake can be exported; a draft looks like nothing at all."""
    if not intake.is_submitted:
        raise Http404
    return intake


def _pdf_response(request: HttpRequest, intake: Intake) -> HttpResponse:
    content = audited_read(Action.INTAKE_EXPORTED, read=lambda: intake_pdf(intake),
                           actor=request.user, subject=intake.client_id, target=intake,
                           detail={"format": "pdf"})
    return attachment(content, PDF, f"intake-{short_reference(intake)}.pdf")


def _fhir_response(request: HttpRequest, intake: Intake) -> HttpResponse:
    content = audited_read(
        Action.INTAKE_EXPORTED,
        read=lambda: json.dumps(questionnaire_response(intake), ensure_ascii=False, indent=2),
        actor=request.user, subject=intake.client_id, target=intake,
        detail={"format": "fhir"},
    )
    return attachment(
        content.encode(), f"{FHIR_JSON}; charset=utf-8",
        f"intake-{short_reference(intake)}-questionnaire-response.json",
    )


@require_safe
@permission_or_404("access_client_pages")
def intake_pdf_view(request: AuthenticatedHttpRequest, intake_id: uuid.UUID) -> HttpResponse:
    """The signed-in client's PDF copy of their own submitted intake; 404 for anyone
    else's intake and for a draft. Recorded as an export by the client."""
    intake = _submitted(get_own_intake(request.user, intake_id))
    return _pdf_response(request, intake)


@require_safe
@permission_or_404("access_staff_pages")
@reauthentication_required
def staff_intake_pdf(request: AuthenticatedHttpRequest, intake_id: uuid.UUID) -> HttpResponse:
    """The PDF copy for the client's care team (or a practice admin); 404 for anyone else
    and for drafts. The password (or a second-factor code) is asked for again first; the
    download is recorded, so the client sees who downloaded it."""
    intake = _submitted(get_intake_for_staff(request.user, intake_id))
    return _pdf_response(request, intake)


@require_safe
@permission_or_404("access_client_pages")
def intake_fhir_view(request: AuthenticatedHttpRequest, intake_id: uuid.UUID) -> HttpResponse:
    """The signed-in client's FHIR R4 ``QuestionnaireResponse`` for their own submitted
    intake (the same resource the care team downloads); 404 for anyone else's intake and
    for a draft. Recorded as an export by the client, like their PDF copy."""
    intake = _submitted(get_own_intake(request.user, intake_id))
    return _fhir_response(request, intake)


@require_safe
@permission_or_404("access_staff_pages")
@reauthentication_required
def staff_intake_fhir(request: AuthenticatedHttpRequest, intake_id: uuid.UUID) -> HttpResponse:
    """The FHIR R4 ``QuestionnaireResponse`` for the client's care team (or a practice
    admin); 404 for anyone else and for drafts. The password (or a second-factor code) is
    asked for again first; recorded as an export in FHIR format."""
    intake = _submitted(get_intake_for_staff(request.user, intake_id))
    return _fhir_response(request, intake)
