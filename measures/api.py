"""What other apps may ask of the measures: the one module of this app they import
(the import-linter contract "Feature apps are independent" names it as a declared seam).
Plaintext workflow columns only: nothing here decrypts."""

from __future__ import annotations

from django.utils import timezone

from measures.access import may_open_record
from measures.models import CheckIn, CheckInState
from portal.models import User

__all__ = ["check_ins_waiting", "may_open_record"]


def check_ins_waiting(client: User) -> int:
    """How many of the client's own check-ins wait for them now (open, not yet closed by
    time): for their home page."""
    return CheckIn.objects.filter(client=client, state=CheckInState.OPEN,
                                  expires_at__gt=timezone.now()).count()
