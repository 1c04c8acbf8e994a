"""Access helpers: the only way views fetch platform objects.

One helper per model. Each returns the object when the user may see it and raises ``Http404``
otherwise, so a stranger cannot even learn that the object exists.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from portal.models import Invitation, User


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


def get_invitation_for_user(user: User, invitation_id: uuid.UUID | str) -> Invitation:
    """The invitation, for a user who manages invitations; 404 for everyone else."""
    if not user.has_perm("portal.manage_invitations"):
        raise Http404
    try:
        return Invitation.objects.get(pk=invitation_id)
    except (Invitation.DoesNotExist, ValueError):
        raise Http404 from None
