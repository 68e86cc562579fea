"""The served OpenAPI document: valid, fully described, and good enough to generate a working client.

A user's path, against a real server: fetch `/openapi.json`, convert it to OpenAPI 3 with the pinned
swagger2openapi, generate a Python package with the pinned openapi-python-client, `pip install` it into
a throwaway virtualenv, and run tests/gateway/openapi_tools/scenario.py there: record evidence, create
and get a plan, fetch the rendered Markdown report, and read a 400's BadRequest field violation, all
through the generated code with no edits. `make client-tools` (a prerequisite of `make test`) installs
both tools into .tools/.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from tests.conftest import REPO_ROOT, ServerProcess, in_ci

TOOLS_BIN = Path(os.environ.get("CAVRA_TOOLS_BIN", REPO_ROOT / ".tools" / "bin"))
TOOLS_SPEC = Path(__file__).resolve().parent / "openapi_tools"
CLIENT_PACKAGE = "cavra_recovery_escalation_service_client"
PREFIX = "/runtime/go-pilot/rollback-drill-notifications/acknowledgements/audit-delivery"


def tool(name: str) -> Path:
    """A pinned tool from `make client-tools`; missing fails under CI."""
    path = TOOLS_BIN / name
    if not path.exists():
        if in_ci():
            pytest.fail(f"CI=true but {name} is not installed at {path} (run `make client-tools`)")
        pytest.skip(f"{name} is not installed at {path} (run `make client-tools`)")
    return path


def run(command: list[str | Path], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    return result


def served_document(server: ServerProcess) -> dict[str, Any]:
    response = httpx.get(f"http://{server.http_address}/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [operation for path_item in document["paths"].values() for operation in path_item.values()]


def test_served_document_is_valid_and_labelled(server: ServerProcess) -> None:
    document = served_document(server)
    validate(document)
    with (REPO_ROOT / "pyproject.toml").open("rb") as f:
        version = tomllib.load(f)["project"]["version"]
    assert document["info"]["title"] == "CAVRA Recovery Escalation Service"
    assert document["info"]["version"] == version
    assert "absent" in document["info"]["description"]  # what a client must assume of omitted fields
    assert document["basePath"] == "/"
    assert document["securityDefinitions"]["bearer"] == {
        **document["securityDefinitions"]["bearer"],
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
    }
    assert document["security"] == [{"bearer": []}]
    operation_ids = [operation["operationId"] for operation in operations(document)]
    assert len(operation_ids) == len(set(operation_ids)) == 42
    assert not [name for name in operation_ids if name[-1].isdigit()]
    assert {"GetStoredRetryRecoveryReport", "GetStoredRecoveryExecutiveReport"} <= set(operation_ids)
    for operation in operations(document):
        responses = operation["responses"]
        for code in ("400", "401", "403", "404", "409", "429", "503", "default"):
            assert responses[code]["$ref"].startswith("#/responses/"), (operation["operationId"], code)
    for name, response in document["responses"].items():
        assert response["schema"] == {"$ref": "#/definitions/rpcStatus"}, name


def test_errors_rendered_report_and_enums_are_typed(server: ServerProcess) -> None:
    document = served_document(server)
    definitions = document["definitions"]
    assert definitions["rpcStatus"]["properties"]["details"]["items"] == {
        "$ref": "#/definitions/rpcStatusDetail"
    }
    detail = definitions["rpcStatusDetail"]["properties"]
    assert {"@type", "reason", "domain", "metadata", "field_violations", "retry_delay"} <= detail.keys()
    assert detail["field_violations"]["items"] == {"$ref": "#/definitions/rpcBadRequestFieldViolation"}
    assert {"rpcErrorInfo", "rpcBadRequest", "rpcRetryInfo"} <= definitions.keys()
    assert "protobufAny" not in definitions and "apiHttpBody" not in definitions

    rendered = document["paths"][f"{PREFIX}/recovery-executive-report/rendered"]["get"]
    assert rendered["produces"] == ["text/markdown", "text/html"]
    assert rendered["responses"]["200"]["schema"] == {"type": "string"}

    text = json.dumps(document)
    assert "_UNSPECIFIED" not in text
    for name, definition in definitions.items():
        if "enum" in definition:
            assert not [value for value in definition["enum"] if value.endswith("_UNSPECIFIED")], name


def test_every_property_and_parameter_has_a_description(server: ServerProcess) -> None:
    document = served_document(server)
    properties = [
        (name, field, schema)
        for name, definition in document["definitions"].items()
        for field, schema in definition.get("properties", {}).items()
    ]
    parameters = [
        (operation["operationId"], parameter["name"], parameter)
        for operation in operations(document)
        for parameter in operation.get("parameters", [])
    ]
    assert len(properties) > 300 and len(parameters) > 70
    undescribed = [
        f"{owner}.{name}"
        for owner, name, schema in [*properties, *parameters]
        if not schema.get("description")
    ]
    assert undescribed == []
    undescribed_definitions = [
        name for name, definition in document["definitions"].items() if not definition.get("description")
    ]
    assert undescribed_definitions == []
    undocumented_operations = [
        operation["operationId"] for operation in operations(document) if not operation.get("summary")
    ]
    assert undocumented_operations == []


def test_generated_python_client_installs_and_works(server: ServerProcess, tmp_path: Path) -> None:
    swagger2openapi, generator = tool("swagger2openapi"), tool("openapi-python-client")
    served = tmp_path / "openapi.json"
    served.write_text(json.dumps(served_document(server)))
    openapi3 = tmp_path / "openapi3.json"
    run([swagger2openapi, "--outfile", openapi3, served])
    # The generator formats its output with the ruff installed beside it.
    generator_env = {**os.environ, "PATH": f"{generator.resolve().parent}{os.pathsep}{os.environ['PATH']}"}
    run([generator, "generate", "--path", openapi3, "--output-path", tmp_path / "client"], env=generator_env)
    package = tmp_path / "client"
    assert (
        package / CLIENT_PACKAGE / "api" / "report_service" / "render_recovery_executive_report.py"
    ).is_file()

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv])
    python = venv / "bin" / "python"
    pip_env = {**os.environ, "PIP_CONSTRAINT": str(TOOLS_SPEC / "requirements.txt")}
    run([python, "-m", "pip", "install", "--quiet", package], env=pip_env)
    installed = run([python, "-m", "pip", "show", "cavra-recovery-escalation-service-client"]).stdout
    with (REPO_ROOT / "pyproject.toml").open("rb") as f:
        assert f"Version: {tomllib.load(f)['project']['version']}" in installed
    run([python, "-m", "pip", "check"])

    result = run([python, TOOLS_SPEC / "scenario.py", f"http://{server.http_address}"], cwd=tmp_path)
    seen = json.loads(result.stdout)

    assert seen["recorded"] == {
        "created": True,
        # Zero values are omitted: the repeated identical record answers without `created`.
        "created_again": None,
        "execution_id": "oapi-ex-1",
        "execution_status": "EXECUTION_STATUS_FAILED",
        "recorded_at_is_datetime": True,
    }
    plan = seen["plan"]
    assert plan["created_plan_id"] == plan["fetched_plan_id"] != ""
    assert plan["alert_level"] == "ALERT_LEVEL_CRITICAL"
    assert plan["generated_by"] == "openapi-client"
    assert plan["escalation_count"] == 2
    assert plan["routes"] == [
        ["jira", "ROUTE_STATUS_BREACHED", "ALERT_LEVEL_CRITICAL"],
        ["slack", "ROUTE_STATUS_REVIEW_REQUIRED", "ALERT_LEVEL_CRITICAL"],
    ]
    # The same server's plan, read over plain HTTP, is the one the client saw.
    direct = httpx.get(f"http://{server.http_address}{PREFIX}/recovery-escalations/{plan['fetched_plan_id']}")
    assert direct.json()["plan"]["escalation_count"] == 2

    markdown = seen["markdown"]
    assert markdown["status"] == 200
    assert markdown["content_type"].startswith("text/markdown")
    assert markdown["body"].startswith("#")
    assert "jira" in markdown["body"] and "slack" in markdown["body"]

    bad = seen["bad_request"]
    assert (bad["http_status"], bad["code"]) == (400, 3)
    assert bad["types"] == [
        "type.googleapis.com/google.rpc.ErrorInfo",
        "type.googleapis.com/google.rpc.BadRequest",
    ]
    assert bad["reasons"] == ["INVALID_ARGUMENT"]
    assert [violation["field"] for violation in bad["field_violations"]] == ["retry_execution.execution_id"]
    assert "letter or digit" in bad["field_violations"][0]["description"]

    assert seen["not_found"] == {
        "code": 5,
        "reasons": ["ESCALATION_PLAN_NOT_FOUND"],
        "metadata": [{"plan_id": "no-such-plan"}],
    }
