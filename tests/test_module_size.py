"""No module in server/ or connectors/ grows past 400 lines: a longer one holds more than one concern.

Alembic revisions are exempt: each is a dated record of a schema change, never edited once released.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 400


def test_no_server_or_connector_module_is_over_400_lines() -> None:
    too_long = {
        str(path.relative_to(REPO_ROOT)): count
        for folder in ("server", "connectors")
        for path in sorted((REPO_ROOT / folder).rglob("*.py"))
        if "migrations/versions" not in path.as_posix()
        and (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}
