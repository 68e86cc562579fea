"""The Go SDK used as an outside user would: a new module outside the repository that replaces only
the client and generated modules, builds with no grpc-gateway in its module graph, and runs a
scenario against a real server."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clients.test_go_contract import go_command
from tests.conftest import REPO_ROOT, ServerProcess, start_server_process

pytestmark = [pytest.mark.go, pytest.mark.slow]

MAIN_GO = """\
package main

import (
	"context"
	"encoding/json"
	"os"
	"time"

	recovery "github.com/cavra/recovery/clients/go"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client, err := recovery.Dial(ctx, os.Args[1], recovery.WithPlaintext())
	if err != nil {
		panic(err)
	}
	defer client.Close()
	recorded, err := client.RecordRetryExecution(ctx, &recovery.RetryExecution{
		ExecutionId: "outside-1", Provider: "slack", RunId: "run-1",
		ExecutionStatus: 2, ExecutedAt: timestamppb.New(time.Now().Add(-time.Hour)),
	})
	if err != nil {
		panic(err)
	}
	request := &recovery.CreateRecoveryEscalationPlanRequest{RequestId: "outside-plan"}
	plan, err := client.CreatePlan(ctx, request)
	if err != nil {
		panic(err)
	}
	fetched, err := client.GetPlan(ctx, plan.GetPlanId())
	if err != nil {
		panic(err)
	}
	dashboard, err := client.Dashboard(ctx)
	if err != nil {
		panic(err)
	}
	json.NewEncoder(os.Stdout).Encode(map[string]any{
		"created": recorded.GetCreated(), "plan_id": plan.GetPlanId(), "fetched": fetched.GetPlanId(),
		"routes": fetched.GetEscalationCount(), "plans": dashboard.GetEscalationPlans(),
	})
}
"""


def go_mod(root: Path) -> str:
    return f"""\
module example.com/outside

go 1.26.0

require (
	github.com/cavra/recovery/clients/go v0.0.0
	github.com/cavra/recovery/generated/go v0.0.0
)

replace (
	github.com/cavra/recovery/clients/go => {root / "clients" / "go"}
	github.com/cavra/recovery/generated/go => {root / "generated" / "go"}
)
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = start_server_process(database_url=f"sqlite:///{tmp_path / 'cavra.db'}", http=False)
    yield process
    process.stop()


def go(module: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOWORK": "off"}
    return subprocess.run(
        [go_command(), *args], cwd=module, capture_output=True, text=True, timeout=600, env=env, check=False
    )


def test_an_outside_module_builds_without_grpc_gateway_and_runs(
    tmp_path: Path, server: ServerProcess
) -> None:
    module = tmp_path / "outside"
    module.mkdir()
    (module / "go.mod").write_text(go_mod(REPO_ROOT))
    (module / "main.go").write_text(MAIN_GO)
    tidy = go(module, "mod", "tidy")
    assert tidy.returncode == 0, tidy.stderr
    graph = go(module, "mod", "graph")
    assert graph.returncode == 0, graph.stderr
    assert "github.com/cavra/recovery/generated/go" in graph.stdout
    assert "grpc-gateway" not in graph.stdout, graph.stdout
    built = go(module, "build", "-o", str(tmp_path / "outside-bin"), ".")
    assert built.returncode == 0, built.stderr
    ran = subprocess.run(
        [str(tmp_path / "outside-bin"), server.grpc_address], capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["created"] is True
    assert result["plan_id"] and result["fetched"] == result["plan_id"]
    assert result["routes"] == 1 and result["plans"] == 1
