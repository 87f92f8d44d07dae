"""Changing the workspace with echo, mkdir and rmdir on a real mount."""
import errno
import os
import pwd
import secrets
import threading
import time

import pytest

from conftest import sh
from mount import wait_for

OP = 1.0  # emulator seconds per transition


def state(m, name):
    with open(os.path.join(m.path, name, "state")) as f:
        return f.read()


def echo(m, text, path):
    """echo TEXT > PATH in a real shell; (exit status, stderr)."""
    r = sh("echo %s > %s/%s" % (text, m.path, path))
    return r.returncode, r.stderr


# The emulator completes an operation OP seconds after accepting it and
# asks for polls every RETRY seconds (Retry-After); computefs must show
# the final state within one poll interval of that, plus a little slack
# for the re-read and the machine.
RETRY = 1.0
SLACK = 1.5


def settle(m, name, final, allowed, timeout=15, since=None):
    """Poll state until @final, failing on anything outside @allowed.

    With @since (when the write returned), also check that @final came
    within one poll interval of the emulator completing the operation.
    """
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = state(m, name).strip()
        if not seen or seen[-1] != s:
            seen.append(s)
        assert s in allowed + [final], seen
        if s == final:
            if since is not None:
                took = time.monotonic() - since
                assert took < OP + RETRY + SLACK, (final, took)
            return seen
        time.sleep(0.05)
    raise AssertionError("never reached %s: %s" % (final, seen))


@pytest.fixture
def ws(emu_factory, mount_factory):
    emu = emu_factory("--instances", "4", "--op-seconds", str(OP))
    m = mount_factory(emu, options=["delete=any"])
    return emu, m


@pytest.mark.parametrize("verb,start,mid,final", [
    ("stop", "Running", "Stopping", "Stopped"),        # Azure-AsyncOperation
    ("restart", "Running", "Restarting", "Running"),   # Azure-AsyncOperation
])
def test_verbs_on_a_running_instance(ws, verb, start, mid, final):
    emu, m = ws
    assert state(m, "ci-alice") == start + "\n"
    t0 = time.monotonic()
    rc, err = echo(m, verb, "ci-alice/control")
    assert rc == 0, err
    assert time.monotonic() - t0 < OP  # returns once Azure accepted
    done = time.monotonic()
    assert state(m, "ci-alice") == mid + "\n"
    seen = settle(m, "ci-alice", final, [mid], since=done)
    assert seen[0] == mid
    with open(os.path.join(m.path, "ci-alice", "operation")) as f:
        op = f.read().split()
    assert op[0] == verb.capitalize() and op[1] == "Succeeded"


def test_start_a_stopped_instance_location_polling(ws):
    emu, m = ws
    assert state(m, "ci-bob") == "Stopped\n"
    rc, err = echo(m, " START ", "ci-bob/control")
    done = time.monotonic()
    assert rc == 0, err
    assert state(m, "ci-bob") == "Starting\n"
    settle(m, "ci-bob", "Running", ["Starting"], since=done)
    with open(os.path.join(m.path, "ci-bob", "ssh")) as f:
        assert f.read().startswith(("Host ci-bob\n", "# ci-bob: SSH access"))


def test_printf_sends_its_last_newline_apart(ws):
    # bash's printf writes "STOP\n\n" as "STOP\n" then "\n": the blank
    # second write, after a verb on the same open file, changes nothing
    emu, m = ws
    r = sh("printf 'STOP\\n\\n' > %s/ci-alice/control" % m.path)
    assert r.returncode == 0, r.stderr
    assert state(m, "ci-alice") == "Stopping\n"
    assert emu.counters()["routes"]["stop"] == 1
    # a blank line alone is still no verb
    r = sh("printf '\\n' > %s/ci-bob/control" % m.path)
    assert r.returncode != 0 and "Invalid argument" in r.stderr


def test_resize_a_stopped_instance(ws):
    emu, m = ws
    rc, err = echo(m, "Standard_E4s_v3", "ci-bob/size")
    done = time.monotonic()
    assert rc == 0, err
    assert state(m, "ci-bob") == "Resizing\n"
    settle(m, "ci-bob", "Stopped", ["Resizing"], since=done)
    with open(os.path.join(m.path, "ci-bob", "size")) as f:
        assert f.read() == "Standard_E4s_v3\n"


def test_refusals_come_from_write_itself(ws):
    emu, m = ws
    # a verb Azure refuses in this state: 409 -> EBUSY
    rc, err = echo(m, "start", "ci-alice/control")
    assert rc != 0 and "Device or resource busy" in err
    rc, err = echo(m, "Standard_E4s_v3", "ci-alice/size")
    assert rc != 0 and "Device or resource busy" in err
    assert state(m, "ci-alice") == "Running\n"
    # bad input: EINVAL before any request
    emu.reset()
    for bad in ("halt", "'stop start'", "''", "'stop\\nstart'"):
        rc, err = echo(m, bad, "ci-alice/control")
        assert rc != 0 and "Invalid argument" in err, bad
    rc, err = echo(m, "'no such size!'", "ci-alice/size")
    assert rc != 0 and "Invalid argument" in err
    assert emu.counters()["total"] == 0


@pytest.mark.parametrize("status,message", [
    (403, "Permission denied"),
    (404, "No such file or directory"),
    (429, "Resource temporarily unavailable"),
])
def test_azure_errors_map_to_errno(ws, status, message):
    emu, m = ws
    emu.faults([{"method": "POST", "path": "*/computes/ci-alice/stop*",
                 "status": status, "headers": {"Retry-After": "0"},
                 "body": '{"error":{"code":"Injected","message":"no"}}'}])
    rc, err = echo(m, "stop", "ci-alice/control")
    assert rc != 0 and message in err, err
    emu.faults([])
    assert state(m, "ci-alice") == "Running\n"


def test_unreachable_backend_is_eio(ws):
    emu, m = ws
    emu.faults([{"method": "POST", "path": "*/stop*", "drop": True}])
    rc, err = echo(m, "stop", "ci-alice/control")
    assert rc != 0
    assert "Input/output error" in err or "timed out" in err
    emu.faults([])


def test_mkdir_then_rmdir_leaves_the_listing(ws):
    emu, m = ws
    before = sorted(os.listdir(m.path))
    r = sh("mkdir %s/ci-zed" % m.path)
    done = time.monotonic()
    assert r.returncode == 0, r.stderr
    assert "ci-zed" in os.listdir(m.path)
    assert state(m, "ci-zed") == "Creating\n"
    settle(m, "ci-zed", "Running", ["Creating"], since=done)
    assert "ci-zed" in emu.instances()
    r = sh("rmdir %s/ci-zed" % m.path)
    done = time.monotonic()
    assert r.returncode == 0, r.stderr
    assert state(m, "ci-zed") == "Deleting\n"
    wait_for(lambda: "ci-zed" not in os.listdir(m.path), timeout=15,
             what="ci-zed to go")
    assert time.monotonic() - done < OP + RETRY + SLACK
    assert sorted(os.listdir(m.path)) == before
    assert "ci-zed" not in emu.instances()


def test_no_success_without_effect(ws):
    """unlink, rm -r, a trash's move and a mkdir with options all fail."""
    emu, m = ws
    before = emu.counters()["total"]
    # a value file comes back: deleting it is refused, not faked
    r = sh("rm -f %s/ci-bob/errors" % m.path)
    assert r.returncode != 0 and "Operation not permitted" in r.stderr
    # rm -r stops at the files, so a stray rm -rf ~/ws/* deletes nothing
    r = sh("rm -rf %s/*" % m.path)
    assert r.returncode != 0 and "Operation not permitted" in r.stderr
    assert sorted(emu.instances()) == sorted(
        n for n in os.listdir(m.path) if not n.startswith("."))
    # the directories that come back: rmdir is refused, not faked
    for d, err in (("ci-bob/apps", errno.EPERM), (".mine", errno.EPERM),
                   ("ci-bob/state", errno.ENOTDIR),
                   (".status", errno.ENOTDIR), (".nothing", errno.ENOENT),
                   ("ci-bob/nothing", errno.ENOENT)):
        with pytest.raises(OSError) as e:
            os.rmdir(os.path.join(m.path, d))
        assert e.value.errno == err, d
    assert os.path.isdir(os.path.join(m.path, "ci-bob/apps"))
    # a file manager's move to the trash: rename refused
    r = sh("mv %s/ci-bob/state %s/.Trash-0" % (m.path, m.path))
    assert r.returncode != 0
    # mkdir takes a name, never options (those go to .create)
    r = sh("mkdir '%s/ci-x size=Standard_E4s_v3'" % m.path)
    assert r.returncode != 0 and "Invalid argument" in r.stderr
    assert not os.path.exists(os.path.join(m.path, "ci-x"))
    # none of it reached Azure beyond reads
    routes = emu.counters()["routes"]
    assert routes["put"] == routes["delete"] == 0
    assert emu.counters()["total"] - before <= routes["list"] + \
        routes["get"]
    # deleting is rmdir's, and it works though the directory holds files
    r = sh("rmdir %s/ci-bob" % m.path)
    assert r.returncode == 0, r.stderr
    wait_for(lambda: "ci-bob" not in os.listdir(m.path), timeout=15,
             what="ci-bob to go")
    assert "ci-bob" not in emu.instances()


def test_create_file_with_options(ws, tmp_path):
    emu, m = ws
    key = tmp_path / "id.pub"
    key.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx test@host\n")
    rc, err = echo(m, "'ci-dora size=Standard_E4s_v3 ssh_key=%s'" % key,
                   ".create")
    assert rc == 0, err
    settle(m, "ci-dora", "Running", ["Creating"])
    c = emu.instances()["ci-dora"]["properties"]["properties"]
    assert c["vmSize"] == "Standard_E4s_v3"
    assert c["sshSettings"]["sshPublicAccess"] == "Enabled"


def test_ssh_key_paths_are_the_writers(ws, tmp_path):
    """.create's ssh_key= relative to the writer's directory, ~ its home."""
    emu, m = ws
    key = tmp_path / "id.pub"
    key.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx rel@host\n")
    r = sh("cd %s && echo 'ci-rel ssh_key=id.pub' > %s/.create" %
           (tmp_path, m.path))
    assert r.returncode == 0, r.stderr
    # ~ is the caller's home from the password database (not $HOME)
    home = pwd.getpwuid(os.getuid()).pw_dir
    name = ".computefs-test-%s.pub" % secrets.token_hex(4)
    with open(os.path.join(home, name), "w") as f:
        f.write("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx home@host\n")
    try:
        r = sh("echo 'ci-home ssh_key=~/%s' > %s/.create" % (name, m.path),
               env=dict(os.environ, HOME="/nonexistent"))
        assert r.returncode == 0, r.stderr
    finally:
        os.unlink(os.path.join(home, name))
    # a relative path that is not there is ENOENT, not the daemon's /
    r = sh("cd %s && echo 'ci-none ssh_key=nope.pub' > %s/.create" %
           (tmp_path, m.path))
    assert r.returncode != 0 and "No such file" in r.stderr
    settle(m, "ci-rel", "Running", ["Creating"])
    c = emu.instances()["ci-rel"]["properties"]["properties"]
    assert c["sshSettings"]["adminPublicKey"].endswith("rel@host")
    c = emu.instances()["ci-home"]["properties"]["properties"]
    assert c["sshSettings"]["adminPublicKey"].endswith("home@host")


def test_a_fifo_as_key_is_refused_at_once(ws, tmp_path):
    # opening a FIFO waits for a writer: the daemon must not
    emu, m = ws
    fifo = tmp_path / "k.pub"
    os.mkfifo(fifo)
    t = time.monotonic()
    fd = os.open(os.path.join(m.path, ".create"), os.O_WRONLY)
    try:
        with pytest.raises(OSError) as e:
            os.write(fd, b"ci-fifo ssh_key=%s\n" % str(fifo).encode())
    finally:
        os.close(fd)
    assert e.value.errno == errno.EACCES
    assert time.monotonic() - t < 5
    assert "ci-fifo" not in emu.instances()


def test_bad_names_are_einval_without_request(ws):
    emu, m = ws
    emu.reset()
    for bad in ("ci-01", "1abc", "ab", "a" * 25, "ci_x"):
        r = sh("mkdir %s/%s" % (m.path, bad))
        assert r.returncode != 0 and "Invalid argument" in r.stderr, bad
    rc, err = echo(m, "ci-01", ".create")
    assert rc != 0 and "Invalid argument" in err
    assert emu.counters()["total"] == 0


def test_everything_else_is_refused_at_once(ws):
    emu, m = ws
    sh("ls %s" % m.path)
    emu.reset()
    cases = [
        ("touch %s/newfile", "Operation not permitted"),
        ("mkdir %s/.Trash-1000", "Operation not permitted"),
        ("touch %s/ci-alice/.directory", "Operation not permitted"),
        ("mv %s/ci-alice/state %s/ci-alice/state2", "Operation not permitted"),
        ("chmod 777 %s/ci-alice/state", "Operation not permitted"),
        ("ln -s x %s/ci-alice/link", "Operation not permitted"),
        ("echo x > %s/ci-alice/state", "Permission denied"),
        ("rm %s/.status", "Operation not permitted"),
    ]
    for cmd, msg in cases:
        r = sh(cmd.replace("%s", m.path))
        assert r.returncode != 0 and msg in r.stderr, (cmd, r.stderr)
    assert emu.counters()["total"] == 0


def test_no_delete_and_ro(emu_factory, mount_factory, tmp_path):
    emu = emu_factory("--instances", "2", "--op-seconds", str(OP))
    m = mount_factory(emu, options=["no_delete"])
    r = sh("rmdir %s/ci-bob" % m.path)
    assert r.returncode != 0 and "Operation not permitted" in r.stderr
    m2 = mount_factory(emu, options=["ro"], path=str(tmp_path / "ro"))
    r = sh("rmdir %s/ci-bob" % m2.path)
    assert r.returncode != 0 and "Read-only file system" in r.stderr
    r = sh("echo stop > %s/ci-alice/control" % m2.path)
    assert r.returncode != 0 and "Read-only file system" in r.stderr
    assert "ci-bob" in emu.instances()


def test_rmdir_is_guarded_by_default(emu_factory, mount_factory, tmp_path):
    """delete=mine: only .mine's instances go; delete=any lifts it."""
    emu = emu_factory("--instances", "3", "--op-seconds", str(OP))
    m = mount_factory(emu, token=emu.user_token("alice")["access_token"])
    mine = os.listdir(os.path.join(m.path, ".mine"))
    assert mine == ["ci-alice"], mine
    r = sh("rmdir %s/ci-bob" % m.path)
    assert r.returncode != 0 and "Permission denied" in r.stderr
    assert emu.counters()["routes"]["delete"] == 0
    errors = open(os.path.join(m.path, "ci-bob/errors")).read()
    assert "Delete refused: not yours" in errors, errors
    assert "delete=any" in errors
    assert any("rmdir ci-bob: not yours" in l for l in m.stderr().splitlines())
    r = sh("rmdir %s/ci-alice" % m.path)
    assert r.returncode == 0, r.stderr
    m2 = mount_factory(emu, token=emu.user_token("alice")["access_token"],
                       options=["delete=any"], path=str(tmp_path / "any"))
    r = sh("rmdir %s/ci-bob" % m2.path)
    assert r.returncode == 0, r.stderr
    assert emu.counters()["routes"]["delete"] == 2


def test_reads_racing_a_stop_never_go_back(ws):
    emu, m = ws
    order = ["Running", "Stopping", "Stopped"]
    seen, stop = [], threading.Event()
    errors = []

    def reader():
        last = 0
        while not stop.is_set():
            try:
                s = state(m, "ci-alice").strip()
            except OSError as e:
                errors.append(e)
                return
            i = order.index(s)
            if i < last:
                errors.append("went back: %s after %s" % (s, order[last]))
            last = max(last, i)
            seen.append(s)
    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    rc, err = echo(m, "stop", "ci-alice/control")
    assert rc == 0, err
    wait_for(lambda: state(m, "ci-alice") == "Stopped\n", timeout=15,
             what="Stopped")
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert "Stopping" in seen and seen[-1] == "Stopped"


def test_a_failed_operation_lands_in_errors(emu_factory, mount_factory):
    emu = emu_factory("--instances", "2", "--op-seconds", str(OP),
                      "--fail-ops", "stop")
    m = mount_factory(emu)
    rc, err = echo(m, "stop", "ci-alice/control")
    assert rc == 0, err  # Azure accepted it; it fails later
    wait_for(lambda: "Failed" in open(os.path.join(
        m.path, "ci-alice", "operation")).read(), timeout=15,
        what="the operation to fail")
    with open(os.path.join(m.path, "ci-alice", "operation")) as f:
        assert f.read().split()[:2] == ["Stop", "StopFailed"]
    with open(os.path.join(m.path, "ci-alice", "errors")) as f:
        lines = f.read().splitlines()
    assert lines and all(": " in l for l in lines), lines
    assert any("warning: " in l and "ci-alice" in l
               for l in m.unexpected_stderr())


def test_mkdir_on_a_hidden_clusters_name_is_eexist(emu_factory,
                                                   mount_factory):
    emu = emu_factory("--instances", "2", "--clusters", "2")
    computes, _ = emu.computes()
    cluster = next(c["name"] for c in computes
                   if c["properties"]["computeType"] != "ComputeInstance")
    m = mount_factory(emu)
    emu.reset()
    r = sh("mkdir %s/%s" % (m.path, cluster))
    assert r.returncode != 0 and "File exists" in r.stderr, r.stderr
    assert emu.counters()["routes"]["put"] == 0  # never overwritten
    r = sh("mkdir %s/ci-alice" % m.path)
    assert r.returncode != 0 and "File exists" in r.stderr
