"""Access helpers: the only way views fetch an object by the id in a URL.

Two generic look-ups, ``owned_or_404`` (a person's own object) and ``visible_or_404`` (an
object among those a user may see), hold the one rule for every app: a stranger gets the
same 404 as for an id that does not exist. Feature apps build their thin per-model helpers
on them (``intake.access``, ``consents.access``); this module also decides who sees which
client (``clients_visible_to``), which those helpers narrow by.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from portal.compiled import CompiledQuery
from portal.models import (
    CareAssignment,
    Case,
    CaseCareAssignment,
    CaseParticipant,
    Guardianship,
    Invitation,
    OutgoingMessage,
    ParticipantRole,
    User,
)
from portal.roles import Role

M = TypeVar("M", bound=Model)


def permission_or_404(codename: str) -> Callable[[Callable[..., HttpResponse]], Any]:
    """View decorator: users without ``portal.<codename>`` get a 404, not a hint.

    A 404 (rather than 403) keeps the staff surface invisible to clients and strangers.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.has_perm(f"portal.{codename}"):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def visible_or_404(visible: QuerySet[M], pk: object) -> M:
    """The object ``pk`` names among ``visible``, the objects the user may see (the caller
    narrows the queryset by who asks before this is called); ``Http404`` otherwise.

    Why a 404 and not a 403: a 403 says "this exists, but not for you". For a record in a
    therapy practice that alone is a disclosure (that a person is a client, has an intake,
    signed or withdrew a consent), and it lets anyone probe ids to learn which exist. So an
    object the user may not see, an id that does not exist and a malformed id all get the
    same answer, and a stranger learns nothing, not even that the object exists.
    """
    try:
        return visible.get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError, AttributeError, ValidationError):
        raise Http404 from None


def owned_or_404(queryset: QuerySet[M], user: User | AnonymousUser, pk: object, *,
                 owner_field: str = "client") -> M:
    """The object ``pk`` names in ``queryset`` if ``user`` owns it (``owner_field`` names
    them); ``Http404`` for anyone else's, as for an id that does not exist (see
    ``visible_or_404`` for why not 403)."""
    if not user.is_authenticated:
        raise Http404
    return visible_or_404(queryset.filter(**{owner_field: user}), pk)


def own_record_or_404(queryset: QuerySet[M], user: User | AnonymousUser, pk: object) -> M:
    """A client's own row (``queryset``'s ``client`` is ``user``) for someone allowed on the
    client pages; ``Http404`` for anyone else, a non-client, or a malformed id."""
    if not user.has_perm("portal.access_client_pages"):
        raise Http404
    return owned_or_404(queryset, user, pk)


def own_compiled_or_404(compiled: CompiledQuery[M], user: User | AnonymousUser,
                        pk: object) -> M:
    """``own_record_or_404`` for a hot path: the row ``pk`` names among ``user``'s own,
    read by ``compiled`` (a ``CompiledQuery`` built from ``client`` and ``pk``, in that
    order, that narrows by both); ``Http404`` for anyone else's, a non-client, or a
    malformed id, exactly as ``own_record_or_404``."""
    if not user.has_perm("portal.access_client_pages") or not user.is_authenticated:
        raise Http404
    try:
        found = compiled.objects(user.pk, pk)
    except (ValueError, TypeError, AttributeError, ValidationError):
        raise Http404 from None
    if len(found) != 1:
        raise Http404
    return found[0]


def client_record_or_404(queryset: QuerySet[M], user: User | AnonymousUser, pk: object) -> M:
    """A row about a client the staff member may open (``clients_visible_to``: their care
    team's clients, or every client for holders of ``see_all_clients``); ``Http404`` for
    anyone else, a non-staff user, or a malformed id."""
    if not user.has_perm("portal.access_staff_pages"):
        raise Http404
    return visible_or_404(queryset.filter(client__in=clients_visible_to(user)), pk)


def get_invitation_for_user(user: User, invitation_id: uuid.UUID | str) -> Invitation:
    """The invitation, for a user who manages invitations; 404 for everyone else."""
    if not user.has_perm("portal.manage_invitations"):
        raise Http404
    return visible_or_404(Invitation.objects.all(), invitation_id)


def get_outgoing_message_for_user(user: User | AnonymousUser,
                                  message_id: uuid.UUID | str) -> OutgoingMessage:
    """An outbox row, for a user who manages outgoing messages (practice admins); 404 for
    everyone else, as for an id that does not exist.

    Every status is found, not only ``failed``: an admin pressing "Retry" on a message that
    was retried a moment ago (a second click, another admin) is told so, rather than shown
    a 404 that reads like an error. ``retry_failed`` itself acts on ``failed`` rows only.
    The row's address and context are never shown; the caller uses its id and status."""
    if not user.has_perm("portal.manage_outgoing_messages"):
        raise Http404
    return visible_or_404(OutgoingMessage.objects.all(), message_id)


def client_accounts() -> QuerySet[User]:
    """Every account in the client group, active or not (an erased client's account stays,
    deactivated, so its history can still be looked up). Not filtered by who asks: only for
    pages whose permission covers every client (care teams, erasure, the consent register),
    checked before this is called."""
    return User.objects.filter(groups__name=Role.CLIENT.value)


def _sees_every_client(user: User | AnonymousUser) -> bool:
    return bool(user.is_superuser or user.has_perm("portal.see_all_clients"))


def clients_visible_to(user: User | AnonymousUser) -> QuerySet[User]:
    """The client accounts whose records ``user`` may open: this decides who sees whom.

    Holders of ``portal.see_all_clients`` (practice admins) and superusers see every
    client account (``client_accounts``). A clinician (``portal.access_staff_pages``) sees
    the clients on whose care team they are (a ``CareAssignment`` naming them) and the
    people in the cases on whose care team they are (a ``CaseCareAssignment``): their
    details and consents. Which *intakes* they may read is narrower
    (``case_record_filter``): a case's care team reads its case intakes, not the
    participants' individual ones. Everyone else, clients included, sees none.
    """
    if not user.is_authenticated or not user.is_active:
        return User.objects.none()
    clients = client_accounts()
    if _sees_every_client(user):
        return clients
    if user.has_perm("portal.access_staff_pages"):
        # Exists() rather than a join: one row per client whatever the care team holds.
        return clients.filter(
            Exists(CareAssignment.objects.filter(client=OuterRef("pk"), clinician=user))
            | Exists(CaseParticipant.objects.filter(
                person=OuterRef("pk"), case__care_team__clinician=user))
        )
    return User.objects.none()


def cases_visible_to(user: User | AnonymousUser) -> QuerySet[Case]:
    """The couple and family cases ``user`` may open as staff: every case for holders of
    ``see_all_clients``, the cases on whose care team a clinician is; none for anyone
    else (a client reaches their own cases through ``own_case_or_404``)."""
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    if _sees_every_client(user):
        return Case.objects.all()
    if user.has_perm("portal.access_staff_pages"):
        return Case.objects.filter(
            Exists(CaseCareAssignment.objects.filter(case=OuterRef("pk"), clinician=user))
        )
    return Case.objects.none()


def case_record_filter(user: User | AnonymousUser, prefix: str = "") -> Q:
    """Which rows of a record kept per case (a model with ``client`` and ``case``, such
    as an intake) a staff member may open: a row of a client's individual record (no case)
    when they may open that client's individual record (their ``CareAssignment``, or
    every client), a row of a couple or family case when they are on that case's care team
    (or see every case). Separate records stay separate: a couple's clinician does not read
    a partner's individual intake, nor an individual clinician the couple's. ``prefix``
    reaches the record through a relation (``"intake__"`` for a safety alert)."""
    nothing = Q(**{f"{prefix}pk__in": []})
    if not user.is_authenticated or not user.is_active:
        return nothing
    if _sees_every_client(user):
        return Q(**{f"{prefix}client__in": client_accounts()})
    if not user.has_perm("portal.access_staff_pages"):
        return nothing
    individual = client_accounts().filter(
        Exists(CareAssignment.objects.filter(client=OuterRef("pk"), clinician=user))
    )
    return (Q(**{f"{prefix}case__isnull": True, f"{prefix}client__in": individual})
            | Q(**{f"{prefix}case__isnull": False,
                   f"{prefix}case__in": cases_visible_to(user)}))


def case_record_or_404(queryset: QuerySet[M], user: User | AnonymousUser, pk: object) -> M:
    """A row of a record kept per case (see ``case_record_filter``) the staff member may
    open; ``Http404`` for anyone else, a non-staff user, or a malformed id."""
    if not user.has_perm("portal.access_staff_pages"):
        raise Http404
    return visible_or_404(queryset.filter(case_record_filter(user)), pk)


def get_case_for_staff(user: User | AnonymousUser, case_id: uuid.UUID | str) -> Case:
    """The case ``case_id`` names, for a staff member on its care team (or who sees every
    case); 404 for anyone else, as for an id that does not exist."""
    if not user.has_perm("portal.access_staff_pages"):
        raise Http404
    return visible_or_404(cases_visible_to(user), case_id)


def own_case_or_404(user: User | AnonymousUser, case_id: uuid.UUID | str) -> Case:
    """A case the signed-in client takes part in with their own account; 404 for anyone
    else (a stranger, staff, a malformed id)."""
    if not user.is_authenticated or not user.has_perm("portal.access_client_pages"):
        raise Http404
    return visible_or_404(Case.objects.filter(participants__person=user).distinct(), case_id)


def own_guardianship_or_404(user: User | AnonymousUser,
                            guardianship_id: uuid.UUID | str) -> Guardianship:
    """A guardianship naming the signed-in client as the guardian; 404 for anyone else
    (the child's other guardian included: each confirms their own)."""
    if not user.is_authenticated or not user.has_perm("portal.access_client_pages"):
        raise Http404
    return visible_or_404(Guardianship.objects.filter(guardian__person=user)
                          .select_related("case", "minor"), guardianship_id)


def authors_sharing_with(viewer: User | AnonymousUser) -> Q:
    """Whose *shared* answers ``viewer`` may read, as a filter on rows with ``client`` and
    ``case``: in a couple case, the other partners'; in a family case, the other adults'
    (adult to adult) and an adolescent's, for the adolescent's guardians. Never a child's
    (they have no answers of their own), never one's own (they read those whole), never
    anyone outside the viewer's cases. Private answers are a separate gate: callers show
    only ``intake.visibility.shared_answers`` of what this lets them open."""
    if not viewer.is_authenticated or not viewer.has_perm("portal.access_client_pages"):
        return Q(pk__in=[])
    allowed = Q(pk__in=[])
    mine = CaseParticipant.objects.filter(person=viewer).values_list("case_id", "role", "id")
    for case_id, role, participant_id in mine:
        peers = CaseParticipant.objects.filter(case_id=case_id, person__isnull=False
                                               ).exclude(person=viewer)
        if role in (ParticipantRole.PARTNER, ParticipantRole.ADULT):
            same = peers.filter(role=role).values_list("person_id", flat=True)
            allowed |= Q(case_id=case_id, client__in=list(same))
        wards = Guardianship.objects.filter(
            guardian_id=participant_id, minor__role=ParticipantRole.ADOLESCENT,
        ).values_list("child_id", flat=True)
        allowed |= Q(case_id=case_id, client__in=list(wards))
    return allowed


def get_client_for_staff(user: User | AnonymousUser, client_id: uuid.UUID | str) -> User:
    """The client account ``client_id`` names, if ``user`` may open its record (see
    ``clients_visible_to``); 404 otherwise.

    Malformed ids, staff accounts, clients on someone else's caseload and ids that do not
    exist all get the same 404, so a stranger cannot learn whether a client exists.
    """
    return visible_or_404(clients_visible_to(user), client_id)


def get_client_account(client_id: uuid.UUID | str) -> User:
    """Any client account ``client_id`` names, for a page whose permission covers every
    client (``manage_care_teams``, ``erase_clients``, ``manage_consent_documents``: checked
    by the view's ``permission_or_404`` first); 404 for malformed ids, staff accounts and
    ids that do not exist. Opening the client's record (their details, their intakes)
    still takes ``get_client_for_staff``."""
    return visible_or_404(client_accounts(), client_id)
