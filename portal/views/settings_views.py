"""Practice settings, edited by practice admins."""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from portal.access import permission_or_404
from portal.forms import PracticeSettingsForm
from portal.http import AuthenticatedHttpRequest
from portal.models import PracticeSettings
from portal.services.practice import practice_settings_update


@permission_or_404("manage_practice_settings")
@reauthentication_required
def practice_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Change the practice's name, contact details, crisis text, self-signup and idle
    timeout. Re-authentication first: turning self-signup on opens the door to anyone.
    The change is saved (and audited) by ``practice_settings_update``."""
    practice = PracticeSettings.load()
    form = PracticeSettingsForm(request.POST or None, instance=practice)
    if request.method == "POST" and form.is_valid():
        practice_settings_update(values=form.cleaned_data, actor=request.user)
        messages.success(request, _("Practice settings saved."))
        return redirect("practice_settings")
    return render(request, "portal/practice_settings.html", {"form": form})
