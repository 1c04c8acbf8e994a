"""Every email the portal sends leaves through ``notify``: the one place that keeps personal
data out of email.

Why it is the only way. An email is read on shared screens, forwarded, kept by mail
providers for years and never recalled, so what it may say is decided once, here, and not
again by each feature: invitations, the intake's confirmations and safety alerts, consent
reminders and allauth's own account mail (through ``portal.adapters``) all call ``notify``.
A test reads the source tree and fails if anything else calls Django's ``send_mail`` or
builds an ``EmailMessage``. When sending moves onto the task queue, only this module changes.

What ``notify`` guarantees ("no personal data in emails"):

1. The words come from templates in the repository: ``<template>_subject.txt``,
   ``<template>_message.txt`` and, if one exists, ``<template>_message.html``. No caller
   hands over a subject or a body it built, so no caller can paste a client's words in.
2. The context is content-free: links, dates, the practice's settings, the recipient's own
   account, allauth's codes and links. Anything holding what a client told us is refused
   with ``PersonalDataInEmail`` before a word is rendered: every record of a model with
   encrypted fields (an ``EncryptedModel``: a client profile, an intake, a signature, ...),
   however deep in the context it sits. What the templates may say beyond that is their
   contract: that something is waiting and a link to the portal, where reading it is
   access-checked and audited; never an answer, a score, a flag's detail, a document's name
   or a client's name.
3. Nothing about a message (its addresses, subject or words) is logged here.

Language. ``notify`` takes the recipients themselves (accounts, or an address for someone
who has none yet, such as an invited person), so the language can follow the person: every
email is rendered inside ``translation.override(language_for(recipients))``, which today is
the portal's one language. Several recipients share one message (the care team hears of a
safety alert together), so when people choose their languages, this is where a message is
split by language.

When. By default the message leaves after the surrounding transaction commits, so a
rolled-back action never announces itself (outside a transaction that is at once).
allauth's mail leaves at once (``after_commit=False``), as allauth sends it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.http import HttpRequest
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation

from portal.crypto.models import EncryptedModel
from portal.models import User

Recipient = User | str
Recipients = Recipient | Sequence[Recipient]


class PersonalDataInEmail(TypeError):
    """A context handed to ``notify`` holds a record of what a client told us."""


@dataclass(frozen=True)
class RenderedEmail:
    """One email as it will leave: its addresses, subject and bodies."""

    to: list[str]
    subject: str
    text: str
    html: str | None


def addresses_of(recipients: Recipients) -> list[str]:
    """Where mail to ``recipients`` goes: each account's login email, or the address given,
    each once, in order."""
    listed = [recipients] if isinstance(recipients, (User, str)) else recipients
    return sorted({r.email if isinstance(r, User) else r for r in listed})


def language_for(recipients: Recipients) -> str:
    """The language an email to ``recipients`` is written in. The portal speaks one
    language today; this is where a person's own choice will be read."""
    return settings.LANGUAGE_CODE


def _refuse_personal_data(value: object, path: str) -> None:
    """Raise ``PersonalDataInEmail`` if ``value`` (or anything inside a mapping, list, tuple
    or set in it) is a record of a model with encrypted fields. Only the key path is named
    in the error, never a value."""
    if isinstance(value, EncryptedModel):
        raise PersonalDataInEmail(
            f"An email's context holds an encrypted record ({type(value).__name__}) at "
            f"{path!r}: emails say that something is waiting, never what."
        )
    if isinstance(value, Mapping):
        for key, item in value.items():
            _refuse_personal_data(item, f"{path}.{key}")
    elif isinstance(value, (list, tuple, set, frozenset)):
        for index, item in enumerate(value):
            _refuse_personal_data(item, f"{path}[{index}]")
    elif isinstance(value, models.QuerySet) and issubclass(value.model, EncryptedModel):
        raise PersonalDataInEmail(
            f"An email's context holds encrypted records ({value.model.__name__}) at {path!r}."
        )


def render_email(
    recipients: Recipients,
    *,
    template: str,
    context: Mapping[str, object] | None = None,
    request: HttpRequest | None = None,
) -> RenderedEmail:
    """Render ``template`` for ``recipients`` in their language, after checking that
    ``context`` is content-free (``PersonalDataInEmail`` otherwise).

    ``request``, when given (allauth's mail), renders the bodies with the context
    processors, as allauth does. The subject is one line; the bodies are stripped.
    """
    values = dict(context or {})
    for key, value in values.items():
        _refuse_personal_data(value, key)
    with translation.override(language_for(recipients)):
        subject = render_to_string(f"{template}_subject.txt", values)
        text = render_to_string(f"{template}_message.txt", values, request).strip()
        try:
            html: str | None = render_to_string(f"{template}_message.html", values,
                                                request).strip()
        except TemplateDoesNotExist:
            html = None
    return RenderedEmail(to=addresses_of(recipients),
                         subject=" ".join(subject.splitlines()).strip(), text=text, html=html)


def _send(email: RenderedEmail) -> None:
    message = EmailMultiAlternatives(email.subject, email.text, settings.DEFAULT_FROM_EMAIL,
                                     email.to)
    if email.html is not None:
        message.attach_alternative(email.html, "text/html")
    message.send()


def notify(
    recipients: Recipients,
    *,
    template: str,
    context: Mapping[str, object] | None = None,
    request: HttpRequest | None = None,
    after_commit: bool = True,
) -> None:
    """Email ``recipients`` (an account, an address for someone without one, or a list of
    them: one message to all, each address once; none, no message) the message of
    ``template`` (a path without its ``_subject.txt`` / ``_message.txt`` ending), rendered
    now in their language from a content-free ``context`` (an encrypted record in it raises
    ``PersonalDataInEmail``), and sent after the surrounding transaction commits, or at
    once with ``after_commit=False``."""
    if not addresses_of(recipients):
        return
    email = render_email(recipients, template=template, context=context, request=request)
    if after_commit:
        transaction.on_commit(lambda: _send(email))
    else:
        _send(email)
