"""The client's authorization to release information: one form with what may be shared, by
whom, with whom, why and until when, the statements the law requires, and the signature.

Reached through the ordinary signing URL (``consent_sign``) of the current
"release_authorization" version; ``consents.views.client.consent_sign_view`` hands over.
Each form carries a one-time id, so sending it twice signs once, and a fresh form makes a
new authorization (a client may hold one per recipient). Refusals name every missing
element beside its field and keep everything typed, except the tick.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from consents.authorizations import (
    STATEMENT_SUBSTANCE_USE,
    IncompleteAuthorization,
    authorization_errors,
    authorization_sign,
    statements_for,
)
from consents.forms import AuthorizationForm
from consents.models import ConsentVersion
from consents.rendering import render_markdown
from consents.selectors import newest_or_404
from consents.services import SigningError, VersionChanged, agreement_statement
from portal.http import AuthenticatedHttpRequest
from portal.models import PracticeSettings

SIGNED_MESSAGE = _("Thank you. Your authorization is saved. You can download a copy below.")
# Form fields in the order they appear, for the summary of what to fix.
FIELD_ORDER = (
    "information", "substance_use_information", "discloser", "recipient", "purpose",
    "expires_on", "typed_name", "agreed", "representative_name", "submission",
)


def _render(
    request: HttpRequest,
    version: ConsentVersion,
    form: AuthorizationForm,
    *,
    error: str = "",
    changed: bool = False,
    status: int = 200,
) -> HttpResponse:
    problems = [(name, form.errors[name][0]) for name in FIELD_ORDER if name in form.errors]
    return render(request, "consents/client/authorize.html", {
        "version": version,
        "document": version.document,
        "body_html": render_markdown(version.body),
        "form": form,
        "statement": agreement_statement(),
        "required_statements": statements_for(includes_substance_use=False),
        "substance_use_statement": gettext(STATEMENT_SUBSTANCE_USE),
        "sha256": version.sha256,
        "error": error,
        "problems": problems,
        "changed": changed,
    }, status=status)


def authorization_form_view(request: HttpRequest, version: ConsentVersion) -> HttpResponse:
    """A blank authorization (GET), the practice as the one who discloses, with a fresh
    one-time id."""
    form = AuthorizationForm(initial={
        "discloser": PracticeSettings.load().name,
        "submission": uuid.uuid4(),
    })
    return _render(request, version, form)


def _without_tick(form: AuthorizationForm) -> AuthorizationForm:
    """The same typed values for a version the client has not yet agreed to."""
    data = form.data.copy()  # type: ignore[attr-defined]  # a QueryDict or dict
    data.pop("agreed", None)
    return AuthorizationForm(data=data)


def authorization_submit_view(
    request: AuthenticatedHttpRequest, version: ConsentVersion
) -> HttpResponse:
    """Sign an authorization (POST), or explain, field by field, what is missing (400); a
    version replaced meanwhile comes back to be read first (409)."""
    form = AuthorizationForm(data=request.POST)
    if not form.is_valid():
        # Name every other missing element too, so one round trip shows all that is needed.
        others = authorization_errors(
            form.details(), typed_name=form.cleaned_data.get("typed_name", ""),
            agreed=bool(form.cleaned_data.get("agreed")),
        )
        for name, message in others.items():
            if name not in form.errors:
                form.add_error(name, message)
        return _render(request, version, form,
                       error=gettext("Please check the parts marked below."), status=400)
    representative_name, representative_authority = form.representative()
    try:
        signature = authorization_sign(
            client=request.user,
            version_id=version.pk,
            expected_sha256=form.cleaned_data["sha256"],
            typed_name=form.cleaned_data["typed_name"],
            agreed=form.cleaned_data["agreed"],
            details=form.details(),
            submission=form.cleaned_data["submission"],
            representative_name=representative_name,
            representative_authority=representative_authority,
        )
    except VersionChanged as changed:
        return _render(request, newest_or_404(version), _without_tick(form),
                       error=str(changed), changed=True, status=409)
    except IncompleteAuthorization as incomplete:
        for name, message in incomplete.errors.items():
            form.add_error(name, message)
        return _render(request, version, form, error=str(incomplete), status=400)
    except SigningError as refused:
        return _render(request, version, form, error=str(refused), status=400)
    messages.success(request, SIGNED_MESSAGE)
    return redirect("consent_signed", signature.id)
