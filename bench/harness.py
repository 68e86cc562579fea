"""Real processes for the bench: a `cavra-recovery serve` server, the ghz and wrk load generators, and
what /proc says about the server (CPU seconds summed over its process tree, peak RSS)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import FileDescriptor
from grpc_health.v1 import health_pb2

from cavra.recovery.v1 import escalation_pb2, evidence_pb2, report_pb2

ROOT = Path(__file__).resolve().parent.parent
TOOLS_BIN = ROOT / ".tools" / "bin"
HEALTH_CHECK = "grpc.health.v1.Health.Check"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running `cavra-recovery serve` process (or `--workers N` processes under one parent)."""

    process: subprocess.Popen[str]
    grpc_address: str
    http_address: str | None
    log: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float:
        """User + system CPU of the server process and every live descendant (the `--workers` children)."""
        return sum(_cpu_seconds(pid) for pid in process_tree(self.pid))

    def peak_rss_mb(self) -> float:
        """The largest VmHWM (peak resident set) among the server's processes."""
        return max(_peak_rss_mb(pid) for pid in process_tree(self.pid))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # Fields after the command name start at field 3 (state): utime is field 14, stime field 15.
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def _peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def process_tree(root: int) -> list[int]:
    """`root` and every live descendant, from the parent pids in /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, ()))
    return found


@contextmanager
def running_server(
    database_url: str,
    *,
    http: bool = False,
    workers: int = 1,
    extra: Iterable[str] = (),
    environ: Mapping[str, str] | None = None,
) -> Iterator[Server]:
    """Start `cavra-recovery serve --migrate` and wait until every listener (and every worker) is up."""
    grpc_listen = f"127.0.0.1:{free_port()}" if workers > 1 else "127.0.0.1:0"
    http_listen = (f"127.0.0.1:{free_port()}" if workers > 1 else "127.0.0.1:0") if http else "off"
    command = [
        str(Path(sys.executable).parent / "cavra-recovery"),
        "serve",
        "--grpc-listen",
        grpc_listen,
        "--http-listen",
        http_listen,
        "--database-url",
        database_url,
        "--migrate",
        "--workers",
        str(workers),
        "--log-level",
        "info",
        *extra,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAVRA_")}
    env.update(environ or {})
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env, cwd=ROOT
    )
    assert process.stderr is not None
    log: list[str] = []
    listening: dict[str, list[str]] = {"grpc": [], "http": []}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line and process.poll() is not None:
            break
        log.append(line)
        match = re.search(r"(grpc|http) listening on (\S+)", line)
        if match:
            listening[match.group(1)].append(match.group(2))
        if len(listening["grpc"]) >= workers and (not http or len(listening["http"]) >= workers):
            break
    else:
        process.kill()
    if process.poll() is not None or not listening["grpc"]:
        process.kill()
        raise RuntimeError("the server did not start:\n" + "".join(log[-30:]))
    stderr = process.stderr
    # Keep draining the log so a full pipe never stalls the server under load.
    threading.Thread(target=lambda: log.extend(stderr), daemon=True).start()
    server = Server(
        process=process,
        grpc_address=listening["grpc"][0],
        http_address=listening["http"][0] if http else None,
        log=log,
    )
    try:
        yield server
    finally:
        server.stop()


def tool(name: str) -> str:
    """A load generator: ghz from .tools/bin (`make tools`), wrk from the system (Debian `wrk`)."""
    for candidate in (TOOLS_BIN / name, shutil.which(name)):
        if candidate is not None and Path(candidate).is_file():
            return str(candidate)
    hint = "run `make tools`" if name == "ghz" else "install Debian's `wrk` (apt-get install wrk)"
    raise RuntimeError(f"{name} not found: {hint}")


def _add_file(files: dict[str, descriptor_pb2.FileDescriptorProto], descriptor: FileDescriptor) -> None:
    if descriptor.name in files:
        return
    for dependency in descriptor.dependencies:
        _add_file(files, dependency)
    proto = descriptor_pb2.FileDescriptorProto()
    descriptor.CopyToProto(proto)
    files[descriptor.name] = proto


def write_protoset(path: Path) -> Path:
    """Our services and grpc.health.v1 as one FileDescriptorSet for ghz (built from the loaded modules)."""
    files: dict[str, descriptor_pb2.FileDescriptorProto] = {}
    for module in (evidence_pb2, escalation_pb2, report_pb2, health_pb2):
        _add_file(files, module.DESCRIPTOR)
    path.write_bytes(descriptor_pb2.FileDescriptorSet(file=list(files.values())).SerializeToString())
    return path


@dataclass(frozen=True)
class Load:
    """What one load-generator run measured."""

    requests: int
    seconds: float
    errors: int
    mean_ms: float

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


class Ghz:
    """ghz against one gRPC address; `data` is the request as JSON (proto3 JSON mapping)."""

    def __init__(self, address: str, scratch: Path) -> None:
        self._address = address
        self._protoset = write_protoset(scratch / "bench.protoset")
        self._binary = tool("ghz")

    def run(
        self,
        call: str,
        data: object,
        *,
        concurrency: int = 16,
        seconds: float = 5.0,
        total: int | None = None,
        connections: int = 1,
    ) -> Load:
        size = ["-n", str(total)] if total is not None else ["-z", f"{seconds}s", "-n", "100000000"]
        command = [
            self._binary,
            "--insecure",
            "--protoset",
            str(self._protoset),
            "--call",
            call,
            "-d",
            json.dumps(data),
            "-c",
            str(concurrency),
            "--connections",
            str(connections),
            *size,
            "-O",
            "json",
            "--timeout",
            "60s",
            self._address,
        ]
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        if completed.returncode != 0 and not completed.stdout.strip():
            raise RuntimeError(f"ghz {call} failed: {completed.stderr.strip()[-2000:]}")
        report = json.loads(completed.stdout)
        statuses = report.get("statusCodeDistribution") or {}
        errors = sum(count for status, count in statuses.items() if status != "OK")
        # A timed run ends by closing the connection under the calls still in flight: at most one per worker.
        if errors > (concurrency if total is None else 0):
            raise RuntimeError(f"ghz {call}: {errors} calls failed: {report.get('errorDistribution')}")
        seconds_total = report["total"] / 1e9
        return Load(
            requests=int(statuses.get("OK", 0)),
            seconds=seconds_total,
            errors=errors,
            mean_ms=report["average"] / 1e6,
        )


def wrk(url: str, *, concurrency: int = 16, seconds: float = 5.0) -> Load:
    """wrk with one thread and `concurrency` keep-alive connections; fails on any non-2xx answer."""
    command = [
        tool("wrk"),
        "-t",
        "1",
        "-c",
        str(concurrency),
        "-d",
        f"{max(1, round(seconds))}s",
        "--latency",
        url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    requests = re.search(r"(\d+) requests in ([\d.]+)(m?s)", output)
    if requests is None:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = int(bad.group(1)) if bad else 0
    if errors:
        raise RuntimeError(f"wrk {url}: {errors} non-2xx answers")
    elapsed = float(requests.group(2)) / (1000 if requests.group(3) == "ms" else 1)
    latency = re.search(r"Latency\s+([\d.]+)(us|ms|s)", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    mean_ms = float(latency.group(1)) * scale[latency.group(2)] if latency else 0.0
    return Load(requests=int(requests.group(1)), seconds=elapsed, errors=0, mean_ms=mean_ms)


@contextmanager
def scratch_directory() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="cavra-bench-") as directory:
        yield Path(directory)


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database next to `admin_url`'s, dropped afterwards; yields its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from cavra_recovery.server.storage.database import normalize_database_url

    admin = make_url(normalize_database_url(admin_url))
    name = f"cavra_bench_{os.getpid()}_{int(time.time() * 1000) % 10**8}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
