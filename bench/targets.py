"""The issue's targets for resets at a rate limit, measured (bench/bulk_speed.py) or simulated
(bench/pacing_simulation.py): a budget under the limit is used, one set over it is held; nothing lost, nothing twice."""

from __future__ import annotations

from typing import Final

# Resets per second over min(budget, limit), with the budget under the limit.
ACHIEVED_RATIO_TARGET: Final = 0.95
# The share of calls refused for the rate, with the budget over the limit.
THROTTLED_SHARE_TARGET: Final = 0.02
