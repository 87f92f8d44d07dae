"""computefs-emulator fault rules that edit or lose a real reply, and the
refusals Azure gives: lost_reply (the request is carried out, the reply
never sent), drop_headers and headers on a served reply (an accepted LRO
with no way, or a foreign way, to follow it), a status answer (307, 400)
that carries nothing out, state refusals, and a PUT on a name that
exists (a create retried after its reply was lost). Real emulator
processes over loopback.
"""
import json
import socket
import time

import pytest

from emulator import Emulator

FOREIGN = "http://127.0.0.2:1/x"        # nothing listens there
CREATE = {"location": "eastus", "properties": {
    "computeType": "ComputeInstance",
    "properties": {"vmSize": "STANDARD_DS3_V2"}}}


@pytest.fixture
def emu():
    # ci-alice Running, ci-bob Stopped, ci-carol JobRunning; an operation
    # takes 0.5 s
    with Emulator("--instances", 4, "--clusters", 1, "--op-seconds", 0.5,
                  "--retry-after", 0) as e:
        yield e


def raw(emu, method, path, body=b""):
    """Send one request on a raw socket; return every byte sent back."""
    s = socket.create_connection((emu.host, emu.port), timeout=10)
    head = ("%s %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n"
            "Content-Length: %d\r\n" % (method, path, emu.host, emu.port,
                                        emu.token, len(body)))
    if body:
        head += "Content-Type: application/json\r\n"
    s.sendall(head.encode() + b"\r\n" + body)
    got = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except ConnectionResetError:
        pass
    except socket.timeout:
        raise AssertionError("the connection hung instead of closing")
    finally:
        s.close()
    return got


def props(emu, name):
    r = emu.get(emu.ws("/computes/" + name))
    assert r.status == 200, r
    return r.json["properties"]


def state(emu, name):
    return props(emu, name)["properties"]["state"]


def wait_state(emu, name, want, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if state(emu, name) == want:
            return
        time.sleep(0.05)
    raise AssertionError("%s never became %s" % (name, want))


def header_count(r, name):
    return sum(1 for k in r.headers if k == name.lower())


# ---- lost_reply --------------------------------------------------------

def test_lost_reply_on_stop_carries_it_out_and_sends_nothing(emu):
    emu.faults([{"route": "stop", "lost_reply": True, "times": 1}])
    got = raw(emu, "POST", emu.ws("/computes/ci-alice/stop"))
    assert got == b""                    # closed, not a byte of reply
    assert state(emu, "ci-alice") in ("Stopping", "Stopped")
    last = props(emu, "ci-alice")["properties"]["lastOperation"]
    assert last["operationName"] == "Stop"
    c = emu.counters()
    assert c["routes"]["stop"] == 1
    stops = [e for e in c["log"] if e["path"].endswith("/stop")]
    assert [e["status"] for e in stops] == [0]   # nothing was answered
    # the client's retry: the stop is already under way, Azure refuses
    r = emu.post(emu.ws("/computes/ci-alice/stop"))
    assert r.status == 409
    assert r.json["error"]["code"] == \
        "StopComputeInstanceOnlyAllowedInRunningState"
    wait_state(emu, "ci-alice", "Stopped")


@pytest.mark.parametrize("method,path,body,during,after", [
    ("POST", "/computes/ci-bob/start", None, "Starting", "Running"),
    ("POST", "/computes/ci-alice/restart", None, "Restarting", "Running"),
    ("POST", "/computes/ci-bob/resize", b'{"targetVMSize": '
     b'"STANDARD_E4S_V3"}', "Resizing", "Stopped"),
    ("PUT", "/computes/ci-new", None, "Creating", "Running"),
    ("DELETE", "/computes/ci-bob?underlyingResourceAction=Delete", None,
     "Deleting", None),
])
def test_lost_reply_carries_out_every_write(emu, method, path, body, during,
                                            after):
    name = path.split("/")[2].split("?")[0]
    if method == "PUT":
        body = json.dumps(CREATE).encode()
    emu.faults([{"method": method, "path": "/computes/" + name,
                 "lost_reply": True, "times": 1}])
    got = raw(emu, method, emu.ws(path), body or b"")
    assert got == b""
    assert emu.counters()["total"] == 1
    if after is None:                     # a delete: gone once it ends
        deadline = time.monotonic() + 5
        while emu.get(emu.ws("/computes/" + name)).status != 404:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        return
    assert state(emu, name) in (during, after)
    wait_state(emu, name, after)
    if "resize" in path:
        assert props(emu, name)["properties"]["vmSize"] == "STANDARD_E4S_V3"


def test_lost_reply_is_checked(emu):
    for bad in ({"lost_reply": True, "status": 500},
                {"lost_reply": True, "drop": True},
                {"lost_reply": True, "body": "{}"},
                {"lost_reply": 1},
                {"drop_headers": "Location"},
                {"drop_headers": [""]},
                {"drop_headers": [3]}):
        r = emu.post("/_emulator/faults", [bad], auth=False)
        assert r.status == 400, bad
    rules = emu.faults([{"route": "stop", "lost_reply": True,
                         "drop_headers": ["Location"]}])
    assert rules[0]["lost_reply"] is True
    assert rules[0]["drop_headers"] == ["Location"]


# ---- drop_headers and headers on a served reply -------------------------

@pytest.mark.parametrize("verb,name,during", [
    ("stop", "ci-alice", "Stopping"),
    ("start", "ci-bob", "Starting"),
])
def test_drop_headers_accepts_with_no_way_to_follow(emu, verb, name, during):
    emu.faults([{"route": verb, "drop_headers": ["Location",
                                                 "azure-asyncoperation"]}])
    r = emu.post(emu.ws("/computes/%s/%s" % (name, verb)))
    assert r.status == 202
    assert r.header("Location") is None
    assert r.header("Azure-AsyncOperation") is None
    assert r.header("Retry-After") == "0"      # the rest is untouched
    assert state(emu, name) == during


def test_drop_headers_on_delete(emu):
    emu.faults([{"method": "DELETE", "drop_headers": [
        "Location", "Azure-AsyncOperation", "Retry-After"]}])
    r = emu.request("DELETE", emu.ws(
        "/computes/ci-bob?underlyingResourceAction=Delete"))
    assert r.status == 202
    for h in ("Location", "Azure-AsyncOperation", "Retry-After"):
        assert r.header(h) is None, h
    assert props(emu, "ci-bob")["provisioningState"] == "Deleting"


def test_headers_replace_those_of_a_served_reply(emu):
    emu.faults([{"route": "stop", "headers": {
        "Azure-AsyncOperation": FOREIGN, "x-ms-request-id": "abc"}}])
    r = emu.post(emu.ws("/computes/ci-alice/stop"))
    assert r.status == 202
    assert r.header("Azure-AsyncOperation") == FOREIGN
    assert header_count(r, "Azure-AsyncOperation") == 1
    assert r.header("x-ms-request-id") == "abc"
    assert state(emu, "ci-alice") == "Stopping"   # carried out


def test_headers_move_location_of_a_start(emu):
    emu.faults([{"route": "start", "headers": {"Location": FOREIGN}}])
    r = emu.post(emu.ws("/computes/ci-bob/start"))
    assert r.status == 202
    assert r.header("Location") == FOREIGN
    assert header_count(r, "Location") == 1
    assert state(emu, "ci-bob") == "Starting"


def test_headers_on_a_served_put(emu):
    emu.faults([{"method": "PUT", "drop_headers": ["Azure-AsyncOperation"],
                 "headers": {"Location": FOREIGN}}])
    r = emu.request("PUT", emu.ws("/computes/ci-new"), CREATE)
    assert r.status == 201
    assert r.header("Azure-AsyncOperation") is None
    assert r.header("Location") == FOREIGN
    assert r.json["properties"]["provisioningState"] == "Creating"
    assert state(emu, "ci-new") == "Creating"


# ---- a status answer carries nothing out --------------------------------

def test_307_redirect_carries_nothing_out(emu):
    before = props(emu, "ci-alice")
    emu.faults([{"route": "stop", "status": 307,
                 "headers": {"Location": FOREIGN}}])
    r = emu.post(emu.ws("/computes/ci-alice/stop"))
    assert r.status == 307
    assert r.header("Location") == FOREIGN
    assert r.header("Azure-AsyncOperation") is None
    assert r.raw == b""
    assert props(emu, "ci-alice") == before       # nothing changed
    assert emu.counters()["routes"]["stop"] == 1
    emu.faults([])
    assert emu.post(emu.ws("/computes/ci-alice/stop")).status == 202


def test_a_rule_refuses_a_verb_with_400_and_azures_code(emu):
    body = ('{"error":{"code":"UserError","message":"StopCompute is not '
            'allowed when ComputeInstance disk is full"}}')
    before = props(emu, "ci-alice")
    emu.faults([{"route": "stop", "status": 400, "body": body}])
    r = emu.post(emu.ws("/computes/ci-alice/stop"))
    assert r.status == 400
    assert r.raw == body.encode()
    assert r.header("Content-Type").startswith("application/json")
    assert r.json["error"]["code"] == "UserError"
    assert props(emu, "ci-alice") == before
    # the default 400 body is an ARM error too
    emu.faults([{"route": "start", "status": 400}])
    r = emu.post(emu.ws("/computes/ci-bob/start"))
    assert r.status == 400 and r.json["error"]["code"] == "InjectedFault"
    assert state(emu, "ci-bob") == "Stopped"


# ---- refusals ----------------------------------------------------------

def only_allowed(verb, name, states):
    return ("%s Azure ML Compute Instance is only allowed when the instance"
            " %s is in %s state" % (verb, name, states))


RUNNING = "'running' or 'jobRunning'"


def test_state_refusals(emu):
    cases = [
        # (a) stop of a Stopped instance
        ("ci-bob/stop", None, "StopComputeInstanceOnlyAllowedInRunningState",
         only_allowed("Stop", "ci-bob", RUNNING)),
        # (b) start of a Running one (docs/azure-api.md 6: code and message)
        ("ci-alice/start", None,
         "StartComputeInstanceOnlyAllowedInStoppedState",
         only_allowed("Start", "ci-alice", "'stopped'")),
        # (c) resize of a Running one
        ("ci-alice/resize", {"targetVMSize": "STANDARD_E4S_V3"},
         "ResizeComputeInstanceOnlyAllowedInStoppedState",
         only_allowed("Resize", "ci-alice", "'stopped'")),
        # (d) restart of a Stopped one
        ("ci-bob/restart", None,
         "RestartComputeInstanceOnlyAllowedInRunningState",
         only_allowed("Restart", "ci-bob", RUNNING)),
    ]
    before = {n: props(emu, n) for n in ("ci-alice", "ci-bob")}
    for path, body, code, message in cases:
        r = emu.post(emu.ws("/computes/" + path), body)
        assert r.status == 409, path
        assert r.header("Content-Type").startswith("application/json")
        assert r.json == {"error": {"code": code, "message": message}}, path
        assert r.header("Location") is None
        assert r.header("Azure-AsyncOperation") is None
    assert {n: props(emu, n) for n in before} == before


def test_refusals_while_a_transition_runs(emu):
    # (e) ci-alice Stopping: every verb is refused, nothing changes
    assert emu.post(emu.ws("/computes/ci-alice/stop")).status == 202
    before = props(emu, "ci-alice")
    assert before["properties"]["state"] == "Stopping"
    for verb, code, states in (
            ("start", "StartComputeInstanceOnlyAllowedInStoppedState",
             "'stopped'"),
            ("stop", "StopComputeInstanceOnlyAllowedInRunningState",
             RUNNING),
            ("restart", "RestartComputeInstanceOnlyAllowedInRunningState",
             RUNNING),
            ("resize", "ResizeComputeInstanceOnlyAllowedInStoppedState",
             "'stopped'")):
        body = {"targetVMSize": "STANDARD_E4S_V3"} \
            if verb == "resize" else None
        r = emu.post(emu.ws("/computes/ci-alice/" + verb), body)
        assert r.status == 409, verb
        assert r.json["error"] == {
            "code": code,
            "message": only_allowed(verb.capitalize(), "ci-alice", states)}
    r = emu.request("PUT", emu.ws("/computes/ci-alice"), CREATE)
    assert r.status == 409 and r.json["error"]["code"] == "Conflict"
    assert "operation in progress" in r.json["error"]["message"]
    r = emu.request("DELETE", emu.ws(
        "/computes/ci-alice?underlyingResourceAction=Delete"))
    assert r.status == 409 and r.json["error"]["code"] == "Conflict"
    assert props(emu, "ci-alice") == before


# ---- a PUT on a name that exists ---------------------------------------

def test_create_retried_after_its_reply_was_lost(emu):
    emu.faults([{"method": "PUT", "lost_reply": True, "times": 1}])
    assert raw(emu, "PUT", emu.ws("/computes/ci-new"),
               json.dumps(CREATE).encode()) == b""
    assert state(emu, "ci-new") == "Creating"
    # retried while the create runs: 409 Conflict, nothing changes
    r = emu.request("PUT", emu.ws("/computes/ci-new"), CREATE)
    assert r.status == 409
    assert r.json["error"]["code"] == "Conflict"
    wait_state(emu, "ci-new", "Running")
    # retried once it ended: Azure overwrites (docs/azure-api.md 3): 200, an
    # LRO again, the same compute (one of that name)
    r = emu.request("PUT", emu.ws("/computes/CI-NEW"), CREATE)
    assert r.status == 200
    assert r.header("Azure-AsyncOperation")
    assert r.json["properties"] == {"computeType": "ComputeInstance",
                                    "provisioningState": "Creating"}
    wait_state(emu, "ci-new", "Running")
    # one compute of that name, named as first created
    assert [n for n in emu.instances() if n.lower() == "ci-new"] == \
        ["ci-new"]
