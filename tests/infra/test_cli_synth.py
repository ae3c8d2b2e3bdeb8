"""`npx cdk synth` with the CLI pinned in package.json, as CI and `make synth` run it: no AWS credentials, no network
(every proxy points at a closed port), no Docker. It bundles both functions for real from the wheelhouse, so the
assets it writes show what Lambda will run: each function's packages and exactly the pinned versions, built for
Lambda's platform (arm64, CPython 3.14)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.application import STACK_NAME
from infra.bundling import REQUIREMENTS, WHEELHOUSE, builds_bytecode
from tests.infra.conftest import PROJECT_ROOT, REQUESTERS, nag_findings, render

CDK = PROJECT_ROOT / "node_modules" / ".bin" / "cdk"
CLOSED_PORT = "http://127.0.0.1:9"

pytestmark = pytest.mark.skipif(
    not CDK.exists() or not any(WHEELHOUSE.glob("*.whl")),
    reason="the pinned CLI and the Lambda wheels are installed by `make test-infra` (npm ci, make wheels)",
)


@pytest.fixture(scope="module")
def cloud_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("cli") / "cdk.out"
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "CDK_"))}
    environment.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '')}",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        HTTP_PROXY=CLOSED_PORT,
        HTTPS_PROXY=CLOSED_PORT,
        NO_PROXY="",
        CDK_DISABLE_CLI_TELEMETRY="true",
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
    )
    completed = subprocess.run(  # noqa: S603
        # As a deployer synthesizes it: cdk.json's defaults, plus the requesters every deployer must name.
        [str(CDK), "synth", "--quiet", "--output", str(outdir), "-c", f"resetRequesters={','.join(REQUESTERS)}"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    return outdir


def template(cloud_assembly: Path) -> dict[str, Any]:
    loaded = json.loads((cloud_assembly / f"{STACK_NAME}.template.json").read_text())
    assert isinstance(loaded, dict)
    return loaded


def asset_of(cloud_assembly: Path, handler: str) -> Path:
    [function] = [
        body
        for body in template(cloud_assembly)["Resources"].values()
        if body["Type"] == "AWS::Lambda::Function" and body["Properties"]["Handler"] == handler
    ]
    asset_hash = render(function["Properties"]["Code"]["S3Key"]).removesuffix(".zip")
    asset = cloud_assembly / f"asset.{asset_hash}"
    assert asset.is_dir(), asset
    return asset


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins() -> dict[str, str]:
    pinned = {}
    for line in REQUIREMENTS.read_text().splitlines():
        requirement = line.split("#", 1)[0].strip()
        if requirement:
            name, version = requirement.split("==")
            pinned[normalise(name)] = version
    return pinned


def installed(asset: Path) -> dict[str, str]:
    versions = {}
    for dist_info in asset.glob("*.dist-info"):
        name, version = dist_info.name.removesuffix(".dist-info").rsplit("-", 1)
        versions[normalise(name)] = version
    return versions


def test_the_pinned_cli_writes_the_template_with_no_findings(cloud_assembly: Path) -> None:
    assert template(cloud_assembly)["Resources"]
    assert not nag_findings(cloud_assembly)


def test_custom_message_asset_has_its_packages_and_only_light_pinned_dependencies(cloud_assembly: Path) -> None:
    asset = asset_of(cloud_assembly, "custom_message.handler.lambda_handler")
    assert (asset / "custom_message" / "handler.py").is_file()
    assert (asset / "contracts" / "__init__.py").is_file()
    versions = installed(asset)
    # Only what it imports (Jinja2, and MarkupSafe with it).
    assert set(versions) == {"jinja2", "markupsafe"}
    assert all(versions[name] == pins()[name] for name in versions), versions
    # Every template compiled at the build, for the Jinja2 the bundle holds; no gallery tooling.
    compiled = list((asset / "custom_message" / "compiled_templates").glob("*.j2py"))
    templates = list((asset / "custom_message" / "templates").rglob("*.html")) + list(
        (asset / "custom_message" / "templates").rglob("*.txt")
    )
    assert len(compiled) == len(templates) > 0
    assert all(f"# jinja2 {versions['jinja2']} " in path.read_text().splitlines()[0] for path in compiled)
    assert not (asset / "custom_message" / "preview.py").exists()
    assert not (asset / "custom_message" / "precompile.py").exists()
    # No SDK, no pydantic and no Powertools on the trigger's cold-start path; no scripts in the zip.
    assert not (asset / "aws_lambda_powertools").exists()
    assert not (asset / "boto3").exists()
    assert not (asset / "pydantic").exists()
    # Bytecode only where synth runs on the runtime's Python (another's would be ignored on Lambda).
    assert bool(list(asset.rglob("__pycache__"))) == builds_bytecode()
    assert bool(list(asset.rglob("*.j2bc"))) == builds_bytecode()
    assert not (asset / "bin").exists()
    [speedups] = (asset / "markupsafe").glob("_speedups*.so")
    assert speedups.name.endswith("cpython-314-aarch64-linux-gnu.so")


def test_reset_asset_has_the_pinned_sdk_and_pydantic_built_for_lambda(cloud_assembly: Path) -> None:
    asset = asset_of(cloud_assembly, "reset_password.handler.lambda_handler")
    assert (asset / "reset_password" / "handler.py").is_file()
    assert (asset / "contracts" / "__init__.py").is_file()
    versions = installed(asset)
    assert {"aws-lambda-powertools", "boto3", "botocore", "pydantic", "pydantic-core"} <= set(versions)
    assert all(versions[name] == pins()[name] for name in versions), versions
    [core] = (asset / "pydantic_core").glob("_pydantic_core*.so")
    assert core.name.endswith("cpython-314-aarch64-linux-gnu.so")
