"""Files that leave the portal: one way to send an attachment, and one way to stream a CSV
that a spreadsheet cannot turn against its reader."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse

# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Stop a spreadsheet from running a cell as a formula: prefix a quote to any cell
    starting with ``= + - @``, a tab or a carriage return (user agents are attacker-typed)."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def _disposition(filename: str) -> str:
    # Filenames are built by the portal from dates and references: never a person's name.
    return f'attachment; filename="{filename}"'


def attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    """A download that no cache keeps (the privacy middleware adds never-cache too)."""
    response = HttpResponse(content, content_type=content_type)
    response.headers["Content-Disposition"] = _disposition(filename)
    response.headers["Cache-Control"] = "no-store"
    return response


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer streaming."""

    def write(self, value: str) -> str:
        return value


def streamed_csv(rows: Iterable[list[Any]], filename: str) -> StreamingHttpResponse:
    """``rows`` (header first) streamed as CSV; the caller has neutralised every cell."""
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    response.headers["Content-Disposition"] = _disposition(filename)
    return response
