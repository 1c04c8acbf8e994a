"""Client records: staff find a client on the list and open their profile.

Opening a profile decrypts it, so it is recorded (``client.profile_viewed``) before the page
is rendered; the client list shows login emails and workflow states only and decrypts
nothing, and searching it is recorded (``client.searched``) because the search decrypts.
"""

from __future__ import annotations

import uuid
from datetime import date
from http import HTTPStatus
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe

from clients.forms import ClientSearchForm
from clients.record import client_record
from clients.rows import (
    client_rows,
    clients_for_list,
    clients_in_order,
    open_invitation_count,
)
from clients.search import (
    BY_AUTO,
    SEARCHES_PER_MINUTE,
    client_search,
    client_search_refused,
    recall_results,
    remember_results,
    search_allowed,
)
from measures.api import may_open_record
from portal.access import clients_visible_to, get_client_for_staff, permission_or_404
from portal.audit.actions import Action
from portal.audit.reads import audited_read
from portal.crypto.errors import KeyDestroyedError
from portal.formatting import format_day
from portal.http import AuthenticatedHttpRequest
from portal.i18n.languages import is_offered, language_of, offered_languages
from portal.models import ClientProfile

CLIENTS_PER_PAGE = 50

# What a staff member reads on a client's profile, in this order.
PROFILE_FIELDS = (
    ("legal_name", _("Legal name")),
    ("preferred_name", _("Preferred name")),
    ("pronouns", _("Pronouns")),
    ("date_of_birth", _("Date of birth")),
    ("phone", _("Phone")),
    ("address", _("Address")),
    ("emergency_contact_name", _("Emergency contact")),
    ("emergency_contact_phone", _("Emergency contact's phone")),
)


@require_http_methods(["GET", "HEAD", "POST"])
@sensitive_post_parameters("q")
@permission_or_404("access_staff_pages")
def client_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The clients the user may open (all for practice admins, their caseload for
    clinicians): safety alerts no one has acknowledged first, then by login email, 50 a page,
    each with its account, invitation, intake and consent status. Listing decrypts nothing,
    so it records nothing.

    Searching (legal name or part of it, date of birth or phone) is Post/Redirect/Get, and
    the term never reaches a URL: it is personal data, and a URL goes to browser history,
    proxy and server access logs and the Referer of the next request. The POST (CSRF-
    protected; ``sensitive_post_parameters`` keeps the term out of error reports) runs the
    search, records it (``client.searched``: what was searched by and how many clients were
    found, never the term), keeps the ids found in the session under a random token
    (``remember_results``: ids only, never the term) and redirects to ``?results=<token>``.
    That GET shows them, 50 a page (``&page=``), after narrowing them again to the clients
    the viewer may open now, and records nothing: it decrypts nothing, and going back or
    reloading does not search again. A token this session does not hold (mistyped, expired,
    someone else's) shows the whole list and says so.

    A search that cannot run is answered in place, with the term still in the box to fix
    (the POST re-rendered; nothing decrypted, nothing recorded): a malformed term says what
    to fix; one over ``SEARCHES_PER_MINUTE`` gets 429 and asks to wait.
    """
    if request.method == "POST":
        return _search(request)
    form = ClientSearchForm(initial={"by": BY_AUTO})
    token = request.GET.get("results")
    if token is None:
        return _client_list_page(request, form)
    found = recall_results(request.session, viewer=request.user, token=token)
    if found is None:
        return _client_list_page(request, form, results_gone=True)
    return _client_list_page(request, form, found=found, token=token)


def _search(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Run a posted search: check it, count it against the viewer's limit, search only
    the clients they may open (``client_search`` decrypts the candidates' searched field),
    record that they searched (by what, how many found; never the term), keep the ids
    found and redirect to them. Nothing is decrypted for a search that is malformed or
    over the limit; one over the limit is recorded as ``client.search_rate_limited``."""
    form = ClientSearchForm(request.POST, initial={"by": BY_AUTO})
    if not form.is_valid():
        return _client_list_page(request, form)
    if not search_allowed(request):
        client_search_refused(viewer=request.user)
        return _client_list_page(request, form, status=HTTPStatus.TOO_MANY_REQUESTS)
    kind = form.cleaned_data["kind"]
    found = audited_read(
        Action.CLIENT_SEARCHED,
        read=lambda: client_search(viewer=request.user, kind=kind,
                                   value=form.cleaned_data["value"]),
        actor=request.user,
        detail=lambda found: {"by": kind, "results": len(found)},
    )
    token = remember_results(request.session, viewer=request.user, client_ids=found)
    return HttpResponseRedirect(f"{reverse('client_list')}?{urlencode({'results': token})}")


def _client_list_page(
    request: AuthenticatedHttpRequest,
    form: ClientSearchForm,
    *,
    found: list[uuid.UUID] | None = None,
    token: str | None = None,
    results_gone: bool = False,
    status: int = HTTPStatus.OK,
) -> HttpResponse:
    """The list page: every client the viewer may open, or those of ``found`` among them
    (a search's kept results, checked against the viewer's access as it is now)."""
    visible = clients_visible_to(request.user)
    searched = found is not None
    if found is not None:
        visible = visible.filter(pk__in=found)
    # The page's ids first (a sort of narrow rows), then those fifty clients with their joins.
    ordered_ids = clients_for_list(visible, request.user).values_list("pk", flat=True)
    paginator = Paginator(ordered_ids, CLIENTS_PER_PAGE)
    page = paginator.page(1) if form.is_bound else paginator.get_page(request.GET.get("page"))
    shown = clients_in_order(visible, request.user, list(page.object_list))
    context = {
        "form": form,
        "page": page,
        "rows": client_rows(shown, request.user),
        "searched": searched,
        # The token only (random, meaningless outside this session): never the term.
        "page_query": f"{urlencode({'results': token})}&" if searched else "",
        "results_gone": results_gone,
        "rate_limited": status == HTTPStatus.TOO_MANY_REQUESTS,
        "searches_per_minute": SEARCHES_PER_MINUTE,
        "open_invitations": (open_invitation_count()
                             if request.user.has_perm("portal.manage_invitations") else 0),
    }
    response = render(request, "clients/client_list.html", context, status=status)
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        response["Retry-After"] = "60"
    return response


def _shown(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return format_day(value)
    return str(value)


def _read_profile(profile: ClientProfile) -> list[tuple[str, str | None]]:
    """Decrypt every field of the profile now, so the event is recorded after the values
    are known to open and before any of them reaches a template."""
    return [(str(label), _shown(getattr(profile, name))) for name, label in PROFILE_FIELDS]


@require_safe
@permission_or_404("access_staff_pages")
def client_profile(request: AuthenticatedHttpRequest, client_id: str) -> HttpResponse:
    """One client's contact details, decrypted, for staff who may open them (404 for the
    rest, via ``get_client_for_staff``). Each opening is an audit event the client can see.

    A client who was erased has no readable details: the page says so and nothing is
    recorded, because nothing was decrypted.
    """
    client = get_client_for_staff(request.user, client_id)
    profile = ClientProfile.objects.filter(user=client).first()
    details: list[tuple[str, str | None]] | None = None
    erased = False
    try:
        details = audited_read(
            Action.CLIENT_PROFILE_VIEWED,
            read=lambda: _read_profile(profile) if profile is not None else None,
            actor=request.user,
            subject=client,
            target=profile if profile is not None else client,
        )
    except KeyDestroyedError:
        erased = True
    manages_care_team = request.user.has_perm("portal.manage_care_teams")
    context = {
        "client": client,
        # The language the client reads the portal and their emails in, named in itself.
        "client_language_code": language_of(client),
        "client_language": dict(offered_languages())[language_of(client)],
        "client_chose_language": is_offered(client.language),
        "details": details,
        "erased": erased,
        "manages_care_team": manages_care_team,
        "record": client_record(request.user, client, manages_care_team=manages_care_team),
        "schedules_check_ins": may_open_record(request.user, client=client, case=None),
    }
    return render(request, "clients/client_profile.html", context)
