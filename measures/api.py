"""What other apps may ask of the measures: the one module of this app they import
(the import-linter contract "Feature apps are independent" names it as a declared seam)."""

from __future__ import annotations

__all__: list[str] = []
