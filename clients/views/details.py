"""A client's own details: the page where they read and correct them, and choose the
language the portal speaks to them in."""

from __future__ import annotations

from typing import Literal

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext

from clients.forms import ClientDetailsForm, LanguageForm
from portal.access import permission_or_404
from portal.http import AuthenticatedHttpRequest
from portal.i18n.languages import language_of, remember_language
from portal.services.profiles import (
    PROFILE_FIELDS,
    SOURCE_CLIENT,
    profile_of,
    profile_update,
)

SameSite = Literal["Lax", "Strict", "None"]  # the settings hold one of these, typed as str


@permission_or_404("access_client_pages")
def client_details(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The signed-in client's own details (decrypted for them alone), which they may
    correct at any time. Saved through ``profile_update`` (encrypted under their key, the
    search indexes updated, the change audited by field name).

    The page's second form, the language, posts here too (it alone sends ``language``):
    see ``_save_language``."""
    if request.method == "POST" and "language" in request.POST:
        return _save_language(request)
    form = _details_form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        changed = profile_update(client=request.user, values=form.profile_values(),
                                 source=SOURCE_CLIENT)
        messages.success(request, gettext("Your details are saved.") if changed
                         else gettext("Nothing had changed, so nothing was saved."))
        return redirect("client_home")
    return _page(request, form, LanguageForm(initial={"language": language_of(request.user)}))


def _details_form(request: AuthenticatedHttpRequest,
                  data: QueryDict | None = None) -> ClientDetailsForm:
    """The details form, showing what the client's profile holds now."""
    profile = profile_of(request.user)
    initial = {name: getattr(profile, name) for name in PROFILE_FIELDS} if profile else {}
    return ClientDetailsForm(data, initial=initial)


def _page(request: AuthenticatedHttpRequest, form: ClientDetailsForm,
          language_form: LanguageForm, *, status: int = 200) -> HttpResponse:
    return render(request, "clients/client_details.html",
                  {"form": form, "language_form": language_form}, status=status)


def _save_language(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Save the client's language on their account (``User.language``), as the language
    button of every page does: from the next page on, the portal, their emails, reminders
    and PDFs are in it. The browser's language cookie follows, so the pages before
    sign-in speak it too. Says so in the chosen language, then shows the page again."""
    language_form = LanguageForm(request.POST)
    if not language_form.is_valid():
        return _page(request, _details_form(request), language_form, status=400)
    code = language_form.cleaned_data["language"]
    if request.user.language != code:
        request.user.language = code
        request.user.save(update_fields=["language"])
    with translation.override(code):
        messages.success(request, gettext("Your language is saved. The portal, your emails, "
                                          "reminders and PDFs are now in this language."))
    response = redirect("client_details")
    remember_language(response, code)
    return response
