"""A staff member's own display name: the name clients see beside what staff did."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from portal.access import permission_or_404
from portal.forms import StaffNameForm
from portal.http import AuthenticatedHttpRequest
from portal.services.profiles import staff_name_change


@permission_or_404("access_staff_pages")
def staff_name(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The signed-in staff member's display name, the name clients see on their "Who has
    opened your record" page."""
    form = StaffNameForm(request.POST or None,
                         initial={"display_name": request.user.display_name})
    if request.method == "POST" and form.is_valid():
        changed = staff_name_change(staff=request.user,
                                    display_name=form.cleaned_data["display_name"])
        messages.success(request, _("Your name is saved.") if changed
                         else _("That was already your name."))
        return redirect("staff_home")
    return render(request, "portal/staff_name.html", {"form": form})
