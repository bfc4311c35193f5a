import pytest
from django.core.management import call_command

from eventchain.models import OutboxMessage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_sign_in_and_move_through_the_console(page, live_server, sign_in, screenshot):
    call_command("seed_demo")
    sign_in()
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    assert page.get_by_text("No bookings yet").is_visible() or page.get_by_text("Pipeline").is_visible()
    screenshot("console-dashboard")

    page.get_by_role("navigation", name="Lanes").get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="Open the catalogue").click()
    page.get_by_role("link", name="GF2026").click()
    page.wait_for_url("**/console/catalogue/events/GF2026/")  # a click does not wait for the next page
    assert page.get_by_role("cell", name="Private box for 8").is_visible()
    screenshot("console-event")


def test_outbox_requeue_updates_the_row_in_place(page, live_server, sign_in):
    call_command("seed_demo")
    dead = OutboxMessage.objects.create(kind="browser.test", idempotency_key="browser-dead",
                                        status=OutboxMessage.Status.DEAD, attempts=8, last_error="SMTP 421 busy")
    sign_in()
    page.goto(f"{live_server.url}/console/outbox/")
    row = page.locator(f"#outbox-{dead.pk}")
    assert "SMTP 421 busy" in row.inner_text()
    url_before = page.url
    row.get_by_role("button", name="Re-queue").click()
    page.locator(f"#outbox-{dead.pk}").get_by_text("re-queued").wait_for()
    assert page.url == url_before, "HTMX swapped the row; the page did not reload"


def test_keyboard_users_can_skip_to_content(page, live_server, sign_in):
    call_command("seed_demo")
    sign_in()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Skip to content"
