"""Fixtures for the integration tests: a real emulator and a real mount.

Every address contacted is loopback: the emulator listens on 127.0.0.1
and computefs is pointed at it with -o endpoint=.
"""
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import urllib.request

import pytest

from mount import BUILD, Mount, wait_for

EMULATOR = os.environ.get("COMPUTEFS_EMULATOR",
                          os.path.join(BUILD, "computefs-emulator"))
WORKSPACE = ("/subscriptions/11111111-2222-3333-4444-555555555555"
             "/resourceGroups/rg-test/providers/"
             "Microsoft.MachineLearningServices/workspaces/ws-test")
API = "api-version=2025-06-01"


class Emu:
    """A computefs-emulator subprocess on a free loopback port."""

    def __init__(self, *args, tls=None, workspace=WORKSPACE):
        self.token = "test-" + secrets.token_hex(16)
        self.workspace = workspace
        argv = [EMULATOR, "--listen", "127.0.0.1:0", "--workspace", workspace]
        if tls:
            argv += ["--tls-cert", tls[0], "--tls-key", tls[1]]
        argv += list(args)
        env = dict(os.environ, COMPUTEFS_EMULATOR_TOKEN=self.token)
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env, text=True)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            self.proc.kill()
            raise AssertionError("emulator did not start: " +
                                 self.proc.stderr.read())

    def request(self, method, path, body=None, auth=True):
        url = path if path.startswith("http") else self.url + path
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        if auth:
            req.add_header("Authorization", "Bearer " + self.token)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                raw = r.read()
                return r.status, dict(r.headers), (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, dict(e.headers), (json.loads(raw) if raw else None)

    def computes(self):
        """Every compute, all pages, as Azure lists them."""
        out, url = [], self.workspace + "/computes?" + API
        while url:
            status, _, body = self.request("GET", url)
            assert status == 200, body
            out += body["value"]
            url = body.get("nextLink")
        return out

    def instances(self):
        return {c["name"]: c for c in self.computes()
                if c["properties"]["computeType"] == "ComputeInstance"}

    def counters(self):
        return self.request("GET", "/_emulator/requests", auth=False)[2]

    def reset(self):
        self.request("POST", "/_emulator/reset", body={}, auth=False)

    def faults(self, rules):
        status, _, body = self.request("POST", "/_emulator/faults", body=rules,
                                       auth=False)
        assert status in (200, 204), body

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


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
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    yield cert, key
    shutil.rmtree(d, ignore_errors=True)


def sh(cmd, **kw):
    """Run a shell command line the way a user would; returns the result."""
    return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                          timeout=kw.pop("timeout", 60), **kw)
