"""The Evidence Console in a real headless Chromium against a real server, gateway and webhook receiver.

Runs the operator flow of issue 12 (SLO → plan → deliver dry run, then live → acknowledge → executive
report → evidence trail → dashboard), a validation error, both widths, axe-core on every view, and a
viewer token with auth on. Uses Debian's /usr/bin/chromium through Playwright: skips locally without
it (or without axe-core), FAILS under CI=true.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ServerProcess
from tests.console.console_kit import (
    OPERATOR_TOKEN,
    VIEWER_TOKEN,
    axe_script_or_skip,
    screenshot_dir,
    seed_evidence,
    seed_many_rows,
    write_auth_config,
)
from tests.delivery.delivery_kit import (
    LocalReceiver,
    Reply,
    delivery_env,
    local_receivers,
    webhook_receiver,
    write_connector_file,
)
from tests.reports.test_report_html_chromium import CHROMIUM_ARGS, chromium_or_skip

VIEWS = ("slo", "plan", "deliver", "acknowledge", "executive", "escalations", "dashboard", "trail")
WRITE_BUTTONS = ("#plan-form button[type=submit]", "#deliver-submit", "#ack-form button[type=submit]")
TIMEOUT_MS = 30_000
EXPECTED_HTTP_ERROR = "Failed to load resource: the server responded with a status of 4"


class ConsolePage:
    """One Playwright page on the console, recording every request and console error it sees."""

    def __init__(self, page: Any, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.set_default_timeout(TIMEOUT_MS)
        self.posts: list[tuple[str, str]] = []
        page.on("request", self._request)
        page.on("console", self._console_message)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _request(self, request: Any) -> None:
        self.requests.append(request.url)
        if request.method == "POST":
            self.posts.append((request.url, request.post_data or ""))

    def _console_message(self, message: Any) -> None:
        # Chromium logs every 4xx answer (the role probe's 404, the validation error's 400) as an error;
        # anything else (a CSP refusal, a script error) is a finding.
        if message.type == "error" and not message.text.startswith(EXPECTED_HTTP_ERROR):
            self.errors.append(f"{message.text} @ {message.location['url']}:{message.location['lineNumber']}")

    def open(self, view: str = "") -> None:
        self.page.goto(f"{self.base_url}/console{'#' + view if view else ''}")

    def view(self, name: str) -> Any:
        self.page.click(f'nav.views a[data-view="{name}"]')
        section = self.page.locator(f"#view-{name}")
        section.wait_for(state="visible")
        return section

    def count(self, section: Any, key: str) -> int:
        text = section.locator(f'[data-count="{key}"] dd').inner_text()
        return int(text)

    def wait_done(self, form: str) -> None:
        self.page.wait_for_function(
            "form => !document.querySelector(form).hasAttribute('aria-busy')", arg=form
        )

    def axe_serious(self, axe_source: str) -> list[str]:
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.evaluate(axe_source)
        results = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))"
        )
        return [
            f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}"
            for v in results
            if v["impact"] in ("serious", "critical")
        ]

    def foreign_requests(self) -> list[str]:
        return [url for url in self.requests if not url.startswith((self.base_url + "/", "about:"))]


@pytest.fixture
def browser() -> Iterator[Any]:
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def start_console_server(
    server_factory: Callable[..., ServerProcess],
    database_url: str,
    tmp_path: Path,
    receiver_url: str,
    flaky_url: str,
    *extra: str,
) -> tuple[ServerProcess, str]:
    """A server (and gateway) whose routing sends everything to ops-webhook; flaky-webhook on request."""
    receivers = [webhook_receiver("ops-webhook", receiver_url), webhook_receiver("flaky-webhook", flaky_url)]
    connectors = write_connector_file(tmp_path, receivers)
    server = server_factory(
        database_url=database_url, extra_args=["--connectors", str(connectors), *extra], env=delivery_env()
    )
    return server, f"http://{server.http_address}"


def test_console_runs_the_operator_flow_in_chromium(
    browser: Any, server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path
) -> None:
    axe_source = axe_script_or_skip()
    shots = screenshot_dir(tmp_path)
    failing = [Reply(status=500)] * 3
    with local_receivers(LocalReceiver(), LocalReceiver(failing)) as (receiver, flaky):
        server, base_url = start_console_server(server_factory, sqlite_url, tmp_path, receiver.url, flaky.url)
        seed_evidence(base_url)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        console = ConsolePage(context.new_page(), base_url)
        accessibility: dict[str, list[str]] = {}

        # Load: the SLO view first, with live data (1 breached row under the default 240 minutes).
        response = console.page.goto(f"{base_url}/console")
        assert response is not None and response.ok
        assert response.headers["content-security-policy"] == "default-src 'self'"
        slo = console.page.locator("#view-slo")
        slo.wait_for(state="visible")
        console.page.locator('#slo-result [data-count="breached"]').wait_for()
        assert console.page.evaluate("document.documentElement.lang") == "en"
        assert console.count(slo, "breached") == 1
        assert slo.locator("tr.breached").count() >= 1
        dashboard = console.view("dashboard")
        console.page.locator('#dash-result [data-count="escalation_plans"]').wait_for()
        before = {
            key: console.count(dashboard, key)
            for key in ("escalation_plans", "executive_reports", "deliveries_ok", "acknowledgements")
        }

        # Change the SLO: under 60 minutes the 2-hour-old jira row is breached as well.
        slo = console.view("slo")
        console.page.fill("#slo-minutes", "60")
        console.page.click("#slo-form button[type=submit]")
        console.page.wait_for_function(
            "() => document.querySelector('#slo-result [data-count=breached] dd')?.textContent === '2'"
        )
        accessibility["slo"] = console.axe_serious(axe_source)
        console.page.screenshot(path=str(shots / "slo-1280.png"), full_page=True)

        # Plan with that SLO: routes with severity and reason, paged.
        plan = console.view("plan")
        assert console.page.input_value("#plan-slo") == "60"
        # A double click creates one plan: the button is disabled until the call settles.
        console.page.dblclick("#plan-form button[type=submit]")
        plan_id_node = console.page.locator("#plan-result .plan-id")
        plan_id_node.wait_for()
        plan_id = plan_id_node.inner_text()
        assert plan_id
        routes = plan.locator(".routes tbody tr")
        routes.first.wait_for()
        route_text = plan.locator(".routes tbody").inner_text()
        assert "recovery SLO breached" in route_text and "critical" in route_text
        assert routes.count() == 3  # slack and jira breached, pagerduty's failed execution
        plan_posts = [body for url, body in console.posts if url.endswith("/recovery-escalation-plan")]
        assert len(plan_posts) == 1
        assert json.loads(plan_posts[0])["request_id"].startswith("console-")
        accessibility["plan"] = console.axe_serious(axe_source)
        console.page.screenshot(path=str(shots / "plan-1280.png"), full_page=True)

        # Deliver: a dry run first (nothing sent), then live to the local receiver.
        deliver = console.view("deliver")
        assert console.page.input_value("#deliver-plan") == plan_id
        assert not console.page.is_checked("#deliver-live")
        console.page.click("#deliver-submit")
        console.wait_done("#deliver-form")
        outcome = deliver.locator(".delivery-outcome")
        outcome.wait_for()
        assert "Dry run" in outcome.inner_text()
        assert "dry run" in deliver.locator("#deliver-result tbody").inner_text()
        assert receiver.requests == []
        # The receivers come from ListEscalationReceivers; the live run names the local one.
        console.page.check('#deliver-receivers input[value="ops-webhook"]')
        console.page.check("#deliver-live")
        assert console.page.inner_text("#deliver-submit") == "Deliver live"
        console.page.click("#deliver-submit")
        console.page.wait_for_function(
            "() => document.querySelector('.delivery-outcome')?.textContent.includes('Live delivery')"
        )
        assert "delivered" in deliver.locator("#deliver-result tbody").inner_text()
        assert len(receiver.requests) == 1
        assert receiver.requests[0].json()  # the webhook body arrived
        # A receiver that fails three times dead-letters the delivery; Replay delivers it.
        console.page.uncheck('#deliver-receivers input[value="ops-webhook"]')
        console.page.check('#deliver-receivers input[value="flaky-webhook"]')
        console.page.click("#deliver-submit")
        console.page.wait_for_function(
            "() => document.querySelector('#deliver-result tbody')?.textContent.includes('dead lettered')"
        )
        console.page.wait_for_function(
            "() => document.getElementById('deliver-follow').textContent === 'Every delivery has settled.'"
        )
        replay = deliver.locator("#dead-letters button", has_text="Replay")
        replay.wait_for()
        assert len(flaky.requests) == 3
        replay.click()
        console.page.wait_for_function(
            "() => document.getElementById('replay-status').textContent.includes('replayed: delivered')"
        )
        assert len(flaky.requests) == 4
        deliver.locator("#dead-letters", has_text="No dead letters.").wait_for()
        accessibility["deliver"] = console.axe_serious(axe_source)
        console.page.screenshot(path=str(shots / "deliver-1280.png"), full_page=True)

        # Acknowledge the slack route of the plan.
        ack = console.view("acknowledge")
        assert console.page.input_value("#ack-plan") == plan_id
        console.page.fill("#ack-provider", "slack")
        console.page.select_option("#ack-state", "ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED")
        console.page.fill("#ack-by", "release-manager")
        console.page.fill("#ack-note", "paged the owner")
        console.page.click("#ack-form button[type=submit]")
        ack.locator(".ack-outcome").wait_for()
        assert "slack acknowledged by release-manager" in ack.locator(".ack-outcome").inner_text()
        accessibility["acknowledge"] = console.axe_serious(axe_source)
        console.page.screenshot(path=str(shots / "acknowledge-1280.png"), full_page=True)

        # The executive report: rendered HTML with its chart in a sandboxed frame, and its Markdown.
        console.view("executive")
        assert console.page.input_value("#exec-slo") == "60"
        console.page.click("#exec-form button[type=submit]")
        frame = console.page.locator("iframe.report-frame")
        frame.wait_for()
        assert frame.get_attribute("sandbox") == "allow-same-origin"  # no scripts in the report
        chart = console.page.frame_locator("iframe.report-frame").locator("svg.closure-trend-chart")
        chart.wait_for()
        box = chart.bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0
        assert "Connector recovery executive report" in console.page.input_value("#exec-markdown")
        accessibility["executive"] = console.axe_serious(axe_source)
        console.page.screenshot(path=str(shots / "executive-1280.png"), full_page=True)

        # The evidence trail of the plan: the delivery attempt and the acknowledgement.
        trail = console.view("trail")
        assert console.page.input_value("#trail-plan") == plan_id
        trail.locator(".timeline li").first.wait_for()
        timeline = trail.locator(".timeline").inner_text()
        assert plan_id in timeline
        assert re.search(r"attempt 1 succeeded", timeline)
        assert "slack acknowledged" in timeline
        assert re.search(r"ledger #\d+", timeline)  # each record's entry in the evidence ledger
        assert trail.locator(".trail-item.attempt").count() >= 1
        assert trail.locator(".trail-item.acknowledgement").count() == 1
        stored = trail.locator(".trail-item.delivery details.stored").last
        stored.locator("summary").click()
        stored.locator("pre", has_text='"delivery_id"').wait_for()
        accessibility["trail"] = console.axe_serious(axe_source)
        console.page.screenshot(path=str(shots / "trail-1280.png"), full_page=True)

        # The dashboard counts went up.
        dashboard = console.view("dashboard")
        console.wait_done("#dash-form")
        after = {key: console.count(dashboard, key) for key in before}
        assert all(after[key] > before[key] for key in before), (before, after)
        accessibility["dashboard"] = console.axe_serious(axe_source)
        console.page.screenshot(path=str(shots / "dashboard-1280.png"), full_page=True)

        # A validation error in words, next to the field.
        console.view("slo")
        console.wait_done("#slo-form")
        console.page.fill("#slo-minutes", "sixty")
        console.page.click("#slo-form button[type=submit]")
        field_error = console.page.locator('#view-slo .field-error[data-field="recovery_slo_minutes"]')
        field_error.wait_for()
        assert "recovery_slo_minutes" in field_error.inner_text()
        assert console.page.get_attribute("#slo-minutes", "aria-invalid") == "true"
        assert "The request failed" in console.page.inner_text("#view-slo .form-error")
        console.page.screenshot(path=str(shots / "slo-error-1280.png"), full_page=True)

        # Keyboard: a view link is reachable and opens its view with Enter.
        console.page.focus('nav.views a[data-view="plan"]')
        console.page.keyboard.press("Enter")
        console.page.locator("#view-plan").wait_for(state="visible")
        assert console.page.url.endswith("#plan")
        assert console.page.evaluate("document.activeElement.id") == "plan-title"

        assert {view: found for view, found in accessibility.items() if found} == {}
        assert console.foreign_requests() == []
        assert console.errors == []
        context.close()

        # Phone width: every view fits 390 px (tables scroll inside their own box) and passes axe.
        phone = browser.new_context(viewport={"width": 390, "height": 844})
        small = ConsolePage(phone.new_page(), base_url)
        small.open()
        small.page.locator('#slo-result [data-count="breached"]').wait_for()
        for view in VIEWS:
            small.open(view)
            small.page.locator(f"#view-{view}").wait_for(state="visible")
            small.page.wait_for_timeout(300)
            small.page.wait_for_function("() => !document.querySelector('[aria-busy]')")
            if view == "executive":  # the read-only views with the widest content, filled in
                small.page.click("#exec-form button[type=submit]")
                small.page.frame_locator("iframe.report-frame").locator("svg.closure-trend-chart").wait_for()
            if view == "trail":
                small.page.fill("#trail-plan", plan_id)
                small.page.click("#trail-form button[type=submit]")
                small.page.locator("#view-trail .timeline li").first.wait_for()
            assert small.page.evaluate("document.documentElement.scrollWidth") <= 390, view
            accessibility[f"{view}@390"] = small.axe_serious(axe_source)
            small.page.screenshot(path=str(shots / f"{view}-390.png"), full_page=True)
        assert {view: found for view, found in accessibility.items() if found} == {}
        assert small.foreign_requests() == []
        assert small.errors == []
        phone.close()
        server.stop()

        # Auth on, with a viewer token: reads work, every write control is disabled.
        auth = write_auth_config(tmp_path)
        _, auth_url = start_console_server(
            server_factory, sqlite_url, tmp_path, receiver.url, flaky.url, "--auth-config", str(auth)
        )
        viewer_context = browser.new_context(viewport={"width": 1280, "height": 800})
        viewer = ConsolePage(viewer_context.new_page(), auth_url)
        viewer.open()
        viewer.page.wait_for_function(
            "() => document.getElementById('role-status').textContent.includes('enter a bearer token')"
        )
        viewer.page.fill("#token", VIEWER_TOKEN)
        viewer.page.click("#token-form button[type=submit]")
        viewer.page.wait_for_function("() => document.body.dataset.access === 'read'")
        viewer.page.locator('#slo-result [data-count="breached"]').wait_for()
        assert viewer.page.evaluate("sessionStorage.length") == 1
        assert viewer.page.evaluate("localStorage.length") == 0
        for selector in WRITE_BUTTONS:
            assert viewer.page.is_disabled(selector), selector
        viewer.view("deliver")
        viewer.page.locator("#dead-letters").wait_for()
        assert "Read only" in viewer.page.inner_text("#role-status")
        viewer.page.screenshot(path=str(shots / "viewer-deliver-1280.png"), full_page=True)
        viewer.view("executive")
        viewer.page.click("#exec-form button[type=submit]")
        viewer.page.frame_locator("iframe.report-frame").locator("svg.closure-trend-chart").wait_for()
        viewer.page.screenshot(path=str(shots / "viewer-executive-1280.png"), full_page=True)
        assert viewer.errors == []
        # An operator token in the same tab enables them; "Forget" clears the tab's storage.
        viewer.page.fill("#token", OPERATOR_TOKEN)
        viewer.page.click("#token-form button[type=submit]")
        viewer.page.wait_for_function("() => document.body.dataset.access === 'write'")
        for selector in WRITE_BUTTONS:
            assert viewer.page.is_enabled(selector), selector
        viewer.page.click("#token-clear")
        viewer.page.wait_for_function("() => document.body.dataset.access === 'none'")
        assert viewer.page.evaluate("sessionStorage.length") == 0
        assert viewer.page.is_disabled("#exec-form button[type=submit]")
        assert viewer.foreign_requests() == []
        assert viewer.errors == []
        viewer_context.close()


def test_console_pages_through_long_reports_and_plans(
    browser: Any, server_factory: Callable[..., ServerProcess], sqlite_url: str, tmp_path: Path
) -> None:
    with local_receivers(LocalReceiver(), LocalReceiver()) as (receiver, other):
        _, base_url = start_console_server(server_factory, sqlite_url, tmp_path, receiver.url, other.url)
        seed_many_rows(base_url, 30)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        console = ConsolePage(context.new_page(), base_url)
        console.open()
        pager = console.page.locator("#slo-result .pager")
        pager.wait_for()
        assert pager.locator("span").inner_text() == "Page 1 of 2 (30 rows)"
        assert console.page.locator("#slo-result .rows tbody tr").count() == 25
        pager.get_by_role("button", name="Next page").click()
        assert pager.locator("span").inner_text() == "Page 2 of 2 (30 rows)"
        assert console.page.locator("#slo-result .rows tbody tr").count() == 5
        assert pager.get_by_role("button", name="Next page").is_disabled()

        console.view("plan")
        console.page.click("#plan-form button[type=submit]")
        routes = console.page.locator("#plan-result .routes")
        routes.locator(".pager span", has_text="Routes 1\u201320 of 30").wait_for()
        first_page = routes.locator("tbody").inner_text()
        routes.get_by_role("button", name="Next page").click()
        routes.locator(".pager span", has_text="Routes 21\u201330 of 30").wait_for()
        assert routes.locator("tbody tr").count() == 10
        assert routes.get_by_role("button", name="Next page").is_disabled()
        routes.get_by_role("button", name="Previous page").click()
        routes.locator(".pager span", has_text="Routes 1\u201320 of 30").wait_for()
        assert routes.locator("tbody").inner_text() == first_page
        assert console.foreign_requests() == []
        assert console.errors == []
        context.close()
