"""What a practice admin does from a client's record: put clinicians on the care team or
take them off, and erase the client.

Changing a care team takes ``manage_care_teams`` and erasing takes ``erase_clients`` (both
held by practice admins; clinicians and clients get a 404). Either covers every client, so
the client is found among all client accounts (``get_client_account``); neither view
decrypts anything. Erasure cannot be undone, so it
asks for the password again (allauth's re-authentication) and for the client's login email
to be typed, then calls ``client_erase``, which records the erasure before it destroys the
keys.
"""

from __future__ import annotations

import uuid

from allauth.account.decorators import reauthentication_required
from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from clients.services import ErasureResult, client_assign, client_erase, client_unassign
from portal.access import get_client_account, permission_or_404
from portal.crypto.owners import client_owner
from portal.http import AuthenticatedHttpRequest
from portal.input_checks import SingleValueFieldsMixin
from portal.models import DataKey, User
from portal.roles import Role


def active_clinician(value: str | None) -> User | None:
    """The active clinician ``value`` names, or None (a malformed or unknown id, or anyone
    who is not a clinician)."""
    try:
        clinician_id = uuid.UUID(str(value))
    except ValueError:
        return None
    return User.objects.filter(pk=clinician_id, is_active=True,
                               groups__name=Role.CLINICIAN.value).first()


@require_POST
@permission_or_404("manage_care_teams")
def care_team_add(request: AuthenticatedHttpRequest, client_id: uuid.UUID) -> HttpResponse:
    """Put the chosen clinician on the client's care team (audited by ``client_assign``);
    from now on they may open the record."""
    client = get_client_account(client_id)
    clinician = active_clinician(request.POST.get("clinician"))
    if clinician is None:
        messages.error(request, gettext("Choose a clinician from the list."))
    elif not client.is_active:
        messages.error(request, gettext("This account is closed: its care team cannot change."))
    else:
        client_assign(client=client, clinician=clinician, actor=request.user)
        messages.success(request, gettext("%(name)s is now on this client's care team.")
                         % {"name": clinician.display_name or clinician.email})
    return redirect("client_profile", client_id=client.pk)


@require_POST
@permission_or_404("manage_care_teams")
def care_team_remove(request: AuthenticatedHttpRequest, client_id: uuid.UUID) -> HttpResponse:
    """Take a clinician off the client's care team (audited by ``client_unassign``): they
    can no longer open the record."""
    client = get_client_account(client_id)
    clinician = active_clinician(request.POST.get("clinician"))
    if clinician is not None and client_unassign(client=client, clinician=clinician,
                                                 actor=request.user):
        messages.success(request, gettext("%(name)s is no longer on this client's care team.")
                         % {"name": clinician.display_name or clinician.email})
    else:
        messages.info(request, gettext("That clinician was not on this client's care team."))
    return redirect("client_profile", client_id=client.pk)


def _erasure_summary(result: ErasureResult) -> str:
    """What an erasure did, in one sentence: each count is a whole phrase of its own (so
    each language makes its words agree with its number), placed in the sentence by name."""
    keys = ngettext("%(count)s data key destroyed", "%(count)s data keys destroyed",
                    result.keys_destroyed) % {"count": result.keys_destroyed}
    sessions = ngettext("%(count)s session ended", "%(count)s sessions ended",
                        result.sessions_ended) % {"count": result.sessions_ended}
    emails = ngettext("%(count)s email to or about them removed from the outbox",
                      "%(count)s emails to or about them removed from the outbox",
                      result.messages_removed) % {"count": result.messages_removed}
    return gettext("The client was erased: %(keys)s, the account closed and %(sessions)s; "
                   "%(emails)s.") % {"keys": keys, "sessions": sessions, "emails": emails}


def _erased(client: User) -> bool:
    """Whether the client's keys were destroyed already (an erased client)."""
    kind, owner_id = client_owner(client.pk)
    keys = DataKey.objects.filter(owner_kind=kind, owner_id=owner_id)
    return keys.exists() and not keys.filter(destroyed_at__isnull=True).exists()


class ErasureForm(SingleValueFieldsMixin, forms.Form):
    confirm_email = forms.CharField(max_length=254, required=False)

    def __init__(self, *args: object, expected_email: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.expected_email = expected_email

    def clean_confirm_email(self) -> str:
        typed = self.cleaned_data["confirm_email"].strip()
        if typed.casefold() != self.expected_email.casefold():
            raise forms.ValidationError(
                gettext("Type the client's login email exactly as shown above to confirm.")
            )
        return typed


@require_http_methods(["GET", "HEAD", "POST"])
@permission_or_404("erase_clients")
@reauthentication_required
def client_erase_view(request: AuthenticatedHttpRequest, client_id: uuid.UUID) -> HttpResponse:
    """Erase a client by crypto-shredding (``client_erase``): their data keys are destroyed,
    so everything encrypted of theirs (details, intake, consent details) becomes unreadable,
    here and in every backup; the account is closed and signed out. GET explains this and
    asks for the login email; POST with the right email erases, then goes back to the list.
    An already erased client is told so and nothing happens."""
    client = get_client_account(client_id)
    already = _erased(client)
    form = ErasureForm(request.POST or None, expected_email=client.email)
    if request.method == "POST" and not already and form.is_valid():
        result = client_erase(user=client, actor=request.user)
        messages.success(request, _erasure_summary(result))
        return redirect("client_list")
    return render(request, "clients/client_erase.html", {
        "client": client, "form": form, "already": already,
    }, status=400 if form.errors else 200)
