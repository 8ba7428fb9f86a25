"""Process control of ``python -m local up``/``down``: the pid file, stopping, the state folder.

``up`` records its pid in ``.local/up.pid``; ``down`` stops that process only (SIGTERM, and
only if its command line is ``... -m local up``), never by name; ``clean`` removes ``.local/``.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

from local.program import REPO_ROOT

STATE_DIR = REPO_ROOT / ".local"
"""Graph, logs, endpoints and the pid file of the developer's local environment."""
PID_FILE = STATE_DIR / "up.pid"


def write_pid_file(path: Path = PID_FILE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(str(os.getpid()))


def stop_recorded_process(path: Path = PID_FILE, timeout: float = 10.0) -> int | None:
    """Stop (SIGTERM) the ``up`` whose pid ``up`` recorded (only that one); returns its pid."""
    if not path.exists():
        return None
    try:
        pid = int(path.read_text().strip())
    except ValueError:
        return None
    if pid == os.getpid() or not _is_local_up(pid):
        return None
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    return pid


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _is_local_up(pid: int) -> bool:
    """Only a process whose command line is ``... -m local up`` is ours to stop."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    words = [w.decode(errors="replace") for w in cmdline if w]
    return "local" in words and "up" in words


def clean_state(state_dir: Path = STATE_DIR) -> bool:
    """Remove ``.local/`` (graph and logs); ``False`` when there was nothing to remove."""
    if not state_dir.exists():
        return False
    shutil.rmtree(state_dir)
    return True
