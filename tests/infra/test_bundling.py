"""Docker-free bundling: what changes an asset, and clear errors. The bundles themselves are checked in
test_cli_synth.py, on the assets the pinned CLI writes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest

from infra import bundling, custom_message, pool_trigger_attachment, reset_function
from infra.bundling import BundlingError, FunctionSource, assemble_code, builds_bytecode, byte_compile
from tests.infra.conftest import Synthesized

# The header of a .pyc (PEP 552): magic, then flags; 0b11 = checked against a hash of its source.
CHECKED_HASH_FLAGS = (0b11).to_bytes(4, "little")


def test_asset_hashes_are_stable_and_differ_per_function() -> None:
    hashes = [
        source.asset_hash() for source in (custom_message.SOURCE, reset_function.SOURCE, pool_trigger_attachment.SOURCE)
    ]
    assert len(set(hashes)) == 3
    assert custom_message.SOURCE.asset_hash() == hashes[0]


def test_asset_hash_follows_the_requested_distributions() -> None:
    source = custom_message.SOURCE
    lighter = FunctionSource(source.packages, requirements=(), build_step=source.build_step)
    assert lighter.asset_hash() != source.asset_hash()


def test_the_bundle_holds_the_function_folder_as_it_is_and_the_build_step_adds_the_compiled_templates(
    tmp_path: Path,
) -> None:
    source = FunctionSource(
        custom_message.SOURCE.packages, requirements=(), build_step=custom_message.SOURCE.build_step
    )
    out = tmp_path / "bundle"
    bundling._PinnedLocalBundling(source).try_bundle(str(out), image=cdk.DockerImage.from_registry("never-pulled"))
    # Every file of the function's folder, and nothing of the tooling that reviews its messages (message_tooling/).
    own = {
        p.relative_to(bundling.FUNCTIONS_DIR).as_posix()
        for p in (bundling.FUNCTIONS_DIR / "custom_message").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    shipped = {
        p.relative_to(out).as_posix()
        for p in (out / "custom_message").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and "compiled_templates" not in p.parts
    }
    assert shipped == own
    assert not list(out.rglob("logos"))
    assert not list(out.rglob("preview.py"))
    assert list((out / "custom_message" / "compiled_templates").glob("*.j2py"))
    # Bytecode, of modules and templates, only from a synth on the runtime's Python.
    assert bool(list((out / "custom_message" / "compiled_templates").glob("*.j2bc"))) == builds_bytecode()
    assert bool(list(out.rglob("*.pyc"))) == builds_bytecode()
    assert not (bundling.FUNCTIONS_DIR / "custom_message" / "compiled_templates").exists()


def test_a_missing_wheelhouse_says_how_to_get_it(tmp_path: Path) -> None:
    local = bundling._PinnedLocalBundling(pool_trigger_attachment.SOURCE, wheelhouse=tmp_path / "nowhere")
    with pytest.raises(BundlingError, match="run `make wheels`"):
        local.try_bundle(str(tmp_path / "out"), image=cdk.DockerImage.from_registry("never-pulled"))


def test_a_function_package_must_exist() -> None:
    with pytest.raises(BundlingError, match="functions/no_such_function is not a Python package"):
        FunctionSource(packages=("no_such_function",), requirements=()).asset_hash()


def _imports(bundle: Path, statement: str) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter running one statement with the bundle first on its path, verbose about what it loads."""
    environment = {**os.environ, "PYTHONPATH": str(bundle)}
    return subprocess.run(  # noqa: S603 - this interpreter, a fixed statement
        [sys.executable, "-v", "-c", statement], env=environment, capture_output=True, text=True, check=True
    )


def test_a_byte_compiled_bundle_loads_every_module_of_its_own_from_checked_bytecode(tmp_path: Path) -> None:
    source = FunctionSource(custom_message.SOURCE.packages, requirements=())
    assemble_code(source, tmp_path, bytecode=True)
    byte_compile(tmp_path)

    modules = sorted(tmp_path.rglob("*.py"))
    loaded = _imports(tmp_path, "import custom_message.handler").stderr
    # Every module the handler imports came from its .pyc, checked against its source's hash, not compiled.
    imported = [path for path in modules if f"matches {path}" in loaded]
    assert {path.relative_to(tmp_path).as_posix() for path in imported} >= {
        "custom_message/handler.py",
        "custom_message/messages.py",
        "contracts/client_metadata.py",
    }
    for path in imported:
        cached = path.parent / "__pycache__" / f"{path.stem}.{sys.implementation.cache_tag}.pyc"
        assert f"code object from '{cached}'" in loaded
        assert cached.read_bytes()[4:8] == CHECKED_HASH_FLAGS
        # No path of the build inside: the asset's bytes do not depend on where it was built.
        assert str(tmp_path).encode() not in cached.read_bytes()


def test_a_source_changed_after_the_build_is_run_not_shadowed_by_its_bytecode(tmp_path: Path) -> None:
    source = FunctionSource(("contracts",), requirements=())
    assemble_code(source, tmp_path, bytecode=True)
    byte_compile(tmp_path)
    module = tmp_path / "contracts" / "results.py"
    module.write_text(module.read_text() + "\nEDITED_AFTER_THE_BUILD = True\n")

    completed = _imports(tmp_path, "import contracts.results as r; print(r.EDITED_AFTER_THE_BUILD)")

    assert completed.stdout.strip() == "True"


def test_a_module_that_does_not_compile_stops_the_build(tmp_path: Path) -> None:
    (tmp_path / "fine.py").write_text("FINE = True\n")
    (tmp_path / "package").mkdir()
    (tmp_path / "package" / "broken.py").write_text("def broken(:\n")
    running = rf"{sys.version_info.major}\.{sys.version_info.minor}"
    with pytest.raises(BundlingError, match=rf"do not compile for Python {running}: package/broken\.py: SyntaxError$"):
        byte_compile(tmp_path)


def test_synth_warns_the_deployer_what_bundles_of_source_only_cost_at_cold_start(new_pool: Synthesized) -> None:
    warning, factor, runtime = (
        bundling.SOURCE_ONLY_WARNING,
        bundling.SOURCE_ONLY_COLD_START_FACTOR,
        bundling.RUNTIME_PYTHON,
    )
    warned = [entry for entry in new_pool.annotations("warning") if entry.startswith(warning)]
    assert warned == [f"{warning} [ack: cognito-admin-reset:source-only-bundles]"] * (not builds_bytecode())
    assert not [note for note in new_pool.annotations("info") if "source only" in note]
    # One line: the consequence, in the figure `make bench` measured, and the way out.
    assert "\n" not in warning
    assert factor > 1
    for fact in (
        "every cold start compiles every module",
        "Jinja2",
        f"`make bench` measured the CustomMessage trigger's cold start at about {factor:g}x a bundle with bytecode's",
        f"Synth on Python {runtime}",
        f"python:{runtime} container",
    ):
        assert fact in warning, warning
