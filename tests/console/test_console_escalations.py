"""The console's "Escalations and silences" view (escalation policies) in a real headless Chromium.

A real server and gateway with an escalation policy (level 1 times out after 3 s, tick 1 s) and two local
receivers: a plan delivered live under the routing policy reaches level 2, and the view shows the policy,
the level and each step's reason; a silence is created, listed as active and expired from the page; a
silence without an end shows the server's field violation next to the field. axe-core at both widths, no
request outside the server's origin. Skips locally without Chromium or axe-core, FAILS under CI=true.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import ServerProcess
from tests.console.console_kit import axe_script_or_skip, screenshot_dir, seed_evidence
from tests.console.test_console_chromium import ConsolePage, browser  # noqa: F401  (the fixture)
from tests.delivery.delivery_kit import LocalReceiver, delivery_env, local_receivers
from tests.escalation.test_escalation_end_to_end import write_policy_connectors

# The datetime-local value of "an hour from now" in the page's own time zone.
AN_HOUR_FROM_NOW = """() => {
  const moment = new Date(Date.now() + 3600 * 1000);
  const pad = (value) => String(value).padStart(2, "0");
  return `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}` +
    `T${pad(moment.getHours())}:${pad(moment.getMinutes())}`;
}"""


def wait_for(condition: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_console_shows_escalation_steps_and_manages_silences(
    browser: Any,  # noqa: F811
    server_factory: Callable[..., ServerProcess],
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    axe_source = axe_script_or_skip()
    shots = screenshot_dir(tmp_path)
    with local_receivers(LocalReceiver(), LocalReceiver()) as (level_one, level_two):
        connectors = write_policy_connectors(tmp_path, level_one, level_two)
        server = server_factory(
            database_url=sqlite_url,
            extra_args=["--connectors", str(connectors)],
            env=delivery_env(CAVRA_ESCALATION_TICK_SECONDS="1"),
        )
        base_url = f"http://{server.http_address}"
        seed_evidence(base_url)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        console = ConsolePage(context.new_page(), base_url)
        console.open("plan")
        console.page.locator("#view-plan").wait_for(state="visible")
        console.page.click("#plan-form button[type=submit]")
        console.page.locator("#plan-result .plan-id").wait_for()
        plan_id = console.page.locator("#plan-result .plan-id").inner_text()

        # Live, with no receiver chosen: the routing policy starts each critical route at level 1.
        console.view("deliver")
        console.page.locator("#deliver-receivers input").first.wait_for()
        console.page.check("#deliver-live")
        console.page.click("#deliver-submit")
        console.page.wait_for_function(
            "() => document.querySelector('.delivery-outcome')?.textContent.includes('Live delivery')"
        )
        assert wait_for(lambda: len(level_one.requests) >= 1, 15)
        assert wait_for(lambda: len(level_two.requests) >= 1, 20), "level 2 was never notified"

        # The view: policy, level 2 and the step's reason, per route.
        section = console.view("escalations")
        assert console.page.input_value("#escalation-plan") == plan_id
        console.wait_done("#escalation-form")
        console.page.click("#escalation-form button[type=submit]")
        console.page.wait_for_function(
            "() => document.querySelector('#escalation-result')?.textContent"
            ".includes('level 2: no acknowledgement')"
        )
        state = section.locator("#escalation-result tbody").inner_text()
        assert "release-critical" in state and "active" in state
        assert "level 1" in state and "level 2" in state

        # A silence without an end: the server's field violation, next to the field.
        console.page.fill("#silence-provider", "slack")
        console.page.click("#silence-form button[type=submit]")
        ends_error = section.locator('.field-error[data-field="ends_at"]')
        ends_error.wait_for()
        assert ends_error.inner_text().strip()
        assert console.page.get_attribute("#silence-ends", "aria-invalid") == "true"

        # Created, listed as active, expired from the page: it stays listed as evidence.
        console.page.fill("#silence-ends", console.page.evaluate(AN_HOUR_FROM_NOW))
        console.page.fill("#silence-comment", "maintenance window")
        console.page.click("#silence-form button[type=submit]")
        active = section.locator("#silences tbody tr.silenced")
        active.first.wait_for()
        assert active.count() == 1
        assert "provider slack" in active.first.inner_text()
        silence_posts = [body for url, body in console.posts if url.endswith("/recovery-escalation-silences")]
        assert len(silence_posts) == 2  # the refused one and the created one, each with a request_id
        assert all('"request_id":"console-' in body for body in silence_posts)
        console.page.screenshot(path=str(shots / "escalations-1280.png"), full_page=True)
        serious = console.axe_serious(axe_source)
        active.first.get_by_role("button", name="Expire").click()
        section.locator("#silences tbody tr.silenced").first.wait_for(state="detached")
        assert section.locator("#silences tbody tr").count() == 1
        expired_row = section.locator("#silences tbody tr").first
        assert expired_row.locator("td").nth(5).inner_text() == "no"  # the Active column
        assert expired_row.get_by_role("button", name="Expire").count() == 0

        # The evidence trail shows each escalation step with its reason, and its ledger entry.
        trail = console.view("trail")
        console.wait_done("#trail-form")
        if not trail.locator(".timeline li").count():
            console.page.click("#trail-form button[type=submit]")
        trail.locator(".trail-item.step").first.wait_for()
        steps = trail.locator(".trail-item.step").all_inner_texts()
        assert any("level 2: no acknowledgement within 3s of level 1" in text for text in steps), steps
        assert all("ledger #" in text for text in steps), steps
        console.page.screenshot(path=str(shots / "trail-escalations-1280.png"), full_page=True)

        assert serious == []
        assert console.foreign_requests() == []
        assert console.errors == []
        context.close()

        phone = browser.new_context(viewport={"width": 390, "height": 844})
        small = ConsolePage(phone.new_page(), base_url)
        small.open("escalations")
        small.page.locator("#view-escalations").wait_for(state="visible")
        small.page.fill("#escalation-plan", plan_id)
        small.page.click("#escalation-form button[type=submit]")
        small.page.locator("#escalation-result tbody tr").first.wait_for()
        small.page.locator("#silences tbody tr").first.wait_for()
        assert small.page.evaluate("document.documentElement.scrollWidth") <= 390
        assert small.axe_serious(axe_source) == []
        small.page.screenshot(path=str(shots / "escalations-390.png"), full_page=True)
        assert small.foreign_requests() == []
        assert small.errors == []
        phone.close()
