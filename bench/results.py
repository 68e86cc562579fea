"""The bench's one results format: `bench/results.json`, a list of figures, and the same as a table.

Each figure is one line of the acceptance table in issue 10:

    {"name": ..., "value": 12.3, "unit": "ms", "baseline": "what it is compared with" | null,
     "baseline_value": 4.5 | null, "ratio": 0.37 | null, "target": "<= 100 ms", "better": "lower",
     "machine": "...", "when": "2026-12-03T13:00:00+00:00"}

`value` is null when a figure could not be measured (for example no PostgreSQL); `target` then says
why ("not measured: ..."). `ratio` is value / baseline_value unless the figure defines it otherwise
(then `value` itself is the ratio, `unit` is "x", and the two measurements are named in `baseline`).
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

FIELDS = (
    "name",
    "value",
    "unit",
    "baseline",
    "baseline_value",
    "ratio",
    "target",
    "better",
    "machine",
    "when",
)
Better = Literal["higher", "lower"]


def machine() -> str:
    """CPU model, cores, memory and kernel: enough to tell two machines apart."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{model}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}"


@dataclass(frozen=True)
class Figure:
    name: str
    value: float | None
    unit: str
    baseline: str | None
    baseline_value: float | None
    ratio: float | None
    target: str
    better: Better
    machine: str
    when: str

    def meets(self) -> bool | None:
        """Whether the figure meets its target (None when not measured or the target is not numeric)."""
        parts = self.target.split()
        if self.value is None or len(parts) < 2 or parts[0] not in ("<=", ">="):
            return None
        try:
            bound = float(parts[1].replace(",", ""))
        except ValueError:
            return None
        measured = self.ratio if self.unit != "x" and parts[-1] == "x" else self.value
        if measured is None:
            return None
        return measured <= bound if parts[0] == "<=" else measured >= bound


@dataclass
class Results:
    """Collects the figures of one run; `record` is the only way a bench module reports a number."""

    machine: str = field(default_factory=machine)
    figures: list[Figure] = field(default_factory=list)

    def record(
        self,
        name: str,
        value: float | None,
        unit: str,
        *,
        target: str,
        better: Better,
        baseline: str | None = None,
        baseline_value: float | None = None,
        ratio: float | None = None,
    ) -> Figure:
        if ratio is None and value is not None and baseline_value:
            ratio = value / baseline_value
        figure = Figure(
            name=name,
            value=None if value is None else round(value, 4),
            unit=unit,
            baseline=baseline,
            baseline_value=None if baseline_value is None else round(baseline_value, 4),
            ratio=None if ratio is None else round(ratio, 4),
            target=target,
            better=better,
            machine=self.machine,
            when=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        self.figures.append(figure)
        print(f"  -> {format_row(figure)}", flush=True)
        return figure

    def not_measured(self, name: str, unit: str, *, target: str, better: Better, reason: str) -> Figure:
        return self.record(name, None, unit, target=f"{target} (not measured: {reason})", better=better)

    def write(self, path: Path, *, keep_from: Path | None = None) -> None:
        """Write the figures as JSON; with `keep_from`, figures of that file not measured again stay."""
        entries = [asdict(f) for f in self.figures]
        if keep_from is not None and keep_from.exists():
            measured = {f.name for f in self.figures}
            previous = json.loads(keep_from.read_text())
            if not validate(previous):
                entries = [e for e in previous if e["name"] not in measured] + entries
        path.write_text(json.dumps(entries, indent=2) + "\n")


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def format_row(figure: Figure) -> str:
    verdict = {True: "ok", False: "MISS", None: ""}[figure.meets()]
    value = _number(figure.value) + (f" {figure.unit}" if figure.value is not None else "")
    ratio = "" if figure.ratio is None or figure.unit == "x" else f"{figure.ratio:.2f}x"
    return f"{figure.name:<88} {value:>14} {ratio:>7}  {figure.target:<12} {verdict}"


def print_table(figures: Sequence[Figure]) -> None:
    print(f"\n{'figure':<88} {'value':>14} {'ratio':>7}  {'target':<12} verdict")
    for figure in figures:
        print(format_row(figure))
        if figure.baseline is not None:
            baseline = _number(figure.baseline_value)
            print(f"    baseline: {figure.baseline} ({baseline})")
    if figures:
        print(f"machine: {figures[0].machine}")


def validate(entries: Any) -> list[str]:
    """Every problem with a parsed results.json document (empty when it is well formed)."""
    problems: list[str] = []
    if not isinstance(entries, list) or not entries:
        return ["results must be a non-empty list"]
    for index, entry in enumerate(entries):
        where = f"[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: not an object")
            continue
        if tuple(entry) != FIELDS:
            problems.append(f"{where}: fields {list(entry)} are not {list(FIELDS)}")
            continue
        for key in ("name", "unit", "target", "machine", "when"):
            if not isinstance(entry[key], str) or not entry[key]:
                problems.append(f"{where}.{key}: must be a non-empty string")
        for key in ("value", "baseline_value", "ratio"):
            if entry[key] is not None and not isinstance(entry[key], int | float):
                problems.append(f"{where}.{key}: must be a number or null")
        if entry["baseline"] is not None and not isinstance(entry["baseline"], str):
            problems.append(f"{where}.baseline: must be a string or null")
        if entry["better"] not in ("higher", "lower"):
            problems.append(f"{where}.better: must be 'higher' or 'lower'")
        if entry["value"] is None and "not measured" not in str(entry["target"]):
            problems.append(f"{where}: a null value needs 'not measured: <reason>' in target")
        try:
            datetime.fromisoformat(str(entry["when"]))
        except ValueError:
            problems.append(f"{where}.when: not an ISO 8601 time")
    return problems


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """`with stopwatch() as elapsed:` … `elapsed()` is the seconds since the block began."""
    started = time.perf_counter()
    yield lambda: time.perf_counter() - started


def best_of(runs: int, call: Callable[[], object]) -> float:
    """The fastest of `runs` calls, in seconds (the issue's "best of 3")."""
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    return best


def markdown(entries: Sequence[dict[str, Any]]) -> str:
    """results.json as the Markdown table of the README's "Performance" section."""
    lines = ["| figure | value | baseline | ratio | target | |", "|---|---|---|---|---|---|"]
    for entry in entries:
        figure = Figure(**entry)
        value = "not measured" if figure.value is None else f"{_number(figure.value)} {figure.unit}"
        baseline = "" if figure.baseline is None else f"{figure.baseline}: {_number(figure.baseline_value)}"
        ratio = "" if figure.ratio is None or figure.unit == "x" else f"{figure.ratio:.2f}"
        target = figure.target.split(" (not measured")[0]
        verdict = {True: "met", False: "**missed**", None: ""}[figure.meets()]
        lines.append(f"| {figure.name} | {value} | {baseline} | {ratio} | {target} | {verdict} |")
    return "\n".join(lines)


if __name__ == "__main__":
    # `python -m bench.results`: the last run's results.json as Markdown (for the README).
    print(markdown(json.loads((Path(__file__).resolve().parent / "results.json").read_text())))
