"""Page weight (issue 21): the first intake page under 100 KB over the wire, no request to
another host.

The page is the one a signed-in client whose consents are all signed sees on opening the
first section of their intake. Weighed as a browser with an empty cache would fetch it:

* the HTML, as the portal serves it (no ``GZipMiddleware``, for BREACH: a page holding a
  CSRF token and a person's answers is never compressed, so it counts uncompressed);
* every subresource the HTML references (``<link href>``, ``<script src>``, ``<img src>``
  ...; ``evidence/subresources.py``) and every ``url()`` and ``@import`` of its style
  sheets, each requested with ``Accept-Encoding: gzip`` and counted as WhiteNoise sends it
  from ``collectstatic``'s output (``CompressedManifestStaticFilesStorage``: the ``.gz``
  file beside each one). Production's dependencies hold no ``brotli``, so gzip is what a
  browser gets; with it installed a browser asking for ``br`` gets less.

Counted are the bodies' bytes as sent; headers are left out (HTTP/2 compresses them).
Everything goes through Django's handler and every middleware, WhiteNoise included, as
gunicorn would run it. The sheet inside ``<noscript>`` is counted although a browser with
JavaScript never fetches it: the total is an upper bound.

``python -m evidence.page_weight`` (a fresh PostgreSQL database and keys, production
settings, like ``make evidence``) prints the table; ``make evidence`` writes it to
docs/evidence.md as the ``page_weight`` part. ``tests/site/test_page_weight.py`` holds the
same limits on every test run, on SQLite.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from evidence.context import PYTHON, Context, PartResult, Target, fresh_keys
from evidence.subresources import Reference, css_references, is_foreign, page_references

TITLE = "Page weight of the first intake page"
WANTED_BYTES = 100_000  # "under 100 KB": kilobytes of 1000 bytes, the stricter reading
DATABASE = "portal_page_weight"
SEED = 20240621


@dataclass(frozen=True)
class Resource:
    """One response of the page's load: what it is, and its size raw and as sent."""

    path: str
    kind: str
    status: int
    raw_bytes: int
    wire_bytes: int
    encoding: str
    in_noscript: bool = False


@dataclass
class PageWeight:
    """The page and everything it made the browser fetch, and what went wrong."""

    page: str
    resources: list[Resource] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def wire_bytes(self) -> int:
        return sum(resource.wire_bytes for resource in self.resources)

    @property
    def raw_bytes(self) -> int:
        return sum(resource.raw_bytes for resource in self.resources)

    @property
    def met(self) -> bool:
        return self.wire_bytes < WANTED_BYTES

    def as_dict(self) -> dict[str, Any]:
        return {"page": self.page, "resources": [asdict(r) for r in self.resources],
                "foreign": self.foreign, "missing": self.missing}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PageWeight:
        return cls(data["page"], [Resource(**row) for row in data["resources"]],
                   list(data["foreign"]), list(data["missing"]))


def _kind(content_type: str) -> str:
    for marker, kind in (("html", "html"), ("css", "css"), ("javascript", "js")):
        if marker in content_type:
            return kind
    return "other"


def _body(response: Any) -> bytes:
    """The body's bytes exactly as the handler sends them (a file response streams). The
    test client closes the response itself; closing it again here would send
    ``request_finished`` once more, which closes the database connection."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def fetch(http: Any, path: str, *, in_noscript: bool = False) -> tuple[Resource, bytes]:
    """GET ``path`` as a browser that accepts gzip; the resource and its decoded body."""
    response = http.get(path, secure=True, HTTP_ACCEPT_ENCODING="gzip")
    sent = _body(response)
    encoding = response.get("Content-Encoding", "")
    raw = gzip.decompress(sent) if encoding == "gzip" else sent
    resource = Resource(path, _kind(response.get("Content-Type", "")), response.status_code,
                        len(raw), len(sent), encoding, in_noscript)
    return resource, raw


def weigh(http: Any, page: str, *, host: str) -> PageWeight:
    """Fetch ``page`` with ``http`` (a ``django.test.Client`` signed in as the client) and
    everything it references, recursively through its style sheets, each once."""
    base = f"https://{host}"
    weight = PageWeight(page)
    queue = [Reference(page, base + page, "page")]
    seen: set[str] = set()
    while queue:
        reference = queue.pop(0)
        if reference.url in seen:
            continue
        seen.add(reference.url)
        if is_foreign(reference.url, base):
            weight.foreign.append(reference.written)
            continue
        parts = urlsplit(reference.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        resource, raw = fetch(http, path, in_noscript=reference.in_noscript)
        weight.resources.append(resource)
        if resource.status != 200:
            weight.missing.append(f"{path} ({resource.status})")
        elif resource.kind == "html":
            queue += page_references(raw.decode(), reference.url)
        elif resource.kind == "css":
            queue += css_references(raw.decode(), reference.url)
    return weight


def render(weight: PageWeight) -> str:
    """The table: each response, raw and as sent, and the total against the target."""
    lines = [f"First intake page: `{_shown(weight.page)}`", "",
             "| resource | kind | raw bytes | over the wire | encoding |",
             "|---|---|---:|---:|---|"]
    for resource in weight.resources:
        note = " (in `<noscript>`)" if resource.in_noscript else ""
        lines.append(f"| `{_shown(resource.path)}`{note} | {resource.kind} | "
                     f"{resource.raw_bytes:,} | {resource.wire_bytes:,} | "
                     f"{resource.encoding or 'none'} |")
    lines.append(f"| **total ({len(weight.resources)} responses)** | | "
                 f"**{weight.raw_bytes:,}** | **{weight.wire_bytes:,}** | |")
    lines += ["", f"Target: under {WANTED_BYTES:,} bytes over the wire: "
                  f"{'met' if weight.met else 'NOT met'} "
                  f"({weight.wire_bytes / WANTED_BYTES:.0%} of it). Requests to another host: "
                  f"{', '.join(weight.foreign) or 'none'}. Missing files: "
                  f"{', '.join(weight.missing) or 'none'}."]
    return "\n".join(lines)


def _shown(path: str) -> str:
    """A path with the intake's id left out (it differs on every run)."""
    from evidence.web import UUID

    return UUID.sub("<id>", path)


def targets(weight: PageWeight) -> list[Target]:
    """Issue 21's page-weight target (a goal, reported) and its correctness half: nothing
    fetched from another host, every referenced file served."""
    return [
        Target("First intake page over the wire (HTML + every CSS/JS/other file, gzip)",
               f"< {WANTED_BYTES / 1000:g} KB", f"{weight.wire_bytes / 1000:.1f} KB",
               weight.met, fatal=False),
        Target("First intake page: requests to another host, referenced files missing",
               "none", f"{len(weight.foreign)} to another host, {len(weight.missing)} missing",
               not weight.foreign and not weight.missing, fatal=True),
    ]


# --- the child: in the portal's process, production settings ------------------------------

def child(plan_path: str) -> dict[str, Any]:
    """Sign the plan's first client in, start their intake, weigh its first section."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    from django.test import Client

    from evidence.web import location

    person = json.loads(Path(plan_path).read_text(encoding="utf-8"))["clients"][0]
    http = Client(HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="127.0.0.1",
                  HTTP_X_FORWARDED_FOR=person["ip"])
    signed_in = http.post("/accounts/login/", {"login": person["email"],
                                                "password": person["password"]}, secure=True)
    started = http.post("/intake/", secure=True)
    if signed_in.status_code != 302 or started.status_code != 302:
        raise RuntimeError(f"sign-in answered {signed_in.status_code}, starting the intake "
                           f"{started.status_code}")
    first_page = location(started)
    if "/section/" not in first_page:
        raise RuntimeError(f"starting the intake led to {_shown(first_page)}, not a section")
    return weigh(http, first_page, host="127.0.0.1").as_dict()


# --- the parent: database, keys, report ----------------------------------------------------

def measure(ctx: Context) -> PageWeight:
    """A fresh database with the load run's practice and one client (consents signed),
    ``collectstatic`` with the production storage, the weighing in a child process."""
    from evidence.plan import build_plan

    ctx.own_redis()
    ctx.create_database(DATABASE)
    ctx.manage(DATABASE, "migrate", "--noinput", record=False)
    ctx.collect_static(DATABASE)
    plan_path = ctx.workdir / "page-weight-plan.json"
    plan_path.write_text(json.dumps(build_plan(clients=1, clinicians=1, seed=SEED),
                                    ensure_ascii=False), encoding="utf-8")
    ctx.django_task(DATABASE, "seed", str(plan_path))
    completed = ctx.run([str(PYTHON), "-m", "evidence.page_weight", "--child", str(plan_path)],
                        env=ctx.portal_env(DATABASE), timeout=600,
                        record="python -m evidence.page_weight   # the first intake page")
    ctx.drop_database(DATABASE)
    return PageWeight.from_dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def run(ctx: Context) -> PartResult:
    """The ``page_weight`` part of ``make evidence``: its section and its two targets."""
    weight = measure(ctx)
    lines = [
        f"## {TITLE}", "",
        "What a browser with an empty cache fetches for the first section of a client's "
        "intake (`evidence/page_weight.py`): the HTML as served (never compressed, for "
        "BREACH), then every file it and its style sheets reference, each asked for with "
        "`Accept-Encoding: gzip` and counted as WhiteNoise sends it from `collectstatic`'s "
        "output; bodies only, headers left out. docs/performance.md reads it.", "",
        render(weight), "",
    ]
    return PartResult(TITLE, "\n".join(lines), targets(weight))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evidence.page_weight",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--child", metavar="PLAN", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child)))
        return 0
    from evidence.mailsink import MailSink

    workdir = Path(tempfile.mkdtemp(prefix="portal-page-weight-"))
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
        mail = cleanup.enter_context(MailSink())
        ctx = Context(workdir=workdir, keys=fresh_keys(), mail=mail, clients=1,
                      cleanup=cleanup)
        weight = measure(ctx)
    print(render(weight))
    if args.json:
        print(json.dumps(weight.as_dict()))
    return 0 if not weight.foreign and not weight.missing else 1


if __name__ == "__main__":
    sys.exit(main())
