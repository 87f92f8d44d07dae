"""computefs-emulator's "never hang" guarantees and pathological faults:
it ends within 2 s of SIGTERM/SIGINT whatever is in flight (a request
held by a long delay_ms is dropped), and the endless list rule pages
forever with fresh nextLinks. Real emulator processes over loopback;
times are upper bounds generous enough for a loaded CI machine.
"""
import signal
import socket
import ssl
import time
import urllib.parse

import pytest

from emulator import API, Emulator, TempCert

HOLD_MS = 600000        # the longest delay a rule may ask for (10 min)


def raw_request(emu, method, path, body_len=None, body=b""):
    """A socket with a request sent (maybe only part of its body)."""
    s = socket.create_connection((emu.host, emu.port), timeout=10)
    if emu.scheme == "https":
        ctx = ssl.create_default_context(cafile=emu.cafile)
        s = ctx.wrap_socket(s, server_hostname=emu.host)
    head = "%s %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n" % (
        method, path, emu.host, emu.port, emu.token)
    if body_len is not None:
        head += "Content-Type: application/json\r\n"
        head += "Content-Length: %d\r\n" % body_len
    s.sendall(head.encode() + b"\r\n" + body)
    return s


def wait_counted(emu, route, n, timeout=5):
    """Until the emulator has taken n requests of route in (or answered)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        faults = emu.get("/_emulator/faults", auth=False).json
        if any(f.get("route") == route and f["times_left"] == 1000 - n
               for f in faults):
            return
        time.sleep(0.02)
    raise AssertionError("the held request never reached the emulator")


def read_to_eof(s):
    """What the server sent before closing; a hang fails (socket timeout)."""
    got = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except (ConnectionResetError, ssl.SSLError):
        pass
    except socket.timeout:
        raise AssertionError("the connection hung instead of closing")
    finally:
        s.close()
    return got


def stop_while_held(emu, sig):
    """Hold a list request on a 10 min delay, then signal; check the end."""
    emu.faults([{"route": "list", "delay_ms": HOLD_MS, "times": 1000}])
    held = raw_request(emu, "GET", emu.ws("/computes"))
    wait_counted(emu, "list", 1)
    idle = emu.connection()     # an idle keep-alive connection
    idle.request("GET", "/_emulator/health")
    assert idle.getresponse().read() is not None
    half = raw_request(emu, "PUT", emu.ws("/computes/ci-half"),
                       body_len=1000, body=b'{"properties": ')
    time.sleep(0.2)
    start = time.monotonic()
    emu.proc.send_signal(sig)
    try:
        code = emu.proc.wait(timeout=10)
    except Exception:
        emu.proc.kill()
        raise AssertionError("the emulator did not end within 10 s")
    took = time.monotonic() - start
    assert took < 3, "ended %.2f s after the signal" % took
    assert code == 0, emu.proc.stderr.read()
    assert read_to_eof(held) == b""     # dropped: no answer, no hang
    read_to_eof(half)
    idle.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT],
                         ids=["SIGTERM", "SIGINT"])
def test_signal_ends_a_held_request_within_2s(sig):
    with Emulator("--instances", 3) as emu:
        stop_while_held(emu, sig)


def test_sigterm_ends_a_held_https_request_within_2s():
    with TempCert() as (cert, key), \
            Emulator("--instances", 3, tls=(cert, key)) as emu:
        stop_while_held(emu, signal.SIGTERM)


def test_many_held_requests_end_together():
    with Emulator("--instances", 3) as emu:
        emu.faults([{"path": "/subscriptions/", "delay_ms": HOLD_MS}])
        held = [raw_request(emu, "GET", emu.ws("/computes"))
                for _ in range(8)]
        held += [raw_request(emu, "POST", emu.ws("/computes/x/start"),
                             body_len=0) for _ in range(4)]
        time.sleep(0.5)
        start = time.monotonic()
        emu.proc.terminate()
        code = emu.proc.wait(timeout=10)
        assert time.monotonic() - start < 3
        assert code == 0
        for s in held:
            assert read_to_eof(s) == b""


# ---- endless list ------------------------------------------------------

def test_endless_list_pages_forever_then_clears():
    with Emulator("--instances", 7, "--clusters", 2,
                  "--page-size", 3) as emu:
        normal, pages = emu.computes()
        assert len(normal) == 9 and pages == 3
        rules = emu.faults([{"route": "list", "endless": True}])
        assert rules[0]["endless"] is True
        emu.reset()
        url, links = emu.ws("/computes"), []
        for _ in range(50):
            r = emu.get(url)
            assert r.status == 200, r
            assert r.json["value"] == []
            url = r.json["nextLink"]
            links.append(url)
        assert len(set(links)) == 50
        for link in links:
            parts = urllib.parse.urlsplit(link)
            assert "%s://%s" % (parts.scheme, parts.netloc) == emu.url
            assert parts.path == emu.workspace + "/computes"
            query = urllib.parse.parse_qs(parts.query)
            assert query["api-version"] == [API]
            assert len(query["$skiptoken"]) == 1
        assert emu.counters()["routes"]["list"] == 50
        # Other routes pass an endless rule by; ARM's checks still apply.
        name = normal[0]["name"]
        assert emu.get(emu.ws("/computes/" + name)).status == 200
        assert emu.get(emu.ws("/computes"), auth=False).status == 401
        emu.faults([])
        again, pages = emu.computes()
        assert pages == 3
        assert [c["name"] for c in again] == [c["name"] for c in normal]
        r = emu.get(links[-1])
        assert r.status == 400
        assert r.json["error"]["code"] == "InvalidSkipToken"


def test_endless_rule_is_checked():
    with Emulator() as emu:
        for bad in ({"endless": True, "status": 500},
                    {"endless": True, "drop": True},
                    {"endless": True, "body": "{}"},
                    {"endless": "yes"}):
            r = emu.post("/_emulator/faults", [bad], auth=False)
            assert r.status == 400, (bad, r)
        assert emu.get("/_emulator/faults", auth=False).json == []


def test_endless_with_times_delay_and_headers():
    with Emulator("--instances", 2, "--clusters", 0,
                  "--page-size", 5) as emu:
        emu.faults([{"route": "list", "endless": True, "times": 3,
                     "delay_ms": 100, "headers": {"x-fault": "endless"}}])
        url = emu.ws("/computes")
        for _ in range(3):
            r = emu.get(url)
            assert r.status == 200 and r.json["value"] == []
            assert r.header("x-fault") == "endless"
            url = r.json["nextLink"]
        # The rule is used up: its last token names no position.
        r = emu.get(url)
        assert r.status == 400 and r.header("x-fault") is None
        found, pages = emu.computes()
        assert len(found) == 2 and pages == 1


# ---- slow pages --------------------------------------------------------

def test_delay_applies_to_every_next_link_page():
    """delay_ms + skip on the list route: "N pages at D ms each"."""
    delay = 1.0
    with Emulator("--instances", 4, "--clusters", 0,
                  "--page-size", 1) as emu:
        emu.faults([{"route": "list", "delay_ms": int(delay * 1000),
                     "skip": 1}])
        url, took = emu.ws("/computes"), []
        while url:
            start = time.monotonic()
            r = emu.get(url, timeout=30)
            took.append(time.monotonic() - start)
            assert r.status == 200 and len(r.json["value"]) == 1
            url = r.json.get("nextLink")
        assert len(took) == 4
        assert all(t >= delay for t in took[1:]), took
        assert emu.counters()["routes"]["list"] == 4
