"""Never hang: a slow, failing or unreachable Azure against a real mount.

Each test drives one class of bad day with the emulator's faults and
real processes (cat, bash's echo, kill, fusermount3) and asserts what a
user sees: the bytes read, the errno of a write, how long a system call
took (as an upper bound, generous for a loaded CI machine), how many
requests reached the emulator, and how soon the daemon exits.
"""
import os
import signal
import subprocess
import time

import pytest

from conftest import sh
from mount import is_mounted, wait_for

HANG = 600000  # ms: a request that never answers while a test runs
FAST = 1.0     # s: "at once", for a call answered from memory
EXIT = 3.0     # s: the daemon's 2 s, and a loaded machine's slack


def cat(m, path):
    """(bytes, seconds) of reading PATH under the mount."""
    t = time.monotonic()
    with open(os.path.join(m.path, path), "rb") as f:
        data = f.read()
    return data, time.monotonic() - t


def status(m):
    data, took = cat(m, ".status")
    assert took < FAST, took
    return dict(line.split(": ", 1)
                for line in data.decode().splitlines())


def lists(emu):
    return emu.counters()["routes"].get("list", 0)


def arm(emu, method, suffix):
    r = emu.request(method, emu.ws(suffix))
    assert r.status < 300, r
    return r


def started(argv):
    """A process that will block in the mount; wait until it does."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    assert p.poll() is None, "it did not block: %r" % (p.communicate(),)
    return p


def ended_within(p, seconds):
    t = time.monotonic()
    try:
        p.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise AssertionError("still running %.1f s after it was told "
                             "to stop" % seconds)
    return time.monotonic() - t


def proc_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return None


@pytest.fixture
def ws(emu_factory, mount_factory):
    """Four instances, one a page, so a listing is four requests."""
    emu = emu_factory("--instances", "4", "--clusters", "0",
                      "--page-size", "1", "--op-seconds", "1")
    m = mount_factory(emu, cache_ttl=1, options=("timeout=4",))
    return emu, m


def test_reads_during_a_listing_slower_than_the_ttl(ws):
    emu, m = ws
    assert cat(m, "ci-alice/state")[0] == b"Running\n"
    # every page 1.5 s: a listing of 6 s against a TTL of 1 s
    emu.faults([{"route": "list", "delay_ms": 1500}])
    arm(emu, "POST", "/computes/ci-alice/stop")
    time.sleep(1.2)  # the listing expires
    before = lists(emu)
    seen = []
    t_end = time.monotonic() + 8
    while time.monotonic() < t_end:
        data, took = cat(m, "ci-alice/state")
        assert took < FAST, took
        _, took = cat(m, "ci-bob/size")
        assert took < FAST, took
        seen.append(data)
        time.sleep(0.2)
    # the old state at once, then the new one once a listing arrived
    assert seen[0] == b"Running\n"
    assert seen[-1] in (b"Stopping\n", b"Stopped\n"), seen
    # one refresh at a time: 8 s hold at most two 6 s listings
    assert lists(emu) - before <= 8, lists(emu) - before
    st = status(m)
    assert st["refresh"].startswith(("running", "idle")), st
    # a listing is fresh from its arrival: not refetched at once
    emu.faults([])
    wait_for(lambda: status(m)["refresh"] == "idle", timeout=10,
             what="the last refresh")
    assert float(status(m)["listing_age"]) < 6
    assert m.unexpected_stderr() == []


def test_a_hanging_refresh_serves_the_old_listing(ws):
    emu, m = ws
    old = cat(m, "ci-carol/state")[0]
    emu.faults([{"route": "list", "delay_ms": HANG},
                {"route": "get", "delay_ms": HANG}])
    time.sleep(1.2)
    for _ in range(20):
        data, took = cat(m, "ci-carol/state")
        assert (data, took < FAST) == (old, True), took
        assert sorted(os.listdir(m.path))[-1] == "ci-dave"
    st = status(m)
    assert st["refresh"].startswith("running for"), st
    assert st["stale_served"] != "0"
    # a ls -l of everything costs no request and no wait
    t = time.monotonic()
    r = sh("ls -lR %s" % m.path)
    assert r.returncode == 0 and time.monotonic() - t < 2 * FAST


def test_reads_recover_as_soon_as_the_fault_clears(emu_factory,
                                                   mount_factory):
    emu = emu_factory("--instances", "2", "--op-seconds", "1")
    m = mount_factory(emu, cache_ttl=1, options=("stale_max=2",
                                                 "timeout=4"))
    emu.faults([{"route": "list", "status": 503}])
    time.sleep(3.5)  # past ttl + stale_max: nothing left to serve
    # the first read waits for Azure, within its deadline ...
    t = time.monotonic()
    with pytest.raises(OSError) as e:
        cat(m, "ci-alice/state")
    assert e.value.errno == 5 and time.monotonic() - t < 4 + 1  # EIO
    # ... the next are told at once
    t = time.monotonic()
    with pytest.raises(OSError) as e:
        cat(m, "ci-alice/state")
    assert e.value.errno == 5 and time.monotonic() - t < FAST
    st = status(m)
    assert st["backend"].startswith("degraded: server error"), st
    arm(emu, "POST", "/computes/ci-alice/stop")
    emu.faults([])
    t = time.monotonic()
    wait_for(lambda: os.path.exists(os.path.join(m.path, "ci-alice")) and
             cat(m, "ci-alice/state")[0] in (b"Stopping\n", b"Stopped\n"),
             timeout=8, what="reads to recover")
    assert time.monotonic() - t < 6
    assert status(m)["backend"] == "ok"


def test_unreachable_azure_costs_readers_nothing(emu_factory,
                                                 mount_factory):
    emu = emu_factory("--instances", "2")
    m = mount_factory(emu, cache_ttl=1)
    old = cat(m, "ci-bob/state")[0]
    emu.stop()  # connection refused from now on
    time.sleep(1.2)
    for _ in range(10):
        data, took = cat(m, "ci-bob/state")
        assert data == old and took < FAST, took
        time.sleep(0.3)
    wait_for(lambda: status(m)["backend"].startswith("degraded"),
             timeout=10, what=".status to say degraded")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_interrupted_writer_returns_at_once(ws, sig):
    emu, m = ws
    emu.faults([{"route": "stop", "delay_ms": HANG}])
    p = started(["bash", "-c", "echo stop > %s/ci-alice/control" % m.path])
    os.kill(p.pid, sig)
    assert ended_within(p, EXIT) < 1.5
    assert proc_state(p.pid) is None  # reaped: no D-state leftover
    assert p.returncode == -sig
    # the daemon is well and answers at once
    assert cat(m, "ci-bob/state")[1] < FAST
    assert m.proc.poll() is None


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_interrupted_reader_returns_at_once(ws, sig):
    emu, m = ws
    emu.faults([{"route": "list", "delay_ms": HANG}])
    m.proc.send_signal(signal.SIGHUP)  # drop the cache: reads must wait
    wait_for(lambda: "cache dropped" in m.stderr(), what="the drop")
    p = started(["cat", "%s/ci-alice/state" % m.path])
    os.kill(p.pid, sig)
    assert ended_within(p, EXIT) < 1.5
    assert proc_state(p.pid) is None
    assert m.proc.poll() is None


def test_a_write_ends_by_its_deadline(ws):
    """timeout=4: every attempt and wait of the write within 4 s + 1 s."""
    emu, m = ws
    emu.faults([{"route": "stop", "delay_ms": HANG}])
    t = time.monotonic()
    r = sh("echo stop > %s/ci-alice/control" % m.path)
    took = time.monotonic() - t
    assert r.returncode != 0
    assert "Connection timed out" in r.stderr, r.stderr
    assert 3.5 < took < 4 + 1 + 1, took  # the bound, plus slack


def test_throttled_write_gives_up_within_its_deadline(ws):
    """Retry-After past the deadline: EAGAIN at once, not a long sleep."""
    emu, m = ws
    emu.faults([{"route": "stop", "status": 429,
                 "headers": {"Retry-After": "30"}}])
    t = time.monotonic()
    r = sh("echo stop > %s/ci-alice/control" % m.path)
    assert r.returncode != 0 and "temporarily unavailable" in r.stderr, \
        r.stderr
    assert time.monotonic() - t < FAST
    assert emu.counters()["routes"]["stop"] == 1


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_ends_the_daemon_with_a_request_hanging(ws, sig):
    emu, m = ws
    emu.faults([{"route": "stop", "delay_ms": HANG},
                {"route": "list", "delay_ms": HANG}])
    time.sleep(1.2)
    cat(m, "ci-bob/state")  # and a refresh hangs in the background
    p = started(["bash", "-c", "echo stop > %s/ci-alice/control" % m.path])
    m.proc.send_signal(sig)
    assert ended_within(m.proc, EXIT) < 2.5
    assert m.proc.returncode == 0
    assert ended_within(p, EXIT) < 2.5
    assert p.returncode != 0
    assert not is_mounted(m.path)


def test_unmount_ends_the_daemon_while_an_operation_is_tracked(ws):
    emu, m = ws
    # polls of the operation never answer
    emu.faults([{"route": "operation_status", "delay_ms": HANG},
                {"route": "operation_result", "delay_ms": HANG},
                {"route": "get", "delay_ms": HANG, "skip": 1}])
    r = sh("echo stop > %s/ci-alice/control" % m.path)
    assert r.returncode == 0, r.stderr
    assert status(m)["operations_tracked"] == "1"
    wait_for(lambda: status(m)["operation_polls"] != "0",
             timeout=10, what="a poll in flight")
    t = time.monotonic()
    subprocess.run(["fusermount3", "-u", m.path], check=True)
    assert ended_within(m.proc, EXIT) + (time.monotonic() - t) < 2.5 + 1
    assert m.proc.returncode == 0


def test_an_endless_listing_stops_at_its_bound(ws):
    emu, m = ws
    assert cat(m, "ci-dave/state")[0] == b"Running\n"
    before = lists(emu)
    emu.faults([{"route": "list", "endless": True}])
    time.sleep(1.2)
    assert cat(m, "ci-dave/state")[0] == b"Running\n"  # the old listing
    wait_for(lambda: int(status(m)["lists_cut"]) >= 1, timeout=10,
             what="a listing cut at its bound")
    st = status(m)
    assert "empty pages" in st["backend"], st
    # three empty pages a refresh, a refresh every 2 s at most
    n, fails = lists(emu) - before, int(st["list_failures"])
    assert n <= 3 * fails + 3, (n, fails)
    assert cat(m, "ci-dave/state")[0] == b"Running\n"


def test_an_interrupted_write_azure_carried_out_shows(emu_factory,
                                                      mount_factory):
    """EINTR, and yet Azure stops it: the instance is re-read anyway."""
    emu = emu_factory("--instances", "2", "--op-seconds", "1")
    m = mount_factory(emu, cache_ttl=600)  # no refresh would show it
    # Azure takes the stop after 1.5 s, by which time the writer is gone
    emu.faults([{"route": "stop", "delay_ms": 1500}])
    p = started(["bash", "-c", "echo stop > %s/ci-alice/control" % m.path])
    os.kill(p.pid, signal.SIGINT)
    assert ended_within(p, EXIT) < 1.5
    assert cat(m, "ci-alice/state")[0] == b"Running\n"  # not claimed
    wait_for(lambda: emu.counters()["routes"]["stop"] == 1, timeout=5,
             what="Azure to take the stop")
    wait_for(lambda: cat(m, "ci-alice/state")[0] in (b"Stopping\n",
                                                     b"Stopped\n"),
             timeout=12, what="the re-read to show it")
    assert emu.counters()["routes"]["stop"] == 1  # never sent again
    assert "interrupted after the request left" in m.stderr()
