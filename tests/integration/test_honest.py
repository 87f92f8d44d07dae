"""Never lie, never repeat: what a write reports, and what it sends.

Each test drives one class with the emulator's faults against a real
mount and asserts what a user sees (exit status and errno of echo/mkdir/
rmdir, the bytes of state, operation and errors) and what Azure saw (the
emulator's per-route counters: one request per destructive syscall).
"""
import json
import os
import time

import pytest

from conftest import sh
from mount import wait_for

OP = 1.0  # emulator seconds per transition


def read(m, path):
    with open(os.path.join(m.path, path)) as f:
        return f.read()


def routes(emu):
    return emu.counters()["routes"]


def echo(m, text, path):
    r = sh("echo %s > %s/%s" % (text, m.path, path))
    return r.returncode, r.stderr


@pytest.fixture
def ws(emu_factory, mount_factory):
    emu = emu_factory("--instances", "4", "--op-seconds", str(OP))
    m = mount_factory(emu, options=["delete=any"])
    return emu, m


def watch_operation(m, name, final_state, timeout=15):
    """Poll state and operation together until @final_state; return the
    (state, operation status) pairs seen. operation's status is its
    second word ("Stop Succeeded 2026-...")."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        op = read(m, name + "/operation").split()
        st = read(m, name + "/state").strip()
        pair = (st, op[1] if len(op) > 1 else "")
        if not seen or seen[-1] != pair:
            seen.append(pair)
        if st == final_state and pair[1] == "Succeeded":
            return seen
        time.sleep(0.05)
    raise AssertionError("never %s and Succeeded: %s" % (final_state, seen))


def test_lost_reply_to_a_stop_is_one_post_and_accepted(ws):
    emu, m = ws
    emu.faults([{"route": "stop", "lost_reply": True}])
    rc, err = echo(m, "stop", "ci-alice/control")
    assert rc == 0, err  # Azure did it; the instance says so
    assert routes(emu)["stop"] == 1
    seen = watch_operation(m, "ci-alice", "Stopped")
    assert all(s == "Stopped" for s, o in seen if o == "Succeeded"), seen
    assert routes(emu)["stop"] == 1


def test_lost_reply_to_a_create_is_one_put_and_mkdir_succeeds(ws):
    emu, m = ws
    emu.faults([{"route": "put", "lost_reply": True}])
    r = sh("mkdir %s/ci-new" % m.path)
    assert r.returncode == 0, r.stderr  # not "File exists"
    assert routes(emu)["put"] == 1
    wait_for(lambda: read(m, "ci-new/state") == "Running\n", timeout=15,
             what="ci-new to run")
    assert routes(emu)["put"] == 1


def test_lost_reply_to_a_delete_succeeds(ws):
    emu, m = ws
    emu.faults([{"route": "delete", "lost_reply": True, "times": 1}])
    r = sh("rmdir %s/ci-carol" % m.path)
    assert r.returncode == 0, r.stderr
    wait_for(lambda: "ci-carol" not in os.listdir(m.path), timeout=15,
             what="ci-carol to go")
    assert "ci-carol" not in emu.instances()


def test_a_dropped_stop_is_sent_once_and_not_claimed(ws):
    emu, m = ws
    emu.faults([{"route": "stop", "drop": True}])
    rc, err = echo(m, "stop", "ci-alice/control")
    assert rc != 0 and "Input/output error" in err, err
    assert routes(emu)["stop"] == 1
    assert read(m, "ci-alice/state") == "Running\n"
    assert "Stop" not in read(m, "ci-alice/operation")


@pytest.mark.parametrize("drop", [["Location", "Azure-AsyncOperation"],
                                  ["Azure-AsyncOperation"]])
def test_no_usable_handle_is_watched_to_the_target(ws, drop):
    """A 202 with no header, or a Location that answers 404: Succeeded
    only once the instance is Stopped, never from the state before."""
    emu, m = ws
    rules = [{"route": "stop", "drop_headers": drop}]
    if drop == ["Azure-AsyncOperation"]:
        rules[0]["headers"] = {"Location": emu.url + "/gone/nowhere"}
    emu.faults(rules)
    rc, err = echo(m, "stop", "ci-alice/control")
    assert rc == 0, err
    seen = watch_operation(m, "ci-alice", "Stopped")
    for st, op in seen:
        assert op != "Succeeded" or st == "Stopped", seen


def test_a_lagging_read_is_not_completion(ws):
    emu, m = ws
    old = emu.get(emu.ws("/computes/ci-alice")).json
    # no handle, and the first reads still show the instance Running
    emu.faults([{"route": "stop", "drop_headers": ["Location",
                                                   "Azure-AsyncOperation"]},
                {"route": "get", "status": 200, "times": 4,
                 "headers": {"Content-Type": "application/json"},
                 "body": json.dumps(old)}])
    rc, err = echo(m, "stop", "ci-alice/control")
    assert rc == 0, err
    seen = watch_operation(m, "ci-alice", "Stopped", timeout=40)
    assert ("Running", "InProgress") in seen, seen  # it did lag
    for st, op in seen:
        assert op != "Succeeded" or st == "Stopped", seen


def test_a_status_url_on_another_host_is_not_followed(ws, emu_factory):
    emu, m = ws
    other = emu_factory("--instances", "1", token=emu.token)
    emu.faults([{"route": "stop", "drop_headers": ["Location"],
                 "headers": {"Azure-AsyncOperation":
                             other.url + "/op/status"}}])
    rc, err = echo(m, "stop", "ci-alice/control")
    assert rc == 0, err
    watch_operation(m, "ci-alice", "Stopped")
    assert other.counters()["total"] == 0
    assert "ignoring the Azure-AsyncOperation" in m.stderr()


def test_a_redirect_is_not_acceptance(ws):
    emu, m = ws
    emu.faults([{"route": "stop", "status": 307,
                 "headers": {"Location": emu.url + "/elsewhere"}}])
    rc, err = echo(m, "stop", "ci-alice/control")
    assert rc != 0 and "Input/output error" in err, err
    assert routes(emu)["stop"] == 1
    assert read(m, "ci-alice/state") == "Running\n"
    assert "Stop" not in read(m, "ci-alice/operation")


def test_a_400_refusal_is_ebusy_and_said_in_errors(ws):
    emu, m = ws
    why = "StopCompute is not allowed when ComputeInstance disk is full"
    emu.faults([{"route": "stop", "status": 400, "times": 1,
                 "body": json.dumps({"error": {"code": "UserError",
                                               "message": why}})}])
    rc, err = echo(m, "stop", "ci-alice/control")
    assert rc != 0 and "Device or resource busy" in err, err
    assert routes(emu)["stop"] == 1
    errors = read(m, "ci-alice/errors")
    assert "Stop refused: UserError: " + why + "\n" in errors, errors
    assert os.stat(os.path.join(m.path, "ci-alice/errors")).st_size == \
        len(errors.encode())
    # kept until an operation there succeeds
    rc, err = echo(m, "stop", "ci-alice/control")
    assert rc == 0, err
    watch_operation(m, "ci-alice", "Stopped")
    wait_for(lambda: "refused" not in read(m, "ci-alice/errors"),
             timeout=5, what="the refusal to go")


@pytest.mark.parametrize("status,errno_text", [
    (409, "Device or resource busy"),
    (500, "Input/output error"),
    (503, "Input/output error"),
])
def test_a_refused_or_failed_post_goes_out_once(ws, status, errno_text):
    emu, m = ws
    emu.faults([{"route": "stop", "status": status,
                 "headers": {"Retry-After": "1"}}])
    t = time.monotonic()
    rc, err = echo(m, "stop", "ci-alice/control")
    assert rc != 0 and errno_text in err, err
    assert time.monotonic() - t < 1.0  # no Retry-After slept
    assert routes(emu)["stop"] == 1


def test_a_dropped_create_and_delete_go_out_as_the_rule_says(ws):
    emu, m = ws
    emu.faults([{"route": "put", "drop": True}])
    r = sh("mkdir %s/ci-drop" % m.path)
    assert r.returncode != 0 and "Input/output error" in r.stderr
    assert routes(emu)["put"] == 1  # a create is not sent twice
    emu.faults([{"route": "delete", "drop": True}])
    r = sh("rmdir %s/ci-bob" % m.path)
    assert r.returncode != 0
    # a delete may be repeated (Azure deletes once): 1 + 3 retries
    assert routes(emu)["delete"] == 4
    assert "ci-bob" in emu.instances()


def test_a_dropped_write_is_not_credited_with_an_earlier_one(emu_factory,
                                                            mount_factory):
    """Already Stopping from another stop: a dropped one did nothing."""
    emu = emu_factory("--instances", "2", "--op-seconds", "30")
    m = mount_factory(emu)
    rc, err = echo(m, "stop", "ci-alice/control")
    assert rc == 0, err
    assert read(m, "ci-alice/state") == "Stopping\n"
    emu.faults([{"route": "stop", "drop": True}])
    rc, err = echo(m, "stop", "ci-alice/control")
    assert rc != 0 and "Input/output error" in err, err
    assert routes(emu)["stop"] == 2


def test_a_dropped_write_is_not_credited_with_someone_elses_move(
        emu_factory, mount_factory):
    """Cached Running, then moved outside (a schedule starts it again):
    a state that differs from the cached one is no evidence that a
    dropped stop was carried out (found by a tester)."""
    emu = emu_factory("--instances", "2", "--op-seconds", "30")
    m = mount_factory(emu, cache_ttl=600)
    assert read(m, "ci-alice/state") == "Running\n"
    status, _, _ = emu.post("/_emulator/state",
                            {"name": "ci-alice", "state": "Starting"})
    assert status == 200
    assert read(m, "ci-alice/state") == "Running\n"  # still cached
    emu.faults([{"route": "stop", "drop": True}])
    rc, err = echo(m, "stop", "ci-alice/control")
    assert rc != 0 and "Input/output error" in err, err
    assert routes(emu)["stop"] == 1

