"""Where an event came from: request id, client IP and user agent, per request.

``AuditContextMiddleware`` gives every request an id (also sent back as ``X-Request-ID`` so a
person reporting a problem can quote it) and keeps the request's origin in a context variable,
so services record it without having the request passed down to them. Commands run without a
request and record none of it.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from allauth.core.internal.httpkit import get_client_ip
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

USER_AGENT_MAX = 256


@dataclass(frozen=True)
class RequestOrigin:
    request_id: str = ""
    ip_address: str | None = None
    user_agent: str = ""


NO_REQUEST = RequestOrigin()
_origin: ContextVar[RequestOrigin] = ContextVar("portal_audit_origin", default=NO_REQUEST)


def _client_ip(request: HttpRequest) -> str | None:
    """The client's address as seen through ``TRUSTED_PROXY_COUNT`` proxies, or None when
    the headers do not add up (never a value an attacker typed that is not an address)."""
    try:
        ip = get_client_ip(request)
    except ImproperlyConfigured:
        return None
    try:
        return str(ipaddress.ip_address(ip)) if ip else None
    except ValueError:
        return None


def origin_of(request: HttpRequest) -> RequestOrigin:
    request_id = getattr(request, "request_id", "") or uuid.uuid4().hex
    user_agent = request.headers.get("user-agent", "")[:USER_AGENT_MAX]
    return RequestOrigin(request_id, _client_ip(request), user_agent)


def current_origin() -> RequestOrigin:
    return _origin.get()


@contextmanager
def request_origin(origin: RequestOrigin) -> Iterator[None]:
    token = _origin.set(origin)
    try:
        yield
    finally:
        _origin.reset(token)


class AuditContextMiddleware:
    """Give each request an id and remember its origin for the audit trail."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Read back by origin_of() through getattr: HttpRequest declares no such attribute.
        request.request_id = uuid.uuid4().hex  # type: ignore[attr-defined]
        with request_origin(origin_of(request)):
            response = self.get_response(request)
        response.headers["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
        return response
