"""The clone a newcomer gets: every file the README points at is inside it, and no build
artefact rides along in version control."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Markdown links, and `code` spans that are a path from the top of the clone (a folder
# part and a file suffix, or a parent folder).
LINK = re.compile(r"\]\(([^)#\s]+)")
PATH_SPAN = re.compile(r"`((?:\.\./[\w./-]+)|(?:[\w-]+/)+[\w-]+\.\w+)`")


def _readme_references() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = set(LINK.findall(text)) | set(PATH_SPAN.findall(text))
    return {ref for ref in found if not ref.startswith(("http://", "https://", "mailto:"))}


def test_the_readme_points_only_at_files_inside_the_repository() -> None:
    references = _readme_references()
    assert "docs/evidence.md" in references  # the scan itself finds what the README names
    for reference in sorted(references):
        target = (ROOT / reference).resolve()
        assert target.is_relative_to(ROOT), f"README points outside the clone: {reference}"
        assert target.exists(), f"README names a path that is not in the clone: {reference}"


def test_no_build_artefacts_are_tracked() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True  # noqa: S607
    ).stdout.splitlines()
    artefacts = [name for name in tracked
                 if name.endswith((".whl", ".tar.gz", ".zip", ".egg"))]
    assert artefacts == []
