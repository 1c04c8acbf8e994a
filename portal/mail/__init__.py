"""Every email the portal sends leaves through ``notify``: the one place that keeps personal
data out of email, and the one road onto the task queue.

Why it is the only way. An email is read on shared screens, forwarded, kept by mail
providers for years and never recalled, so what it may say is decided once, here
(``portal.mail.compose``), and not again by each feature: invitations, the intake's
confirmations and safety alerts, consent reminders and allauth's own account mail (through
``portal.adapters``) all call ``notify``. A test reads the source tree and fails if anything
but ``portal.mail.delivery`` calls Django's mail functions or builds a message object.

How an email travels:

- ``notify`` (``portal.mail.outbox``), in the request, checks the context is content-free,
  writes one outbox row per address (``OutgoingMessage``: address and context sealed) and
  enqueues ``deliver_message`` with that row's id, in the caller's transaction.
- A worker (``manage.py db_worker``) runs ``deliver_message`` (``portal.mail.delivery``):
  it renders the email from its template, sends it, and retries on transient failures.
  Nothing is sent in a request, so a slow or absent mail server never delays or breaks a
  page.
- Nothing about a message (its address, subject or words) is logged: only its id, kind,
  attempts and an error's class.
"""

from __future__ import annotations

from portal.mail.compose import PersonalDataInEmail, RenderedEmail, render_email
from portal.mail.outbox import addresses_of, forget_messages_about, language_for, notify

__all__ = ["PersonalDataInEmail", "RenderedEmail", "addresses_of", "forget_messages_about",
           "language_for", "notify", "render_email"]
