"""What the console browser test needs besides the browser: seeded evidence over REST, an auth config,
the pinned axe-core script, screenshots."""

from __future__ import annotations

import hashlib
import json
import os
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO_ROOT, in_ci

EVIDENCE = "/runtime/go-pilot/rollback-drill-notifications/acknowledgements/audit-delivery"
VIEWER_TOKEN = "console-viewer-token-7f3a"
OPERATOR_TOKEN = "console-operator-token-91c2"
# Where `make test` installs the pinned axe-core (`make console-tools`).
AXE_ENV = "CAVRA_AXE_SCRIPT"
SCREENSHOTS_ENV = "CAVRA_CONSOLE_SCREENSHOTS"


def axe_script_or_skip() -> str:
    configured = os.environ.get(AXE_ENV)
    candidates = [Path(configured)] if configured else []
    candidates += sorted((REPO_ROOT / ".tools").glob("axe-*/node_modules/axe-core/axe.min.js"))
    for path in candidates:
        if path.is_file():
            return path.read_text(encoding="utf-8")
    if in_ci():
        pytest.fail("CI=true but axe-core is not installed (make console-tools)")
    pytest.skip("axe-core is not installed (make console-tools)")


def screenshot_dir(tmp_path: Path) -> Path:
    """The test output folder for screenshots: $CAVRA_CONSOLE_SCREENSHOTS, else the test's tmp_path."""
    directory = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path / "console-screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def post_json(base_url: str, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        base_url + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def seed_evidence(base_url: str) -> None:
    """Under the default 240-minute SLO one row is breached (slack, 8 h old), one open (jira, 2 h),
    one closed (teams); under a 60-minute SLO both open rows are breached. A failed pagerduty retry
    execution adds a retry-execution route."""
    now = datetime.now(UTC)
    for playbook_id, provider, hours in (("pb-console-1", "slack", 8), ("pb-console-2", "jira", 2)):
        post_json(
            base_url,
            f"{EVIDENCE}/connector-recovery-playbooks",
            {
                "playbook_id": playbook_id,
                "generated_at": _stamp(now - timedelta(hours=hours)),
                "lookback_hours": 24,
                "min_failure_count": 1,
                "providers": [{"provider": provider, "failure_count": 3}],
            },
        )
    post_json(
        base_url,
        f"{EVIDENCE}/connector-recovery-playbooks",
        {
            "playbook_id": "pb-console-3",
            "generated_at": _stamp(now - timedelta(hours=30)),
            "lookback_hours": 24,
            "min_failure_count": 1,
            "providers": [{"provider": "teams", "failure_count": 2}],
        },
    )
    post_json(
        base_url,
        f"{EVIDENCE}/connector-recovery-playbooks/pb-console-3/closures",
        {
            "closure_id": "closure-console-teams",
            "provider": "teams",
            "closure_state": "CLOSURE_STATE_RESOLVED",
            "closed_by": "release-manager",
            "closed_at": _stamp(now - timedelta(hours=26)),
            "notes": "console-test free text",
        },
    )
    post_json(
        base_url,
        f"{EVIDENCE}/retry-executions",
        {
            "execution_id": "exec-console-1",
            "provider": "pagerduty",
            "execution_status": "EXECUTION_STATUS_FAILED",
            "executed_at": _stamp(now - timedelta(hours=1)),
        },
    )


def seed_many_rows(base_url: str, count: int) -> None:
    """One playbook, 8 hours old, with `count` providers: `count` breached rows and routes."""
    post_json(
        base_url,
        f"{EVIDENCE}/connector-recovery-playbooks",
        {
            "playbook_id": "pb-console-many",
            "generated_at": _stamp(datetime.now(UTC) - timedelta(hours=8)),
            "lookback_hours": 24,
            "min_failure_count": 1,
            "providers": [{"provider": f"provider{i:02d}", "failure_count": 1 + i} for i in range(count)],
        },
    )


def write_auth_config(directory: Path) -> Path:
    path = directory / "auth.yaml"
    tokens = [
        {"name": "console-viewer", "roles": ["viewer"], "token": VIEWER_TOKEN},
        {"name": "console-operator", "roles": ["operator"], "token": OPERATOR_TOKEN},
    ]
    document = {
        "tokens": [
            {
                "name": entry["name"],
                "sha256": hashlib.sha256(str(entry["token"]).encode()).hexdigest(),
                "roles": entry["roles"],
            }
            for entry in tokens
        ]
    }
    path.write_text(yaml.safe_dump(document))
    return path
