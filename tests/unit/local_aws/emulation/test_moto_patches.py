"""The places where the local system patches moto (local_aws/emulation/moto_patches.py) still fit the installed moto:
the version they were written for, and each patched callable's signature. A failure names the target and why it is
patched."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from local_aws.emulation.moto_patches import MOTO_VERSION, PATCHES, MotoPatch


def test_installed_moto_is_the_version_the_patches_were_written_for() -> None:
    installed = version("moto")
    targets = "\n  ".join(patch.target for patch in PATCHES)
    assert installed == MOTO_VERSION, (
        f"moto {installed} is installed; local_aws/emulation/moto_patches.py was written for moto {MOTO_VERSION}. "
        f"Check each patched target against the new moto, then record its shape and the version anew:\n  {targets}"
    )


@pytest.mark.parametrize("patch", PATCHES, ids=lambda patch: patch.target)
def test_patched_target_has_the_recorded_shape(patch: MotoPatch) -> None:
    try:
        shape = patch.shape()
    except (AttributeError, KeyError, OSError, TypeError, ValueError) as error:
        pytest.fail(f"{patch.target} is gone or unreadable in moto {version('moto')} ({error!r}); {patch.reason}")
    assert shape == patch.recorded, (
        f"{patch.target} changed in moto {version('moto')}: it was {patch.recorded} (moto {MOTO_VERSION}), now "
        f"{shape}. Patched because {patch.reason}: check the replacement against moto's new code."
    )


@pytest.mark.parametrize("patch", PATCHES, ids=lambda patch: patch.target)
def test_a_patch_is_in_place_only_while_applied(patch: MotoPatch) -> None:
    original = patch.original()
    replacement = "12345"  # text, as an environment variable must be
    with patch.applied(replacement):
        assert patch.original() == replacement
    assert patch.original() == original
