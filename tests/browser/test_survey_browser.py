"""Form No. 1 in a real browser: Debian's headless chromium driven by Playwright.

Screenshots of the form, of the form with validation errors and of the
thank-you page are saved under test-artifacts/screenshots/ for review.
Without /usr/bin/chromium the tests are skipped, unless
MAILBOT_REQUIRE_BROWSER=1 (set by .ci/run) turns that into a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from mailbot.survey import form
from tests.web_fixtures import (
    NEGATIVE_ROWS,
    WebSite,
    add_campaign,
    add_invitation,
    expected_answers,
    response_count,
    stored_responses,
    web_site,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.timeout(180)]

# web_site is imported above as a fixture: pytest finds it in this module.
__all__ = ["web_site"]

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("MAILBOT_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + ", but MAILBOT_REQUIRE_BROWSER=1 requires it", pytrace=False)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


def invitation_url(site: WebSite, secret: str = "browser-secret") -> str:
    campaign_id = add_campaign(site)
    return site.survey_url(add_invitation(site, campaign_id, "employee@committee.example", secret))


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def q4_row(page: Page, key: str):  # type: ignore[no-untyped-def]
    return page.locator(f"#q4_{key}")


def answer_q3(page: Page, answers: dict[str, str]) -> None:
    for row in form.Q3_ROWS:
        value = answers.get(row.key, "rather_satisfied")
        page.locator(f'input[name="q3_{row.key}"][value="{value}"]').check()


def fill_complete_form(page: Page) -> None:
    """Answer every question the way tests.web_fixtures.complete_form() does."""
    page.locator("#q1").get_by_label(form.label(form.Q1_OPTIONS, "rather_dissatisfied")).check()
    page.locator("#q2_replies_text").fill("Долго открывается СЭД")
    page.locator('input[name="q2_regulation_not_engaged"]').check()
    answer_q3(page, NEGATIVE_ROWS)
    page.locator("#q4_software_text").fill("Нет лицензии на офисный пакет")
    page.locator('input[name="q4_internet_unsure"]').check()
    page.locator("#q5_text").fill("Обновить компьютеры в отделе")


def has_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth > window.innerWidth"))


def test_answer_every_question_and_thanked(browser: Browser, web_site: WebSite) -> None:
    context = browser.new_context(viewport=DESKTOP, locale="ru-RU")
    page = context.new_page()
    page.goto(invitation_url(web_site))
    expect(page.locator("h1")).to_have_text(form.TITLE)
    expect(page.locator("#q4-none")).to_be_visible()
    for row in form.Q3_ROWS:
        expect(q4_row(page, row.key)).to_be_hidden()
    screenshot(page, "survey-form")

    fill_complete_form(page)

    for row in form.Q3_ROWS:
        if row.key in NEGATIVE_ROWS:
            expect(q4_row(page, row.key)).to_be_visible()
        else:
            expect(q4_row(page, row.key)).to_be_hidden()
    expect(page.locator("#q4-none")).to_be_hidden()

    page.get_by_role("button", name="Отправить ответы").click()

    expect(page.locator("h1")).to_have_text(form.CLOSING_LINE)
    screenshot(page, "survey-thanks")
    responses = stored_responses(web_site)
    assert len(responses) == 1
    assert responses[0].answers == expected_answers()
    context.close()


def test_q4_row_follows_q3_answer(browser: Browser, web_site: WebSite) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(invitation_url(web_site))
    hr_portal = page.locator('input[name="q3_hr_portal"]')

    hr_portal.and_(page.locator('[value="fully_dissatisfied"]')).check()
    expect(q4_row(page, "hr_portal")).to_be_visible()
    hr_portal.and_(page.locator('[value="hard_to_say"]')).check()
    expect(q4_row(page, "hr_portal")).to_be_hidden()
    hr_portal.and_(page.locator('[value="rather_dissatisfied"]')).check()
    expect(q4_row(page, "hr_portal")).to_be_visible()
    expect(q4_row(page, "hardware")).to_be_hidden()
    context.close()


def test_second_submit_refused(browser: Browser, web_site: WebSite) -> None:
    context = browser.new_context(viewport=DESKTOP)
    url = invitation_url(web_site)
    first, second = context.new_page(), context.new_page()
    first.goto(url)
    second.goto(url)

    # A background tab has its timers throttled, which slows every action.
    first.bring_to_front()
    fill_complete_form(first)
    first.get_by_role("button", name="Отправить ответы").click()
    expect(first.locator("h1")).to_have_text(form.CLOSING_LINE)
    second.bring_to_front()
    fill_complete_form(second)
    second.get_by_role("button", name="Отправить ответы").click()

    expect(second.locator("h1")).to_have_text("Анкета уже заполнена")
    expect(second.get_by_text("Отправленные сейчас ответы не сохранены.")).to_be_visible()
    assert response_count(web_site) == 1
    context.close()


def test_invalid_form_keeps_typed_text_on_phone(browser: Browser, web_site: WebSite) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    page.goto(invitation_url(web_site))
    assert not has_horizontal_scroll(page)
    typed_problem = "Принтер <HP> печатает «полосами» & медленно"
    typed_wish = "Заменить картриджи\nи обучить сотрудников"

    page.locator("#q2_consulting_text").fill(typed_problem)
    answer_q3(page, {"software": "fully_dissatisfied"})
    page.locator("#q5_text").fill(typed_wish)
    page.get_by_role("button", name="Отправить ответы").click()

    expect(page.locator("#errors")).to_be_visible()
    expect(page.locator("#q1 .error")).to_have_text("Выберите один из ответов.")
    expect(page.locator("#q4_software .error")).to_contain_text("Укажите проблему")
    expect(page.locator("#q2_consulting_text")).to_have_value(typed_problem)
    expect(page.locator("#q5_text")).to_have_value(typed_wish)
    expect(page.locator('input[name="q3_software"][value="fully_dissatisfied"]')).to_be_checked()
    expect(q4_row(page, "software")).to_be_visible()
    assert not has_horizontal_scroll(page)
    screenshot(page, "survey-form-errors")
    assert response_count(web_site) == 0
    context.close()


def test_phone_matrix_usable(browser: Browser, web_site: WebSite) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(invitation_url(web_site))

    answer_q3(page, {})

    assert not has_horizontal_scroll(page)
    for row in form.Q3_ROWS:
        option = page.locator(f'input[name="q3_{row.key}"][value="rather_satisfied"]')
        expect(option).to_be_checked()
        box = option.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= PHONE["width"]
    screenshot(page, "survey-form-phone")
    context.close()


def test_without_javascript_submits(browser: Browser, web_site: WebSite) -> None:
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    page.goto(invitation_url(web_site))
    for row in form.Q3_ROWS:
        expect(q4_row(page, row.key)).to_be_visible()

    fill_complete_form(page)
    page.locator("#q4_hardware_text").fill("Строка без отрицательного ответа")
    page.get_by_role("button", name="Отправить ответы").click()

    expect(page.locator("h1")).to_have_text(form.CLOSING_LINE)
    responses = stored_responses(web_site)
    assert len(responses) == 1
    assert responses[0].answers == expected_answers()
    context.close()
