"""A real computefs mount for the integration tests.

Runs build/computefs in the foreground (-f) as a subprocess so its stderr
can be read, waits for the mount by polling /proc/self/mountinfo (never a
fixed sleep), and unmounts with fusermount3 -u.
"""
import os
import re
import shutil
import subprocess
import tempfile
import time
import weakref

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("COMPUTEFS_BUILD", os.path.join(REPO, "build"))
COMPUTEFS = os.path.join(BUILD, "computefs")

# computefs's informational lines; warnings, errors and anything else
# (a sanitizer report, a crash) on stderr fail a test that checks.
BENIGN = re.compile(r"^computefs: (?!warning: |error: )")


def mountinfo_path(field):
    """A mount point as /proc/self/mountinfo writes it: space, tab, newline
    and backslash as octal escapes (\\040 ...)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)),
                  field)


def is_mounted(path):
    path = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if mountinfo_path(fields[4]) == path:
                return True
    return False


def wait_for(pred, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    delay = 0.005
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
    raise AssertionError("timed out waiting for " + what)


def write_token(dirpath, token):
    path = os.path.join(dirpath, "token")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    return path


class Mount:
    """computefs WORKSPACE MNT -f -o endpoint=...,token_file=... ."""

    def __init__(self, emu, mnt, options=(), cache_ttl=15, ca_file=None,
                 token=True, env=None, flags=("-f",), preexec=None):
        self.emu = emu
        self.preexec = preexec  # run in the child before exec
        self.path = mnt
        self.env = env
        self.tmp = tempfile.mkdtemp(prefix="cfs-tok-")
        # the token file and the log go when this object does
        weakref.finalize(self, shutil.rmtree, self.tmp, True)
        opts = ["endpoint=" + emu.url, "cache_ttl=%g" % cache_ttl]
        if token:  # True: the emulator's static token; a str: that one
            self.token_file = write_token(
                self.tmp, token if isinstance(token, str) else emu.token)
            opts.append("token_file=" + self.token_file)
        if ca_file:
            opts.append("ca_file=" + ca_file)
        opts.extend(options)
        self.argv = [COMPUTEFS, emu.workspace, mnt] + list(flags) + \
            ["-o", ",".join(opts)]
        self.stderr_path = os.path.join(self.tmp, "stderr")
        self.proc = None

    def start(self):
        os.makedirs(self.path, exist_ok=True)
        self.err = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL,
                                     stderr=self.err, env=self.env,
                                     preexec_fn=self.preexec)
        try:
            wait_for(lambda: is_mounted(self.path) or self.proc.poll() is not None,
                     what="the mount")
        except AssertionError:
            self.stop()
            raise
        if not is_mounted(self.path):
            raise AssertionError("computefs exited %s: %s" %
                                 (self.proc.returncode, self.stderr()))
        return self

    def stderr(self):
        with open(self.stderr_path) as f:
            return f.read()

    def unexpected_stderr(self):
        return [l for l in self.stderr().splitlines() if not BENIGN.match(l)]

    def stop(self):
        if self.proc is None:
            return
        if is_mounted(self.path):
            subprocess.run(["fusermount3", "-u", self.path], check=False)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            subprocess.run(["fusermount3", "-uz", self.path], check=False)
        self.err.close()
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
