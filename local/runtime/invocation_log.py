"""Every invocation the local runtime makes, one JSON line each: what ``status`` reads.

Lambda reports invocations, errors and durations to CloudWatch; the local runtime has no
CloudWatch, so ``FunctionRuntime`` appends each outcome to ``<log dir>/invocations.jsonl``
(time, function, ok, duration, error, request id), and ``python -m local status`` (another
process) summarises it. A handler's own log lines carry the same request id, which is how
``status`` finds a failure's correlation id.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

INVOCATIONS_FILE = "invocations.jsonl"


@dataclass(frozen=True)
class InvocationRecord:
    time: float
    function: str
    ok: bool
    duration_ms: float
    request_id: str
    error: str = ""


class InvocationLog:
    """Appends records from any thread of the runtime (one lock, one line per write)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, record: InvocationRecord) -> None:
        line = json.dumps(asdict(record), sort_keys=True) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as stream:
                stream.write(line)

    def record(
        self, function: str, ok: bool, duration_ms: float, request_id: str, error: str = ""
    ) -> None:
        self.append(InvocationRecord(time.time(), function, ok, duration_ms, request_id, error))


def read_invocations(path: Path, since: float = 0.0) -> Iterator[InvocationRecord]:
    """Records at or after ``since`` (epoch seconds); a half-written last line is skipped."""
    if not path.exists():
        return
    with path.open(encoding="utf-8") as stream:
        for line in stream:
            try:
                record = InvocationRecord(**json.loads(line))
            except (ValueError, TypeError):
                continue
            if record.time >= since:
                yield record
