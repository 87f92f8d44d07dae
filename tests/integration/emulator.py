"""A computefs-emulator subprocess for tests, benchmarks and tools.

    from emulator import Emulator
    with Emulator("--instances", "30") as emu:
        status, headers, body = emu.get(emu.ws("/computes"))
        emu.counters()["routes"]["list"]

The binary is $COMPUTEFS_EMULATOR, else $COMPUTEFS_BUILD/computefs-emulator,
else <repo>/build/computefs-emulator. The emulator listens on a free
loopback port; its URL is the first line it prints. The bearer token is
passed in the environment, never in argv. Only loopback is contacted.
"""
import http.client
import json
import os
import secrets
import shutil
import ssl
import subprocess
import tempfile
import urllib.parse

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUILD = os.environ.get("COMPUTEFS_BUILD", os.path.join(REPO, "build"))
EMULATOR = os.environ.get("COMPUTEFS_EMULATOR",
                          os.path.join(BUILD, "computefs-emulator"))
DEFAULT_WORKSPACE = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/"
    "demo-rg/providers/Microsoft.MachineLearningServices/workspaces/demo-ws")
API = "2025-06-01"


def make_cert(directory):
    """A self-signed certificate for 127.0.0.1 (SAN IP:127.0.0.1)."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


class Response:
    """What a client saw: status, headers (case-insensitive), body."""

    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.raw = raw

    def header(self, name):
        return self.headers.get(name.lower())

    @property
    def json(self):
        return json.loads(self.raw) if self.raw else None

    def __iter__(self):  # status, headers, body = emu.get(...)
        return iter((self.status, self.headers, self.json))

    def __repr__(self):
        return "<Response %d %r>" % (self.status, self.raw[:200])


class Emulator:
    """Start computefs-emulator ARGS...; stop() (or `with`) ends it."""

    def __init__(self, *args, token=None, tls=None,
                 workspace=DEFAULT_WORKSPACE, binary=None, env=None):
        self.token = token or "emu-" + secrets.token_hex(16)
        self.workspace = workspace
        self.cafile = tls[0] if tls else None
        argv = [binary or EMULATOR, "--listen", "127.0.0.1:0",
                "--workspace", workspace]
        if tls:
            argv += ["--tls-cert", tls[0], "--tls-key", tls[1]]
        argv += [str(a) for a in args]
        full_env = dict(os.environ, COMPUTEFS_EMULATOR_TOKEN=self.token)
        full_env.update(env or {})
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=full_env,
                                     text=True)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            err = self.proc.stderr.read()
            self.proc.wait()
            raise RuntimeError("computefs-emulator did not start: " + err)
        parts = urllib.parse.urlsplit(self.url)
        self.scheme, self.host, self.port = (parts.scheme, parts.hostname,
                                             parts.port)

    # -- plumbing ------------------------------------------------------
    def connection(self, timeout=10):
        """A fresh keep-alive connection to the emulator."""
        if self.scheme == "https":
            ctx = ssl.create_default_context(cafile=self.cafile)
            return http.client.HTTPSConnection(self.host, self.port,
                                               timeout=timeout, context=ctx)
        return http.client.HTTPConnection(self.host, self.port,
                                          timeout=timeout)

    def request(self, method, path, body=None, headers=None, auth=True,
                conn=None, timeout=10):
        """One request; path may be absolute (a nextLink) or start at /.

        body: dict/list (sent as JSON), str or bytes (sent as is).
        """
        if path.startswith("http"):
            parts = urllib.parse.urlsplit(path)
            path = parts.path + ("?" + parts.query if parts.query else "")
        hdrs = dict(headers or {})
        if auth and "Authorization" not in hdrs:
            hdrs["Authorization"] = "Bearer " + self.token
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            hdrs.setdefault("Content-Type", "application/json")
        if isinstance(body, str):
            body = body.encode()
        own = conn is None
        c = conn or self.connection(timeout)
        try:
            c.request(method, path, body=body, headers=hdrs)
            r = c.getresponse()
            return Response(r.status, r.getheaders(), r.read())
        finally:
            if own:
                c.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def ws(self, suffix="", api=API):
        """The workspace path plus suffix, with ?api-version=."""
        sep = "&" if "?" in suffix else "?"
        return self.workspace + suffix + (sep + "api-version=" + api
                                          if api else "")

    # -- what tests usually want ---------------------------------------
    def computes(self):
        """Every compute across all pages, and the number of pages."""
        out, url, pages = [], self.ws("/computes"), 0
        while url:
            r = self.get(url)
            assert r.status == 200, r
            pages += 1
            out += r.json["value"]
            url = r.json.get("nextLink")
        return out, pages

    def instances(self):
        return {c["name"]: c for c in self.computes()[0]
                if c["properties"]["computeType"] == "ComputeInstance"}

    def counters(self):
        return self.get("/_emulator/requests", auth=False).json

    def reset(self):
        assert self.post("/_emulator/reset", auth=False).status == 204

    def faults(self, rules):
        r = self.post("/_emulator/faults", rules, auth=False)
        assert r.status == 200, r
        return r.json

    def user_token(self, user="alice", seconds=None):
        body = {"user": user}
        if seconds:
            body["seconds"] = seconds
        return self.post("/_emulator/token", body, auth=False).json

    def stop(self):
        """SIGTERM, wait; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class TempCert:
    """A temporary self-signed certificate pair: with TempCert() as (c, k)."""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="cfs-emu-tls-")
        return make_cert(self.dir)

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)
