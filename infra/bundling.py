"""Lambda code assets built at synth without Docker: the function's packages plus its pinned dependencies.

The dependencies are installed from a wheelhouse of Lambda-platform wheels (manylinux aarch64, CPython 3.14) that
`make wheels` downloads once from functions/requirements.txt, so synth itself needs no network, and every version in
the bundle is the version the tests ran against (pip resolves with the requirements file as constraints and from
the wheelhouse only; a dependency missing from the pins fails the build instead of floating).

When synth runs on the runtime's Python (3.14), the bundle also carries bytecode for every module (``byte_compile``),
so that a cold start on Lambda loads code instead of compiling it: Lambda's code directory is read-only, so without
bytecode in the bundle every cold start compiles every module it imports, Jinja2's ~10,000 lines included. Any other
Python's bytecode would be ignored by the runtime (a ``.pyc`` names the minor version that wrote it), so then the
bundle carries source only and synth warns, quoting the cold start `make bench` measured for it.
"""

from __future__ import annotations

import hashlib
import os
import py_compile
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

PROJECT_ROOT: Final = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR: Final = PROJECT_ROOT / "functions"
REQUIREMENTS: Final = FUNCTIONS_DIR / "requirements.txt"
# The newest Python runtime Lambda offers (cdk-nag AwsSolutions-L1 checks for exactly that).
RUNTIME: Final = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE: Final = lambda_.Architecture.ARM_64
# "3.14": the Python version the runtime runs, which the wheels and the bytecode are for.
RUNTIME_PYTHON: Final = RUNTIME.name.removeprefix("python")
# pip's view of Lambda's python3.14 arm64 environment (Amazon Linux 2023, glibc 2.34). The Makefile's `wheels` target
# downloads for the same platform into the same folder.
PIP_PLATFORM: Final = ("manylinux2014_aarch64", RUNTIME_PYTHON, "cp")
# Where Lambda unpacks the bundle (the runtime's LAMBDA_TASK_ROOT): the file names the bytecode records.
TASK_ROOT: Final = "/var/task"
WHEELHOUSE: Final = PROJECT_ROOT / "build" / "lambda-wheels" / "cp314-manylinux2014_aarch64"

# Bump when the recipe below changes, so assets are rebuilt even if no source file did.
_RECIPE_VERSION: Final = "3"
_SKIPPED_NAMES: Final = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"})
_SKIPPED_SUFFIXES: Final = (".pyc", ".pyo")


class BundlingError(RuntimeError):
    """The function's code could not be assembled; the message says what to run."""


@dataclass(frozen=True, slots=True)
class FunctionSource:
    """What goes into one function's deployment package.

    packages: directories under functions/ copied (the handler's package and the shared ones it imports).
    requirements: top-level distributions the function imports; their dependencies come from the same pins.
    build_step: generates files into the bundle after the copy; told whether the bundle carries bytecode for the
        Python running the build (see ``builds_bytecode``), so it can add its own.
    inputs: directories outside functions/ the build step reads (a message pack); their files count in the hash.
    """

    packages: tuple[str, ...]
    requirements: tuple[str, ...]
    build_step: Callable[[Path, bool], None] | None = None
    inputs: tuple[Path, ...] = ()

    def files(self) -> Iterable[Path]:
        for package in self.packages:
            root = FUNCTIONS_DIR / package
            if not (root / "__init__.py").is_file():
                raise BundlingError(f"functions/{package} is not a Python package (no __init__.py)")
            for path in sorted(root.rglob("*")):
                if path.is_file() and not _skipped(path.relative_to(root)):
                    yield path

    def asset_hash(self) -> str:
        """Changes when a source file, the pins, the requested distributions, the platform or the recipe change."""
        digest = hashlib.sha256()
        bytecode = f"bytecode={builds_bytecode()}"
        for part in (_RECIPE_VERSION, bytecode, *PIP_PLATFORM, *self.packages, *self.requirements):
            digest.update(part.encode() + b"\0")
        digest.update(REQUIREMENTS.read_bytes())
        for path in self.files():
            digest.update(path.relative_to(FUNCTIONS_DIR).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
        for directory in self.inputs:
            for path in sorted(item for item in directory.rglob("*") if item.is_file()):
                digest.update(b"input\0" + path.relative_to(directory).as_posix().encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
        return digest.hexdigest()


def builds_bytecode() -> bool:
    """Whether this synth's Python writes bytecode the runtime will load: only the runtime's own minor version does.

    CPython refuses a ``.pyc`` whose magic number names another version and compiles the source instead, in memory,
    at every cold start (Python documentation, "Cached bytecode invalidation"; PEP 3147).
    """
    return f"{sys.version_info.major}.{sys.version_info.minor}" == RUNTIME_PYTHON


# The CustomMessage trigger's cold start from the asset synth writes without bytecode, against the bundle with bytecode
# (median vs median): measured by `make bench` (python -m bench.custom_message_speed --runs 5 --warm-calls 2000,
# row "synthesized asset as it is"), on Python 3.11, 2026-12-06: 2.51, 2.40 and 2.20 in three runs on a shared 2-core
# machine; this is their median. The bench prints each run's figure beside this one.
SOURCE_ONLY_COLD_START_FACTOR: Final = 2.4

# What synth warns when it cannot add bytecode: the stack works, but every cold start compiles every module it imports.
SOURCE_ONLY_WARNING: Final = (
    f"The Lambda bundles carry source only (synth on Python {sys.version_info.major}.{sys.version_info.minor}, runtime "
    f"{RUNTIME_PYTHON}), so every cold start compiles every module it imports, Jinja2 included: `make bench` measured "
    f"the CustomMessage trigger's cold start at about {SOURCE_ONLY_COLD_START_FACTOR:g}x a bundle with bytecode's. "
    f"Synth on Python {RUNTIME_PYTHON} (e.g. in a python:{RUNTIME_PYTHON} container or CI image) to ship bytecode "
    f"(docs/deploy.md)."
)


def assemble_code(source: FunctionSource, output: Path, *, bytecode: bool) -> None:
    """The function's own code as the bundle holds it: its packages without tooling, then its build step's files
    (the benchmark measures the trigger from exactly this). ``bytecode``: the build step adds its own bytecode for
    the Python running this (``byte_compile`` does the modules, once the dependencies are in)."""
    for path in source.files():
        target = output / path.relative_to(FUNCTIONS_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    if source.build_step is not None:
        source.build_step(output, bytecode)


def byte_compile(bundle: Path) -> None:
    """Bytecode for every module in the bundle, for the Python running this (the caller knows it is the runtime's).

    Checked-hash ``.pyc`` files (PEP 552): valid by a hash of their source, not by its modification time, which the
    asset does not keep (the CDK CLI zips every file with the same date, 1980-01-01, so that equal content gives
    an equal hash). A source that changes after the build is recompiled rather than shadowed by stale bytecode.
    The bytecode names each file where Lambda has it (/var/task/...), never this build's temporary directory.
    """
    broken = []
    for module in sorted(bundle.rglob("*.py")):
        relative = module.relative_to(bundle).as_posix()
        # Beside the module, where the runtime looks (not under a PYTHONPYCACHEPREFIX of this machine).
        cached = module.parent / "__pycache__" / f"{module.stem}.{sys.implementation.cache_tag}.pyc"
        try:
            py_compile.compile(
                str(module),
                cfile=str(cached),
                dfile=f"{TASK_ROOT}/{relative}",
                doraise=True,
                invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
            )
        except py_compile.PyCompileError as error:
            broken.append(f"{relative}: {error.exc_type_name}")
    if broken:
        running = f"{sys.version_info.major}.{sys.version_info.minor}"
        raise BundlingError(f"modules in the bundle do not compile for Python {running}: {', '.join(broken)}")


def _skipped(relative: Path) -> bool:
    return any(part in _SKIPPED_NAMES for part in relative.parts) or relative.suffix in _SKIPPED_SUFFIXES


@jsii.implements(cdk.ILocalBundling)
class _PinnedLocalBundling:
    """Runs in the synth process: copy the packages, then pip-install the pinned wheels for Lambda's platform."""

    def __init__(self, source: FunctionSource, wheelhouse: Path = WHEELHOUSE) -> None:
        self._source = source
        self._wheelhouse = wheelhouse

    def try_bundle(self, output_dir: str, *, image: cdk.DockerImage, **_options: Any) -> bool:
        output = Path(output_dir)
        bytecode = builds_bytecode()
        assemble_code(self._source, output, bytecode=bytecode)
        if self._source.requirements:
            self._install_requirements(output)
        if bytecode:
            byte_compile(output)
        return True

    def _install_requirements(self, output: Path) -> None:
        if not self._wheelhouse.is_dir() or not any(self._wheelhouse.glob("*.whl")):
            raise BundlingError(
                f"no Lambda wheels in {self._wheelhouse}: run `make wheels` once (downloads the "
                "pinned aarch64 wheels), or skip bundling (`-c aws:cdk:bundling-stacks=[]`) for a template-only synth"
            )
        platform, python_version, implementation = PIP_PLATFORM
        command = [
            sys.executable, "-m", "pip", "install", "--isolated", "--disable-pip-version-check", "--no-input",
            "--quiet", "--no-index", "--find-links", str(self._wheelhouse), "--only-binary=:all:",
            "--platform", platform, "--python-version", python_version, "--implementation", implementation,
            # No .pyc from pip: timestamp-checked ones, which the zipped asset invalidates (see byte_compile).
            "--no-compile", "--target", str(output), "--constraint", str(REQUIREMENTS),
            *self._source.requirements,
        ]  # fmt: skip
        # No pip configuration from this machine (extra indexes, find-links, constraints) may change what is installed.
        environment = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
        environment["PIP_CONFIG_FILE"] = os.devnull
        completed = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)  # noqa: S603
        if completed.returncode != 0:
            raise BundlingError(
                f"pip could not install {', '.join(self._source.requirements)} for Lambda "
                f"(is the wheelhouse current? run `make wheels`):\n{completed.stderr.strip()}"
            )
        for leftover in output.glob("bin"):
            shutil.rmtree(leftover)


def function_code(source: FunctionSource) -> lambda_.Code:
    """The function's deployment package; bundled in-process at synth (never in Docker)."""
    return lambda_.Code.from_asset(
        str(FUNCTIONS_DIR),
        asset_hash_type=cdk.AssetHashType.CUSTOM,
        asset_hash=source.asset_hash(),
        bundling=cdk.BundlingOptions(
            # Required by the API, never pulled: local bundling either succeeds or raises.
            image=RUNTIME.bundling_image,
            local=_PinnedLocalBundling(source),
        ),
        # Only staged when bundling is skipped (template-only synth): keep that copy small.
        exclude=["**/__pycache__", "*.pyc"],
    )
