"""Issue 21, page weight: the first intake page is under 100 KB over the wire, fetches
nothing from another host, and loads only the CSS and JavaScript it uses.

"The first intake page" is what a signed-in client with every consent signed sees on opening
the first section of their intake. The static files are collected with production's storage
(``CompressedManifestStaticFilesStorage``) into a temporary folder and served by WhiteNoise
through every middleware, as in production; each file is weighed as sent to a browser asking
for gzip (``evidence/page_weight.py``, which ``make evidence`` reports with the same code).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from consents.defaults import install_default_documents
from consents.selectors import blocking_before_intake
from consents.services import consent_sign
from evidence.page_weight import WANTED_BYTES, PageWeight, weigh
from evidence.subresources import css_references, is_foreign, page_references
from portal.models import User
from tests.factories import fill_practice_settings
from tests.helpers import sign_in

PRODUCTION_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# A hashed name from the manifest storage ("portal.3f2a1b9c0d4e.css") back to its source.
HASHED = re.compile(r"\.[0-9a-f]{12}(?=\.[a-z0-9]+$)")

# Each file the first intake page may load, and the markup that makes it needed: a file
# loaded where its markup is absent is weight for nothing, and fails the test.
USED_ONLY_WITH: dict[str, str] = {
    "/static/vendor/bootstrap/css/bootstrap.min.css": "",  # the layout of every page
    "/static/portal/css/portal.css": "",  # the portal's own look, every page
    "/static/portal/css/noscript.css": "<noscript>",  # the menu, shown without JavaScript
    "/static/intake/css/intake.css": 'id="intake-form"',
    "/jsi18n/": "",  # the words of the scripts below, in the reader's language
    "/static/portal/js/menu.js": "data-menu-toggle",
    "/static/portal/js/quick-exit.js": "data-quick-exit",
    "/static/portal/js/idle-timeout.js": "data-idle-timeout-seconds",
    "/static/intake/js/autosave.js": "data-autosave-url",
}


@pytest.fixture(scope="module")
def _collected_static(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``collectstatic`` with production's storage, once for this module, served by
    WhiteNoise from the collected files (not the finders) while the module's tests run."""
    root = tmp_path_factory.mktemp("staticfiles")
    # Production's dependencies hold no brotli (this environment has it through Locust):
    # without it WhiteNoise writes gzip only, as in production, and in a fraction of the time.
    with pytest.MonkeyPatch.context() as patch, override_settings(
            STATIC_ROOT=root, STORAGES=PRODUCTION_STORAGES, WHITENOISE_USE_FINDERS=False,
            WHITENOISE_AUTOREFRESH=False):
        patch.setattr("whitenoise.compress.brotli_installed", False)
        call_command("collectstatic", interactive=False, verbosity=0)
        yield root


@pytest.fixture
def first_intake_page(_collected_static: Path, client_user: User) -> tuple[Client, str]:
    """A client with every consent the intake needs signed, signed in; their intake
    started; the path of its first section (where starting it leads)."""
    fill_practice_settings()
    install_default_documents(publish=True)
    for status in blocking_before_intake(client_user):
        assert status.current is not None
        consent_sign(client=client_user, version_id=status.current.pk,
                     expected_sha256=status.current.sha256, typed_name="Sam Client",
                     agreed=True)
    assert not blocking_before_intake(client_user)
    http = Client()  # a new handler: WhiteNoise reads the collected files as it starts
    sign_in(http, client_user)
    started = http.post(reverse("intake_home"))
    assert started.status_code == 302, started.status_code
    assert "/section/" in started["Location"], started["Location"]
    return http, started["Location"]


@pytest.fixture
def weight(first_intake_page: tuple[Client, str]) -> PageWeight:
    http, page = first_intake_page
    return weigh(http, page, host="testserver")


def _source(path: str) -> str:
    return HASHED.sub("", path.split("?")[0])


@pytest.mark.django_db
def test_first_intake_page_is_under_100_kb_over_the_wire(weight: PageWeight) -> None:
    assert weight.resources[0].kind == "html"
    assert weight.resources[0].encoding == ""  # HTML is never compressed (BREACH)
    listing = "\n".join(f"{r.path}: {r.wire_bytes}" for r in weight.resources)
    assert weight.wire_bytes < WANTED_BYTES, listing


@pytest.mark.django_db
def test_first_intake_page_fetches_nothing_from_another_host(weight: PageWeight) -> None:
    assert weight.foreign == []
    assert weight.missing == []
    assert all(resource.status == 200 for resource in weight.resources)


@pytest.mark.django_db
def test_static_files_are_sent_gzipped(weight: PageWeight) -> None:
    for resource in weight.resources:
        if resource.path.startswith("/static/"):
            assert resource.encoding == "gzip", resource.path
            assert resource.wire_bytes < resource.raw_bytes, resource.path


@pytest.mark.django_db
def test_first_intake_page_loads_only_what_it_uses(
        first_intake_page: tuple[Client, str], weight: PageWeight) -> None:
    http, page = first_intake_page
    html = http.get(page).content.decode()
    loaded = {_source(resource.path) for resource in weight.resources[1:]}
    assert loaded <= set(USED_ONLY_WITH), loaded - set(USED_ONLY_WITH)
    for source in loaded - {"/jsi18n/"}:
        needs = USED_ONLY_WITH[source]
        assert needs in html, f"{source} is loaded, but the page has no {needs!r}"
    if "/jsi18n/" in loaded:  # the catalog serves the page's own scripts' words
        assert any(source.endswith(".js") for source in loaded)


def test_no_template_asks_for_bootstraps_javascript() -> None:
    """Bootstrap's JavaScript is not loaded on any page (its collapse, the one part used,
    is static/portal/js/menu.js): a ``data-bs-*`` attribute would do nothing."""
    templates = Path(__file__).resolve().parents[2] / "templates"
    users = [str(path.relative_to(templates)) for path in templates.rglob("*.html")
             if "data-bs-" in path.read_text(encoding="utf-8")]
    assert users == []


def test_references_on_another_host_are_found() -> None:
    base = "https://portal.example/intake/x/section/a/"
    html = ('<link rel="stylesheet" href="https://cdn.example/b.css">'
            '<script src="//cdn.example/a.js"></script><img srcset="/a.png 1x, http://x/b.png 2x">'
            '<link rel="icon" href="data:,"><link rel="canonical" href="https://elsewhere/">'
            '<a href="https://elsewhere/">a link is no request</a>'
            '<noscript><link rel="stylesheet" href="../no.css"></noscript>')
    found = page_references(html, base)
    assert [ref.written for ref in found] == [
        "https://cdn.example/b.css", "//cdn.example/a.js", "/a.png", "http://x/b.png",
        "../no.css"]
    assert [is_foreign(ref.url, base) for ref in found] == [True, True, False, True, False]
    assert found[-1].in_noscript
    css = ('@import "https://fonts.example/f.css"; @import url(local.css);'
           '.a{background:url("img/x.png")} @media print{.b{background:url(//t.example/y)}}'
           '.c{background-image:url("data:image/svg+xml,<svg/>")} /* url(comment.png) */')
    assert [ref.written for ref in css_references(css, "https://portal.example/static/s.css")
            ] == ["https://fonts.example/f.css", "local.css", "img/x.png", "//t.example/y"]
