"""Accessibility checks for the browser journeys: axe-core on the page as it stands, and reflow.

``assert_accessible`` runs axe-core (shipped inside axe-playwright-python, so nothing is
fetched at run time) limited to the WCAG 2.0, 2.1 and 2.2 level A and AA rules: the bar
DESIGN.md sets (WCAG 2.2 AA). axe's "best-practice" and "experimental" rules are not run:
they are advice, not conformance, and a journey should fail only on a real WCAG failure.
No rule is switched off; a page that cannot meet one must be fixed, not excused here.

axe checks what it can check automatically (contrast, names, roles, ids, labels, target
size...). It cannot tell whether a page makes sense to a screen reader user or can be used
with the keyboard alone; tests/browser/test_accessibility.py drives those by hand.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

# WCAG 2.0 A/AA, 2.1 A/AA and 2.2 AA. There is no "wcag22a": axe has no rule for WCAG 2.2's
# new level A criteria (consistent help, redundant entry), which need a person to judge.
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
SNIPPET_CHARS = 240
_AXE_SCRIPT = Axe().axe_script
_RUN_AXE = """
async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations'],
  });
  return results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    helpUrl: violation.helpUrl,
    nodes: violation.nodes.map((node) => ({
      target: node.target.map((part) => Array.isArray(part) ? part.join(' >>> ') : part),
      html: node.html,
      summary: node.failureSummary || '',
    })),
  }));
}
"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The WCAG A/AA violations axe-core finds on the page as it is now.

    The page is given until its ``load`` event (stylesheets applied) first; axe itself is
    injected through Playwright, which the page's Content Security Policy does not govern,
    so the checks see the same page a person does, CSP and all.
    """
    for attempt in range(2):
        page.wait_for_load_state("load")
        try:
            if not page.evaluate("typeof window.axe === 'object'"):
                page.evaluate(_AXE_SCRIPT)
            return page.evaluate(_RUN_AXE, list(WCAG_TAGS))
        except PlaywrightError as error:
            # A page that was still navigating (a redirect after a POST, say) when the check
            # began: check the page it settled on instead, once.
            if attempt or "context was destroyed" not in str(error):
                raise
    raise AssertionError("unreachable")


def format_violations(violations: list[dict[str, Any]], *, where: str) -> str:
    """One readable block per violation: rule, impact, what it means, then each element."""
    lines = [f"{len(violations)} accessibility violation(s) (axe-core, WCAG A/AA) on {where}:"]
    for violation in violations:
        lines.append("")
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            snippet = " ".join(node["html"].split())
            if len(snippet) > SNIPPET_CHARS:
                snippet = snippet[: SNIPPET_CHARS - 1] + "…"
            lines.append(f"    at {', '.join(node['target'])}")
            lines.append(f"       {snippet}")
            summary = " ".join(node["summary"].split())
            if summary:
                lines.append(f"       {summary}")
    return "\n".join(lines)


def _where(page: Page, context: str) -> str:
    path = re.sub(r"^[a-z]+://[^/]+", "", page.url)
    return f"{context} ({path})" if context else path


def assert_accessible(page: Page, *, context: str = "") -> None:
    """Fail with the list of WCAG 2.x A/AA violations axe-core finds on the page as it is
    now (rule id, impact, the elements' selectors and markup). ``context`` names the page or
    state in the failure message ("the sign-in page, after a wrong code")."""
    violations = axe_violations(page)
    if violations:
        pytest.fail(format_violations(violations, where=_where(page, context)), pytrace=False)


def horizontal_overflow(page: Page) -> dict[str, Any] | None:
    """None when the page fits the viewport's width; otherwise how wide it is and the
    widest elements that stick out (so a failure says what to fix)."""
    return page.evaluate(
        """() => {
          const width = window.innerWidth;
          const scrollWidth = document.documentElement.scrollWidth;
          if (scrollWidth <= width) return null;
          // Elements inside a scrolling box (a wide table in its own scroll region) are
          // clipped there and do not widen the page: only the others are to blame. An
          // absolutely positioned element escapes every box below its containing block.
          const clipped = (element) => {
            const position = getComputedStyle(element).position;
            if (position === 'fixed') return false;
            let escaping = position === 'absolute';
            for (let up = element.parentElement; up && up !== document.body;
                 up = up.parentElement) {
              const style = getComputedStyle(up);
              if (!escaping && style.overflowX !== 'visible') return true;
              if (escaping && style.position !== 'static') escaping = false;
            }
            return false;
          };
          const culprits = [];
          for (const element of document.body.querySelectorAll('*')) {
            const box = element.getBoundingClientRect();
            if (box.right > width + 0.5 && box.width > 0 && !clipped(element)) {
              const id = element.id ? '#' + element.id : '';
              const classes = [...element.classList].map((name) => '.' + name).join('');
              culprits.push({element: element.tagName.toLowerCase() + id + classes,
                             right: Math.round(box.right)});
            }
          }
          culprits.sort((a, b) => b.right - a.right);
          return {viewport: width, scrollWidth, culprits: culprits.slice(0, 8)};
        }"""
    )


def assert_no_horizontal_scroll(page: Page, *, context: str = "") -> None:
    """Fail when the page is wider than the viewport (WCAG 1.4.10 Reflow: nothing but data
    tables and the like may make a person scroll sideways to read)."""
    overflow = horizontal_overflow(page)
    if overflow is not None:
        culprits = "\n".join(
            f"    {item['element']} reaches {item['right']}px" for item in overflow["culprits"]
        )
        pytest.fail(
            f"{_where(page, context)} scrolls sideways: {overflow['scrollWidth']}px of content "
            f"in a {overflow['viewport']}px viewport. Widest elements:\n{culprits}",
            pytrace=False,
        )


_FOCUS_STATE = """async () => {
  // Bootstrap scrolls smoothly (unless the person prefers reduced motion), so the page may
  // still be gliding towards the newly focused element: wait until it has come to rest.
  let last = null;
  let still = 0;
  const deadline = performance.now() + 2000;
  while (still < 3 && performance.now() < deadline) {
    await new Promise((resolve) => requestAnimationFrame(resolve));
    const position = `${window.scrollX},${window.scrollY}`;
    still = position === last ? still + 1 : 0;
    last = position;
  }
  const element = document.activeElement;
  if (!element || element === document.body || element === document.documentElement) {
    return null;
  }
  const style = getComputedStyle(element);
  const box = element.getBoundingClientRect();
  // What a person sees at the middle of the focused element: the element itself (or its
  // label or content), or something laid over it, such as a sticky bar.
  const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  const labels = element.labels ? [...element.labels] : [];
  const seen = top !== null && (element.contains(top) || top.contains(element) ||
                                labels.some((label) => label.contains(top)));
  const name = element.getAttribute('aria-label') || element.textContent || '';
  return {
    element: element.tagName.toLowerCase() + (element.id ? '#' + element.id : '') +
      (element.name ? `[name="${element.name}"]` : ''),
    text: name.trim().replace(/\\s+/g, ' ').slice(0, 60),
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
    outlineText: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`,
    boxShadow: style.boxShadow,
    seen,
    coveredBy: seen || top === null ? '' :
      top.tagName.toLowerCase() + [...top.classList].map((c) => '.' + c).join(''),
  };
}"""


def focus_state(page: Page) -> dict[str, Any] | None:
    """The focused element (None when nothing is), whether its focus indicator is drawn
    (an outline or a box shadow, from getComputedStyle) and whether it is in sight (not
    under a sticky bar or a dialog's backdrop)."""
    return page.evaluate(_FOCUS_STATE)


def assert_focus_visible(page: Page, *, context: str = "") -> dict[str, Any]:
    """Fail unless something is focused, draws a visible focus indicator (WCAG 2.4.7) and
    is not hidden behind other content (WCAG 2.2's 2.4.11 Focus Not Obscured). Returns
    the focus state for further checks."""
    state = focus_state(page)
    where = _where(page, context)
    if state is None:
        pytest.fail(f"Nothing has keyboard focus on {where}.", pytrace=False)
    if not state["outline"] and state["boxShadow"] in ("", "none"):
        pytest.fail(
            f"{state['element']} ({state['text']!r}) has focus on {where} but no focus "
            f"indicator: outline {state['outlineText']}, box-shadow {state['boxShadow']}.",
            pytrace=False,
        )
    if not state["seen"]:
        pytest.fail(
            f"{state['element']} ({state['text']!r}) has focus on {where} but is covered "
            f"by {state['coveredBy']}.",
            pytrace=False,
        )
    return state
