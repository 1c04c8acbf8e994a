"""A yardstick for the machine: the CPU a fixed piece of work costs, none of it the portal's.

The CPU a request costs depends on the code and on the machine: the same commit cost 8.3 ms
a request on one 2-core machine and 25.0 ms on another (docs/performance.md, "The same code
on a slower machine"). To tell the two apart, ``make evidence`` measures in the same process
as the journey a piece of work made of what a request is made of (a Django template
rendered, a Django queryset compiled to SQL, small values opened with AES-256-GCM), written
with Django's and ``cryptography``'s code only. Its cost moves with the machine and with
those libraries' versions, never with the portal's code; the journey's CPU divided by it
("in yardsticks") moves with the portal's code, and much less with the machine.

A shared machine's speed also drifts by a tenth or more within minutes, so the journey
measures rounds before its walk and between its clients, and takes the median of them all:
the yardstick is then of the same minutes as the requests it divides.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

ROUNDS = 200  # the median of this many rounds; one round is about a millisecond of CPU
_ROWS = [{"name": f"client number {n}", "when": f"2026-12-{1 + n % 28:02d}",
          "note": "<b>" + "a note that is long enough to be cut " * 2 + "</b>"}
         for n in range(40)]
_TEMPLATE = (
    "<table>{% for row in rows %}<tr class=\"{% cycle 'odd' 'even' %}\">"
    "<td>{{ row.name|title }}</td><td>{{ row.when }}</td>"
    "<td>{{ row.note|truncatechars:30 }}</td>"
    "<td>{% if forloop.last %}last{% else %}{{ forloop.counter }}{% endif %}</td></tr>"
    "{% endfor %}</table>"
)
_SEALED = 20  # values opened per round
_VALUE = b"x" * 200


def _one_round(template: Any, context_class: Any, aead: Any,
               sealed: list[tuple[bytes, bytes]]) -> None:
    from django.contrib.auth.models import Permission

    template.render(context_class({"rows": _ROWS}))
    queryset = (Permission.objects.select_related("content_type")
                .filter(content_type__app_label="yardstick", codename__startswith="view_")
                .exclude(name__icontains="yardstick").order_by("codename")[:20])
    queryset.query.get_compiler(using="default").as_sql()
    for nonce, ciphertext in sealed:
        aead.decrypt(nonce, ciphertext, b"yardstick")


def round_costs(rounds: int = ROUNDS) -> list[float]:
    """The CPU milliseconds (this process's CPU time, not the wall clock) of each of
    ``rounds`` rounds of the fixed work, after one that warms up; Django must be set up.
    The AES-256-GCM key is made up for the measurement and thrown away; it seals nothing
    but a run of the letter x."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from django.template import Context, Template

    template = Template(_TEMPLATE)
    aead = AESGCM(AESGCM.generate_key(bit_length=256))
    sealed = []
    for _ in range(_SEALED):
        nonce = os.urandom(12)
        sealed.append((nonce, aead.encrypt(nonce, _VALUE, b"yardstick")))
    _one_round(template, Context, aead, sealed)  # warm: imports, the compiler's caches
    costs = []
    for _ in range(rounds):
        before = time.process_time()
        _one_round(template, Context, aead, sealed)
        costs.append((time.process_time() - before) * 1000)
    return costs


def yardstick_ms(rounds: int = ROUNDS) -> float:
    """The yardstick: the median of ``rounds`` rounds' CPU milliseconds (``round_costs``)."""
    return statistics.median(round_costs(rounds))


def in_yardsticks(milliseconds: float, yardstick: float) -> float:
    """``milliseconds`` of CPU as a multiple of the yardstick (NaN without a yardstick)."""
    return milliseconds / yardstick if yardstick > 0 else float("nan")
