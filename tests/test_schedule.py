"""Scheduling: the files and crontab lines each backend writes, read back, and the executor run
against stand-in `systemctl`, `crontab`, `launchctl` and `schtasks` programs on PATH."""

from __future__ import annotations

import os
import plistlib
import shutil
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from janitor.errors import JanitorError
from janitor.schedule import choose_backend, plan_install, plan_remove, read_installed
from janitor.schedule.cron import cron_line, crontab_with, crontab_without, parse_crontab
from janitor.schedule.executor import apply, check
from janitor.schedule.launchd import LAUNCHD_LABEL, PLIST_NAME, launchd_plist, parse_plist
from janitor.schedule.model import (
    CRON_MARKER,
    SWEEP_PREFIX,
    Backend,
    EditCrontab,
    Every,
    Host,
    Installed,
    Job,
    RemoveFile,
    RunCommand,
    ScheduleError,
    WriteFile,
    sweep_command,
)
from janitor.schedule.system import detect_host, janitor_command
from janitor.schedule.systemd import (
    SERVICE_NAME,
    TIMER_NAME,
    parse_systemd_units,
    systemd_quote,
    systemd_service,
    systemd_split,
    systemd_timer,
)
from janitor.schedule.taskscheduler import (
    TASK_NAMESPACE,
    TASK_XML_NAME,
    parse_task_xml,
    task_xml,
    windows_split,
)

PYTHON = "/opt/py/bin/python3"
WINDOWS_PYTHON = "C:\\Program Files\\Python312\\python.exe"
# Arguments that each format must quote: spaces, quotes, specifiers, variables, globs, semicolons.
AWKWARD = ("--cache-dir", '/srv/uv cache/it\'s "here"', "100%", "$HOME", "*", ";", "", "a\\b")
JOB = Job(Every.DAILY, sweep_command((PYTHON, "-m", "janitor"), ("--older-than", "30d")))

# Arguments a command line can carry in every format (no line breaks, no NUL).
ARGUMENT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\n\r\x00"), max_size=30
)


def make_host(root: Path, **changes: object) -> Host:
    home = root / "home"
    values: dict[str, object] = {
        "platform": "linux",
        "home": home,
        "config_home": home / ".config",
        "data_dir": home / ".local" / "share" / "janitor",
        "uid": 1000,
        "systemd": True,
        "nice": "/usr/bin/nice",
        "ionice": "/usr/bin/ionice",
    }
    values.update(changes)
    return Host(**values)  # type: ignore[arg-type]


# --- the command ------------------------------------------------------------------------------


def test_janitor_command_is_absolute_and_not_resolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = tmp_path / "venv" / "bin" / "python"
    link.parent.mkdir(parents=True)
    link.symlink_to(sys.executable)
    assert janitor_command(str(link)) == (str(link), "-m", "janitor")
    assert janitor_command()[0] == os.path.abspath(sys.executable)
    monkeypatch.chdir(tmp_path)
    assert janitor_command("venv/bin/python")[0] == str(link)


def test_sweep_command_and_sweep_args() -> None:
    argv = sweep_command(("/py", "-m", "janitor"), ["--ci", "--packages", "hatch"])
    assert argv == ("/py", "-m", "janitor", *SWEEP_PREFIX, "--ci", "--packages", "hatch")
    assert SWEEP_PREFIX == ("sweep", "--wait", "0", "--quiet")
    installed = Installed(Backend.CRON, Every.DAILY, argv)
    assert installed.sweep_args == ("--ci", "--packages", "hatch")
    assert Installed(Backend.CRON, None, ("/bin/true",)).sweep_args is None


def test_refuses_relative_commands_and_line_breaks(tmp_path: Path) -> None:
    host = make_host(tmp_path)
    with pytest.raises(ValueError, match="absolute"):
        plan_install(Job(Every.DAILY, ("python", "-m", "janitor")), host)
    with pytest.raises(ValueError, match="absolute"):
        plan_install(Job(Every.DAILY, (PYTHON,)), host, Backend.TASK_SCHEDULER)
    with pytest.raises(ScheduleError, match="line break"):
        plan_install(Job(Every.DAILY, (PYTHON, "a\nb")), host)
    with pytest.raises(ScheduleError, match="backslash before a %"):
        plan_install(Job(Every.DAILY, (PYTHON, "50\\%")), host, Backend.CRON)
    assert issubclass(ScheduleError, JanitorError)


# --- systemd ----------------------------------------------------------------------------------


def test_systemd_units() -> None:
    service = systemd_service(JOB)
    assert f"ExecStart={PYTHON} -m janitor sweep --wait 0 --quiet --older-than 30d\n" in service
    for line in (
        "Type=oneshot",
        "Nice=19",
        "IOSchedulingClass=idle",
        "CPUSchedulingPolicy=idle",
        "SuccessExitStatus=3",
    ):
        assert f"\n{line}\n" in service
    timer = systemd_timer(Every.WEEKLY)
    for line in (
        "OnCalendar=weekly",
        "Persistent=true",
        "RandomizedDelaySec=1h",
        "WantedBy=timers.target",
    ):
        assert f"\n{line}\n" in timer
    assert parse_systemd_units(service, timer) == Installed(Backend.SYSTEMD, Every.WEEKLY, JOB.argv)
    assert parse_systemd_units(service, None).every is None
    assert parse_systemd_units(service, "[Timer]\nOnCalendar=*-*-* 04:00\n").every is None
    with pytest.raises(ValueError, match="ExecStart"):
        parse_systemd_units("[Service]\nType=oneshot\n", timer)


def test_systemd_quoting() -> None:
    assert systemd_quote("/usr/bin/python3") == "/usr/bin/python3"
    assert systemd_quote("100%") == "100%%"
    assert systemd_quote("$HOME") == "$$HOME"
    assert systemd_quote("a b") == '"a b"'
    assert systemd_quote('say "hi"\\') == '"say \\"hi\\"\\\\"'
    assert systemd_quote(";") == "\\;"
    assert systemd_quote("") == '""'
    assert systemd_split('/bin/x "a b" c\\;d %%h $$X \\;') == [
        "/bin/x",
        "a b",
        "c;d",
        "%h",
        "$X",
        ";",
    ]


@given(st.lists(ARGUMENT, max_size=6))
def test_systemd_quoting_round_trips(args: list[str]) -> None:
    assert systemd_split(" ".join(systemd_quote(arg) for arg in args)) == args


SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_systemd_analyze = pytest.mark.skipif(
    SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed (Debian package: systemd)"
)


def verify_units(directory: Path) -> subprocess.CompletedProcess[str]:
    assert SYSTEMD_ANALYZE is not None
    return subprocess.run(
        [SYSTEMD_ANALYZE, "verify", str(directory / SERVICE_NAME), str(directory / TIMER_NAME)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def write_units(directory: Path, job: Job) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / SERVICE_NAME).write_text(systemd_service(job))
    (directory / TIMER_NAME).write_text(systemd_timer(job.every))


@needs_systemd_analyze
@pytest.mark.parametrize("every", list(Every))
def test_systemd_analyze_accepts_the_units(tmp_path: Path, every: Every) -> None:
    # A path with a space proves the executable is quoted: verify checks that it exists.
    python = tmp_path / "with space" / "python"
    python.parent.mkdir()
    python.symlink_to(sys.executable)
    job = Job(every, sweep_command((str(python), "-m", "janitor"), AWKWARD))
    write_units(tmp_path / "units", job)
    result = verify_units(tmp_path / "units")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "janitor-sweep" not in output, output


@needs_systemd_analyze
def test_systemd_analyze_would_catch_a_broken_unit(tmp_path: Path) -> None:
    job = Job(Every.DAILY, (str(tmp_path / "with space" / "python"), "-m", "janitor"))
    write_units(tmp_path / "units", job)
    result = verify_units(tmp_path / "units")
    assert result.returncode != 0
    assert "with space/python" in result.stdout + result.stderr


# --- cron -------------------------------------------------------------------------------------

USER_CRONTAB = (
    "# m h  dom mon dow   command\n"
    "MAILTO=me@example.com\n"
    "0 3 * * * /usr/local/bin/backup --all   \n"
    "*/5 * * * * echo '50%' \\% >> /tmp/log\r\n"
    "\n"
    "@reboot /usr/bin/true # my-janitor-sweep"
)


def test_cron_line(tmp_path: Path) -> None:
    host = make_host(tmp_path)
    line = cron_line(JOB, host)
    assert line == (
        f"@daily /usr/bin/nice -n 19 /usr/bin/ionice -c3 {PYTHON} -m janitor sweep --wait 0 "
        f"--quiet --older-than 30d {CRON_MARKER}"
    )
    bare = cron_line(Job(Every.HOURLY, JOB.argv), make_host(tmp_path, nice=None, ionice=None))
    assert bare.startswith(f"@hourly {PYTHON} -m janitor")
    weekly = cron_line(Job(Every.WEEKLY, (PYTHON, "100%")), host)
    assert "'100\\%'" not in weekly and "100\\%" in weekly
    assert parse_crontab(crontab_with("", weekly)) == Installed(
        Backend.CRON, Every.WEEKLY, (PYTHON, "100%"), active=True
    )


@given(st.lists(ARGUMENT.filter(lambda arg: "\\%" not in arg), max_size=6))
def test_cron_line_round_trips(args: list[str]) -> None:
    job = Job(Every.HOURLY, (PYTHON, *args))
    for host in (make_host(Path("/x")), make_host(Path("/x"), nice=None, ionice=None)):
        line = cron_line(job, host)
        assert "\n" not in line
        assert parse_crontab(crontab_with(USER_CRONTAB, line)) == Installed(
            Backend.CRON, Every.HOURLY, job.argv, active=True
        )


def test_crontab_edits(tmp_path: Path) -> None:
    line = cron_line(JOB, make_host(tmp_path))
    once = crontab_with(USER_CRONTAB, line)
    assert once == USER_CRONTAB + "\n" + line + "\n"
    assert crontab_with(once, line) == once
    assert crontab_without(once) == USER_CRONTAB + "\n"
    assert crontab_without(USER_CRONTAB) == USER_CRONTAB
    assert crontab_with("", line) == line + "\n"
    assert crontab_without(line + "\n") == ""
    assert parse_crontab(USER_CRONTAB) is None
    assert parse_crontab("") is None


def test_crontab_replaces_in_place_and_drops_duplicates(tmp_path: Path) -> None:
    old = f"@hourly /old/python -m janitor sweep {CRON_MARKER}"
    text = f"A=1\n{old}\n0 1 * * * job\r\n{old}\nlast"
    line = cron_line(JOB, make_host(tmp_path))
    assert crontab_with(text, line) == f"A=1\n{line}\n0 1 * * * job\r\nlast"
    assert crontab_without(text) == "A=1\n0 1 * * * job\r\nlast"
    installed = parse_crontab(text)
    assert installed is not None
    assert installed.every is Every.HOURLY
    assert installed.argv == ("/old/python", "-m", "janitor", "sweep")


def test_commented_out_line_is_not_installed_but_is_ours(tmp_path: Path) -> None:
    line = cron_line(JOB, make_host(tmp_path))
    disabled = f"KEEP=1\n# {line}\n"
    assert parse_crontab(disabled) is None
    assert crontab_with(disabled, line) == f"KEEP=1\n{line}\n"
    assert crontab_without(disabled) == "KEEP=1\n"


def test_hand_edited_cron_schedule_reads_back() -> None:
    installed = parse_crontab(f"15 4 * * * /py -m janitor sweep {CRON_MARKER}\n")
    assert installed == Installed(
        Backend.CRON, None, ("/py", "-m", "janitor", "sweep"), active=True
    )
    with pytest.raises(ValueError, match="no command"):
        parse_crontab(f"@daily {CRON_MARKER}\n")


# --- launchd ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("every", "key", "value"),
    [
        (Every.HOURLY, "StartInterval", 3600),
        (Every.DAILY, "StartCalendarInterval", {"Hour": 3, "Minute": 0}),
        (Every.WEEKLY, "StartCalendarInterval", {"Weekday": 0, "Hour": 3, "Minute": 0}),
    ],
)
def test_launchd_plist(every: Every, key: str, value: object) -> None:
    job = Job(every, sweep_command((PYTHON, "-m", "janitor"), AWKWARD))
    data = launchd_plist(job).encode()
    agent = plistlib.loads(data)
    assert agent["Label"] == LAUNCHD_LABEL
    assert agent["ProgramArguments"] == list(job.argv)
    assert agent[key] == value
    assert agent["LowPriorityIO"] is True
    assert agent["Nice"] == 19
    assert agent["ProcessType"] == "Background"
    assert parse_plist(data) == Installed(Backend.LAUNCHD, every, job.argv)


def test_unreadable_plist() -> None:
    with pytest.raises(ValueError, match="property list"):
        parse_plist(b"<not a plist")
    with pytest.raises(ValueError, match="ProgramArguments"):
        parse_plist(plistlib.dumps({"Label": LAUNCHD_LABEL}))


# --- Task Scheduler ---------------------------------------------------------------------------


def task_element(root: ET.Element, path: str) -> ET.Element:
    found = root.find(path, {"t": TASK_NAMESPACE})
    assert found is not None, path
    return found


@pytest.mark.parametrize(
    ("every", "interval"), [(Every.HOURLY, "PT1H"), (Every.DAILY, "P1D"), (Every.WEEKLY, "P7D")]
)
def test_task_xml(every: Every, interval: str) -> None:
    job = Job(every, sweep_command((WINDOWS_PYTHON, "-m", "janitor"), AWKWARD))
    data = task_xml(job).encode("utf-16")
    assert data.startswith(b"\xff\xfe")
    root = ET.fromstring(data)
    assert root.tag == f"{{{TASK_NAMESPACE}}}Task"
    trigger = "t:Triggers/t:TimeTrigger"
    assert task_element(root, f"{trigger}/t:Repetition/t:Interval").text == interval
    assert task_element(root, f"{trigger}/t:Enabled").text == "true"
    assert task_element(root, "t:Settings/t:Priority").text == "10"
    assert task_element(root, "t:Settings/t:MultipleInstancesPolicy").text == "IgnoreNew"
    assert task_element(root, "t:Actions/t:Exec/t:Command").text == WINDOWS_PYTHON
    arguments = task_element(root, "t:Actions/t:Exec/t:Arguments").text
    assert arguments == subprocess.list2cmdline(job.argv[1:])
    assert parse_task_xml(data) == Installed(Backend.TASK_SCHEDULER, every, job.argv)


@given(st.lists(ARGUMENT, max_size=6))
def test_windows_quoting_round_trips(args: list[str]) -> None:
    assert windows_split(subprocess.list2cmdline(args)) == args


def test_windows_split_rules() -> None:
    assert windows_split('a\\\\"b c" d\\e "f""g"') == ["a\\b c", "d\\e", 'f"g']
    assert windows_split('\\"x\\" \\\\\\"y') == ['"x"', '\\"y']


def test_unreadable_task_xml() -> None:
    with pytest.raises(ValueError, match="task definition"):
        parse_task_xml(b"<Task")
    with pytest.raises(ValueError, match="Command"):
        parse_task_xml(b"<Task><Actions/></Task>")


# --- plans ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "backend"),
    [
        ({"platform": "linux", "systemd": True}, Backend.SYSTEMD),
        ({"platform": "linux", "systemd": False}, Backend.CRON),
        ({"platform": "freebsd14", "systemd": False}, Backend.CRON),
        ({"platform": "darwin"}, Backend.LAUNCHD),
        ({"platform": "win32"}, Backend.TASK_SCHEDULER),
    ],
)
def test_choose_backend(tmp_path: Path, changes: dict[str, object], backend: Backend) -> None:
    assert choose_backend(make_host(tmp_path, **changes)) is backend


def test_systemd_plan(tmp_path: Path) -> None:
    host = make_host(tmp_path)
    units = host.config_home / "systemd" / "user"
    plan = plan_install(JOB, host)
    assert plan.backend is Backend.SYSTEMD
    assert plan.steps == (
        WriteFile(units / SERVICE_NAME, systemd_service(JOB)),
        WriteFile(units / TIMER_NAME, systemd_timer(Every.DAILY)),
        RunCommand(("systemctl", "--user", "daemon-reload")),
        RunCommand(("systemctl", "--user", "enable", "--now", TIMER_NAME)),
    )
    assert any("enable-linger" in note for note in plan.notes)
    described = plan.describe()
    assert described[0] == f"write {units / SERVICE_NAME}"
    assert f"    ExecStart={PYTHON} -m janitor sweep --wait 0 --quiet --older-than 30d" in described
    assert described[-1] == "run systemctl --user enable --now janitor-sweep.timer"
    removal = plan_remove(host)
    assert removal.steps == (
        RunCommand(("systemctl", "--user", "disable", "--now", TIMER_NAME), may_fail=True),
        RemoveFile(units / TIMER_NAME),
        RemoveFile(units / SERVICE_NAME),
        RunCommand(("systemctl", "--user", "daemon-reload")),
    )
    assert removal.describe()[0].endswith("(a failure is ignored)")


def test_cron_plan(tmp_path: Path) -> None:
    host = make_host(tmp_path, systemd=False)
    plan = plan_install(JOB, host)
    assert plan.steps == (EditCrontab(cron_line(JOB, host)),)
    assert plan.describe() == [
        "add or replace janitor's crontab line:",
        f"    {cron_line(JOB, host)}",
    ]
    assert plan_remove(host).steps == (EditCrontab(None),)
    assert plan_remove(host).describe() == [f"remove the crontab line ending in {CRON_MARKER!r}"]


def test_launchd_plan(tmp_path: Path) -> None:
    host = make_host(tmp_path, platform="darwin", uid=501)
    plist = host.home / "Library" / "LaunchAgents" / PLIST_NAME
    plan = plan_install(JOB, host)
    assert plan.steps == (
        WriteFile(plist, launchd_plist(JOB)),
        RunCommand(("launchctl", "bootout", f"gui/501/{LAUNCHD_LABEL}"), may_fail=True),
        RunCommand(("launchctl", "bootstrap", "gui/501", str(plist))),
    )
    assert plan_remove(host).steps == (
        RunCommand(("launchctl", "bootout", f"gui/501/{LAUNCHD_LABEL}"), may_fail=True),
        RemoveFile(plist),
    )


def test_task_scheduler_plan(tmp_path: Path) -> None:
    host = make_host(tmp_path, platform="win32")
    job = Job(Every.HOURLY, (WINDOWS_PYTHON, "-m", "janitor", "sweep"))
    definition = host.data_dir / TASK_XML_NAME
    plan = plan_install(job, host)
    create = ("schtasks", "/Create", "/TN", "janitor-sweep", "/XML", str(definition), "/F")
    assert plan.steps == (
        WriteFile(definition, task_xml(job), encoding="utf-16"),
        RunCommand(create, windows=True),
    )
    assert plan.describe()[-1] == f"run {subprocess.list2cmdline(create)}"
    assert plan_remove(host).steps == (
        RunCommand(
            ("schtasks", "/Delete", "/TN", "janitor-sweep", "/F"), may_fail=True, windows=True
        ),
        RemoveFile(definition),
    )


# --- the executor, against stand-in programs --------------------------------------------------

FAKES = {
    "systemctl": """
if [ -n "$FAKE_FAIL" ] && [ "$2" = "$FAKE_FAIL" ]; then
    echo "Failed to connect to bus: No medium found" >&2; exit 1
fi
case "$2" in
    show-environment) [ -e "$FAKE_STATE/no-user-manager" ] && exit 1 ;;
    enable) touch "$FAKE_STATE/timer-enabled" ;;
    disable)
        [ -e "$FAKE_STATE/timer-enabled" ] || { echo "Unit $4 not loaded." >&2; exit 5; }
        rm "$FAKE_STATE/timer-enabled" ;;
    is-active) [ -e "$FAKE_STATE/timer-enabled" ] || exit 3 ;;
esac
""",
    "crontab": """
case "$1" in
    -l)
        if [ -n "$FAKE_CRONTAB_BROKEN" ]; then
            echo "crontab: cannot open your crontab: Permission denied" >&2; exit 1
        fi
        [ -e "$FAKE_STATE/crontab" ] || { echo "no crontab for tester" >&2; exit 1; }
        cat "$FAKE_STATE/crontab" ;;
    -) cat > "$FAKE_STATE/crontab" ;;
    *) exit 2 ;;
esac
""",
    "launchctl": """
case "$1" in
    bootout)
        [ -e "$FAKE_STATE/agent" ] || { echo "Boot-out failed: 3: No such process" >&2; exit 3; }
        rm "$FAKE_STATE/agent" ;;
    bootstrap)
        if [ -e "$FAKE_STATE/agent" ]; then
            echo "Bootstrap failed: 5: Input/output error" >&2; exit 5
        fi
        cp "$3" "$FAKE_STATE/agent" ;;
    print) [ -e "$FAKE_STATE/agent" ] || exit 113 ;;
esac
""",
    "schtasks": """
case "$1" in
    /Create) cp "$5" "$FAKE_STATE/task.xml" ;;
    /Delete)
        if [ ! -e "$FAKE_STATE/task.xml" ]; then
            echo "ERROR: The system cannot find the file specified." >&2; exit 1
        fi
        rm "$FAKE_STATE/task.xml" ;;
    /Query) [ -e "$FAKE_STATE/task.xml" ] || exit 1 ;;
esac
""",
    "nice": "exit 0\n",
    "ionice": "exit 0\n",
}


class Fakes:
    """Stand-in scheduler programs, alone on PATH, logging each call and keeping their state."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.bin = root / "fakebin"
        self.state = root / "fakestate"
        self.log = root / "calls.log"
        self.bin.mkdir()
        self.state.mkdir()
        for name, body in FAKES.items():
            script = self.bin / name
            script.write_text(
                f'#!/bin/sh\necho "{name} $*" >> "$FAKE_LOG"\nPATH=/usr/bin:/bin\n{body}exit 0\n'
            )
            script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        self.monkeypatch = monkeypatch
        monkeypatch.setenv("PATH", str(self.bin))
        monkeypatch.setenv("FAKE_LOG", str(self.log))
        monkeypatch.setenv("FAKE_STATE", str(self.state))
        monkeypatch.delenv("FAKE_FAIL", raising=False)
        monkeypatch.delenv("FAKE_CRONTAB_BROKEN", raising=False)

    def calls(self) -> list[str]:
        """The calls so far, and forget them."""
        if not self.log.exists():
            return []
        calls = self.log.read_text().splitlines()
        self.log.unlink()
        return calls

    def remove(self, name: str) -> None:
        (self.bin / name).unlink()


@pytest.fixture
def fakes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Fakes:
    return Fakes(tmp_path, monkeypatch)


def test_systemd_install_show_remove(tmp_path: Path, fakes: Fakes) -> None:
    host = make_host(tmp_path)
    units = host.config_home / "systemd" / "user"
    assert read_installed(host) is None
    for _ in range(2):
        apply(plan_install(JOB, host))
        assert (units / SERVICE_NAME).read_text() == systemd_service(JOB)
        assert (units / TIMER_NAME).read_text() == systemd_timer(Every.DAILY)
        assert fakes.calls() == [
            "systemctl --user daemon-reload",
            f"systemctl --user enable --now {TIMER_NAME}",
        ]
    assert sorted(path.name for path in units.iterdir()) == [SERVICE_NAME, TIMER_NAME]
    assert read_installed(host) == Installed(
        Backend.SYSTEMD,
        Every.DAILY,
        JOB.argv,
        files=(units / SERVICE_NAME, units / TIMER_NAME),
        active=True,
    )
    assert fakes.calls() == [f"systemctl --user is-active --quiet {TIMER_NAME}"]
    weekly = Job(Every.WEEKLY, JOB.argv)
    apply(plan_install(weekly, host))
    installed = read_installed(host)
    assert installed is not None
    assert installed.every is Every.WEEKLY
    for _ in range(2):
        apply(plan_remove(host))
        assert not (units / SERVICE_NAME).exists()
        assert not (units / TIMER_NAME).exists()
    assert read_installed(host) is None
    assert not (fakes.state / "timer-enabled").exists()


def test_check_names_what_each_backend_lacks_and_changes_nothing(
    tmp_path: Path, fakes: Fakes
) -> None:
    hosts = {
        "systemctl": make_host(tmp_path),
        "launchctl": make_host(tmp_path, platform="darwin", uid=501),
        "schtasks": make_host(tmp_path, platform="win32"),
    }
    job = Job(Every.DAILY, sweep_command((WINDOWS_PYTHON, "-m", "janitor")))
    for program, host in hosts.items():
        planned = plan_install(job if host.platform == "win32" else JOB, host)
        check(planned, host)
        check(plan_remove(host), host)
        fakes.remove(program)
        with pytest.raises(ScheduleError) as caught:
            check(planned, host)
        assert str(caught.value) == f"{program} not found; it is needed to manage the schedule"
        # Unloading may fail (nothing may be loaded), so only systemd's removal needs its program.
        if program == "systemctl":
            with pytest.raises(ScheduleError, match=r"^systemctl not found"):
                check(plan_remove(host), host)
        else:
            check(plan_remove(host), host)
    no_manager = make_host(tmp_path, systemd=False)
    with pytest.raises(ScheduleError) as caught:
        check(plan_install(JOB, no_manager, Backend.SYSTEMD), no_manager)
    assert str(caught.value) == "no systemd user manager answers here (systemctl --user)"
    assert fakes.calls() == []
    assert not tmp_path.joinpath("home").exists()


def test_check_reads_the_crontab_as_an_edit_would(tmp_path: Path, fakes: Fakes) -> None:
    host = make_host(tmp_path, systemd=False)
    check(plan_install(JOB, host), host)
    assert fakes.calls() == ["crontab -l"]
    assert not (fakes.state / "crontab").exists()
    fakes.remove("crontab")
    with pytest.raises(ScheduleError) as caught:
        check(plan_remove(host), host)
    assert str(caught.value) == (
        "crontab not found (and no systemd user manager to use instead); it is needed to manage "
        "the schedule"
    )


def test_systemd_failure_is_one_line(tmp_path: Path, fakes: Fakes) -> None:
    fakes.monkeypatch.setenv("FAKE_FAIL", "daemon-reload")
    with pytest.raises(ScheduleError) as caught:
        apply(plan_install(JOB, make_host(tmp_path)))
    assert str(caught.value) == (
        "systemctl --user daemon-reload failed with exit status 1: "
        "Failed to connect to bus: No medium found"
    )


def test_missing_program(tmp_path: Path, fakes: Fakes) -> None:
    host = make_host(tmp_path)
    fakes.remove("systemctl")
    with pytest.raises(ScheduleError, match=r"^systemctl not found"):
        apply(plan_install(JOB, host))
    # Undoing may meet a missing program; the files still go.
    with pytest.raises(ScheduleError, match=r"^systemctl not found"):
        apply(plan_remove(host))
    assert not (host.config_home / "systemd" / "user" / SERVICE_NAME).exists()
    assert read_installed(host) is None


def test_unwritable_unit_directory(tmp_path: Path, fakes: Fakes) -> None:
    host = make_host(tmp_path)
    host.config_home.parent.mkdir(parents=True)
    host.config_home.write_text("a file where a directory should be")
    with pytest.raises(ScheduleError, match=r"^cannot write .*janitor-sweep\.service: "):
        apply(plan_install(JOB, host))
    assert fakes.calls() == []


def test_cron_install_show_remove(tmp_path: Path, fakes: Fakes) -> None:
    host = make_host(tmp_path, systemd=False)
    user = USER_CRONTAB.encode() + b"\n# caf\xc3\xa9 \xff\n"
    (fakes.state / "crontab").write_bytes(user)
    apply(plan_install(JOB, host))
    assert fakes.calls() == ["crontab -l", "crontab -"]
    written = (fakes.state / "crontab").read_bytes()
    assert written == user + cron_line(JOB, host).encode() + b"\n"
    apply(plan_install(JOB, host))
    assert fakes.calls() == ["crontab -l"]
    assert (fakes.state / "crontab").read_bytes() == written
    assert read_installed(host) == Installed(Backend.CRON, Every.DAILY, JOB.argv, active=True)
    fakes.calls()
    apply(plan_remove(host))
    assert fakes.calls() == ["crontab -l", "crontab -"]
    assert (fakes.state / "crontab").read_bytes() == user
    apply(plan_remove(host))
    assert fakes.calls() == ["crontab -l"]
    assert read_installed(host) is None


def test_cron_without_a_crontab(tmp_path: Path, fakes: Fakes) -> None:
    host = make_host(tmp_path, systemd=False)
    assert read_installed(host) is None
    apply(plan_remove(host))
    assert not (fakes.state / "crontab").exists()
    apply(plan_install(JOB, host))
    assert (fakes.state / "crontab").read_text() == cron_line(JOB, host) + "\n"


def test_cron_read_failure(tmp_path: Path, fakes: Fakes) -> None:
    fakes.monkeypatch.setenv("FAKE_CRONTAB_BROKEN", "1")
    host = make_host(tmp_path, systemd=False)
    with pytest.raises(ScheduleError) as caught:
        apply(plan_install(JOB, host))
    assert str(caught.value) == (
        "crontab -l failed with exit status 1: crontab: cannot open your crontab: Permission denied"
    )
    assert not (fakes.state / "crontab").exists()


def test_launchd_install_show_remove(tmp_path: Path, fakes: Fakes) -> None:
    host = make_host(tmp_path, platform="darwin", uid=501)
    plist = host.home / "Library" / "LaunchAgents" / PLIST_NAME
    assert read_installed(host) is None
    apply(plan_install(JOB, host))
    assert fakes.calls() == [
        f"launchctl bootout gui/501/{LAUNCHD_LABEL}",
        f"launchctl bootstrap gui/501 {plist}",
    ]
    apply(plan_install(JOB, host))
    assert (fakes.state / "agent").read_bytes() == plist.read_bytes()
    assert read_installed(host) == Installed(
        Backend.LAUNCHD, Every.DAILY, JOB.argv, files=(plist,), active=True
    )
    for _ in range(2):
        apply(plan_remove(host))
        assert not plist.exists()
    assert not (fakes.state / "agent").exists()
    assert read_installed(host) is None


def test_task_scheduler_install_show_remove(tmp_path: Path, fakes: Fakes) -> None:
    host = make_host(tmp_path, platform="win32")
    job = Job(Every.WEEKLY, sweep_command((WINDOWS_PYTHON, "-m", "janitor"), AWKWARD))
    definition = host.data_dir / TASK_XML_NAME
    for _ in range(2):
        apply(plan_install(job, host))
    registered = (fakes.state / "task.xml").read_bytes()
    assert registered.startswith(b"\xff\xfe")
    assert registered.decode("utf-16") == task_xml(job)
    assert read_installed(host) == Installed(
        Backend.TASK_SCHEDULER, Every.WEEKLY, job.argv, files=(definition,), active=True
    )
    fakes.calls()
    for _ in range(2):
        apply(plan_remove(host))
    assert fakes.calls()[0] == "schtasks /Delete /TN janitor-sweep /F"
    assert not definition.exists()
    assert read_installed(host) is None


def test_show_reports_unreadable_files(tmp_path: Path, fakes: Fakes) -> None:
    host = make_host(tmp_path, platform="darwin")
    plist = host.home / "Library" / "LaunchAgents" / PLIST_NAME
    plist.parent.mkdir(parents=True)
    plist.write_text("garbage")
    with pytest.raises(ScheduleError, match=f"^{plist}: not a property list"):
        read_installed(host)


# --- detection --------------------------------------------------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux detection")
def test_detect_host_on_linux(tmp_path: Path, fakes: Fakes) -> None:
    run_dir = tmp_path / "run-systemd-system"
    run_dir.mkdir()
    environ = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    host = detect_host(environ, run_systemd=run_dir)
    assert host.platform == sys.platform
    assert host.config_home == tmp_path / "xdg"
    assert host.home == Path.home()
    assert host.uid == os.getuid()
    assert host.systemd is True
    assert host.nice == str(fakes.bin / "nice")
    assert host.ionice == str(fakes.bin / "ionice")
    assert detect_host({"XDG_CONFIG_HOME": "relative"}, run_dir).config_home == (
        Path.home() / ".config"
    )
    assert detect_host(environ, run_systemd=tmp_path / "absent").systemd is False
    (fakes.state / "no-user-manager").touch()
    assert detect_host(environ, run_systemd=run_dir).systemd is False
    fakes.remove("systemctl")
    fakes.remove("ionice")
    host = detect_host(environ, run_systemd=run_dir)
    assert host.systemd is False
    assert host.ionice is None
    assert choose_backend(host) is Backend.CRON


def test_shell_runs_the_cron_command_as_written(tmp_path: Path) -> None:
    printf = shutil.which("printf")
    assert printf is not None
    job = Job(Every.DAILY, (printf, "[%s]\\n", *AWKWARD))
    line = cron_line(job, make_host(tmp_path, nice=None, ionice=None))
    # What cron hands to /bin/sh: the text after the schedule, with each `\\%` turned into `%`.
    command = line.split(" ", 1)[1].replace("\\%", "%")
    result = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, check=True)
    assert result.stdout == "".join(f"[{arg}]\n" for arg in AWKWARD)
