"""Cost control and waiting: idle_shutdown, schedules, wait, .instances.

Against a real mount of the emulator: the bytes of each file, the errno
of each write, the requests the emulator received, and how long a wait
took (upper bounds, generous for a loaded machine).
"""
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import sh
from mount import wait_for

OP = 2.0  # emulator seconds per transition


def read(m, path):
    with open(os.path.join(m.path, path)) as f:
        return f.read()


def routes(emu):
    return emu.counters()["routes"]


@pytest.fixture
def ws(emu_factory, mount_factory):
    emu = emu_factory("--instances", "6", "--op-seconds", str(OP))
    m = mount_factory(emu, options=["delete=any"])
    return emu, m


def props(emu, name):
    return emu.get(emu.ws("/computes/" + name)).json["properties"][
        "properties"]


def test_idle_shutdown_reads_and_writes(ws):
    emu, m = ws
    for name in sorted(emu.instances()):
        p = props(emu, name)
        want = p.get("idleTimeBeforeShutdown")
        got = read(m, name + "/idle_shutdown")
        if want:
            assert got.strip().isdigit() and int(got) >= 15, (name, got)
        else:
            assert got == "off\n", (name, got)
    before = routes(emu).get("idle_shutdown", 0)
    r = sh("echo 90 > %s/ci-alice/idle_shutdown" % m.path)
    assert r.returncode == 0, r.stderr
    assert routes(emu)["idle_shutdown"] == before + 1
    posted = emu.get("/_emulator/requests?route=idle_shutdown",
                     auth=False).json["log"][-1]
    assert posted["method"] == "POST"
    assert json.loads(posted["body"]) == {"idleTimeBeforeShutdown": "PT90M"}
    assert props(emu, "ci-alice")["idleTimeBeforeShutdown"] == "PT90M"
    assert read(m, "ci-alice/idle_shutdown") == "90\n"  # re-read at once
    # Azure's range, and "off", refused before any request
    for bad in ("5", "14", "4321", "off", "soon", "-20", ""):
        r = sh("printf '%%s\\n' '%s' > %s/ci-alice/idle_shutdown" %
               (bad, m.path))
        assert r.returncode != 0 and "Invalid argument" in r.stderr, bad
    assert routes(emu)["idle_shutdown"] == before + 1
    assert read(m, "ci-alice/idle_shutdown") == "90\n"


def test_schedules_show_both_trigger_kinds(ws):
    emu, m = ws
    kinds = set()
    for name in sorted(emu.instances()):
        p = props(emu, name)
        sched = (p.get("schedules") or {}).get("computeStartStop") or []
        lines = read(m, name + "/schedules").splitlines()
        assert len(lines) == len(sched), (name, lines, sched)
        for line, s in zip(lines, sched):
            words = line.split()
            assert words[0] == s["action"] and words[1] == s.get(
                "status", "Enabled")
            if s.get("triggerType") == "Cron":
                kinds.add("cron")
                assert words[2] == "cron"
                assert s["cron"]["expression"] in line
                zone = s["cron"].get("timeZone") or "UTC"
            else:
                kinds.add("recurrence")
                assert words[2] == "recurrence"
                rec = s["recurrence"]
                assert words[3] == rec["frequency"]
                h, mi = rec["schedule"]["hours"][0], \
                    rec["schedule"]["minutes"][0]
                assert "%02d:%02d" % (h, mi) in line
                zone = rec.get("timeZone") or "UTC"
            assert line.endswith(" tz " + zone), line
    assert kinds == {"cron", "recurrence"}, kinds
    # read-only: Azure's API has no call to replace them
    r = sh("echo x > %s/ci-alice/schedules" % m.path)
    assert r.returncode != 0 and "Permission denied" in r.stderr


def test_create_with_idle_and_schedules(ws):
    emu, m = ws
    line = ("ci-night idle=30 start_at=08:30 stop_at=19:00 days=Mon-Fri "
            "tz=W._Europe_Standard_Time")
    r = sh("echo '%s' > %s/.create" % (line, m.path))
    assert r.returncode == 0, r.stderr
    sent = [json.loads(x["body"]) for x in emu.get(
        "/_emulator/requests?route=put", auth=False).json["log"]
        if x.get("body")]
    assert sent[-1]["properties"]["properties"][
        "idleTimeBeforeShutdown"] == "PT30M"
    p = props(emu, "ci-night")
    assert p["idleTimeBeforeShutdown"] == "PT30M"
    sched = p["schedules"]["computeStartStop"]
    assert [s["action"] for s in sched] == ["Start", "Stop"]
    start = sched[0]["recurrence"]
    assert start["timeZone"] == "W. Europe Standard Time"
    assert start["schedule"]["hours"] == [8]
    assert start["schedule"]["minutes"] == [30]
    assert start["schedule"]["weekDays"] == [
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
    assert sched[1]["recurrence"]["schedule"]["hours"] == [19]
    wait_for(lambda: os.path.exists(os.path.join(m.path, "ci-night")),
             timeout=10, what="ci-night")
    assert read(m, "ci-night/idle_shutdown") == "30\n"
    assert "Stop Enabled recurrence Week 1 19:00 Mon,Tue,Wed,Thu,Fri tz " \
        "W. Europe Standard Time\n" in read(m, "ci-night/schedules")
    # what is wrong is refused before any request
    puts = routes(emu)["put"]
    for bad in ("ci-x idle=5", "ci-x start_at=25:00", "ci-x days=Funday "
                "start_at=08:00", "ci-x days=Mon-Fri", "ci-x tz=Mars time"):
        r = sh("echo '%s' > %s/.create" % (bad, m.path))
        assert r.returncode != 0 and "Invalid argument" in r.stderr, bad
    assert routes(emu)["put"] == puts


def test_wait_returns_at_once_when_nothing_runs(ws):
    emu, m = ws
    t = time.monotonic()
    assert read(m, "ci-alice/wait") == "Running\n"
    assert time.monotonic() - t < 1.0


@pytest.mark.parametrize("verb,final", [("stop", "Stopped"),
                                        ("restart", "Running")])
def test_wait_blocks_until_the_operation_ends(ws, verb, final):
    emu, m = ws
    t = time.monotonic()
    r = sh("echo %s > %s/ci-alice/control && cat %s/ci-alice/wait" %
           (verb, m.path, m.path))
    took = time.monotonic() - t
    assert r.returncode == 0, r.stderr
    assert r.stdout == final + "\n"
    assert OP * 0.9 < took < OP * 2 + 5, took
    assert read(m, "ci-alice/state") == final + "\n"


def test_wait_on_start(ws):
    emu, m = ws
    stopped = [n for n, c in emu.instances().items()
               if c["properties"]["properties"]["state"] == "Stopped"][0]
    r = sh("echo start > %s/%s/control && cat %s/%s/wait" %
           (m.path, stopped, m.path, stopped))
    assert r.returncode == 0 and r.stdout == "Running\n", r.stderr


def parked_stop_and_wait(m):
    """`echo stop > ci-alice/control && cat ci-alice/wait`, started and
    parked in the wait."""
    p = subprocess.Popen(["bash", "-c", "echo stop > %s/ci-alice/control &&"
                          " cat %s/ci-alice/wait" % (m.path, m.path)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    time.sleep(0.5)
    assert p.poll() is None  # parked
    return p


def test_a_wait_outlives_sighup(ws):
    # SIGHUP drops the listing under a parked wait: it waits for the next
    # one, and never says the instance is gone
    emu, m = ws
    p = parked_stop_and_wait(m)
    m.proc.send_signal(signal.SIGHUP)
    out, err = p.communicate(timeout=OP * 2 + 10)
    assert (p.returncode, out) == (0, "Stopped\n"), err


def test_a_wait_with_no_listing_and_azure_failing_is_eio(ws):
    emu, m = ws
    p = parked_stop_and_wait(m)
    emu.faults([{"route": "list", "status": 500}])
    m.proc.send_signal(signal.SIGHUP)
    out, err = p.communicate(timeout=OP * 2 + 40)
    assert p.returncode != 0 and "Input/output error" in err, (out, err)


def test_a_failed_operation_is_eio(emu_factory, mount_factory):
    # the stop is accepted, then Azure ends it Failed
    emu = emu_factory("--instances", "2", "--op-seconds", "1",
                      "--fail-ops", "stop")
    m = mount_factory(emu)
    t = time.monotonic()
    r = sh("echo stop > %s/ci-alice/control && cat %s/ci-alice/wait" %
           (m.path, m.path))
    assert r.returncode != 0 and "Input/output error" in r.stderr, r
    assert time.monotonic() - t < 10
    assert read(m, "ci-alice/errors") != ""  # says why
    assert "StopFailed" in read(m, "ci-alice/operation")


def test_sigint_frees_a_waiter(ws):
    emu, m = ws
    emu.faults([{"route": "operation_status", "delay_ms": 600000}])
    assert sh("echo stop > %s/ci-alice/control" % m.path).returncode == 0
    p = subprocess.Popen(["cat", "%s/ci-alice/wait" % m.path],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.5)
    assert p.poll() is None  # parked
    t = time.monotonic()
    p.send_signal(signal.SIGINT)
    p.wait(timeout=5)
    assert time.monotonic() - t < 1.5
    assert p.returncode != 0


def test_a_nonblocking_read_of_wait_does_not_park(ws):
    """file -s and other content sniffers open with O_NONBLOCK: EAGAIN
    while an operation runs, as a FIFO with nothing to read says (found
    by a tester: `file -s */*` hung on a wait file)."""
    emu, m = ws
    emu.faults([{"route": "operation_status", "delay_ms": 600000}])
    assert sh("echo stop > %s/ci-alice/control" % m.path).returncode == 0
    fd = os.open("%s/ci-alice/wait" % m.path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        t = time.monotonic()
        with pytest.raises(BlockingIOError):
            os.read(fd, 100)
        assert time.monotonic() - t < 1.0
    finally:
        os.close(fd)
    t = time.monotonic()
    r = sh("file -s %s/ci-alice/wait" % m.path)  # says it cannot read
    assert time.monotonic() - t < 5
    assert "temporarily unavailable" in r.stdout + r.stderr, r
    # nothing in flight elsewhere: a nonblocking read answers
    fd = os.open("%s/ci-bob/wait" % m.path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert os.read(fd, 100) == read(m, "ci-bob/state").encode()
    finally:
        os.close(fd)


def test_wait_timeout(emu_factory, mount_factory):
    emu = emu_factory("--instances", "2", "--op-seconds", "60")
    m = mount_factory(emu, options=["wait_timeout=1"])
    assert sh("echo stop > %s/ci-alice/control" % m.path).returncode == 0
    t = time.monotonic()
    r = sh("cat %s/ci-alice/wait" % m.path)
    assert r.returncode != 0 and "Connection timed out" in r.stderr
    assert 0.9 < time.monotonic() - t < 3


def test_fifty_waiters_and_the_mount_stays_fast(ws):
    emu, m = ws
    assert sh("echo stop > %s/ci-alice/control" % m.path).returncode == 0
    waiters = [subprocess.Popen(["cat", "%s/ci-alice/wait" % m.path],
                                stdout=subprocess.PIPE)
               for _ in range(50)]
    time.sleep(0.3)
    assert all(p.poll() is None for p in waiters)
    for _ in range(5):  # no worker is held: reads answer at once
        t = time.monotonic()
        assert sh("ls -l %s/ci-bob >/dev/null && cat %s/ci-bob/state" %
                  (m.path, m.path)).returncode == 0
        assert time.monotonic() - t < 1.0
    for p in waiters:
        out, _ = p.communicate(timeout=OP * 2 + 10)
        assert p.returncode == 0 and out == b"Stopped\n"


def test_instances_table(ws):
    emu, m = ws
    lines = read(m, ".instances").splitlines()
    by_name = {l.split()[0]: l for l in lines}
    assert sorted(by_name) == sorted(emu.instances())
    for name, c in emu.instances().items():
        p = c["properties"]["properties"]
        cols = by_name[name].split()
        assert cols[1] == p["state"] and cols[2] == p["vmSize"]
        ip = (p.get("connectivityEndpoints") or {}).get("publicIpAddress") \
            or (p.get("connectivityEndpoints") or {}).get(
                "privateIpAddress") or "-"
        assert cols[3] == ip
        assert cols[4] == read(m, name + "/idle_shutdown").strip()
        assert by_name[name].endswith(
            p.get("createdBy", {}).get("userName") or "-")
    # columns line up: the state column starts at one offset everywhere
    starts = {l.index(l.split()[1], len(l.split()[0])) for l in lines}
    assert len(starts) == 1, lines
    r = sh("awk '$2==\"Running\"{print $1}' %s/.instances" % m.path)
    running = sorted(n for n, c in emu.instances().items()
                     if c["properties"]["properties"]["state"] == "Running")
    assert r.stdout.split() == running
