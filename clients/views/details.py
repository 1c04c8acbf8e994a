"""A client's own details: the page where they read and correct them."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from clients.forms import ClientDetailsForm
from portal.access import permission_or_404
from portal.http import AuthenticatedHttpRequest
from portal.services.profiles import (
    PROFILE_FIELDS,
    SOURCE_CLIENT,
    profile_of,
    profile_update,
)


@permission_or_404("access_client_pages")
def client_details(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The signed-in client's own details (decrypted for them alone), which they may
    correct at any time. Saved through ``profile_update`` (encrypted under their key, the
    search indexes updated, the change audited by field name)."""
    profile = profile_of(request.user)
    initial = {name: getattr(profile, name) for name in PROFILE_FIELDS} if profile else {}
    form = ClientDetailsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = profile_update(client=request.user, values=form.profile_values(),
                                 source=SOURCE_CLIENT)
        messages.success(request, "Your details are saved." if changed
                         else "Nothing had changed, so nothing was saved.")
        return redirect("client_home")
    return render(request, "clients/client_details.html", {"form": form})
