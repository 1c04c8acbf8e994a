"""The templates draw what the geometry says, inside the strict CSP: inline SVG that names
and describes itself, classes and presentation attributes only (no style attribute, no
script, nothing fetched), and every word escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser

import pytest
from django.template.loader import render_to_string

from measures.change import assess
from measures.charts import sparkline, trend_chart, trend_table
from measures.scales import Point, Scale, ScaleBand
from tests.measures.instruments import CSI4, GAD7, PHQ9, START, series

SVG = "{http://www.w3.org/2000/svg}"
TEMPLATES = ("measures/_trend_chart.html", "measures/_sparkline.html",
             "measures/_trend_table.html", "measures/_change.html")


def svg_of(html: str) -> ET.Element:
    """The inline SVG, parsed as the XML it must be."""
    match = re.search(r"<svg\b.*?</svg>", html, re.DOTALL)
    assert match, html
    # Our own rendering, not input from outside: no entity tricks to defend against.
    return ET.fromstring(match.group(0))  # noqa: S314


def chart_html(*totals: int, scale: Scale = PHQ9) -> str:
    return render_to_string("measures/_trend_chart.html",
                            {"chart": trend_chart(scale, series(scale, *totals))})


class _Tags(HTMLParser):
    """Every element and attribute name in a rendering (escaped text is not markup)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


def assert_csp_safe(html: str) -> None:
    """No style attribute or element, no script, no event handler, nothing fetched."""
    parser = _Tags()
    parser.feed(html)
    assert not parser.tags & {"script", "style", "img", "image", "use", "foreignobject", "a"}
    assert not {name for name in parser.attributes
                if name == "style" or name.startswith("on") or name.endswith("href")
                or name == "src"}


def test_the_chart_is_an_image_named_by_its_title_and_described_by_its_desc() -> None:
    html = chart_html(16, 12, 7)
    svg = svg_of(html)
    assert svg.get("role") == "img"
    title_id, desc_id = svg.get("aria-labelledby", "").split()
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title is not None and title.get("id") == title_id
    assert desc is not None and desc.get("id") == desc_id
    assert title.text == "PHQ-9 scores over time"
    assert desc.text == ("PHQ-9 from 16 on 3 Mar 2026 to 7 on 17 Mar 2026, 3 scores "
                         "(lowest 7, highest 16).")


def test_the_chart_draws_bands_dates_line_and_a_dot_per_score() -> None:
    svg = svg_of(chart_html(16, 12, 7))
    rects = svg.findall(f"{SVG}rect")
    assert [r.get("class") for r in rects] == [f"trend-band score-tone-{t}" for t in range(5)]
    assert len(svg.findall(f"{SVG}polyline")) == 1
    circles = svg.findall(f"{SVG}circle")
    assert len(circles) == 3
    assert circles[-1].get("class") == "trend-point trend-point-latest"
    tooltip = circles[0].find(f"{SVG}title")
    assert tooltip is not None and tooltip.text == "16 on 3 Mar 2026, Moderately severe"
    dates = [t.text for t in svg.findall(f"{SVG}text") if t.get("class") == "trend-date"]
    assert dates[0] == "3 Mar 2026" and dates[-1] == "17 Mar 2026"


def test_one_score_is_a_dot_without_a_line() -> None:
    svg = svg_of(chart_html(16))
    assert svg.findall(f"{SVG}polyline") == [] and len(svg.findall(f"{SVG}circle")) == 1


def test_the_csi4_chart_draws_and_names_its_cut_off() -> None:
    html = chart_html(10, 15, scale=CSI4)
    svg = svg_of(html)
    assert [line.get("class") for line in svg.findall(f"{SVG}line")] == [
        "trend-cutoff", "trend-axis"]
    assert "Cut-off 13.5</text>" in html and "Cut-off 13.5</li>" in html


def test_the_legend_names_every_band_with_its_range() -> None:
    html = render_to_string("measures/_trend_chart.html",
                            {"chart": trend_chart(GAD7, series(GAD7, 3))})
    for label, low, high in (("Minimal", 0, 4), ("Mild", 5, 9), ("Moderate", 10, 14),
                             ("Severe", 15, 21)):
        assert f"</span>{label} {low}\N{EN DASH}{high}</li>" in html


def test_two_years_of_weekly_scores_render() -> None:
    totals = [(index * 5) % 28 for index in range(104)]
    svg = svg_of(chart_html(*totals))
    assert len(svg.findall(f"{SVG}circle")) == 104


def test_the_sparkline_is_a_named_image() -> None:
    html = render_to_string("measures/_sparkline.html",
                            {"sparkline": sparkline(CSI4, series(CSI4, 9, 12, 15))})
    svg = svg_of(html)
    assert svg.get("role") == "img"
    assert svg.get("aria-label") == ("CSI-4, 3 scores: 9 on 3 Mar 2026 to 15 (Above the "
                                     "cut-off) on 17 Mar 2026")
    assert [e.tag.removeprefix(SVG) for e in svg] == ["line", "polyline", "circle"]


def test_the_table_is_labelled_by_its_caption_and_lists_each_score() -> None:
    html = render_to_string("measures/_trend_table.html",
                            {"table": trend_table(PHQ9, series(PHQ9, 16, 7))})
    region = re.search(r'role="region" aria-labelledby="([^"]+)"', html)
    assert region and f'<caption id="{region.group(1)}">PHQ-9 scores, oldest first</caption>' \
        in html
    assert ('<th scope="row"><time datetime="2026-03-10T12:00:00-04:00">10 Mar 2026</time>'
            '</th><td>7</td><td>Mild</td><td>Down 9</td>') in html
    assert re.findall(r'<th scope="col">([^<]+)</th>', html) == [
        "Date", "Score", "Band", "Change from first"]


def test_the_change_names_each_rule_met_and_the_rules_used() -> None:
    html = render_to_string("measures/_change.html", {"change": assess(PHQ9, series(PHQ9, 4, 11))})
    assert ("<strong>Reliable deterioration:</strong> PHQ-9 up by at least 6 points from the "
            "first score (from 4 to 11)") in html
    assert "<summary>How change is judged</summary>" in html
    assert "<li>Remission: below 5, having started at 5 or above</li>" in html
    quiet = render_to_string("measures/_change.html",
                             {"change": assess(PHQ9, series(PHQ9, 10, 11))})
    assert "No change rule met yet." in quiet
    first = render_to_string("measures/_change.html", {"change": assess(PHQ9, series(PHQ9, 10))})
    assert "No change yet: one PHQ-9 score so far" in first and "No change rule met" not in first


def hostile_rendering() -> dict[str, str]:
    # Words come from definitions and translations: whatever they hold is text, not markup.
    scale = replace(PHQ9, title='PHQ-9 <script>alert(1)</script> & "x"', bands=(
        ScaleBand(0, 13, '<img src=x onerror=alert(1)>'), ScaleBand(14, 27, "Severe")))
    points = [Point(START, 3, '<b style="color:red">'), Point(START.replace(day=20), 20,
                                                              "Severe")]
    return {
        "measures/_trend_chart.html": render_to_string(
            "measures/_trend_chart.html", {"chart": trend_chart(scale, points)}),
        "measures/_sparkline.html": render_to_string(
            "measures/_sparkline.html", {"sparkline": sparkline(scale, points)}),
        "measures/_trend_table.html": render_to_string(
            "measures/_trend_table.html", {"table": trend_table(scale, points)}),
        "measures/_change.html": render_to_string(
            "measures/_change.html", {"change": assess(scale, points)}),
    }


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_stays_inside_the_csp_and_escapes_every_word(template: str) -> None:
    html = hostile_rendering()[template]
    assert_csp_safe(html)
    assert "&lt;script&gt;" in html or "&lt;img" in html or "&lt;b" in html
    if "<svg" in html:
        svg_of(html)  # still well-formed XML


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_stays_inside_the_csp_on_ordinary_data(template: str) -> None:
    context = {
        "chart": trend_chart(CSI4, series(CSI4, 8, 15)),
        "sparkline": sparkline(CSI4, series(CSI4, 8, 15)),
        "table": trend_table(CSI4, series(CSI4, 8, 15)),
        "change": assess(CSI4, series(CSI4, 8, 15)),
    }
    html = render_to_string(template, context)
    assert_csp_safe(html)
    assert "style=" not in html and "<script" not in html.lower()
