"""Is *that* process still alive? A pid alone cannot say: the kernel reuses pids.

A process is named by its pid and its start time (clock ticks after boot,
field 22 of ``/proc/<pid>/stat``), which no later process with the same pid
shares. A zombie (exited, not yet reaped by the parent that started it: the
app never waits for its runners) counts as dead.
"""

from __future__ import annotations

import os
from pathlib import Path


def start_time(pid: int) -> int | None:
    """The start time of running process ``pid``, or None if there is none (or it is a zombie)."""
    try:
        text = Path(f"/proc/{int(pid)}/stat").read_text()
    except (OSError, ValueError):
        return None
    # The command name, in parentheses, may itself hold spaces and parentheses.
    fields = text[text.rindex(")") + 2 :].split()
    state, started = fields[0], fields[19]
    return None if state in ("Z", "X") else int(started)


def alive(pid: object, started: object = None) -> bool:
    """True while process ``pid`` runs and, if ``started`` is given, is the one that started then."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    if not Path("/proc/self/stat").exists():  # no procfs: the pid is all there is to go by
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    now = start_time(pid)
    return now is not None and (started is None or now == started)
