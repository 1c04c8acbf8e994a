"""An app server's process is warmed before its first request and its long-lived objects
frozen (``portal.warm``, called by ``portal.wsgi``), so the collector's oldest generation is
not walked through them while a person waits. Run in a child process: freezing is for the
life of a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import gc, json, django
django.setup()
from django.template import engines
from portal.warm import warm_and_freeze
before = len(gc.get_objects())
frozen = warm_and_freeze()
loader = engines["django"].engine.template_loaders[0]
cached = set(loader.get_template_cache)
print(json.dumps({"before": before, "frozen": frozen,
                  "walked_after": len(gc.get_objects()),
                  "section_page": "intake/client/section.html" in cached,
                  "sign_in_page": "account/login.html" in cached,
                  "compiled": len(cached)}))
"""


def test_a_warmed_process_has_its_templates_compiled_and_its_loaded_objects_frozen(
        tmp_path: Path) -> None:
    seen = json.loads(_child(CHILD, tmp_path))
    assert seen["section_page"] and seen["sign_in_page"]  # compiled before any request
    assert seen["compiled"] > 300  # the portal's, allauth's and crispy's templates
    # The collector walks a small remainder: everything loaded is in the frozen generation.
    assert seen["frozen"] > seen["before"] > 0
    assert seen["walked_after"] < seen["frozen"] / 20


def _child(code: str, workdir: Path) -> str:
    """``code`` run by a fresh interpreter, on an empty database of its own (the keyring
    check at start-up then has no data keys to open); the last line it printed."""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False,
                          env={**os.environ, "PORTAL_ENV": "test",
                               "DJANGO_SETTINGS_MODULE": "portal.settings",
                               "DATABASE_URL": f"sqlite:///{workdir / 'empty.sqlite3'}"})
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_the_wsgi_entry_point_serves_from_a_warmed_frozen_process(tmp_path: Path) -> None:
    """What gunicorn imports: when ``portal.wsgi`` is loaded, the freeze has happened."""
    frozen = int(_child("import gc, portal.wsgi; print(gc.get_freeze_count())", tmp_path))
    assert frozen > 100_000
