"""A pool of Python processes that each run one `janitor` per request, for tests that start
hundreds of runs (a kill or a Ctrl-C after every mutation).

Each server has imported janitor already and forks a child per request, so a run costs a fork,
not an interpreter start. A request is one JSON line in; the answer is one line out.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


class ForkServers:
    """`count` servers running `script` (with `args`), each answering one request at a time."""

    def __init__(self, script: str, env: dict[str, str], *args: str) -> None:
        count = 2 * (os.cpu_count() or 2)
        self.servers = [
            subprocess.Popen(
                [sys.executable, "-c", script, *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                cwd=PROJECT,
                env=env,
            )
            for _ in range(count)
        ]
        self._idle: queue.Queue[subprocess.Popen[str]] = queue.Queue()
        for server in self.servers:
            self._idle.put(server)

    def ask(self, request: object) -> str:
        """Send a request to an idle server (waiting for one) and return its answer line."""
        server = self._idle.get()
        try:
            assert server.stdin is not None and server.stdout is not None
            server.stdin.write(json.dumps(request) + "\n")
            server.stdin.flush()
            return server.stdout.readline()
        finally:
            self._idle.put(server)

    def close(self) -> None:
        """End every server; each must exit cleanly."""
        for server in self.servers:
            assert server.stdin is not None and server.stdout is not None
            server.stdin.close()
            assert server.wait() == 0
            server.stdout.close()
