"""Audited reads: the one way a page or a download decrypts something for a person.

Every decryption a person causes (a clinician opening an intake, a client's details, a
download, a search) must be on the audit trail, and in one order: the values are decrypted
first, the event is recorded once they are known to open, and only then does anything reach
a template or a response. ``audited_read`` does the three in one call, so a view cannot
decrypt and forget to record, nor record an opening that failed. Views never import the
audit writer (``portal.audit.service``) themselves: they read through this module.

A read that raises (a destroyed key, a file that fails to build) records nothing, because
nothing was shown; the caller decides what to say instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db import models

from portal.audit.actions import Action
from portal.audit.service import record_event, record_events
from portal.models import User

T = TypeVar("T")

Detail = Mapping[str, Any]


def audited_read(
    action: Action,
    *,
    read: Callable[[], T],
    actor: User | AnonymousUser,
    subject: User | uuid.UUID | None = None,
    target: models.Model | None = None,
    detail: Detail | Callable[[T], Detail] | None = None,
    record_if: Callable[[T], bool] | None = None,
) -> T:
    """Run ``read`` (which decrypts), record ``action`` by ``actor`` about ``subject``, and
    return what was read.

    ``detail`` may be worked out from what was read (how many results a search found);
    like every payload it holds ids, counts and tokens only (``record_event`` refuses the
    rest). ``record_if`` leaves out readings that decrypted nothing (a consent timeline
    without a withdrawal reason). If ``read`` raises, nothing is recorded.
    """
    value = read()
    if record_if is None or record_if(value):
        record_event(
            action,
            actor=actor,
            subject=subject,
            target=target,
            detail=detail(value) if callable(detail) else detail,
        )
    return value


def audited_read_of_each(
    action: Action,
    *,
    read: Callable[[], T],
    actor: User | AnonymousUser,
    subjects: Callable[[T], Sequence[uuid.UUID]],
    target: models.Model | None = None,
) -> T:
    """Like ``audited_read``, for a page that decrypts something of each of many clients
    (a caseload): one ``action`` event per client whose values were read
    (``subjects(value)``), recorded in one batch (``record_events``), so the page costs
    the same number of queries however many clients it lists, and each client finds the
    opening in their own "Who has opened my record". If ``read`` raises, nothing is
    recorded."""
    value = read()
    record_events(action, actor=actor, subjects=subjects(value), target=target)
    return value
