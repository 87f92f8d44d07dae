"""A broken or hostile Azure: faults injected into the emulator, seen
through a real mount.

Every test asserts what a user sees: the exit status and the one line of
a failed mount, the errno of `cat`, `ls` and `echo > control`, the
contents of .status and NAME/errors, the emulator's request counters
(retries are bounded: at most 3), that the daemon is still alive and
answering afterwards, that no warning nobody expected reached its stderr,
and that nothing takes longer than a bound. The standard: bad input gets
a clear error and changes nothing; nothing hangs without bound, nothing
crashes, no secret is logged.

Knobs: the mount's cache_ttl= and stale_max= keep the stale window short,
and COMPUTEFS_HTTP_TIMEOUT_MS (hidden, read by client/http.c) shortens the
per-attempt timeout for the test of a server slower than it.
"""
import json
import os
import subprocess
import time

import pytest

from conftest import sh
from mount import COMPUTEFS, Mount, is_mounted, wait_for

# ---- helpers ----------------------------------------------------------

def routes(emu):
    return emu.counters()["routes"]


def status(m):
    """.status as a dict (first value of each 'key: value' line)."""
    with open(os.path.join(m.path, ".status")) as f:
        text = f.read()
    return dict(l.split(": ", 1) for l in text.splitlines())


def read(m, rel):
    """cat PATH: (exit status, stdout, stderr)."""
    r = sh("cat %s/%s" % (m.path, rel), timeout=90)
    return r.returncode, r.stdout, r.stderr


def echo(m, text, rel):
    r = sh("echo %s > %s/%s" % (text, m.path, rel), timeout=90)
    return r.returncode, r.stderr


def names(m):
    return sorted(n for n in os.listdir(m.path) if not n.startswith("."))


def assert_alive(m, emu):
    """The daemon runs, answers, and shows the emulator's instances."""
    assert m.proc.poll() is None, m.stderr()
    assert is_mounted(m.path)
    assert names(m) == sorted(emu.instances())
    assert status(m)["backend"] == "ok"


def mount_cmd(emu, mnt, extra_opts=(), env=None, token=True):
    """Run the mount command (it forks: no -f) and return its result."""
    m = Mount(emu, mnt, options=list(extra_opts), flags=(), env=env,
              token=token)
    t0 = time.monotonic()
    try:
        r = subprocess.run(m.argv, capture_output=True, text=True,
                           timeout=60, env=env)
    finally:
        took = time.monotonic() - t0
        if is_mounted(mnt):
            subprocess.run(["fusermount3", "-u", mnt], check=False)
    return r, took


def one_line(r):
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("computefs: "), lines[0]
    return lines[0]


def a_compute(emu):
    """One real ComputeResource as the emulator lists it."""
    return next(iter(emu.instances().values()))


def list_body(value, next_link=None):
    body = {"value": value}
    if next_link:
        body["nextLink"] = next_link
    return json.dumps(body)


@pytest.fixture
def emu(emu_factory):
    # --max-body: the 10 MB fault body must fit in the admin request
    return emu_factory("--instances", "3", "--op-seconds", "0.5",
                       "--max-body", "12000000")


@pytest.fixture
def ws(emu, mount_factory):
    """A mount whose listing goes stale fast and is served stale for 2 s."""
    return emu, mount_factory(emu, cache_ttl=0.3, options=["stale_max=2"])


# ---- at mount time: the mount fails with one clear line ---------------

BROKEN_LISTS = {
    "not json": "<html>502 Bad Gateway</html>",
    "truncated": '{"value": [{"id": "/subscriptions/1111',
    "value an object": '{"value": {"name": "ci-x"}}',
    "value a string": '{"value": "ci-x"}',
    "top-level array": '[{"name": "ci-x"}]',
    "empty body": "",
    "10 MB of garbage": "garbage!" * (10 * 1024 * 1024 // 8),
}


@pytest.mark.parametrize("kind", sorted(BROKEN_LISTS))
def test_mount_refuses_a_broken_listing(emu, mnt, kind):
    emu.faults([{"route": "list", "status": 200,
                 "body": BROKEN_LISTS[kind]}])
    r, took = mount_cmd(emu, mnt)
    assert r.returncode != 0
    line = one_line(r)
    assert "cannot list computes" in line
    assert "malformed" in line, line
    assert took < 10
    assert routes(emu)["list"] == 1  # a malformed reply is not retried
    assert not is_mounted(mnt)


def test_mount_refuses_a_broken_workspace(emu, mnt):
    emu.faults([{"route": "workspace", "status": 200, "body": "[]"}])
    r, _ = mount_cmd(emu, mnt)
    assert r.returncode != 0
    line = one_line(r)
    assert "cannot open workspace" in line and "malformed" in line, line
    assert routes(emu)["list"] == 0


def test_list_items_without_names_are_skipped(emu, mount_factory):
    good = a_compute(emu)
    wrong_types = dict(good, name="ci-odd", location=7,
                       properties={"computeType": "ComputeInstance",
                                   "properties": {"state": ["Running"],
                                                  "vmSize": None,
                                                  "sshSettings": "x"}})
    emu.faults([{"route": "list", "status": 200, "body": list_body(
        [{"id": "/no/name"}, {"name": 5}, {"name": ""}, None, 3, "ci-s",
         good, wrong_types])}])
    m = mount_factory(emu)
    assert names(m) == sorted([good["name"], "ci-odd"])
    # wrong-typed fields read as absent: a file, not a crash
    rc, out, _ = read(m, "ci-odd/state")
    assert rc == 0 and out.endswith("\n")
    rc, out, _ = read(m, "ci-odd/ssh")
    assert rc == 0 and out.startswith("#")
    assert m.proc.poll() is None


def test_hostile_names_and_ssh_fields_are_defused(emu, mount_factory,
                                                 tmp_path):
    import copy
    good = a_compute(emu)

    def named(name):
        return dict(copy.deepcopy(good), name=name)

    pwned = tmp_path / "pwned"
    evil = named("ci-evil")
    ci = evil["properties"]["properties"]
    ci["sshSettings"] = {"sshPublicAccess": "Enabled", "sshPort": 22,
                         "adminUserName": "azureuser\n    ProxyCommand "
                                          "touch %s" % pwned}
    ci["connectivityEndpoints"] = {"publicIpAddress": "1.2.3.4",
                                   "privateIpAddress": "10.0.0.9"}
    ci["state"] = "Running\nStopped"
    star = named("*")
    bad = [named(n) for n in ("..", "../etc", "a/b", ".hidden", "a b",
                              "-oProxyCommand=x", "ci\nHost *")]
    emu.faults([{"route": "list", "status": 200,
                 "body": list_body(bad + [star, good, evil])}])
    m = mount_factory(emu)
    r = sh("ls -a %s" % m.path)
    assert r.returncode == 0, r.stderr  # no entry can break the listing
    assert [n for n in r.stdout.split() if not n.startswith(".")] == \
        sorted([good["name"], "ci-evil"])
    rc, out, _ = read(m, "ci-evil/state")
    assert rc == 0 and out == "Running Stopped\n"  # still one line
    rc, out, _ = read(m, "ci-evil/ssh")
    assert rc == 0
    assert out == ("# ci-evil: Azure's reply has no usable SSH address "
                   "or user\n")
    # ssh itself reads the file: no ProxyCommand, nothing run
    r = sh("ssh -G -F %s/ci-evil/ssh ci-evil" % m.path)
    assert r.returncode == 0, r.stderr
    assert "proxycommand" not in r.stdout.lower()
    assert not pwned.exists()
    assert m.proc.poll() is None


@pytest.mark.parametrize("fault,requests,word", [
    ({"status": 503}, 4, "server error"),
    ({"status": 500, "headers": {"Retry-After": "0"}}, 4, "server error"),
    ({"drop": True}, 4, "unreachable"),
    ({"status": 429, "headers": {"Retry-After": "0"}}, 4, "throttled"),
    ({"status": 429, "headers": {"Retry-After": "61"}}, 1, "throttled"),
])
def test_mount_gives_up_after_three_retries(emu, mnt, fault, requests, word):
    emu.faults([dict(fault, route="list")])
    r, took = mount_cmd(emu, mnt)
    assert r.returncode != 0
    line = one_line(r)
    assert "cannot list computes" in line and word in line, line
    n = routes(emu)["list"]
    if fault.get("drop"):
        # libcurl itself sends a GET once more when the kept-alive
        # connection it reused (from the workspace GET) dies unanswered
        assert requests <= n <= requests + 1
    else:
        assert n == requests
    assert took < 8  # backoff 0 + 1.6 + 3.2 s at most
    assert not is_mounted(mnt)


def test_mount_rides_out_throttling(emu, mount_factory):
    emu.faults([{"route": "list", "status": 429, "times": 2,
                 "headers": {"Retry-After": "1"}}])
    t0 = time.monotonic()
    m = mount_factory(emu)
    assert 2 <= time.monotonic() - t0 < 6  # Retry-After honored, twice
    assert routes(emu)["list"] == 3
    st = status(m)
    assert st["backend"] == "ok"
    assert st["throttled"] == "2" and st["retries"] == "2"
    assert_alive(m, emu)
    assert m.unexpected_stderr() == []


def test_dead_endpoint_fails_in_bounded_time(mnt):
    emu_dead = type("Dead", (), {})()
    emu_dead.url = "http://127.0.0.1:9"
    emu_dead.token = "t"
    emu_dead.workspace = ("/subscriptions/11111111-2222-3333-4444-"
                          "555555555555/resourceGroups/r/providers/Microsoft."
                          "MachineLearningServices/workspaces/ws1")
    r, took = mount_cmd(emu_dead, mnt)
    assert r.returncode != 0
    line = one_line(r)
    assert "unreachable" in line and "check the endpoint" in line, line
    assert took < 8


# ---- later: stale data while degraded, then a clear error ------------

@pytest.mark.parametrize("fault,why", [
    ({"status": 503, "headers": {"Retry-After": "0"}}, "server error"),
    ({"drop": True}, "unreachable"),
    ({"status": 200, "body": "{\"value\": 42}"}, "malformed"),
    ({"malformed": True}, "malformed"),
])
def test_broken_listing_later_serves_stale_then_fails(emu, mount_factory,
                                                       fault, why):
    # stale_max covers one read's retries (0 + 1.6 + 3.2 s of backoff)
    m = mount_factory(emu, cache_ttl=0.3, options=["stale_max=6"])
    name = sorted(emu.instances())[0]
    rc, before, _ = read(m, name + "/state")
    assert rc == 0
    emu.faults([dict(fault, route="list")])
    t0 = time.monotonic()
    time.sleep(0.4)  # past the TTL
    rc, out, err = read(m, name + "/state")
    assert (rc, out) == (0, before), err  # the last good listing
    # the refresh that read started fails in the background
    wait_for(lambda: status(m)["backend"].startswith("degraded: "),
             timeout=10, what=".status to say degraded")
    st = status(m)
    assert why in st["backend"]
    assert int(st["stale_served"]) >= 1
    # past ttl + stale_max: a clear error, no hang
    wait_for(lambda: read(m, name + "/state")[0] != 0, timeout=20,
             what="reads to fail")
    assert time.monotonic() - t0 < 20
    rc, _, err = read(m, name + "/state")
    assert "Input/output error" in err, err
    r = sh("ls %s" % m.path)
    assert r.returncode != 0
    assert "Input/output error" in r.stderr, r.stderr
    assert m.proc.poll() is None  # dot files still answer from memory
    assert status(m)
    # Azure is back: so is the mount
    emu.faults([])
    wait_for(lambda: read(m, name + "/state") == (0, before, ""),
             timeout=10, what="recovery")
    assert_alive(m, emu)


def test_status_is_not_ok_while_reads_fail(ws):
    emu, m = ws
    emu.faults([{"route": "list", "status": 503,
                 "headers": {"Retry-After": "0"}}])
    time.sleep(2.5)  # past ttl + stale_max
    r = sh("ls %s" % m.path)
    assert r.returncode != 0
    assert status(m)["backend"] != "ok"


def test_reads_are_retried_at_most_three_times(ws):
    emu, m = ws
    emu.faults([{"route": "list", "status": 500,
                 "headers": {"Retry-After": "0"}}])
    before = routes(emu)["list"]
    time.sleep(0.4)
    sh("ls %s" % m.path)  # answered from memory; a refresh behind it
    wait_for(lambda: "server error" in status(m)["backend"], timeout=10,
             what="the refresh to fail")
    assert routes(emu)["list"] - before == 4


# ---- writes under faults: the errno of write(2) ---------------------

@pytest.mark.parametrize("fault,requests,errno_text", [
    # a write goes out once: again only after 408 or 429 (not processed)
    ({"status": 503}, 1, "Input/output error"),
    ({"status": 502}, 1, "Input/output error"),
    ({"status": 429, "headers": {"Retry-After": "0"}}, 4,
     "Resource temporarily unavailable"),
    # asked to wait longer than a call may (60 s in all): EAGAIN at once
    ({"status": 429, "headers": {"Retry-After": "3600"}}, 1,
     "Resource temporarily unavailable"),
    ({"status": 409}, 1, "Device or resource busy"),
    ({"status": 403}, 1, "Permission denied"),
    # the request reached the server: a POST is not sent twice
    ({"drop": True}, 1, "Input/output error"),
])
def test_control_write_errors(ws, fault, requests, errno_text):
    emu, m = ws
    name = next(n for n, c in emu.instances().items()
                if c["properties"]["properties"]["state"] == "Running")
    emu.faults([dict(fault, method="POST", path="*/stop*")])
    t0 = time.monotonic()
    rc, err = echo(m, "stop", name + "/control")
    assert rc != 0
    assert errno_text in err, err
    assert time.monotonic() - t0 < 8
    assert routes(emu)["stop"] == requests
    emu.faults([])
    # nothing changed
    assert emu.instances()[name]["properties"]["properties"]["state"] == \
        "Running"
    assert read(m, name + "/state")[1] == "Running\n"
    if fault.get("status") == 429:
        assert int(status(m)["throttled"]) == requests
    assert_alive(m, emu)


def test_slow_server_times_out(emu, mount_factory):
    env = dict(os.environ, COMPUTEFS_HTTP_TIMEOUT_MS="1000")
    m = mount_factory(emu, cache_ttl=0.3, options=["stale_max=1"], env=env)
    name = next(n for n, c in emu.instances().items()
                if c["properties"]["properties"]["state"] == "Running")
    emu.faults([{"method": "POST", "path": "*/stop*", "delay_ms": 3000}])
    t0 = time.monotonic()
    rc, err = echo(m, "stop", name + "/control")
    took = time.monotonic() - t0
    assert rc != 0
    assert "Connection timed out" in err, err
    assert took < 2.5  # one attempt: a POST that was sent is not resent
    emu.faults([{"route": "list", "delay_ms": 3000}])
    time.sleep(0.4)
    t0 = time.monotonic()
    read(m, name + "/state")  # stale or an error; bounded either way
    # while a fetch hangs, .status answers at once
    assert status(m)
    assert time.monotonic() - t0 < 12
    emu.faults([])
    wait_for(lambda: read(m, name + "/state")[0] == 0, timeout=15,
             what="recovery")
    assert m.proc.poll() is None


# ---- links and headers pointing elsewhere ---------------------------

def test_next_link_to_another_host_is_refused(emu, emu_factory, mnt):
    other = emu_factory("--instances", "1", token=emu.token)
    link = other.url + other.ws("/computes") + "&$skiptoken=2"
    emu.faults([{"route": "list", "status": 200,
                 "body": list_body([a_compute(emu)], link)}])
    r, took = mount_cmd(emu, mnt)
    assert r.returncode != 0
    line = one_line(r)
    assert "refusing to follow" in line and other.url in line, line
    assert emu.token not in r.stderr
    assert other.counters()["total"] == 0  # the token never went there
    assert took < 5


def test_next_link_loop_is_refused(emu, mnt):
    link = emu.url + emu.ws("/computes")
    emu.faults([{"route": "list", "status": 200,
                 "body": list_body([a_compute(emu)], link)}])
    before = routes(emu)["list"]
    r, _ = mount_cmd(emu, mnt)
    assert r.returncode != 0
    assert "loops" in one_line(r)
    assert routes(emu)["list"] - before == 1


def test_next_link_to_another_host_later(ws, emu_factory):
    emu, m = ws
    other = emu_factory("--instances", "1", token=emu.token)
    link = other.url + other.ws("/computes")
    emu.faults([{"route": "list", "status": 200,
                 "body": list_body([a_compute(emu)], link)}])
    time.sleep(0.4)
    # a reply that points elsewhere is malformed: the last good listing
    # is served, marked degraded, and the token never goes there
    r = sh("ls %s" % m.path)
    assert r.returncode == 0, r.stderr
    wait_for(lambda: status(m)["backend"].startswith("degraded"),
             timeout=10, what="the refresh to fail")
    assert other.counters()["total"] == 0
    assert any("refusing to follow" in l for l in m.unexpected_stderr())
    emu.faults([])

    def healthy():  # the cache asks again after its backoff (>= 2 s)
        sh("ls %s" % m.path)
        return status(m)["backend"] == "ok"
    wait_for(healthy, timeout=10, what="the backend to answer again")
    assert_alive(m, emu)


def test_operation_url_to_another_host_is_not_polled(ws, emu_factory):
    emu, m = ws
    other = emu_factory("--instances", "1", token=emu.token)
    name = next(n for n, c in emu.instances().items()
                if c["properties"]["properties"]["state"] == "Running")
    emu.faults([{"method": "POST", "path": "*/stop*", "status": 202,
                 "body": "",
                 "headers": {"Azure-AsyncOperation": other.url + "/op/1",
                             "Location": other.url + "/op/2"}}])
    rc, err = echo(m, "stop", name + "/control")
    assert rc == 0, err  # Azure (as far as we know) accepted it
    emu.faults([])
    time.sleep(1.5)
    assert other.counters()["total"] == 0
    assert m.proc.poll() is None
    assert read(m, name + "/state")[0] == 0


# ---- credentials -----------------------------------------------------

def test_expired_token_is_renewed(emu, mount_factory):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AZURE_", "MSI_", "IDENTITY_", "IMDS_"))}
    env.update(MSI_ENDPOINT=emu.url + "/msi/token", MSI_SECRET="emu-msi-secret")
    m = mount_factory(emu, cache_ttl=0.3, token=False, env=env,
                      options=["auth=managed-identity"])
    first = routes(emu)["token_msi"]
    assert first >= 1
    assert emu.post("/_emulator/expire-tokens", auth=False).status in (200,
                                                                        204)
    time.sleep(0.4)
    # answered from the held listing (stale while revalidate); the refresh
    # it starts behind the answer hears a 401, renews, and lists again
    assert_alive(m, emu)
    wait_for(lambda: routes(emu)["token_msi"] > first, timeout=10,
             what="the refresh to renew the token")
    wait_for(lambda: status(m)["refresh"] == "idle", timeout=10,
             what="the listing fetched with the new token")
    assert routes(emu)["token_msi"] == first + 1
    assert status(m)["backend"] == "ok"
    name = sorted(emu.instances())[0]
    assert read(m, name + "/state")[0] == 0
    assert "emu-msi-secret" not in m.stderr()
    assert m.unexpected_stderr() == []


def test_refused_token_later_is_a_clear_error(ws):
    emu, m = ws
    emu.faults([{"route": "list", "status": 401,
                 "body": json.dumps({"error": {"code": "InvalidAuthenticationToken",
                                               "message": "The token expired."}})}])
    before = routes(emu)["list"]
    time.sleep(0.4)
    # once the refresh hears it, a refused token is said, not hidden
    wait_for(lambda: sh("ls %s" % m.path).returncode != 0, timeout=10,
             what="ls to fail")
    r = sh("ls %s" % m.path)
    assert "Permission denied" in r.stderr or \
        "Input/output error" in r.stderr, r.stderr
    # first try and one renewal a refresh, a refresh every 2 s: no loop
    assert routes(emu)["list"] - before <= 4
    emu.faults([])
    # the next refresh (2 s after the last failure at most) hears it
    wait_for(lambda: sh("ls %s" % m.path).returncode == 0, timeout=10,
             what="recovery")
    assert_alive(m, emu)


# ---- operation polls that return garbage ----------------------------

@pytest.mark.parametrize("body", [
    "garbage",
    "{\"status\": 7}",
    "{\"status\": \"Succeeded\"",
])
def test_garbage_poll_still_settles(ws, body):
    emu, m = ws
    name = next(n for n, c in emu.instances().items()
                if c["properties"]["properties"]["state"] == "Running")
    emu.faults([{"route": "operation_status", "status": 200, "body": body}])
    rc, err = echo(m, "stop", name + "/control")
    assert rc == 0, err
    wait_for(lambda: read(m, name + "/state")[1] == "Stopped\n",
             timeout=15, what="Stopped")
    rc, out, _ = read(m, name + "/errors")
    assert rc == 0
    assert m.proc.poll() is None


def test_failed_operation_error_is_one_clean_line(ws):
    emu, m = ws
    name = next(n for n, c in emu.instances().items()
                if c["properties"]["properties"]["state"] == "Running")
    hostile = {"status": "Failed", "error": {
        "code": "Boom\nInjected", "message": "line one\nline two\x1b[31m" +
        "x" * 5000}}
    emu.faults([{"route": "operation_status", "status": 200,
                 "body": json.dumps(hostile)}])
    rc, err = echo(m, "stop", name + "/control")
    assert rc == 0, err

    def errors():
        return read(m, name + "/errors")[1]
    wait_for(lambda: "Boom" in errors(), timeout=15, what="the error")
    text = errors()
    assert text.endswith("\n")
    for line in text.splitlines():
        assert "\x1b" not in line
    assert any("line one line two" in l for l in text.splitlines()), text
    assert m.proc.poll() is None


# ---- TLS and ca_file= ------------------------------------------------

def test_ca_file_end_to_end(emu_factory, mount_factory, tls_pair):
    emu = emu_factory("--instances", "2", tls=tls_pair)
    assert emu.url.startswith("https://")
    m = mount_factory(emu, ca_file=tls_pair[0])
    assert_alive(m, emu)
    assert m.unexpected_stderr() == []


def test_https_without_ca_file_fails_with_a_tls_line(emu_factory, mnt,
                                                     tls_pair):
    emu = emu_factory("--instances", "2", tls=tls_pair)
    r, took = mount_cmd(emu, mnt)
    assert r.returncode != 0
    line = one_line(r)
    assert "tls failure" in line and "ca_file" in line, line
    assert "SSL certificate problem: self-signed certificate" in line, line
    assert took < 5
    assert emu.token not in r.stderr


def test_ca_file_that_is_not_a_certificate(emu_factory, mnt, tls_pair,
                                           tmp_path):
    emu = emu_factory("--instances", "2", tls=tls_pair)
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    r, _ = mount_cmd(emu, mnt, extra_opts=["ca_file=%s" % bad])
    assert r.returncode != 0
    line = one_line(r)
    assert "ca_file" in line and "PEM" in line, line
    r, _ = mount_cmd(emu, mnt, extra_opts=["ca_file=/nonexistent.pem"])
    assert r.returncode != 0
    assert "/nonexistent.pem" in one_line(r)
