"""Hooks: how one feature app asks another a question without importing it.

A hook is a named question with a fixed signature. The app that can answer registers a
provider when Django starts (in its ``AppConfig.ready``); the app that asks calls the hook and
gets every provider's answer, or none when no installed app answers. The asking app never
imports the answering one, so either can change, or be left out, without breaking the other.
The import-linter contracts (``.importlinter``) forbid the direct import; this module is the
only sanctioned way round it. ``docs/architecture.md`` lists every hook.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from portal.models import Case, User

Answer = TypeVar("Answer")


@dataclass
class Hook(Generic[Answer]):
    """One question (``name``, said in words in ``question``) and the providers answering
    it for a person, in their individual record or in a couple or family case (``case``):
    each provider returns a list, and ``ask`` joins them in registration order."""

    name: str
    question: str
    _providers: list[Callable[[User, Case | None], list[Answer]]] = field(default_factory=list)

    def provide(self, provider: Callable[[User, Case | None], list[Answer]]) -> None:
        """Register ``provider`` (once: registering the same function again is a no-op, so
        a ``ready`` that runs twice in tests does not double the answers)."""
        if provider not in self._providers:
            self._providers.append(provider)

    def ask(self, person: User, case: Case | None = None) -> list[Answer]:
        """Every provider's answer for ``person`` (in ``case``, or their individual record),
        joined."""
        return [answer for provider in self._providers for answer in provider(person, case)]


@dataclass(frozen=True)
class Prerequisite:
    """Something a person must do before they may go on: what (in words a client reads, no
    personal data) and the page where they do it (a URL name)."""

    title: str
    url_name: str


# Asked by the intake before a client starts or continues it (their individual intake, or
# their intake in a couple or family case); answered by the consents (documents required
# before the intake that are unsigned, withdrawn or changed materially; in a case, the
# practice's secrets policy too).
before_intake = Hook[Prerequisite](
    name="before_intake",
    question="What must this client do before they may start or continue their intake?",
)
