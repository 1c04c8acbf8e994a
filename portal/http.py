"""The type of a request made by a signed-in person: the one place it is declared.

``LoginRequiredMiddleware`` sends every anonymous request to the sign-in page before a
view runs, unless the view is marked ``@login_not_required``. Every other view may
therefore rely on ``request.user`` being a ``User``; annotating its request as
``AuthenticatedHttpRequest`` says so to the type checker, instead of each view narrowing
``User | AnonymousUser`` again or each app declaring its own request type. Views marked
``@login_not_required`` keep ``HttpRequest`` and check ``is_authenticated`` themselves.
"""

from __future__ import annotations

from django.http import HttpRequest

from portal.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """An ``HttpRequest`` whose user is signed in (never ``AnonymousUser``)."""

    user: User
