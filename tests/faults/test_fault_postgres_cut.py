"""A 10 s cut between the server and PostgreSQL under steady intake by 4 clients (issue 15, test 1).

While the database is unreachable every call answers UNAVAILABLE (DATABASE_UNAVAILABLE, RetryInfo, a
message naming the cause and never the URL or password) and health turns NOT_SERVING within 5 s; within
5 s of the restore health is SERVING and calls succeed; nothing acknowledged is lost; the log says so in
a few lines without a traceback. The scenario is long, so every broken expectation is reported at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.conftest import ServerProcess
from tests.faults.conftest import ProxiedPostgres
from tests.faults.outage_kit import (
    FAST_DATABASE_CHECK_ENV,
    SERVICE_NAMES,
    HealthWatch,
    IntakeLoad,
    Outage,
    database_unavailable_problems,
    grpc_recorder,
    stored_execution_ids,
)

pytestmark = pytest.mark.postgres

WARM_UP_SECONDS = 2.0
CUT_SECONDS = 10.0
# Health must turn within this long of the cut, and calls and health must recover within it too.
REACTION_SECONDS = 5.0
MAX_OUTAGE_LOG_LINES = 5


def test_cut_answers_unavailable_turns_health_and_loses_nothing_acknowledged(
    proxied_postgres: ProxiedPostgres, server_factory: Callable[..., ServerProcess]
) -> None:
    server = server_factory(database_url=proxied_postgres.url, env=FAST_DATABASE_CHECK_ENV)
    load = IntakeLoad(grpc_recorder(server.grpc_address, deadline=2.0), threads=4)
    watch = HealthWatch(server.grpc_address, server.http_address)
    outage = Outage(server.log_lines)
    with load.running(), watch.running():
        time.sleep(WARM_UP_SECONDS)
        outage.cut(proxied_postgres.proxy, seconds=CUT_SECONDS)
        time.sleep(REACTION_SECONDS + 1.0)
    finished = time.monotonic()

    before = load.between(0, outage.began)
    assert before and all(o.failure is None for o in before), (
        f"intake failed before the cut: {load.codes(before)}"
    )
    # A second after the cut every call must fail: otherwise the proxy did not cut the server off.
    cut_off = load.between(outage.began + 1.0, outage.ended)
    assert cut_off and not any(o.failure is None for o in cut_off), "calls succeeded with the database cut"

    problems = []
    if set(load.codes()) - {"OK", "UNAVAILABLE"}:
        problems.append(f"calls answered {dict(load.codes())}: only OK or UNAVAILABLE may be")
    secrets = [proxied_postgres.url, proxied_postgres.password]
    problems.extend(
        sorted(
            {
                f"a call during the cut: {problem}"
                for o in load.between(outage.began, outage.ended)
                if o.failure is not None
                for problem in database_unavailable_problems(o.failure, secrets=secrets)
            }
        )
    )
    settled = load.between(outage.ended + REACTION_SECONDS, finished)
    if not settled or any(o.failure is not None for o in settled):
        problems.append(f"calls from {REACTION_SECONDS} s after the restore: {dict(load.codes(settled))}")

    for target in [f"grpc:{service}" for service in ("", *SERVICE_NAMES)] + ["readyz"]:
        down, up = ("NOT_SERVING", "SERVING") if target.startswith("grpc:") else ("503", "200")
        went_down = watch.first(target, down, after=outage.began)
        if went_down is None or went_down - outage.began > REACTION_SECONDS:
            seen = sorted(set(watch.values(target, start=outage.began, end=outage.ended)))
            problems.append(f"{target} not {down} within {REACTION_SECONDS} s of the cut (saw {seen})")
        came_back = watch.first(target, up, after=outage.ended)
        if came_back is None or came_back - outage.ended > REACTION_SECONDS:
            seen = sorted(set(watch.values(target, start=outage.ended)))
            problems.append(f"{target} not {up} within {REACTION_SECONDS} s of the restore (saw {seen})")
    if set(watch.values("livez")) != {"200"}:
        problems.append(f"/livez answered {sorted(set(watch.values('livez')))}, not always 200")

    missing = load.acknowledged() - stored_execution_ids(server.grpc_address)
    if missing:
        problems.append(f"{len(missing)} acknowledged records are not stored: {sorted(missing)[:5]}")

    outage_log = outage.log_since_begin()
    if "Traceback" in server.log_text:
        problems.append(f"the log holds {server.log_text.count('Traceback')} tracebacks")
    if len(outage_log) > MAX_OUTAGE_LOG_LINES:
        problems.append(f"{len(outage_log)} log lines since the cut (at most {MAX_OUTAGE_LOG_LINES})")
    if not any("database unavailable" in line for line in outage_log):
        problems.append("no log line says 'database unavailable'")
    if not any("database available again" in line for line in outage_log):
        problems.append("no log line says 'database available again'")
    if proxied_postgres.password in server.log_text:
        problems.append("the log holds the database password")

    calls = {
        phase: dict(load.codes(load.between(start, end)))
        for phase, start, end in [
            ("before", 0, outage.began),
            ("cut", outage.began, outage.ended),
            ("after", outage.ended, finished),
        ]
    }
    if problems:
        pytest.fail(
            "\n".join([f"calls by phase: {calls}", *problems, "log since the cut:", *outage_log[:20]])
        )
