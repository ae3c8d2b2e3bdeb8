"""Docker-free bundling: what changes an asset, and clear errors. The bundles themselves are checked in
test_cli_synth.py, on the assets the pinned CLI writes."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import pytest

from infra import bundling, custom_message, pool_trigger_attachment, reset_function
from infra.bundling import BundlingError, FunctionSource


def test_asset_hashes_are_stable_and_differ_per_function() -> None:
    hashes = [
        source.asset_hash() for source in (custom_message.SOURCE, reset_function.SOURCE, pool_trigger_attachment.SOURCE)
    ]
    assert len(set(hashes)) == 3
    assert custom_message.SOURCE.asset_hash() == hashes[0]


def test_asset_hash_follows_the_requested_distributions() -> None:
    source = custom_message.SOURCE
    lighter = FunctionSource(source.packages, requirements=(), tooling=source.tooling, build_step=source.build_step)
    assert lighter.asset_hash() != source.asset_hash()


def test_tooling_stays_out_of_the_bundle_and_the_build_step_adds_the_compiled_templates(tmp_path: Path) -> None:
    source = FunctionSource(
        custom_message.SOURCE.packages, requirements=(), tooling=custom_message.SOURCE.tooling,
        build_step=custom_message.SOURCE.build_step,
    )  # fmt: skip
    out = tmp_path / "bundle"
    bundling._PinnedLocalBundling(source).try_bundle(str(out), image=cdk.DockerImage.from_registry("never-pulled"))
    assert (out / "custom_message" / "handler.py").is_file()
    assert not (out / "custom_message" / "preview.py").exists()
    assert list((out / "custom_message" / "compiled_templates").glob("*.j2py"))
    assert not (bundling.FUNCTIONS_DIR / "custom_message" / "compiled_templates").exists()


def test_a_missing_wheelhouse_says_how_to_get_it(tmp_path: Path) -> None:
    local = bundling._PinnedLocalBundling(pool_trigger_attachment.SOURCE, wheelhouse=tmp_path / "nowhere")
    with pytest.raises(BundlingError, match="run `make wheels`"):
        local.try_bundle(str(tmp_path / "out"), image=cdk.DockerImage.from_registry("never-pulled"))


def test_a_function_package_must_exist() -> None:
    with pytest.raises(BundlingError, match="functions/no_such_function is not a Python package"):
        FunctionSource(packages=("no_such_function",), requirements=()).asset_hash()
