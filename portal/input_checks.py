"""Input the server cannot read is refused, never altered.

Django is forgiving in two ways that quietly change what a person sent:

- **Unreadable text.** Bytes that are not valid UTF-8 (and UTF-8 that encodes a surrogate,
  ``%ED%A0%80``, which is not a character) are decoded with ``errors="replace"``: each
  becomes U+FFFD and is stored as if typed. ``unreadable_input`` reads the raw bytes of the
  query string, of a urlencoded body (percent-decoded) and of a multipart body's text parts
  (their headers, so field names too, and their contents; files are left alone), strictly in
  the request's charset. ``InputChecksMiddleware`` (``portal.middleware``) refuses such a
  request before anything reads it.
- **A single value sent more than once.** ``request.POST["x"]`` and ``.get("x")`` give the
  last of several values: a radio button posted twice keeps whichever came last. Forms with
  ``SingleValueFieldsMixin`` refuse such a field with a message next to it; everywhere
  else, reading one value of a POST field that arrived several times raises
  ``RepeatedValue`` (``SingleValueQueryDict``, installed by the middleware), which is
  answered with 400 like unreadable text. Fields meant to be lists (``getlist``: check
  boxes, multiple selects) are untouched.

Either way nothing is stored: the request is refused before a write, or the form is
invalid. Messages never repeat what was sent.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import unquote_to_bytes

from django import forms
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext, gettext_noop

# In English, marked for translation (``gettext_noop``): whoever shows one translates it
# then (``gettext(UNREADABLE_MESSAGE)``), in the language of the page or script it answers.
UNREADABLE_MESSAGE = gettext_noop(
    "Some characters in what you sent could not be read, so nothing was saved. Please "
    "check what you typed and try again."
)
REPEATED_MESSAGE = gettext_noop(
    "Part of what you sent arrived more than once, so nothing was saved. Please go back "
    "and send the form again."
)
REPEATED_FIELD_MESSAGE = gettext_noop(
    "This answer arrived more than once. Please give one answer and send the form again."
)


class RepeatedValue(SuspiciousOperation):
    """One value of a field was read, but the field was sent several times. The message
    names the field only, never a value."""


class SingleValueQueryDict(QueryDict):
    """A ``QueryDict`` that will not guess: reading one value (``[name]``, ``get``) of a
    field sent more than once raises ``RepeatedValue`` instead of returning the last one.
    ``getlist`` and ``lists`` are unchanged, for fields that are lists."""

    def __getitem__(self, key: str) -> Any:
        if len(self.getlist(key)) > 1:
            raise RepeatedValue(f"The field {key!r} was sent more than once.")
        return super().__getitem__(key)

    @classmethod
    def of(cls, data: QueryDict) -> SingleValueQueryDict:
        strict = cls(mutable=True, encoding=data.encoding)
        for key, values in data.lists():
            strict.setlist(key, values)
        strict._mutable = data._mutable
        return strict


# --- Unreadable text ---------------------------------------------------------------------


def _readable(chunks: Iterable[bytes], encoding: str) -> bool:
    try:
        for chunk in chunks:
            chunk.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _urlencoded_values(raw: bytes) -> Iterator[bytes]:
    """Each name and value of ``a=1&b=2``, percent-decoded to the bytes they stand for."""
    for field in raw.split(b"&"):
        name, _, value = field.partition(b"=")
        yield unquote_to_bytes(name.replace(b"+", b" "))
        yield unquote_to_bytes(value.replace(b"+", b" "))


def _urlencoded_readable(raw: bytes, encoding: str) -> bool:
    """Whether every name and value of a urlencoded ``raw`` is text in ``encoding``.

    In UTF-8 an ASCII byte is never part of a longer character, so a name or value cut off
    inside a character stays unreadable when its ``=`` or ``&`` follows it: the whole
    body, percent-decoded at once, reads exactly when each of its parts does
    (``tests/portal/test_input_checks.py`` holds the two to the same answer). That is one
    decode for an autosave instead of one for each of its names and values. Other
    charsets are read part by part."""
    try:
        utf8 = codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False
    if not utf8:
        return _readable(_urlencoded_values(raw), encoding)
    try:
        unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _multipart_text(raw: bytes, boundary: bytes) -> Iterator[bytes]:
    """The headers and contents of each part of a multipart body but files' contents."""
    for part in raw.split(b"--" + boundary)[1:]:
        if part.startswith(b"--"):
            return
        head, found, content = part.partition(b"\r\n\r\n")
        if not found:
            continue
        yield head
        if b"filename=" not in head.lower():
            yield content.removesuffix(b"\r\n")


def _raw_query_string(request: HttpRequest) -> bytes:
    # WSGI hands the query string over as latin-1 text holding the raw bytes (PEP 3333).
    query = request.META.get("QUERY_STRING", "")
    try:
        return query.encode("iso-8859-1")
    except UnicodeEncodeError:
        return query.encode("utf-8", "surrogatepass")


def unreadable_input(request: HttpRequest) -> bool:
    """True when the query string, a urlencoded body or a multipart body's text holds
    bytes that are not text in the request's charset (UTF-8 unless the request names
    another). Reads ``request.body``, so call it before anything parses the body."""
    encoding = request.encoding or settings.DEFAULT_CHARSET
    if not _urlencoded_readable(_raw_query_string(request), encoding):
        return True
    if request.method != "POST":
        return False
    if request.content_type == "application/x-www-form-urlencoded":
        return not _urlencoded_readable(request.body, encoding)
    if request.content_type == "multipart/form-data":
        boundary = (request.content_params or {}).get("boundary", "")
        if not boundary:
            return False  # Django refuses the body itself
        return not _readable(_multipart_text(request.body, boundary.encode("ascii", "replace")),
                             encoding)
    return False


# --- A single value sent more than once --------------------------------------------------


def repeated_single_value_fields(form: forms.BaseForm) -> list[str]:
    """The fields of a bound ``form`` that take one value but were sent more than once.
    A field drawn as a multiple select or check boxes takes a list, and is left out."""
    data = form.data
    if not form.is_bound or not hasattr(data, "getlist"):
        return []
    return [
        name for name, field in form.fields.items()
        if not getattr(field.widget, "allow_multiple_selected", False)
        and len(data.getlist(form.add_prefix(name))) > 1
    ]


class SingleValueFieldsMixin:
    """Put first in a form's bases. A field that takes one value but was sent more than
    once is refused with a clear message next to it, instead of keeping the last value:
    the form is invalid, so nothing is stored. The form reads the rest of the post as
    usual (the repeated fields are taken out of its data)."""

    repeated_field_message = REPEATED_FIELD_MESSAGE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.repeated_fields: list[str] = []
        self.take_out_repeated_fields()

    def take_out_repeated_fields(self) -> None:
        """Find the repeated fields and take them out of the data. Called at the end of
        ``__init__``; a form that adds its fields after that calls it again."""
        form: forms.BaseForm = self  # type: ignore[assignment]
        repeated = [name for name in repeated_single_value_fields(form)
                    if name not in self.repeated_fields]
        if repeated:
            data = form.data.copy()  # type: ignore[attr-defined]  # a QueryDict or dict
            for name in repeated:
                data.pop(form.add_prefix(name), None)
            form.data = data
            self.repeated_fields += repeated

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        form: forms.BaseForm = self  # type: ignore[assignment]
        for name in self.repeated_fields:
            if form._errors is None:  # type: ignore[attr-defined]  # not in the stubs
                break
            form._errors.pop(name, None)  # type: ignore[attr-defined]
            form.add_error(name, gettext(self.repeated_field_message))
