"""The progress bar a run shows on a terminal while the operator waits: users done of the total, the rate, the time
left, and how many are in failed batches so far (rich's Progress, fed with each reading of the run)."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from cognito_reset.runs import Progress as RunProgress


class RateColumn(ProgressColumn):
    """Users per second, as rich estimates it from the recent readings."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:,.1f} users/s" if task.speed else "- users/s")


class ProgressBar:
    """A live bar for one run; `show` takes each reading."""

    def __init__(self, console: Console, run_id: str) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[failed]:,} in failed batches"),
            console=console,
        )
        self._task: TaskID = self._progress.add_task(run_id, total=None, failed=0)

    def show(self, reading: RunProgress) -> None:
        self._progress.update(self._task, total=reading.total or None, completed=reading.done, failed=reading.failed)

    def __enter__(self) -> ProgressBar:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._progress.stop()
