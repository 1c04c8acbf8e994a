"""Access helpers: the only way the measures' views reach a client's scores, schedules and
check-ins. Strangers get a 404, the same as for an id that does not exist.

A client's scores and check-ins are kept per record, like their intakes (``portal.access
.case_record_filter``): the individual record's are the client's care team's (or whoever
sees every client), a couple or family case's are the case's care team's. The same rule
decides who reads the scores and who sets the check-ins: ``may_open_record``. A client
reaches their own check-ins only (``own_record_or_404``).
"""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from measures.models import CheckIn, CheckInSchedule, ReviewFlag
from portal.access import cases_visible_to, client_accounts, own_record_or_404, visible_or_404
from portal.models import CareAssignment, Case, CaseParticipant, User


def may_open_record(user: User | AnonymousUser, *, client: User, case: Case | None) -> bool:
    """Whether ``user`` may open ``client``'s scores and set their check-ins, in their
    individual record (``case`` None) or in the couple or family case ``case``. The rule of
    ``case_record_filter``, asked of a record rather than of a row in it (a schedule does
    not exist before the first is set): for the individual record, a clinician on the
    client's care team (``CareAssignment``) or anyone who sees every client; for a case, a
    staff member on the case's care team or who sees every case, and only for one of its
    people. Clients, strangers, inactive accounts, and erased (inactive) clients may not."""
    if (not user.is_authenticated or not user.is_active
            or not user.has_perm("portal.access_staff_pages")):
        return False
    if not client_accounts().filter(pk=client.pk, is_active=True).exists():
        return False
    if case is not None:
        return (cases_visible_to(user).filter(pk=case.pk).exists()
                and CaseParticipant.objects.filter(case=case, person=client).exists())
    if user.is_superuser or user.has_perm("portal.see_all_clients"):
        return True
    return CareAssignment.objects.filter(client=client, clinician=user).exists()


def staff_record_or_404(user: User | AnonymousUser, client_id: uuid.UUID | str,
                        case_id: uuid.UUID | str | None = None) -> tuple[User, Case | None]:
    """The client ``client_id`` names and the case ``case_id`` names (None: their
    individual record), when ``user`` may open that record (``may_open_record``);
    ``Http404`` for everyone else, a malformed id, a client not in the case, non-staff."""
    if not user.has_perm("portal.access_staff_pages"):
        raise Http404
    client = visible_or_404(client_accounts(), client_id)
    case = visible_or_404(Case.objects.all(), case_id) if case_id is not None else None
    if not may_open_record(user, client=client, case=case):
        raise Http404
    return client, case


def get_own_check_in(user: User | AnonymousUser, check_in_id: uuid.UUID | str) -> CheckIn:
    """The signed-in client's own check-in; 404 for anyone else's, or a malformed id."""
    return own_record_or_404(CheckIn.objects.select_related("schedule"), user, check_in_id)


def get_own_schedule(user: User | AnonymousUser,
                     schedule_id: uuid.UUID | str) -> CheckInSchedule:
    """The signed-in client's own check-in schedule (to pause or resume its reminders);
    404 for anyone else's, or a malformed id."""
    return own_record_or_404(CheckInSchedule.objects.all(), user, schedule_id)


def open_flag_of_record_or_404(client: User, case: Case | None,
                               flag_id: uuid.UUID | str) -> ReviewFlag:
    """The open review flag ``flag_id`` names in ``client``'s record (their individual one,
    or their part of ``case``); ``Http404`` for a reviewed flag, another record's or
    another client's. The caller has checked the record with ``staff_record_or_404``."""
    flags = ReviewFlag.objects.filter(client=client, reviewed_at__isnull=True)
    flags = flags.filter(case__isnull=True) if case is None else flags.filter(case=case)
    return visible_or_404(flags, flag_id)
