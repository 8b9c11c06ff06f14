"""Cold start to first paint, measured in a real pseudo-terminal at 80x24.

The console and a minimal Textual app are started the same way, in the same run, and timed
from spawn until their first screen's text appears on the terminal. Reported as a ratio.
"""
from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import sys
import termios
import time
from pathlib import Path

MINIMAL_APP = """
from textual.app import App
from textual.widgets import Footer, Label

class Minimal(App):
    def compose(self):
        yield Label("minimal-ready")
        yield Footer()

Minimal().run(mouse=False)
"""


def time_to_text(argv: list[str], marker: bytes, env: dict[str, str], timeout: float = 30.0
                 ) -> float:
    """Seconds from spawn until `marker` is written to the terminal; the process is then ended.

    The console's marker is its home screen's "role: " line, which only a painted screen shows.
    """
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execve(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    seen = b""
    try:
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen = (seen + chunk)[-200_000:]
            if marker in seen:
                return time.perf_counter() - start
        tail = seen[-300:].decode("utf-8", "replace")
        raise RuntimeError(f"{argv[0]} did not paint {marker!r} within {timeout} s: {tail}")
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


def measure_cold_start(db_path: Path, runs: int = 5) -> tuple[float, float, float]:
    """(median console seconds, median minimal-app seconds, ratio)."""
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
    env.pop("CI", None)
    python = sys.executable
    meterline = str(Path(python).with_name("meterline"))
    console_times, minimal_times = [], []
    for _ in range(runs):  # alternate so both see the same machine load
        console_times.append(time_to_text([meterline, "--db", str(db_path)], b"role: ", env))
        minimal_times.append(time_to_text([python, "-c", MINIMAL_APP], b"minimal-ready", env))
    console = statistics.median(console_times)
    minimal = statistics.median(minimal_times)
    return console, minimal, console / minimal


if __name__ == "__main__":
    c, m, r = measure_cold_start(Path(sys.argv[1]))
    print(f"console {c*1000:.0f} ms, minimal {m*1000:.0f} ms, ratio {r:.2f}")
