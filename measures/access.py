"""Access helpers: the only way the measures' views fetch schedules and check-ins, and the
one rule for who may schedule check-ins. Strangers get a 404.

Thin, on the platform's ``portal.access``: a client reaches their own check-ins only
(``own_record_or_404``); a staff member may schedule check-ins for a record they may open
(the rule of ``portal.access.case_record_filter``: a clinician on the client's care team for
their individual record, on the case's care team for a couple or family case; admins
everywhere).
"""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AnonymousUser

from measures.models import CheckIn, CheckInSchedule
from portal.access import cases_visible_to, client_accounts, own_record_or_404
from portal.models import CareAssignment, Case, CaseParticipant, User


def may_schedule_check_ins(user: User | AnonymousUser, *, client: User,
                           case: Case | None) -> bool:
    """Whether ``user`` may set or end check-ins for ``client`` in their individual record
    (``case`` None) or in the couple or family case ``case``. The rule is
    ``case_record_filter``'s, asked of the record rather than of a row in it (a schedule
    does not exist before the first is set): for the individual record, a clinician on the
    client's care team (``CareAssignment``), or anyone who sees every client; for a case, a
    staff member on the case's care team, or who sees every case, and only for one of its
    participants. Clients, strangers and inactive accounts may not."""
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


def get_own_check_in(user: User | AnonymousUser, check_in_id: uuid.UUID | str) -> CheckIn:
    """The signed-in client's own check-in; 404 for anyone else's, or a malformed id."""
    return own_record_or_404(CheckIn.objects.select_related("schedule"), user, check_in_id)


def get_own_schedule(user: User | AnonymousUser,
                     schedule_id: uuid.UUID | str) -> CheckInSchedule:
    """The signed-in client's own check-in schedule (to pause or resume its reminders);
    404 for anyone else's, or a malformed id."""
    return own_record_or_404(CheckInSchedule.objects.all(), user, schedule_id)
