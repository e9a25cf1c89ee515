"""A small Hugging Face hub served on 127.0.0.1, so that the real `huggingface_hub` client writes
the hub caches the tests clean, offline.

It answers what the client asks of a hub when it downloads (checked with huggingface_hub 2.4.0):
`HEAD`/`GET /[datasets/|spaces/]REPO/resolve/REV/PATH` with `X-Repo-Commit`, a quoted `ETag` (the
git blob sha1) and `Content-Length`; for a large (LFS) file a redirect to a second origin (a
"CDN" on another port, which the client does not follow for metadata) carrying `X-Linked-Etag`
(the sha256) and `X-Linked-Size`; `GET /api/{models,datasets,spaces}/REPO/revision/REV` (`sha`);
and `GET /api/.../tree/REV?recursive=true` (`oid`, `size`, `lfs`). A missing file is 404 with
`X-Error-Code: EntryNotFound`, a missing revision 404 with `RevisionNotFound`.

A download can be held halfway (`Hub.hold`), so that a test can sweep beside it or kill the client
while its `.incomplete` file exists.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

# Files at least this large are stored as LFS objects and served through the second origin.
LFS_THRESHOLD = 1024
_PREFIXES = {"model": "", "dataset": "datasets/", "space": "spaces/"}
_API_TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}


def git_blob_sha1(data: bytes) -> str:
    """The git object id of a blob: what the hub reports as a small file's etag."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def etag_of(data: bytes) -> str:
    """The etag the client stores a file's blob under: sha256 for LFS files, else git sha1."""
    if len(data) >= LFS_THRESHOLD:
        return hashlib.sha256(data).hexdigest()
    return git_blob_sha1(data)


@dataclass
class Repo:
    """One repository: its commits (each a whole tree) and its refs."""

    repo_type: str
    repo_id: str
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)

    def resolve(self, revision: str) -> str | None:
        """The commit a ref or a commit hash names."""
        if revision in self.commits:
            return revision
        return self.refs.get(revision)


@dataclass
class Hold:
    """A download held after `after` bytes until `release` is set."""

    after: int
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


class Hub:
    """Repositories served over HTTP on 127.0.0.1 while `serve()` is open."""

    def __init__(self) -> None:
        self.repos: dict[tuple[str, str], Repo] = {}
        self.holds: dict[str, Hold] = {}  # etag -> a hold on its download
        self.downloads: list[str] = []  # etags whose content was sent, in order
        self._lock = threading.Lock()
        self._counter = 0

    def commit(
        self,
        repo_id: str,
        files: Mapping[str, bytes],
        *,
        repo_type: str = "model",
        refs: tuple[str, ...] = ("main",),
    ) -> str:
        """Add a commit holding exactly `files`, point `refs` at it, and return its hash."""
        repo = self.repos.setdefault((repo_type, repo_id), Repo(repo_type, repo_id))
        with self._lock:
            self._counter += 1
            seed = json.dumps(
                [
                    repo_type,
                    repo_id,
                    self._counter,
                    sorted((p, etag_of(d)) for p, d in files.items()),
                ]
            )
        sha = hashlib.sha1(seed.encode()).hexdigest()
        repo.commits[sha] = dict(files)
        for ref in refs:
            repo.refs[ref] = sha
        return sha

    def hold(self, data: bytes, after: int | None = None) -> Hold:
        """Hold the next downloads of `data` halfway (or after `after` bytes) until released."""
        held = Hold(len(data) // 2 if after is None else after)
        self.holds[etag_of(data)] = held
        return held

    def find(self, repo_type: str, repo_id: str) -> Repo | None:
        """The repository, if the hub has it."""
        return self.repos.get((repo_type, repo_id))

    def content(self, sha256: str) -> bytes | None:
        """An LFS object's content by its sha256."""
        for repo in self.repos.values():
            for tree in repo.commits.values():
                for data in tree.values():
                    if len(data) >= LFS_THRESHOLD and hashlib.sha256(data).hexdigest() == sha256:
                        return data
        return None

    @contextlib.contextmanager
    def serve(self) -> Iterator[str]:
        """Serve the hub and a second origin for LFS objects; yields the hub's endpoint URL."""
        cdn = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self, None))
        cdn_url = f"http://127.0.0.1:{cdn.server_address[1]}"
        hub = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self, cdn_url))
        servers = (cdn, hub)
        threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
        for thread in threads:
            thread.start()
        try:
            yield f"http://127.0.0.1:{hub.server_address[1]}"
        finally:
            for held in self.holds.values():
                held.release.set()
            for server in servers:
                server.shutdown()
                server.server_close()


def _handler(hub: Hub, cdn_url: str | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return  # quiet: the tests read the cache, not the server's log

        def do_HEAD(self) -> None:
            self._dispatch(body=False)

        def do_GET(self) -> None:
            self._dispatch(body=True)

        def _dispatch(self, *, body: bool) -> None:
            path = urlsplit(self.path).path
            if cdn_url is None:
                self._lfs(path.removeprefix("/lfs/"), body)
            elif path.startswith("/api/"):
                self._api(path.removeprefix("/api/"))
            elif "/resolve/" in path:
                self._resolve(path, body)
            else:
                self._error(404, "RepoNotFound")

        def _api(self, path: str) -> None:
            kind, _, rest = path.partition("/")
            repo_type = _API_TYPES.get(kind)
            for verb in ("revision", "tree"):
                repo_id, sep, tail = rest.partition(f"/{verb}/")
                if sep:
                    break
            else:
                repo_id, verb, tail = rest, "revision", "main"
            repo = hub.find(repo_type or "", repo_id)
            if repo is None:
                return self._error(404, "RepoNotFound")
            revision, _, subpath = tail.partition("/")
            sha = repo.resolve(unquote(revision))
            if sha is None:
                return self._error(404, "RevisionNotFound")
            tree = repo.commits[sha]
            if verb == "revision":
                siblings = [{"rfilename": name} for name in sorted(tree)]
                return self._json({"id": repo_id, "sha": sha, "siblings": siblings})
            prefix = unquote(subpath).strip("/")
            entries = []
            for name, data in sorted(tree.items()):
                if prefix and not name.startswith(prefix + "/"):
                    continue
                entry: dict[str, object] = {
                    "type": "file",
                    "path": name,
                    "size": len(data),
                    "oid": git_blob_sha1(data),
                }
                if len(data) >= LFS_THRESHOLD:
                    lfs = hashlib.sha256(data).hexdigest()
                    entry["lfs"] = {"oid": lfs, "size": len(data), "pointerSize": 134}
                entries.append(entry)
            return self._json(entries)

        def _resolve(self, path: str, body: bool) -> None:
            head, _, tail = path.lstrip("/").partition("/resolve/")
            repo_type = "model"
            for kind, prefix in _PREFIXES.items():
                if prefix and head.startswith(prefix):
                    repo_type, head = kind, head.removeprefix(prefix)
            repo = hub.find(repo_type, head)
            if repo is None:
                return self._error(404, "RepoNotFound")
            revision, _, filename = tail.partition("/")
            sha = repo.resolve(unquote(revision))
            if sha is None:
                return self._error(404, "RevisionNotFound")
            data = repo.commits[sha].get(unquote(filename))
            if data is None:
                return self._error(404, "EntryNotFound", {"X-Repo-Commit": sha})
            if len(data) >= LFS_THRESHOLD:
                oid = hashlib.sha256(data).hexdigest()
                self.send_response(302)
                self.send_header("Location", f"{cdn_url}/lfs/{oid}")
                self.send_header("X-Repo-Commit", sha)
                self.send_header("X-Linked-Etag", f'"{oid}"')
                self.send_header("X-Linked-Size", str(len(data)))
                self.send_header("ETag", f'"{git_blob_sha1(data)}"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            headers = {"X-Repo-Commit": sha, "ETag": f'"{git_blob_sha1(data)}"'}
            return self._content(data, etag_of(data), headers, body)

        def _lfs(self, oid: str, body: bool) -> None:
            data = hub.content(oid)
            if data is None:
                return self._error(404, "EntryNotFound")
            return self._content(data, oid, {"ETag": f'"{oid}"'}, body)

        def _content(self, data: bytes, etag: str, headers: dict[str, str], body: bool) -> None:
            self.send_response(200)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            if not body:
                return
            held = hub.holds.get(etag)
            if held is not None:
                self.wfile.write(data[: held.after])
                self.wfile.flush()
                held.reached.set()
                held.release.wait(60)
                data = data[held.after :]
            self.wfile.write(data)
            hub.downloads.append(etag)

        def _json(self, document: object) -> None:
            payload = json.dumps(document).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _error(self, status: int, code: str, headers: Mapping[str, str] | None = None) -> None:
            payload = json.dumps({"error": code}).encode()
            self.send_response(status)
            self.send_header("X-Error-Code", code)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

    return Handler
