"""A deletion worker process: `python -I -S worker.py ROOT` answers batch requests over a pipe.

Requests and replies are length-prefixed marshal frames: `(work, entries, seconds)` in (see
`deleter.Deleter.work`), a list of `result.Result`s out, as plain tuples. The parent owns
Ctrl-C: a worker ignores SIGINT, finishes its batch and ends when its input closes. Isolated mode
leaves the package's own directory off `sys.path`, so the script adds it, last, before importing
the deleter; nothing but the standard library and `janitor.remove.{deleter,fsops,result}` is
loaded. May import janitor.remove.deleter, janitor.remove.fsops and janitor.remove.result.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import signal
import sys
from typing import Any, BinaryIO

if __name__ == "__main__":  # after the standard library, so that nothing there is shadowed
    sys.path.append(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from janitor.remove.deleter import Deleter
from janitor.remove.fsops import Ops
from janitor.remove.result import HEADER, Result


def write_frame(stream: BinaryIO, value: list[Result]) -> None:
    """Write one length-prefixed, marshalled list of results (as plain tuples)."""
    data = marshal.dumps([tuple(result) for result in value])
    stream.write(HEADER.pack(len(data)) + data)
    stream.flush()


def read_frame(stream: BinaryIO) -> Any:
    """Read one value written by `write_frame`; None at the end of the stream."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (size,) = HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        return None
    return marshal.loads(data)


def serve(root: str, requests: BinaryIO, replies: BinaryIO) -> None:
    """Answer `(work, entries, seconds)` requests (see `Deleter.work`) until the input ends."""
    deleter = Deleter(Ops(), root)
    while True:
        request = read_frame(requests)
        if request is None:
            return
        write_frame(replies, deleter.work(request[0], request[1], request[2]))


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(BrokenPipeError):  # the parent is gone: the rest stays in the trash
        serve(sys.argv[1], sys.stdin.buffer, sys.stdout.buffer)
