"""The rendered HTML executive report opens in a real headless Chromium with the closure-trend chart visible.

Uses Debian's /usr/bin/chromium through Playwright (never a downloaded browser). Without Chromium the
test skips locally and FAILS under CI=true.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cavra_recovery.server.domain.executive_report import build_executive_report, plan_counts_for
from cavra_recovery.server.domain.rendering import render_html
from tests.conftest import in_ci
from tests.reports.slo_oracle import (
    ClosureFact,
    ExecutionFact,
    PlaybookRowFact,
    compute_retry_recovery_report,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def chromium_or_skip() -> Path:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if in_ci():
            pytest.fail("CI=true but the playwright package is missing (pip install -e '.[dev]')")
        pytest.skip("the playwright package is not installed (pip install playwright)")
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        if in_ci():
            pytest.fail("CI=true but /usr/bin/chromium is missing (apt-get install -y chromium)")
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    return CHROMIUM


def sample_html() -> str:
    rows = [
        PlaybookRowFact(
            f"pb{i}", provider, "chatops" if provider == "slack" else "itsm", NOW - timedelta(days=3), 2
        )
        for i, provider in enumerate(["slack", "jira", "slack", "jira"])
    ]
    closures = [
        ClosureFact("c1", "pb0", "slack", "resolved", NOW - timedelta(days=2), 1),
        ClosureFact("c2", "pb1", "jira", "deferred", NOW - timedelta(days=2), 2),
        ClosureFact("c3", "pb1", "jira", "mitigated", NOW - timedelta(days=1), 3),
        ClosureFact("c4", "pb2", "slack", "reopened", NOW - timedelta(hours=1), 4),
    ]
    report = compute_retry_recovery_report(
        report_id="rrr_demo",
        now=NOW,
        recovery_slo_minutes=240,
        executions=[ExecutionFact("slack", "failed", NOW)],
        rows=rows,
        closures=closures,
    )
    executive = build_executive_report(
        report,
        plan_counts_for(report),
        report_id="exr_demo",
        generated_at=NOW,
        generated_by="<script>alert(1)</script>",
        escalation_plan_id="plan_demo",
    )
    return render_html(executive)


def test_rendered_html_shows_the_closure_trend_chart_in_chromium() -> None:
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    html = sample_html()
    assert "<script>" not in html
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            page.set_content(html, wait_until="load")
            chart = page.locator("svg.closure-trend-chart")
            assert chart.count() == 1
            box = chart.bounding_box()
            assert box is not None
            assert box["width"] > 0 and box["height"] > 0
            bars = page.locator("svg.closure-trend-chart rect.bar")
            assert bars.count() == 4
            bar_box = bars.first.bounding_box()
            assert bar_box is not None and bar_box["height"] > 0
            assert page.locator("h1").inner_text() == "Connector recovery executive report"
            # The escaped author is shown as text, never run.
            assert "<script>alert(1)</script>" in page.locator("body").inner_text()
            # Self-contained: nothing is fetched beyond the page itself.
            assert [url for url in requests if not url.startswith(("about:", "data:"))] == []
        finally:
            browser.close()
