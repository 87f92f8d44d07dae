"""Mounting: the command's exit status and message, options, --demo."""
import os
import shutil
import signal
import socket
import tempfile
import subprocess
import time

import pytest

from conftest import WORKSPACE
from emulator import EMULATOR
from mount import (COMPUTEFS, Mount, is_mounted, mountinfo_path,
                   wait_for, write_token)


def mount_cmd(emu, mnt, token_file, *extra, endpoint=None):
    return [COMPUTEFS, emu.workspace if emu else WORKSPACE, mnt, "-o",
            "endpoint=%s,token_file=%s" % (endpoint or emu.url, token_file)
            ] + list(extra)


def run_mount(argv, timeout=30):
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    return r, time.monotonic() - t0


def unmount(path):
    if is_mounted(path):
        subprocess.run(["fusermount3", "-u", path], check=True)
        wait_for(lambda: not is_mounted(path), what="unmount")


def test_background_mount_returns_zero_and_serves(emu_factory, mnt, tmp_path):
    emu = emu_factory("--instances", "3")
    tok = write_token(str(tmp_path), emu.token)
    r, _ = run_mount(mount_cmd(emu, mnt, tok))
    try:
        assert r.returncode == 0, r.stderr
        assert r.stderr == ""
        assert is_mounted(mnt)  # mounted before the command returned
        assert sorted(n for n in os.listdir(mnt)
                      if not n.startswith(".")) == sorted(emu.instances())
        with open("/proc/self/mounts") as f:
            line = [l for l in f if (" %s " % mnt) in l][0]
        assert line.split()[2] == "fuse.computefs"
        assert line.split()[0] == emu.workspace  # the source, as given
    finally:
        unmount(mnt)


def one_line_failure(argv, mnt, needle):
    r, took = run_mount(argv)
    assert r.returncode != 0
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("computefs: ")
    assert needle in lines[0], lines[0]
    assert not is_mounted(mnt)
    return lines[0], took


def test_refused_token_fails_the_mount(emu_factory, mnt, tmp_path):
    emu = emu_factory("--instances", "1")
    tok = write_token(str(tmp_path), "not-the-token")
    line, took = one_line_failure(mount_cmd(emu, mnt, tok), mnt,
                                  "InvalidAuthenticationToken")
    assert "token" in line
    assert "not-the-token" not in line
    assert took < 10


def test_unknown_workspace_fails_the_mount(emu_factory, mnt, tmp_path):
    emu = emu_factory("--instances", "1")
    tok = write_token(str(tmp_path), emu.token)
    argv = mount_cmd(emu, mnt, tok)
    argv[1] = WORKSPACE.replace("ws-test", "ws-other")
    line, _ = one_line_failure(argv, mnt, "not found")
    assert "ws-other" in line


def test_unreachable_endpoint_fails_the_mount(mnt, tmp_path):
    tok = write_token(str(tmp_path), "x")
    # a loopback port nobody listens on
    line, took = one_line_failure(
        mount_cmd(None, mnt, tok, endpoint="http://127.0.0.1:9"), mnt,
        "127.0.0.1:9")
    assert "cannot" in line
    assert took < 30


def test_group_readable_token_file_is_refused(emu_factory, mnt, tmp_path):
    emu = emu_factory("--instances", "1")
    tok = write_token(str(tmp_path), emu.token)
    os.chmod(tok, 0o644)
    line, _ = one_line_failure(mount_cmd(emu, mnt, tok), mnt, tok)
    assert emu.token not in line
    assert emu.counters()["total"] == 0


def test_bad_workspace_id_is_refused_without_request(mnt, tmp_path):
    tok = write_token(str(tmp_path), "x")
    argv = [COMPUTEFS, "/subscriptions/x/resourceGroups", mnt, "-o",
            "endpoint=http://127.0.0.1:9,token_file=" + tok]
    one_line_failure(argv, mnt, "computefs: ")


def test_cleartext_token_to_a_remote_host_is_refused(mnt, tmp_path):
    tok = write_token(str(tmp_path), "x")
    argv = [COMPUTEFS, WORKSPACE, mnt, "-o",
            "endpoint=http://example.invalid,token_file=" + tok]
    line, took = one_line_failure(argv, mnt, "https")
    assert took < 5


@pytest.mark.parametrize("opt,needle", [
    ("cache_ttl=15x", "cache_ttl=15x"), ("cache_ttl=0x10", "cache_ttl="),
    ("stale_max=10abc", "stale_max="), ("timeout=5q", "timeout="),
    ("wait_timeout=5s", "wait_timeout="), ("idle=30x", "idle="),
    ("idle=5", "idle must be"), ("cache_ttl=90000", "cache_ttl must be"),
    ("delete=all", "delete=all"), ("vm_size=bad size", "vm_size="),
    ("ssh_key=/nonexistent/id.pub", "No such file"),
    ("vm_size= Standard_DS2_v2 ", "vm_size="),
    ("cache_ttl=0000000000000086400", "too long"),
])
def test_a_bad_option_value_mounts_nothing(emu_factory, mnt, tmp_path, opt,
                                           needle):
    emu = emu_factory("--instances", "1")
    tok = write_token(str(tmp_path), emu.token)
    line, took = one_line_failure(mount_cmd(emu, mnt, tok, "-o", opt), mnt,
                                  needle)
    assert took < 5
    assert emu.counters()["total"] == 0  # refused before any request


def test_demo_refuses_a_workspace_or_an_endpoint(mnt):
    for extra in (["/subscriptions/x/resourceGroups/g/providers/"
                   "Microsoft.MachineLearningServices/workspaces/z", mnt],
                  [mnt, "-o", "endpoint=https://management.azure.com"],
                  [mnt, "-o", "token_file=/etc/hostname"]):
        one_line_failure([COMPUTEFS, "--demo"] + extra, mnt, "--demo")


def test_help_and_version_need_no_mountpoint():
    r = subprocess.run([COMPUTEFS, "--help"], capture_output=True, text=True)
    assert r.returncode == 0
    assert "usage: " in r.stdout
    # every option of the man page's OPTIONS, and every auth= mode
    for word in ("workspace=", "subscription=", "resource_group=",
                 "workspace_name=", "config=", "endpoint=", "authority=",
                 "auth=", "token_file=", "ca_file=", "cache_ttl=",
                 "stale_max=", "timeout=", "vm_size=", "ssh_key=",
                 "delete=", "no_delete", "-o stack", "-o ro",
                 "--demo", "auto", "env", "managed-identity", "cli",
                 "token-file", "allow_other"):
        assert word in r.stdout, word
    # each option once (libfuse's part lists -h and -V), defaults said
    for word in ("--help", "--version"):
        assert r.stdout.count(word) == 1, word
    assert "(default Standard_DS3_v2)" in r.stdout
    r = subprocess.run([COMPUTEFS, "-V"], capture_output=True, text=True)
    assert r.returncode == 0
    assert r.stdout.startswith("computefs ")
    assert "libfuse" in r.stdout + r.stderr
    r = subprocess.run([COMPUTEFS], capture_output=True, text=True)
    assert r.returncode != 0 and "mount point" in r.stderr


def test_demo_mounts_and_cleans_up(mnt):
    r = subprocess.run([COMPUTEFS, "--demo", mnt], capture_output=True,
                       text=True, timeout=30)
    try:
        assert r.returncode == 0, r.stderr
        names = os.listdir(mnt)
        assert "ci-alice" in names and "ci-bob" in names
        with open(os.path.join(mnt, "ci-alice", "state")) as f:
            assert f.read() == "Running\n"
        with open(os.path.join(mnt, "ci-bob", "state")) as f:
            assert f.read() == "Stopped\n"
        with open(os.path.join(mnt, ".workspace")) as f:
            lines = f.read().splitlines()
        endpoint = [l for l in lines if l.startswith("endpoint: ")][0]
        assert endpoint.startswith("endpoint: http://127.0.0.1:")
        port = endpoint.rsplit(":", 1)[1].strip()
        # signed in as the sample workspace's alice, who made ci-alice
        assert "identity: alice@contoso.com" in lines
        assert os.listdir(os.path.join(mnt, ".mine")) == ["ci-alice"]
        # her token is in no process's argv
        ps = subprocess.run(["ps", "-eo", "args"], capture_output=True,
                            text=True).stdout
        assert "computefs-emulator" in ps and "eyJ" not in ps
    finally:
        unmount(mnt)
    # the emulator went away with the mount
    def emulator_gone():
        try:
            socket.create_connection(("127.0.0.1", int(port)), 1).close()
            return False
        except ConnectionRefusedError:
            return True
        except ConnectionResetError:  # closing as we knocked: ask again
            return False
    wait_for(emulator_gone, timeout=10, what="the demo emulator to exit")


def demo_mounted_twice(mnt):
    """Mount the demo on @mnt, try again, unmount: the second run's result
    (refused in one line, nothing stacked)."""
    r = subprocess.run([COMPUTEFS, "--demo", mnt], capture_output=True,
                       text=True, timeout=30)
    try:
        assert r.returncode == 0, r.stderr
        again = subprocess.run([COMPUTEFS, "--demo", mnt],
                               capture_output=True, text=True, timeout=30)
        assert again.returncode == 1
        assert again.stderr.count("\n") == 1, again.stderr
        assert "already mounted" in again.stderr
        with open("/proc/self/mountinfo") as f:
            mounted = [l for l in f if mountinfo_path(l.split()[4]) == mnt]
        assert len(mounted) == 1, mounted  # nothing stacked
    finally:
        unmount(mnt)
    return again


def test_a_mounted_path_is_refused(mnt):
    again = demo_mounted_twice(mnt)
    assert "fusermount3 -u" in again.stderr
    assert os.listdir(mnt) == []


def test_a_path_with_a_space_is_quoted_in_the_advice(tmp_path):
    mnt = str(tmp_path / "my ws")
    os.mkdir(mnt)
    again = demo_mounted_twice(mnt)
    assert "(fusermount3 -u '%s')" % mnt in again.stderr, again.stderr
    with open("/proc/self/mountinfo") as f:  # as the kernel escapes it
        assert mnt.replace(" ", "\\040") not in f.read()


def test_a_file_is_no_mount_point(tmp_path):
    f = tmp_path / "afile"
    f.write_text("")
    for extra in ([], ["-o", "stack"]):
        one_line_failure([COMPUTEFS, "--demo", str(f)] + extra, str(f),
                         "not a directory")


def test_sigterm_unmounts_cleanly(emu_factory, mount_factory):
    emu = emu_factory("--instances", "1")
    m = mount_factory(emu)
    m.proc.send_signal(signal.SIGTERM)
    assert m.proc.wait(timeout=10) == 0
    wait_for(lambda: not is_mounted(m.path), what="unmount")


def test_sigint_ignored_at_start_stays_ignored(emu_factory, mount_factory):
    # a background job of a non-interactive shell (computefs -f ... &)
    # starts with SIGINT ignored: it must not half-stop the mount
    emu = emu_factory("--instances", "2")
    m = mount_factory(emu, preexec=lambda: signal.signal(signal.SIGINT,
                                                         signal.SIG_IGN))
    name = next(n for n, c in emu.instances().items()
                if c["properties"]["properties"]["state"] == "Running")
    m.proc.send_signal(signal.SIGINT)
    time.sleep(0.5)
    assert m.proc.poll() is None and is_mounted(m.path)
    r = subprocess.run("timeout 20 sh -c 'echo stop > %s/%s/control'" %
                       (m.path, name), shell=True, capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr  # it still works, whole
    assert "stopping" not in m.stderr()
    m.proc.send_signal(signal.SIGTERM)
    assert m.proc.wait(timeout=10) == 0
    wait_for(lambda: not is_mounted(m.path), what="unmount")


def mount_options(path):
    with open("/proc/self/mounts") as f:
        for line in f:
            fields = line.split()
            if fields[1] == path:
                return fields[3].split(",")
    raise AssertionError("not mounted: " + path)


def test_owner_only_by_default(emu_factory, mount_factory):
    emu = emu_factory("--instances", "2")
    m = mount_factory(emu)
    opts = mount_options(m.path)
    assert "allow_other" not in opts
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534",
                        "--clear-groups", "ls", m.path],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "Permission denied" in r.stderr


def test_allow_other_adds_default_permissions(emu_factory, mount_factory):
    emu = emu_factory("--instances", "2")
    # a mount point other users can reach (pytest's tmp_path is 0700)
    shared = tempfile.mkdtemp(prefix="cfs-shared-")
    os.chmod(shared, 0o755)
    m = mount_factory(emu, options=["allow_other"], path=shared)
    opts = mount_options(m.path)
    assert "allow_other" in opts and "default_permissions" in opts
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    r = subprocess.run(nobody + ["cat", m.path + "/ci-alice/state"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == "Running\n", r.stderr
    # the kernel enforces the modes: control is the owner's alone
    emu.reset()
    r = subprocess.run(nobody + ["sh", "-c", "echo stop > %s/ci-alice/control"
                                 % m.path], capture_output=True, text=True)
    assert r.returncode != 0 and "Permission denied" in r.stderr
    assert emu.counters()["routes"]["stop"] == 0
    m.stop()
    os.rmdir(shared)


def test_single_threaded_mount(emu_factory, mount_factory):
    emu = emu_factory("--instances", "3")
    m = mount_factory(emu)  # -f
    m2 = Mount(emu, m.path + "-s", flags=("-f", "-s"))
    try:
        m2.start()
        assert sorted(n for n in os.listdir(m2.path)
                      if not n.startswith(".")) == sorted(emu.instances())
    finally:
        m2.stop()


def test_an_unprivileged_user_mounts_the_demo():
    """The everyday case: a user, not root, mounts with fusermount3.

    Debian's udev rule makes /dev/fuse 0666; a container may not, so the
    test opens it up as udev would, and puts the mode back after.
    """
    mode = os.stat("/dev/fuse").st_mode & 0o777
    os.chmod("/dev/fuse", 0o666)
    mnt = tempfile.mkdtemp(prefix="computefs-user-")
    os.chown(mnt, 65534, 65534)
    # this build, where nobody can reach it whatever the checkout's modes
    bindir = tempfile.mkdtemp(prefix="computefs-bin-")
    os.chmod(bindir, 0o755)
    for prog in (COMPUTEFS, EMULATOR):
        shutil.copy(prog, bindir)
    computefs = os.path.join(bindir, os.path.basename(COMPUTEFS))
    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534",
                 "--clear-groups", "--reset-env", "bash", "-c"]

    def run(script):
        return subprocess.run(as_nobody + [script], capture_output=True,
                              text=True, timeout=60, cwd="/")

    try:
        r = run("%s --demo %s" % (computefs, mnt))
        assert r.returncode == 0, r.stderr
        r = run("cat %s/ci-alice/state && echo stop > %s/ci-alice/control "
                "&& cat %s/ci-alice/state && stat -c %%U %s/ci-alice/state"
                % (mnt, mnt, mnt, mnt))
        assert r.returncode == 0, r.stderr
        assert r.stdout == "Running\nStopping\nnobody\n"
        # owner-only by default: not even root gets in
        r = subprocess.run(["ls", mnt], capture_output=True, text=True)
        assert r.returncode != 0 and "Permission denied" in r.stderr
        r = run("fusermount3 -u %s" % mnt)
        assert r.returncode == 0, r.stderr
        assert not is_mounted(mnt)
    finally:
        if is_mounted(mnt):
            subprocess.run(["umount", "-l", mnt], check=False)
        os.chmod("/dev/fuse", mode)
        os.rmdir(mnt)
        shutil.rmtree(bindir)
