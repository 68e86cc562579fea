"""`python -m bench.profile METHOD [JSON] [--history N]`: where one RPC's time goes under ghz load.

Starts a real server on SQLite (empty, or a seeded history of N executions), stores one retry
execution (id `bench-read-0001`), drives METHOD (ghz `package.Service.Method`) at 16 in flight, an
HTTP path through the gateway with wrk, or `batch` (the evidence bench's BatchRecordEvidence calls),
and samples the server with py-spy for a few seconds (`--idle`: waiting threads too). Prints the top
frames by own time and by cumulative time; `--raw FILE` keeps py-spy's collapsed stacks.
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc

from bench.bench_evidence import requests, same_rows
from bench.bench_rpc import store_one_execution
from bench.harness import Ghz, Server, running_server, scratch_directory, wrk
from bench.seed import cached_sqlite_history
from cavra.recovery.v1 import evidence_pb2_grpc


def top_frames(collapsed: Path, count: int = 25) -> str:
    own: collections.Counter[str] = collections.Counter()
    cumulative: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        frames = [frame for frame in stack.split(";") if not frame.startswith(("thread (", "process "))]
        if not frames:
            continue
        total += int(samples)
        own[frames[-1]] += int(samples)
        for frame in set(frames):
            cumulative[frame] += int(samples)
    lines = [f"{total} samples; own time:"]
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(count)]
    lines.append("cumulative:")
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in cumulative.most_common(count)]
    return "\n".join(lines)


BATCH = "batch"


def batches(server: Server, seconds: float) -> str:
    """The evidence bench's BatchRecordEvidence calls (5,000 new executions each) for `seconds`."""
    rows = same_rows(200_000)
    prepared = iter(requests(rows, 5_000))
    options = [("grpc.max_send_message_length", 64 << 20)]
    sent, started = 0, time.perf_counter()
    with grpc.insecure_channel(server.grpc_address, options=options) as channel:
        stub = evidence_pb2_grpc.EvidenceServiceStub(channel)
        for request in prepared:
            if time.perf_counter() - started > seconds:
                break
            stub.BatchRecordEvidence(request, timeout=600)
            sent += len(request.records)
    return f"{sent / (time.perf_counter() - started):,.0f} records/s"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument(
        "method",
        help="e.g. cavra.recovery.v1.EvidenceService.GetRetryExecution; an HTTP path (starting with /)"
        f" to drive the gateway with wrk instead; or {BATCH!r} for the BatchRecordEvidence bench's batches",
    )
    parser.add_argument("data", nargs="?", default="{}", help="the request as JSON (ghz -d)")
    parser.add_argument("--history", type=int, default=0, help="seed N executions first (SQLite)")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--raw", type=Path, help="keep py-spy's collapsed stacks here")
    parser.add_argument(
        "--idle", action="store_true", help="count threads waiting (I/O, locks, GIL) too, not only running"
    )
    arguments = parser.parse_args(argv)
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    with scratch_directory() as scratch:
        database = scratch / "profile.db"
        if arguments.history:
            cached_sqlite_history(arguments.history, database)
        over_http = arguments.method.startswith("/")
        with running_server(f"sqlite:///{database}", http=over_http) as server:
            store_one_execution(server)
            ghz = Ghz(server.grpc_address, scratch)
            seconds = arguments.seconds + 4
            load = threading.Thread(
                target=lambda: print(
                    wrk(f"http://{server.http_address}{arguments.method}", seconds=seconds)
                    if over_http
                    else batches(server, seconds)
                    if arguments.method == BATCH
                    else ghz.run(arguments.method, json.loads(arguments.data), seconds=seconds)
                )
            )
            load.start()
            time.sleep(2)
            raw = arguments.raw or scratch / "profile.txt"
            subprocess.run(
                [
                    py_spy,
                    "record",
                    "--pid",
                    str(server.pid),
                    "--duration",
                    str(int(arguments.seconds)),
                    "--rate",
                    "200",
                    "--format",
                    "raw",
                    "--nonblocking",
                    *(["--idle"] if arguments.idle else []),
                    "-o",
                    str(raw),
                ],
                check=True,
                capture_output=True,
            )
            load.join()
            print(top_frames(raw))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
