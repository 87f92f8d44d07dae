"""Timestamps follow content: mtimes on a real mount, with stat and cp -u.

An instance's directory and files carry the time what they show last
changed; the root's mtime moves when an instance comes or goes. A refresh
that brings the same content moves nothing.
"""
import os
import time

import pytest

from conftest import sh
from mount import wait_for

OP = 1.0  # emulator seconds per transition


def status(m):
    with open(os.path.join(m.path, ".status")) as f:
        return dict(l.split(": ", 1) for l in f.read().splitlines())


def fetches(m):
    return int(status(m)["list_fetches"])


def times(m):
    """(mtime, ctime) in ns of the root, .mine and every instance node."""
    out = {}

    def add(p):
        st = os.lstat(p)
        out[os.path.relpath(p, m.path)] = (st.st_mtime_ns, st.st_ctime_ns)
    add(m.path)
    add(os.path.join(m.path, ".mine"))
    for name in os.listdir(m.path):
        if name.startswith("."):
            continue
        d = os.path.join(m.path, name)
        add(d)
        for f in os.listdir(d):
            add(os.path.join(d, f))
        for f in os.listdir(os.path.join(d, "apps")):
            add(os.path.join(d, "apps", f))
    return out


def refreshed(m):
    """Wait out the TTL (cache_ttl=1) and for a list fetch made after."""
    n = fetches(m)
    time.sleep(2.5)
    os.stat(m.path)  # a question past the TTL asks for a refresh
    os.listdir(m.path)
    wait_for(lambda: fetches(m) > n, timeout=10, what="a refresh")
    time.sleep(1.1)  # the kernel's attributes (entry_timeout) expire


@pytest.fixture
def ws(emu_factory, mount_factory):
    emu = emu_factory("--instances", "4", "--op-seconds", str(OP))
    m = mount_factory(emu, cache_ttl=1, options=["delete=any"])
    return emu, m


def test_a_refresh_that_changes_nothing_moves_no_mtime(ws):
    emu, m = ws
    before = times(m)
    assert len(before) > 20
    refreshed(m)
    assert times(m) == before
    # not the fetch time: in the past, from what Azure says
    now = time.time_ns()
    for path, (mt, ct) in before.items():
        assert mt == ct and mt < now, path
    assert m.unexpected_stderr() == []


def test_cp_u_copies_the_state_a_stop_made(ws, tmp_path):
    emu, m = ws
    src = os.path.join(m.path, "ci-alice", "state")
    dest = str(tmp_path / "state")
    r = sh("cp %s %s" % (src, dest))
    assert r.returncode == 0, r.stderr
    old_src, old_dest = os.stat(src).st_mtime_ns, os.stat(dest).st_mtime_ns
    assert open(dest).read() == "Running\n"
    r = sh("cp -u %s %s" % (src, dest))  # older than the copy: skipped
    assert r.returncode == 0, r.stderr
    assert os.stat(dest).st_mtime_ns == old_dest

    r = sh("echo stop > %s/ci-alice/control" % m.path)
    assert r.returncode == 0, r.stderr
    wait_for(lambda: open(src).read() == "Stopped\n", timeout=15,
             what="ci-alice to stop")
    wait_for(lambda: status(m)["operations_tracked"] == "0", timeout=15,
             what="the operation to end")
    time.sleep(1.1)  # the kernel's attributes (entry_timeout) expire
    new_src = os.stat(src).st_mtime_ns
    assert new_src > old_src and new_src > old_dest
    r = sh("cp -u %s %s" % (src, dest))
    assert r.returncode == 0, r.stderr
    assert open(dest).read() == "Stopped\n"
    # and keeps it while nothing more changes
    refreshed(m)
    assert os.stat(src).st_mtime_ns == new_src
    assert m.unexpected_stderr() == []


def test_root_mtime_moves_when_an_instance_comes_or_goes(ws):
    emu, m = ws
    root = lambda: os.stat(m.path).st_mtime_ns
    r0 = root()
    refreshed(m)
    assert root() == r0
    bob = os.stat(os.path.join(m.path, "ci-bob")).st_mtime_ns

    r = sh("mkdir %s/ci-zed" % m.path)
    assert r.returncode == 0, r.stderr
    wait_for(lambda: root() > r0, timeout=5, what="the root's mtime")
    r1 = root()
    wait_for(lambda: open(os.path.join(m.path, "ci-zed", "state")).read()
             == "Running\n", timeout=15, what="ci-zed to run")
    refreshed(m)  # ci-zed's state moved, the set did not
    assert root() == r1
    assert os.stat(os.path.join(m.path, "ci-bob")).st_mtime_ns == bob

    r = sh("rmdir %s/ci-zed" % m.path)
    assert r.returncode == 0, r.stderr
    wait_for(lambda: "ci-zed" not in os.listdir(m.path), timeout=15,
             what="ci-zed to go")
    wait_for(lambda: root() > r1, timeout=5, what="the root's mtime")
    r2 = root()
    refreshed(m)
    assert root() == r2
    assert m.unexpected_stderr() == []
