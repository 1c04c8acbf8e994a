"""The unreadable-text check reads a UTF-8 urlencoded body in one pass: it must refuse and
accept exactly what reading each name and value on its own does, whatever bytes arrive."""

from __future__ import annotations

from urllib.parse import quote_from_bytes

from django.test import Client
from hypothesis import example, given, settings
from hypothesis import strategies as st

from portal.input_checks import _readable, _urlencoded_readable, _urlencoded_values

# Bytes as a hostile client might send them: raw, percent-escaped, and the separators.
_pieces = st.one_of(
    st.binary(max_size=6),
    st.binary(max_size=4).map(lambda raw: quote_from_bytes(raw).encode("ascii")),
    st.sampled_from([b"&", b"=", b"+", b"%", b"%E", b"%C3", b"%A9", b"\xc3", b"\xa9",
                     b"%ED%A0%80", b"%F0%9F%98%80", "é".encode()]),
)


@settings(max_examples=600, deadline=None)
@given(st.lists(_pieces, max_size=12).map(b"".join))
@example(b"a=%C3&b=%A9")  # a character cut in two across a separator
@example(b"a%C3=%A9b")
@example(b"note=caf%C3%A9+%F0%9F%98%80")
@example(b"x=%ED%A0%80")  # a surrogate: not a character
def test_one_pass_answers_as_part_by_part(body: bytes) -> None:
    assert _urlencoded_readable(body, "utf-8") == _readable(_urlencoded_values(body), "utf-8")
    assert _urlencoded_readable(body, "UTF8") == _readable(_urlencoded_values(body), "utf-8")


def test_other_charsets_and_unknown_ones() -> None:
    assert _urlencoded_readable(b"name=%E9t%E9", "latin-1")
    assert not _urlencoded_readable(b"name=%E9t%E9", "utf-8")
    assert not _urlencoded_readable(b"name=x", "no-such-charset")


def test_a_character_split_across_fields_is_refused_over_http(client: Client) -> None:
    """Through the middleware: a post whose two values each hold half of "é" is a 400 with
    the plain-language message, not two replacement characters stored."""
    response = client.post("/accounts/login/", data=b"login=%C3&password=%A9",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert b"could not be read" in response.content
