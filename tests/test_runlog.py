"""The run log: whole lines appended, even concurrently; reading skips what it cannot parse."""

from __future__ import annotations

import datetime
import json
import multiprocessing
from pathlib import Path

import anyio
import pytest

from janitor.runlog import append_run, default_log_path, encode_run, read_runs


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_append_creates_parents_and_reads_back(tmp_path: Path) -> None:
    log = tmp_path / "state" / "janitor" / "runs.jsonl"
    assert await append_run({"run": 1, "removed": 44}, log) == log
    assert await append_run({"run": 2, "removed": 0}, log) == log
    assert log.read_text().splitlines() == ['{"run":1,"removed":44}', '{"run":2,"removed":0}']
    assert read_runs(log) == [{"run": 1, "removed": 44}, {"run": 2, "removed": 0}]


@pytest.mark.anyio
async def test_default_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    path = default_log_path()
    assert path.name == "runs.jsonl"
    assert tmp_path / "state" in path.parents
    assert read_runs() == []
    assert await append_run({"run": 1}) == path
    assert read_runs() == [{"run": 1}]


@pytest.mark.anyio
async def test_values_json_cannot_hold(tmp_path: Path) -> None:
    log = tmp_path / "runs.jsonl"
    when = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)
    record = {
        "cache": tmp_path,
        "at": when,
        "took": datetime.timedelta(seconds=1.5),
        "packages": ("hatch",),
        "name": "caf\u00e9\u2028",
    }
    await append_run(record, log)
    assert read_runs(log) == [
        {
            "cache": str(tmp_path),
            "at": "2024-05-01T12:00:00+00:00",
            "took": 1.5,
            "packages": ["hatch"],
            "name": "caf\u00e9\u2028",
        }
    ]
    with pytest.raises(TypeError, match="object"):
        await append_run({"bad": object()}, log)
    with pytest.raises(ValueError, match="Out of range"):
        await append_run({"bad": float("nan")}, log)
    assert len(read_runs(log)) == 1


def test_encoded_line_is_one_line() -> None:
    line = encode_run({"text": "a\nb\r\nc\u2028d"})
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    assert b"\r" not in line


def test_missing_file_and_missing_parent(tmp_path: Path) -> None:
    assert read_runs(tmp_path / "runs.jsonl") == []
    (tmp_path / "file").write_text("")
    assert read_runs(tmp_path / "file" / "runs.jsonl") == []


def test_corrupt_lines_are_skipped(tmp_path: Path) -> None:
    log = tmp_path / "runs.jsonl"
    log.write_bytes(
        b'{"run":1}\nnot json\n\n[1,2]\n"a string"\n{"run":2}\n\xff\xfe\n{"run":3, "trunc'
    )
    assert read_runs(log) == [{"run": 1}, {"run": 2}]


@pytest.mark.anyio
async def test_append_after_a_torn_line_starts_a_new_line(tmp_path: Path) -> None:
    log = tmp_path / "runs.jsonl"
    log.write_bytes(b'{"run":1}\n{"run":2, "trunc')
    await append_run({"run": 3}, log)
    assert read_runs(log) == [{"run": 1}, {"run": 3}]


def test_limit_keeps_the_newest(tmp_path: Path) -> None:
    log = tmp_path / "runs.jsonl"
    log.write_text("".join(json.dumps({"run": n}) + "\n" for n in range(25)))
    assert read_runs(log) == [{"run": n} for n in range(15, 25)]
    assert read_runs(log, limit=3) == [{"run": 22}, {"run": 23}, {"run": 24}]
    assert read_runs(log, limit=100) == [{"run": n} for n in range(25)]
    assert read_runs(log, limit=None) == [{"run": n} for n in range(25)]
    assert read_runs(log, limit=0) == []


def test_reading_across_chunks(tmp_path: Path) -> None:
    # Lines far longer than the read chunk, and many more of them than the limit.
    log = tmp_path / "runs.jsonl"
    runs = [{"run": n, "pad": "x" * (n * 7919 % 150_000)} for n in range(60)]
    with log.open("w") as out:
        for n, run in enumerate(runs):
            out.write(json.dumps(run) + "\n")
            if n % 7 == 0:
                out.write("garbage\n")
    assert read_runs(log, limit=None) == runs
    assert read_runs(log, limit=5) == runs[-5:]
    assert read_runs(log, limit=59) == runs[1:]


@pytest.mark.anyio
async def test_concurrent_tasks_do_not_interleave(tmp_path: Path) -> None:
    log = tmp_path / "runs.jsonl"
    async with anyio.create_task_group() as group:
        for n in range(50):
            group.start_soon(append_run, {"run": n, "pad": "y" * 20_000}, log)
    runs = read_runs(log, limit=None)
    assert sorted(run["run"] for run in runs) == list(range(50))
    assert all(run["pad"] == "y" * 20_000 for run in runs)


def _append_many(path: str, worker: int) -> None:
    async def main() -> None:
        for n in range(20):
            await append_run({"worker": worker, "n": n, "pad": str(worker) * 100_000}, Path(path))

    anyio.run(main)


def test_concurrent_processes_do_not_interleave(tmp_path: Path) -> None:
    log = tmp_path / "runs.jsonl"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(str(log), w)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
        assert process.exitcode == 0
    data = log.read_bytes()
    assert data.endswith(b"\n")
    # A writer that looks at the end while another's line is half copied in adds a blank line:
    # harmless, as readers skip it. What must never happen is two records sharing a line.
    runs = [json.loads(line) for line in data.split(b"\n") if line]
    assert len(runs) == 80
    assert all(run["pad"] == str(run["worker"]) * 100_000 for run in runs)
    assert sorted((run["worker"], run["n"]) for run in runs) == [
        (w, n) for w in range(4) for n in range(20)
    ]
