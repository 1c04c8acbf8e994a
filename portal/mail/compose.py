"""What an email may say, and how its words are made.

1. The words come from templates in the repository: ``<template>_subject.txt``,
   ``<template>_message.txt`` and, if one exists, ``<template>_message.html``. No caller
   hands over a subject or a body it built, so no caller can paste a client's words in.
2. The context is content-free: links, dates, the practice's settings, the recipient's own
   account, allauth's codes and links. Anything holding what a client told us is refused
   with ``PersonalDataInEmail`` before a word is rendered: every record of a model with
   encrypted fields (an ``EncryptedModel``), however deep in the context it sits.
3. The context crosses the queue as data (``encode_context``/``decode_context``): plain
   values, dates, and *references* to records (reloaded by the worker), never a pickle, so
   the worker renders from what the database says when it sends.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise

from portal.crypto.models import EncryptedModel


class PersonalDataInEmail(TypeError):
    """A context handed to ``notify`` holds a record of what a client told us."""


class UnqueueableContext(TypeError):
    """A context value that cannot cross the queue as data (a file, a function, ...)."""


@dataclass(frozen=True)
class RenderedEmail:
    """One email as it will leave: its subject and bodies."""

    subject: str
    text: str
    html: str | None


def refuse_personal_data(value: object, path: str) -> None:
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
            refuse_personal_data(item, f"{path}.{key}")
    elif isinstance(value, (list, tuple, set, frozenset)):
        for index, item in enumerate(value):
            refuse_personal_data(item, f"{path}[{index}]")
    elif isinstance(value, models.QuerySet) and issubclass(value.model, EncryptedModel):
        raise PersonalDataInEmail(
            f"An email's context holds encrypted records ({value.model.__name__}) at {path!r}."
        )


def _encode(value: Any, path: str) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"$date": value.isoformat()}
    if isinstance(value, models.Model):
        return {"$record": value._meta.label_lower, "pk": str(value.pk)}
    if isinstance(value, Mapping):
        encoded = {}
        for key, item in value.items():
            if not isinstance(key, str) or key.startswith("$"):
                raise UnqueueableContext(f"An email's context key at {path!r} is not a name.")
            encoded[key] = _encode(item, f"{path}.{key}")
        return encoded
    if isinstance(value, (list, tuple)):
        return [_encode(item, f"{path}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, Promise):  # a lazy translation: its words, in the sender's language
        return str(value)
    raise UnqueueableContext(
        f"An email's context holds a {type(value).__name__} at {path!r}, which cannot be "
        "queued: pass text, numbers, dates or records."
    )


def encode_context(context: Mapping[str, object]) -> dict[str, Any]:
    """``context`` as JSON data for the outbox, after refusing what a client told us
    (``PersonalDataInEmail``). Records become references the worker reloads."""
    for key, value in context.items():
        refuse_personal_data(value, key)
    encoded = _encode(dict(context), "context")
    assert isinstance(encoded, dict)  # noqa: S101  # a mapping encodes to a mapping
    return encoded


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "$datetime" in value:
        return datetime.datetime.fromisoformat(value["$datetime"])
    if "$date" in value:
        return datetime.date.fromisoformat(value["$date"])
    if "$record" in value:
        model = apps.get_model(value["$record"])
        if issubclass(model, EncryptedModel):
            raise PersonalDataInEmail("A queued email refers to an encrypted record.")
        return model._default_manager.get(pk=value["pk"])
    return {key: _decode(item) for key, item in value.items()}


def decode_context(data: Mapping[str, Any]) -> dict[str, Any]:
    """The context ``encode_context`` stored, with records reloaded from the database (a
    record deleted since raises its ``DoesNotExist``: the email cannot be written)."""
    return {key: _decode(item) for key, item in data.items()}


def render_email(*, template: str, context: Mapping[str, object], language: str) -> RenderedEmail:
    """Render ``template`` in ``language`` from a content-free ``context``. The subject is
    one line; the bodies are stripped; the HTML body exists when its template does."""
    values = dict(context)
    with translation.override(language):
        subject = render_to_string(f"{template}_subject.txt", values)
        text = render_to_string(f"{template}_message.txt", values).strip()
        try:
            html: str | None = render_to_string(f"{template}_message.html", values).strip()
        except TemplateDoesNotExist:
            html = None
    return RenderedEmail(subject=" ".join(subject.splitlines()).strip(), text=text, html=html)
