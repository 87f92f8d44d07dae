"""Fixtures for the integration tests: a real emulator and a real mount.

Every address contacted is loopback: the emulator listens on 127.0.0.1
and computefs is pointed at it with -o endpoint=.
"""
import shutil
import subprocess
import tempfile

import pytest

from emulator import Emulator, make_cert
from mount import Mount

WORKSPACE = ("/subscriptions/11111111-2222-3333-4444-555555555555"
             "/resourceGroups/rg-test/providers/"
             "Microsoft.MachineLearningServices/workspaces/ws-test")


def Emu(*args, **kw):
    """The emulator on a free loopback port, with this suite's workspace."""
    kw.setdefault("workspace", WORKSPACE)
    return Emulator(*args, **kw)


@pytest.fixture
def emu_factory():
    started = []

    def start(*args, **kw):
        e = Emu(*args, **kw)
        started.append(e)
        return e
    yield start
    for e in started:
        e.stop()


@pytest.fixture
def mnt(tmp_path):
    path = tmp_path / "ws"
    path.mkdir()
    return str(path)


@pytest.fixture
def mount_factory(mnt):
    mounts = []

    def start(emu, **kw):
        m = Mount(emu, kw.pop("path", mnt), **kw).start()
        mounts.append(m)
        return m
    yield start
    for m in mounts:
        m.stop()
        shutil.rmtree(m.tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def tls_pair():
    """A self-signed certificate for 127.0.0.1, made for this run."""
    d = tempfile.mkdtemp(prefix="cfs-tls-")
    yield make_cert(d)
    shutil.rmtree(d, ignore_errors=True)


def sh(cmd, **kw):
    """Run a shell command line the way a user would; returns the result."""
    # bash, as users have it: its echo names the errno of a failed write
    # ("echo: write error: Device or resource busy"); dash's does not
    return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                          executable="/bin/bash",
                          timeout=kw.pop("timeout", 60), **kw)
