"""``makemessages``, the portal's way: no fuzzy guesses, no line numbers, and only the
project's own code (never the virtualenv, the tests or vendored files)."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import makemessages

# Paths no translatable string of ours lives in.
IGNORED = [".venv/*", "venv/*", "tests/*", "benchmarks/*", "evidence/*", "staticfiles/*",
           "static/vendor/*", "node_modules/*", "build/*", "*/migrations/*"]


class Command(makemessages.Command):
    """Extracts strings into ``locale/<lang>/LC_MESSAGES``. Fuzzy matching is off, so a new
    string is left empty for a person to translate instead of guessed from a similar one;
    locations are off, so editing code does not rewrite the catalog."""

    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]

    def handle(self, *args: Any, **options: Any) -> None:
        options["ignore_patterns"] = [*options.get("ignore_patterns", []), *IGNORED]
        options["no_location"] = True
        super().handle(*args, **options)
