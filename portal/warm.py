"""An app server's process made ready before its first request, and what it loaded then set
aside from the garbage collector.

Python's collector walks every container object it tracks when it collects its oldest
generation, and a Django process holds a few hundred thousand that live as long as the
process: modules, classes, the URL patterns, the translation catalogues, the compiled
templates. Walking them took about 70 ms of one core a time, about three times in ten
clients' journeys, and whichever request was running waited (docs/performance.md,
"Garbage collection"). ``warm_and_freeze`` loads those objects before the first request,
from code and settings only (no request, so no person's data among them), collects once,
and moves everything left into the collector's permanent generation (``gc.freeze``),
which it never walks again. Objects made later are collected as before.
"""

from __future__ import annotations

import contextlib
import gc
from pathlib import Path

from django.conf import settings
from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.template.utils import get_app_template_dirs
from django.urls import get_resolver
from django.utils import translation

TEMPLATE_SUFFIXES = (".html", ".txt", ".xml")


def _template_names() -> set[str]:
    """Every template name the Django engine can find, from its directories and every
    app's ``templates`` directory."""
    engine = engines["django"]
    roots = [Path(directory) for directory in engine.dirs]
    roots += [Path(directory) for directory in get_app_template_dirs("templates")]
    return {path.relative_to(root).as_posix()
            for root in roots if root.is_dir()
            for path in root.rglob("*") if path.suffix in TEMPLATE_SUFFIXES and path.is_file()}


def _compile_templates() -> None:
    """Compile every template into the engine's cache, as first requests would; a template
    that cannot compile on its own (a library it loads is not installed) is left for the
    request that needs it, which then reports the error as before."""
    engine = engines["django"]
    for name in sorted(_template_names()):
        with contextlib.suppress(TemplateDoesNotExist, TemplateSyntaxError):
            engine.get_template(name)


def _load_catalogues() -> None:
    """Each language's translation catalogue, loaded as its first page would load it."""
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Save")


def warm_and_freeze() -> int:
    """Load the URL patterns, the catalogues and the compiled templates, collect, then
    freeze what is left; the number of objects the collector will not walk again."""
    resolver = get_resolver()
    resolver.reverse_dict  # noqa: B018  # builds the patterns' lookup tables now
    _load_catalogues()
    _compile_templates()
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
