"""Structured JSON log lines and CloudWatch Embedded Metric Format (EMF) documents, with the standard library only.

Powertools Logger and Metrics write the same two kinds of line, but importing them costs ~115 ms of the trigger's
150 ms cold-start budget (see docs/custom-message.md, "Speed"). What this module writes stays compatible: one JSON
object per line on stdout, EMF in the namespace and with the ``service`` dimension Powertools would use, so the
stack's alarms and Logs Insights queries work the same on both functions.

Nothing here ever receives a metadata value, an attribute value, a code or a username: callers pass identifiers
(trigger source, locale, variant, cause codes) only.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping
from typing import Final, TextIO

from contracts.telemetry import SERVICE_DIMENSION

_LEVELS: Final = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40}


class Telemetry:
    """Writes log lines and metric documents to one stream (stdout on Lambda, a buffer in tests)."""

    def __init__(self, *, service: str, namespace: str, stream: TextIO | None = None, level: str = "INFO") -> None:
        self.service = service
        self.namespace = namespace
        self._stream = stream
        self._threshold = _LEVELS.get(level.upper(), _LEVELS["INFO"])

    def log(self, level: str, message: str, *, metrics: Mapping[str, int] | None = None, **fields: object) -> None:
        """One JSON line: timestamp, level, service, message, the given fields, and the metrics if any.

        A line with metrics is also an EMF document (CloudWatch reads ``_aws`` and the top-level values), written
        whatever the log level: one line per invocation instead of two, and the metrics cannot be filtered away.
        """
        if not metrics and _LEVELS.get(level, 0) < self._threshold:
            return
        record: dict[str, object] = {
            "timestamp": _iso_now(),
            "level": level,
            SERVICE_DIMENSION: self.service,
            "message": message,
        }
        record.update(fields)
        if metrics:
            record["_aws"] = {
                "Timestamp": int(time.time() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": self.namespace,
                        "Dimensions": [[SERVICE_DIMENSION]],
                        "Metrics": [{"Name": name, "Unit": "Count"} for name in metrics],
                    }
                ],
            }
            # Last, so a field can never overwrite a metric value of the same name.
            record.update(metrics)
            record[SERVICE_DIMENSION] = self.service
        self._write(record)

    def _write(self, record: Mapping[str, object]) -> None:
        stream = self._stream if self._stream is not None else sys.stdout
        stream.write(json.dumps(record, separators=(",", ":"), default=str) + "\n")
        stream.flush()


def _iso_now() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
