"""The bulk bucket's evidence under S3 Object Lock (`bulkEvidenceLockDays`): governance mode for the days the deployer
chooses, every new version locked by default; none without the setting; a value outside 1-3650 refused at synth."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.settings import MAX_EVIDENCE_LOCK_DAYS, Settings, SettingsError
from tests.infra.conftest import Synthesized, synthesize


def test_the_evidence_is_locked_in_governance_mode_for_the_days_chosen(tmp_path: Path) -> None:
    locked = synthesize(tmp_path, bulkEvidenceLockDays=400)

    bucket = locked.properties("BulkReset/Bucket")

    assert bucket["ObjectLockEnabled"] is True
    assert bucket["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 400}},
    }
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}


def test_without_the_setting_nothing_is_locked(new_pool: Synthesized) -> None:
    bucket = new_pool.properties("BulkReset/Bucket")

    assert "ObjectLockEnabled" not in bucket
    assert "ObjectLockConfiguration" not in bucket


@pytest.mark.parametrize("days", [0, -1, MAX_EVIDENCE_LOCK_DAYS + 1])
def test_a_lock_outside_its_range_is_refused_naming_the_setting(days: int) -> None:
    with pytest.raises(SettingsError, match="bulkEvidenceLockDays"):
        Settings.from_context({"bulkEvidenceLockDays": days})
