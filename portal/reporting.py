"""Error reports that carry no personal data.

Clients type their most private words into forms, and decrypted values sit in local
variables while a request runs. A crash report (admin email, log handler) must hold neither:
every POST parameter and every frame variable is replaced, not just those whose names look
secret. The traceback itself (files, lines, exception type) stays, which is what debugging
needs.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter

HIDDEN = "[hidden: may hold personal data]"


class PersonalDataExceptionReporterFilter(SafeExceptionReporterFilter):
    def is_active(self, request: HttpRequest | None) -> bool:
        return True

    def get_post_parameters(self, request: HttpRequest | None) -> dict[str, Any]:
        if request is None:
            return {}
        return dict.fromkeys(request.POST, HIDDEN)

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> Any:
        return [(name, HIDDEN) for name in tb_frame.f_locals]
