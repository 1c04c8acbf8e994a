"""The measures' pure tests name days ("3 Mar 2026"): pin the practice's zone they are
written in, whatever TIME_ZONE the environment sets."""

from __future__ import annotations

from typing import Any

import pytest

from tests.measures.instruments import PRACTICE_ZONE


@pytest.fixture(autouse=True)
def _practice_zone(settings: Any) -> None:
    settings.TIME_ZONE = PRACTICE_ZONE
