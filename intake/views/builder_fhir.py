"""The questionnaire builder's FHIR pages: a published version downloaded as a FHIR R4
``Questionnaire``, and a ``Questionnaire`` from another tool imported as a new draft.

Practice admins only (``manage_questionnaires``): everyone else gets a 404. A questionnaire
holds no personal data, so a download is not an export of anyone's record (not audited);
importing starts a draft, which the service records.
"""

from __future__ import annotations

import json
import re
import uuid

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_safe

from intake.builder.access import version_or_404
from intake.builder.drafts import NoSource, source_of
from intake.builder.fhir_questionnaire import FhirImportError, to_fhir
from intake.builder.forms_fhir import FhirImportForm
from intake.builder.importing import draft_import
from intake.exports.fhir import FHIR_JSON
from portal.access import permission_or_404
from portal.downloads import attachment
from portal.http import AuthenticatedHttpRequest


def _file_part(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", value).strip("-.")[:64] or "questionnaire"


@require_safe
@permission_or_404("manage_questionnaires")
def questionnaire_fhir_download(request: AuthenticatedHttpRequest,
                                version_id: uuid.UUID) -> HttpResponse:
    """The published version as a FHIR R4 ``Questionnaire`` (``application/fhir+json``,
    an attachment named from its slug and version); admins who may manage questionnaires
    only, 404 for anyone else."""
    version = version_or_404(request.user, version_id)
    try:
        source = source_of(version)
    except NoSource:
        raise Http404 from None
    resource = to_fhir(source, slug=version.slug, version=version.version,
                       title=version.title)
    content = json.dumps(resource, ensure_ascii=False, indent=2)
    filename = f"{_file_part(version.slug)}-v{_file_part(version.version)}.fhir.json"
    return attachment(content.encode(), f"{FHIR_JSON}; charset=utf-8", filename)


@require_http_methods(["GET", "HEAD", "POST"])
@permission_or_404("manage_questionnaires")
def questionnaire_fhir_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload a FHIR R4 ``Questionnaire`` (JSON, at most 1 MB): a new draft of the
    practice's own, then its editor. Anything unreadable or invalid is refused with a
    message saying why, and nothing is stored."""
    form = FhirImportForm()
    status = 200
    if request.method == "POST":
        form = FhirImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                draft = draft_import(resource=form.cleaned_data["resource"],
                                     actor=request.user)
            except FhirImportError as error:
                # The reason names the item in the file, in the words of FHIR and of the
                # questionnaire format (as the builder's checks do).
                form.add_error("file", gettext("This questionnaire cannot be imported: "
                                               "%(reason)s") % {"reason": error})
            else:
                return redirect("builder_draft", draft.pk)
        status = 400
    return render(request, "intake/builder/fhir_import.html", {"form": form}, status=status)
