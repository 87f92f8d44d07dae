"""The README's quick start, as a newcomer meets it.

A throwaway ordinary user with passwordless sudo (a sudoers.d drop-in)
gets a clean clone of this repository's HEAD in their home and, from the
home directory, runs `computefs/scripts/demo ws`: a relative mount point,
which must land in the home directory (not the clone), mounted by the
user (not root). Then, as the user: `ls ws` and `cat ws/*/state` read the
mount, `computefs` is on PATH and `man computefs` finds its page, nothing
in the home directory is owned by root, and `fusermount3 -u ws` unmounts.

Runs as root (scripts/test runs the integration tests through sudo): it
adds and removes a user. The packages are already installed, so the demo
must neither install nor reach the network. Whatever happens, the mount,
the user's processes, the user, the drop-in, /dev/fuse's mode and what
the demo's `meson install` replaced in /usr/local are put back. It fails,
never skips, when it cannot do its job.
"""
import os
import pwd
import shutil
import signal
import stat
import subprocess
import time

import pytest

from mount import REPO, wait_for

INSTALLED = ["/usr/local/bin/computefs", "/usr/local/bin/computefs-emulator",
             "/usr/local/share/man/man1/computefs.1"]


def run(argv, timeout=60, **kw):
    return subprocess.run(argv, capture_output=True, text=True,
                          timeout=timeout, **kw)


def as_user(name, cmd, timeout=60):
    """cmd in a login shell of @name, from their home directory."""
    return run(["runuser", "-l", name, "-c", cmd], timeout=timeout)


def mounts_under(path):
    """Mount points at or below @path, deepest first."""
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            mp = fields[4].replace("\\040", " ")
            if mp == path or mp.startswith(path + "/"):
                found.append((mp, line))
    return sorted(found, key=lambda m: -len(m[0]))


def user_pids(uid):
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/status" % d) as f:
                for line in f:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            pids.append(int(d))
                        break
        except OSError:
            pass
    return pids


@pytest.fixture
def newcomer(tmp_path):
    assert os.geteuid() == 0, \
        "test_quickstart adds a user: run it as root (scripts/test does)"
    for tool in ("useradd", "userdel", "runuser", "sudo", "git"):
        assert shutil.which(tool), tool + " is missing (scripts/deps test)"
    name = "cfsnew%d" % (os.getpid() % 100000)
    assert run(["id", name]).returncode != 0, name + " exists already"
    # what the demo's `sudo meson install` will replace
    saved = {}
    for i, path in enumerate(INSTALLED):
        if os.path.exists(path):
            saved[path] = str(tmp_path / ("installed%d" % i))
            shutil.copy2(path, saved[path])
    fuse_mode = stat.S_IMODE(os.stat("/dev/fuse").st_mode)
    os.makedirs("/etc/sudoers.d", exist_ok=True)
    # sudo ignores drop-ins whose name has a dot
    dropin = "/etc/sudoers.d/computefs-test-" + name
    r = run(["useradd", "--create-home", "--shell", "/bin/bash", name])
    assert r.returncode == 0, r.stderr
    pw = pwd.getpwnam(name)
    try:
        fd = os.open(dropin, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o440)
        with os.fdopen(fd, "w") as f:
            f.write("%s ALL=(ALL) NOPASSWD: ALL\n" % name)
        # Debian's udev rule makes /dev/fuse 0666; a container may not
        os.chmod("/dev/fuse", 0o666)
        yield pw
    finally:
        for mp, _ in mounts_under(pw.pw_dir):
            run(["fusermount3", "-u", "-z", mp])
            run(["umount", "-l", mp])
        for pid in user_pids(pw.pw_uid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while user_pids(pw.pw_uid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if os.path.exists(dropin):
            os.remove(dropin)
        run(["userdel", "--remove", name])
        if os.path.isdir(pw.pw_dir):
            shutil.rmtree(pw.pw_dir, ignore_errors=True)
        os.chmod("/dev/fuse", fuse_mode)
        for path in INSTALLED:
            if path in saved:
                shutil.copy2(saved[path], path)
            elif os.path.exists(path):
                os.remove(path)


def test_quickstart_as_a_user_with_sudo(newcomer):
    name, home, uid = newcomer.pw_name, newcomer.pw_dir, newcomer.pw_uid
    clone = os.path.join(home, "computefs")
    # a clean clone of HEAD, the user's own (no hard links into this
    # repository's objects: chown must not reach them)
    r = run(["git", "clone", "--quiet", "--no-hardlinks", REPO, clone])
    assert r.returncode == 0, r.stderr
    r = run(["chown", "-R", "%s:%s" % (name, name), clone])
    assert r.returncode == 0, r.stderr

    t0 = time.monotonic()
    r = as_user(name, "computefs/scripts/demo ws", timeout=900)
    took = time.monotonic() - t0
    assert r.returncode == 0, "scripts/demo failed after %.0f s:\n%s\n%s" % (
        took, r.stdout, r.stderr)
    ws = os.path.join(home, "ws")
    # nothing to install: no apt-get, no network
    assert "installing" not in r.stdout.replace(
        "installing computefs into /usr/local", ""), r.stdout
    # its last line says where it mounted and how to unmount
    last = r.stdout.strip().splitlines()[-1]
    assert ws in last and "fusermount3 -u " + ws in last, r.stdout
    assert not os.path.exists(os.path.join(clone, "ws"))

    # mounted on ~/ws, by the user
    mounted = mounts_under(ws)
    assert [mp for mp, _ in mounted] == [ws], mounted
    assert "user_id=%d" % uid in mounted[0][1], mounted[0][1]

    r = as_user(name, "ls ws")
    assert r.returncode == 0, r.stderr
    names = r.stdout.split()
    assert "ci-alice" in names, r.stdout
    r = as_user(name, "cat ws/*/state")
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.split()) == len(names), r.stdout
    assert "Running" in r.stdout.split(), r.stdout

    # the README's computefs and man computefs
    r = as_user(name, "command -v computefs && computefs --version")
    assert r.returncode == 0 and \
        r.stdout.startswith("/usr/local/bin/computefs\n"), r.stdout + r.stderr
    r = as_user(name, "man -w computefs")
    assert r.returncode == 0 and r.stdout.strip().endswith("computefs.1"), \
        r.stdout + r.stderr

    # nothing of the user's is root's (-xdev: not into the mount)
    r = as_user(name, "find ~ -xdev -user root")
    assert r.returncode == 0 and r.stdout == "", r.stdout + r.stderr

    r = as_user(name, "fusermount3 -u ws")
    assert r.returncode == 0, r.stderr
    wait_for(lambda: not mounts_under(ws), timeout=10, what="the unmount")
    print("scripts/demo took %.1f s" % took)
