"""The trend chart, its table, the change rules and the sparkline as a browser meets them:
axe-core finds no WCAG A/AA failure, and the chart's accessible name and description are
what its <title> and <desc> say.

The partials are rendered with Django's template engine and laid into a page with the
portal's own stylesheets (Bootstrap, portal.css, intake.css), so contrast is checked with
the colours a person sees. No live server and no database: the partials are pure.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from playwright.sync_api import Browser, Page

from measures.change import assess
from measures.charts import sparkline, trend_chart, trend_table
from tests.browser.accessibility import assert_accessible
from tests.measures.instruments import CSI4, PHQ9, series

pytestmark = pytest.mark.browser

STYLESHEETS = ("vendor/bootstrap/css/bootstrap.min.css", "portal/css/portal.css",
               "intake/css/intake.css")


def _styles() -> str:
    found = [finders.find(path) for path in STYLESHEETS]
    assert all(isinstance(path, str) for path in found), found
    return "\n".join(Path(str(path)).read_text(encoding="utf-8") for path in found)


def _page_html() -> str:
    phq9 = series(PHQ9, *[(index * 5) % 28 for index in range(104)])
    csi4 = series(CSI4, 9, 12, 15)
    parts = [
        render_to_string("measures/_trend_chart.html", {"chart": trend_chart(PHQ9, phq9)}),
        render_to_string("measures/_change.html", {"change": assess(PHQ9, phq9)}),
        render_to_string("measures/_trend_table.html", {"table": trend_table(PHQ9, phq9)}),
        render_to_string("measures/_trend_chart.html", {"chart": trend_chart(CSI4, csi4)}),
        render_to_string("measures/_trend_table.html", {"table": trend_table(CSI4, csi4)}),
        "<table class='table'><caption>Caseload</caption><thead><tr><th scope='col'>Client"
        "</th><th scope='col'>PHQ-9</th></tr></thead><tbody><tr><td>A client</td><td>"
        + render_to_string("measures/_sparkline.html", {"sparkline": sparkline(PHQ9, phq9)})
        + "</td></tr></tbody></table>",
    ]
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Progress"
            f"</title><style>{_styles()}</style></head><body><main class='container'>"
            f"<h1>Progress</h1>{''.join(parts)}</main></body></html>")


@pytest.fixture
def chart_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_content(_page_html())
    yield page
    context.close()


def test_the_trend_page_parts_have_no_wcag_failures(chart_page: Page) -> None:
    assert_accessible(chart_page, context="the trend chart, table, change and sparkline")


def test_the_chart_is_named_and_described_to_assistive_technology(chart_page: Page) -> None:
    chart = chart_page.get_by_role("img", name="PHQ-9 scores over time")
    assert chart.count() == 1
    description = chart.evaluate(
        "el => el.getAttribute('aria-labelledby').split(' ').map("
        "id => document.getElementById(id).textContent).join(' | ')")
    assert description.startswith("PHQ-9 scores over time | PHQ-9 from 0 on 3 Mar 2026 to ")
    assert chart_page.get_by_role("img", name="CSI-4 scores over time").count() == 1
    assert chart_page.get_by_role("img", name="PHQ-9, 104 scores:", exact=False).count() == 1
    assert chart_page.get_by_role("region", name="PHQ-9 scores, oldest first").count() == 1
