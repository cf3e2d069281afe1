"""The Curator tab, for real: `python app.py` with and without a token, driven by
Debian's Chromium through Playwright. The screenshot goes to
test-artifacts/curator-tab.png."""

from __future__ import annotations

import httpx
import pytest

from assistant.apps.access import LOGIN_PATH
from tests.conftest import ARTIFACTS, TOKEN, App, watch

# The app's corpus is the seed essay (an AI career) and a hostile one.
UNCOVERED = [
    "Will a startup sponsor my H-1B visa?",
    "How do I transfer my H-1B visa to a new employer?",
    "Do companies in Germany sponsor work visas for engineers?",
    "How much should I charge per hour as a freelance developer?",
    "What hourly rate should a freelance web developer ask for?",
    'Should I bill freelance clients per project? <img src=x onerror="window.__xss=1">',
]
ANSWERED = [
    "What makes an AI practitioner valuable?",
    "How do I build a portfolio that stands out?",
]


@pytest.fixture(scope="module")
def logged(token_app: App) -> App:
    """Questions asked through the token app's own API, so its log holds them."""
    headers = {"authorization": f"Bearer {TOKEN}"}
    for question in UNCOVERED + ANSWERED:
        r = httpx.post(
            f"{token_app.url}/api/ask", json={"question": question}, headers=headers, timeout=120
        )
        assert r.status_code == 200, r.text
    return token_app


def sign_in(page, app: App) -> None:
    page.goto(f"{app.url}{LOGIN_PATH}")
    page.fill("input[name=token]", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_selector("#ca-question textarea", timeout=60_000)


def test_without_a_token_there_is_no_curator_tab(open_app: App, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{open_app.url}/")
    page.wait_for_selector("#ca-question textarea", timeout=60_000)
    assert page.get_by_role("tab", name="Curator").count() == 0
    assert page.locator("#ca-curator-token").count() == 0
    page.close()


def test_the_curator_tab_asks_for_the_token_then_shows_the_report(logged: App, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    remote, policy = watch(page)
    sign_in(page, logged)
    page.get_by_role("tab", name="Curator").click()
    box = page.locator("#ca-curator-token input")
    box.fill("not-the-token")
    page.click("#ca-curator-show")
    page.wait_for_function(
        "document.querySelector('#ca-curator-report').innerText.includes('Wrong token')",
        timeout=30_000,
    )
    assert page.locator("#ca-curator-report table").count() == 0  # nothing else shown

    box.fill(TOKEN)
    page.click("#ca-curator-show")
    page.wait_for_selector("#ca-curator-report table.ca-curate", timeout=120_000)
    report = page.locator("#ca-curator-report")
    text = report.inner_text()
    assert "not covered" in text and "questions logged" in text
    rows = report.locator("tbody tr")
    assert rows.count() >= 2
    # Sorted by volume, and the topics are the uncovered worries, not the AI questions.
    counts = [int(rows.nth(i).locator("td").nth(3).inner_text()) for i in range(rows.count())]
    assert counts == sorted(counts, reverse=True)
    assert not any(q in text for q in ANSWERED)
    assert "visa" in text.lower() and "freelance" in text.lower()
    # A question's markup is shown as text and runs nothing.
    assert '<img src=x onerror="window.__xss=1">' in text
    assert page.evaluate("window.__xss") is None
    report.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "curator-tab.png"), full_page=True)
    assert policy == [] and remote == [], (policy, remote)
    page.close()
