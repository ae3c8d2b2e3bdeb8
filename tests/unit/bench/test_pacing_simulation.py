"""The pacing simulation (bench/pacing_simulation.py), small: the real pacers, a shared quota, every user once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.pacing_simulation import run, simulate
from bench.targets import ACHIEVED_RATIO_TARGET, THROTTLED_SHARE_TARGET


def test_with_the_budget_at_the_quota_the_fleet_uses_it_and_is_not_throttled() -> None:
    result = simulate("at-quota", budget=30.0, quota=30.0, containers=25, users=6_000)

    assert (result.lost, result.duplicated) == (0, 0)
    assert result.achieved_ratio >= ACHIEVED_RATIO_TARGET
    assert result.throttled == 0


def test_with_the_budget_four_times_the_quota_few_calls_are_throttled_and_every_user_is_reset_once() -> None:
    result = simulate("over", budget=120.0, quota=30.0, containers=25, users=20_000)

    assert (result.lost, result.duplicated) == (0, 0)
    assert result.throttled_share <= THROTTLED_SHARE_TARGET
    assert result.achieved_ratio >= ACHIEVED_RATIO_TARGET  # of the quota
    assert result.calls == result.users + result.throttled  # every call is a reset or a throttle


def test_without_room_for_retries_users_go_back_in_the_queue_and_none_is_lost() -> None:
    """A quota far below what one container asks: attempts run out, the user is tried again later."""
    result = simulate("over", budget=40.0, quota=1.0, containers=4, users=60)

    assert result.details["attempts_ran_out"] > 0
    assert (result.lost, result.duplicated) == (0, 0)


def test_each_scenario_prints_a_line_and_writes_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(["at-quota", "over"], users=2_000, out=tmp_path)

    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines] == ["scenario=at-quota", "scenario=over"]
    assert "vs_at_quota=" in lines[1]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["pacing-sim-at-quota.json", "pacing-sim-over.json"]
