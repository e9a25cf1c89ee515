"""Writing files under a cache root with os.open/os.write relative to directory descriptors,
counting live and garbage apart."""

from __future__ import annotations

import os
import random
import string
from collections.abc import Iterable

from bench.gen.rand import CONTENT_BYTES, DirSpec, FileSpec
from bench.gen.units import Counts

_OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


def make_content(seed: int) -> bytes:
    """The content buffer all files are slices of: printable, deterministic for a seed."""
    raw = random.Random(seed ^ 0xC0FFEE).randbytes(CONTENT_BYTES)
    alphabet = (string.ascii_letters + string.digits + " " * 12 + "\n" * 3 + "_().:=,'").encode()
    table = bytes(alphabet[i % len(alphabet)] for i in range(256))
    return raw.translate(table)


class Writer:
    """Creates files under a cache root and counts them (index 1: garbage, 0: live)."""

    def __init__(self, root: str, content: bytes) -> None:
        self.root = root
        self.content = memoryview(content)
        self.files = [0, 0]
        self.dirs = [0, 0]
        self.bytes = [0, 0]

    def counts(self) -> Counts:
        return Counts(
            self.files[0], self.dirs[0], self.bytes[0], self.files[1], self.dirs[1], self.bytes[1]
        )

    def path(self, rel: str) -> str:
        return os.path.join(self.root, rel)

    def mkdirs(self, rel: str, garbage: bool) -> None:
        """Create `rel` and any missing parents, counting those it created."""
        path = self.path(rel)
        missing: list[str] = []
        while not os.path.isdir(path):
            missing.append(path)
            path = os.path.dirname(path)
        for p in reversed(missing):
            try:
                os.mkdir(p)
            except FileExistsError:
                continue
            self.dirs[garbage] += 1

    def _write_fd(self, dfd: int, spec: FileSpec, g: int) -> None:
        name, size, off, data = spec
        fd = os.open(name, _OPEN_FLAGS, 0o644, dir_fd=dfd)
        try:
            if data is not None:
                chunks: list[bytes | memoryview] = [data]
                if size > len(data):
                    chunks.append(self.content[off : off + size - len(data)])
            else:
                chunks = [self.content[off : off + size]] if size else []
            for chunk in chunks:
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view) :]
                self.bytes[g] += len(chunk)
        finally:
            os.close(fd)
        self.files[g] += 1

    def file(self, rel: str, spec: FileSpec, garbage: bool) -> None:
        dfd = os.open(self.path(rel), _DIR_FLAGS)
        try:
            self._write_fd(dfd, spec, garbage)
        finally:
            os.close(dfd)

    def data(self, rel: str, name: str, data: bytes, garbage: bool) -> None:
        self.file(rel, (name, len(data), 0, data), garbage)

    def symlink(self, target: str, rel: str, garbage: bool) -> None:
        os.symlink(target, self.path(rel))
        self.files[garbage] += 1

    def tree(self, base: str, tree: Iterable[DirSpec], garbage: bool) -> None:
        g = int(garbage)
        for reldir, files in tree:
            rel = f"{base}/{reldir}" if reldir else base
            self.mkdirs(rel, garbage)
            dfd = os.open(self.path(rel), _DIR_FLAGS)
            try:
                for spec in files:
                    self._write_fd(dfd, spec, g)
            finally:
                os.close(dfd)

    def link_tree(self, source: str, base: str, tree: Iterable[DirSpec], skip: str) -> None:
        """Hard-link the files of `tree` from `source` into `base` (garbage), except `skip`."""
        for reldir, files in tree:
            rel = f"{base}/{reldir}" if reldir else base
            self.mkdirs(rel, True)
            src = self.path(f"{source}/{reldir}")
            dst = self.path(rel)
            for name, _size, _off, _data in files:
                if f"{reldir}/{name}" == skip:
                    continue
                os.link(f"{src}/{name}", f"{dst}/{name}", follow_symlinks=False)
                self.files[1] += 1
