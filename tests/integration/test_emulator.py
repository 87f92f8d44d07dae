"""computefs-emulator as a client sees it over loopback: paging, 401s,
api-versions, token endpoints, long-running operations and their header
variants, 409 refusals, fault injection, counters.
"""
import base64
import http.client
import json
import re
import socket
import subprocess
import time

import pytest

from emulator import EMULATOR, Emulator, TempCert

NAME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{2,23}$")


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def wait_state(emu, name, want, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = emu.get(emu.ws("/computes/" + name))
        if r.status == 200 and \
                r.json["properties"]["properties"]["state"] == want:
            return r.json
        time.sleep(0.05)
    raise AssertionError("%s never reached %s" % (name, want))


def poll_status(emu, url, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = emu.get(url)
        assert r.status == 200, r
        if r.json["status"] != "InProgress":
            return r.json
        time.sleep(0.05)
    raise AssertionError("operation never ended")


@pytest.fixture(scope="module")
def ro():
    """A read-only emulator shared by the read tests."""
    with Emulator("--instances", 23, "--clusters", 4, "--page-size", 5,
                  "--token-seconds", 3600) as emu:
        yield emu


@pytest.fixture
def rw():
    with Emulator("--instances", 6, "--clusters", 1, "--op-seconds", 0.3,
                  "--retry-after", 0) as emu:
        yield emu


# ---- command line ------------------------------------------------------

def test_command_line():
    r = subprocess.run([EMULATOR, "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--listen" in r.stdout
    r = subprocess.run([EMULATOR, "--version"], capture_output=True,
                       text=True)
    assert r.returncode == 0 and r.stdout.startswith("computefs-emulator ")
    r = subprocess.run([EMULATOR, "--listen", "10.1.2.3:0"],
                       capture_output=True, text=True, timeout=5)
    assert r.returncode == 2 and "loopback" in r.stderr
    r = subprocess.run([EMULATOR, "--instances", "x"],
                       capture_output=True, text=True, timeout=5)
    assert r.returncode == 2 and "--instances" in r.stderr


def jwt_claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_user_token_on_the_second_line():
    p = subprocess.Popen([EMULATOR, "--user-token", "bob", "--token-seconds",
                          "1"], stdout=subprocess.PIPE, text=True)
    try:
        url = p.stdout.readline().strip()
        token = p.stdout.readline().strip()
        claims = jwt_claims(token)
        assert claims["upn"] == "bob@contoso.com"
        assert claims["exp"] - time.time() > 9 * 365 * 86400  # not 1 s
        host, port = url.split("//")[1].split(":")
        c = http.client.HTTPConnection(host, int(port), timeout=10)
        ws = ("/subscriptions/00000000-0000-0000-0000-000000000000"
              "/resourceGroups/demo-rg/providers"
              "/Microsoft.MachineLearningServices/workspaces/demo-ws")
        c.request("GET", ws + "/computes/ci-bob?api-version=2025-06-01",
                  headers={"Authorization": "Bearer " + token})
        r = c.getresponse()
        body = json.loads(r.read())
        assert r.status == 200, body
        made = body["properties"]["properties"]["createdBy"]
        assert made["userName"] == "bob@contoso.com"
        assert made["userId"] == claims["oid"]
    finally:
        p.terminate()
        p.wait(timeout=10)
    r = subprocess.run([EMULATOR, "--user-token", ""], capture_output=True,
                       text=True, timeout=5)
    assert r.returncode == 2 and "--user-token" in r.stderr


def test_prints_url_and_exits_on_sigterm():
    emu = Emulator()
    assert re.match(r"^http://127\.0\.0\.1:\d+$", emu.url)
    assert emu.port != 0
    assert emu.stop() == 0


def test_token_comes_from_the_environment_not_argv():
    with Emulator() as emu:
        with open("/proc/%d/cmdline" % emu.proc.pid, "rb") as f:
            assert emu.token.encode() not in f.read()
        assert emu.get(emu.ws("/computes")).status == 200


# ---- reading -----------------------------------------------------------

def test_paging_follows_absolute_next_links(ro):
    ro.reset()
    names, url, pages = [], ro.ws("/computes"), 0
    while url:
        r = ro.get(url)
        assert r.status == 200
        pages += 1
        names += [c["name"] for c in r.json["value"]]
        assert len(r.json["value"]) <= 5
        url = r.json.get("nextLink")
        if url:
            assert url.startswith(ro.url + ro.workspace + "/computes?")
            assert "api-version=2025-06-01" in url
            assert "$skiptoken=" in url
    assert pages == 6 and len(names) == len(set(names)) == 27
    assert ro.counters()["routes"]["list"] == 6
    assert names[:2] == ["ci-alice", "ci-bob"]
    assert all(NAME_RE.match(n) and not re.search(r"-\d+$", n)
               for n in names)
    # clusters land on different pages
    computes, _ = ro.computes()
    pages_with_clusters = {
        i // 5 for i, c in enumerate(computes)
        if c["properties"]["computeType"] != "ComputeInstance"}
    assert len(pages_with_clusters) >= 3


def test_skip_is_accepted_and_tokens_are_checked(ro):
    first = ro.get(ro.ws("/computes")).json
    token = first["nextLink"].split("$skiptoken=")[1]
    r = ro.get(ro.ws("/computes?$skip=" + token))
    assert r.status == 200 and r.json["value"][0]["name"] != "ci-alice"
    r = ro.get(ro.ws("/computes?$skiptoken=garbage"))
    assert r.status == 400 and r.json["error"]["code"]


def test_arm_headers(ro):
    r = ro.get(ro.ws("/computes/ci-alice"),
               headers={"x-ms-correlation-request-id": "corr-1"})
    assert r.header("Content-Type") == "application/json; charset=utf-8"
    assert re.match(r"^[0-9a-f-]{36}$", r.header("x-ms-request-id"))
    assert r.header("x-ms-correlation-request-id") == "corr-1"
    assert int(r.header("x-ms-ratelimit-remaining-subscription-reads")) > 0


def test_instances_look_like_azure(ro):
    alice = ro.get(ro.ws("/computes/ci-alice")).json
    bob = ro.get(ro.ws("/computes/CI-BOB")).json
    assert alice["type"] == "Microsoft.MachineLearningServices/workspaces/computes"
    assert alice["id"] == ro.workspace + "/computes/ci-alice"
    p, ci = alice["properties"], alice["properties"]["properties"]
    assert p["computeType"] == "ComputeInstance"
    assert p["provisioningState"] == "Succeeded"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}\+00:00$",
                    p["createdOn"])
    assert p["description"] is None and p["resourceId"] is None
    assert ci["state"] == "Running"
    assert ci["sshSettings"]["sshPublicAccess"] == "Enabled"
    assert ci["sshSettings"]["adminUserName"] == "azureuser"
    assert ci["sshSettings"]["sshPort"] == 50000
    assert ci["connectivityEndpoints"]["publicIpAddress"]
    assert {a["displayName"] for a in ci["applications"]} == {
        "Jupyter", "Jupyter Lab", "RStudio", "VS Code"}
    assert all(a["endpointUri"].startswith(
        "https://ci-alice.eastus.instances.azureml.ms/")
        for a in ci["applications"])
    bci = bob["properties"]["properties"]
    assert bob["name"] == "ci-bob" and bci["state"] == "Stopped"
    assert bci["connectivityEndpoints"] == {"publicIpAddress": None,
                                            "privateIpAddress": None}
    assert bci["applications"] == []
    states = {c["properties"]["properties"]["state"]
              for c in ro.instances().values()}
    assert {"Running", "Stopped", "JobRunning"} <= states
    types = {c["properties"]["computeType"] for c in ro.computes()[0]}
    assert types == {"ComputeInstance", "AmlCompute", "Kubernetes"}


def test_same_seed_same_workspace():
    with Emulator("--instances", 12, "--seed", 7) as a, \
            Emulator("--instances", 12, "--seed", 7) as b:
        sa = {n: c["properties"]["properties"]["state"]
              for n, c in a.instances().items()}
        sb = {n: c["properties"]["properties"]["state"]
              for n, c in b.instances().items()}
        assert sa == sb and len(sa) == 12


def test_examples_shape():
    with Emulator("--shape", "examples") as emu:
        computes = {c["name"]: c for c in emu.computes()[0]}
        ci = computes["compute123"]
        assert ci["properties"]["properties"]["sshSettings"]["sshPort"] == 22
        assert ci["properties"]["properties"]["errors"] is None
        assert computes["compute12345"]["id"].startswith("subscriptions/")
        assert computes["compute-minimal"]["properties"] == {
            "computeType": "ComputeInstance", "provisioningState": "Creating"}
        nulls = computes["compute-nulls"]["properties"]["properties"]
        assert nulls["sshSettings"] is None and nulls["applications"] is None
        assert computes["compute1234"]["properties"]["computeType"] == "AKS"


def test_not_found_bodies(ro):
    ws = ro.workspace
    other_sub = ws.replace("00000000-0000-0000-0000-000000000000",
                           "99999999-0000-0000-0000-000000000000")
    cases = [
        (other_sub + "/computes", "SubscriptionNotFound"),
        (ws.replace("demo-rg", "other-rg") + "/computes",
         "ResourceGroupNotFound"),
        (ws.replace("demo-ws", "other-ws") + "/computes", "ResourceNotFound"),
        (ws + "/computes/ci-nobody", "ResourceNotFound"),
        (ws + "/jobs", "InvalidResourceType"),
    ]
    for path, code in cases:
        r = ro.get(path + "?api-version=2025-06-01")
        assert r.status == 404, path
        assert r.json["error"]["code"] == code
        assert r.json["error"]["message"]
    r = ro.get("/nowhere")
    assert r.status == 404 and r.json["error"]["code"]


def test_401_shapes(ro):
    url = ro.ws("/computes")
    cases = [
        ({}, "AuthenticationFailed", False),
        ({"Authorization": "Basic abc"}, "AuthenticationFailed", True),
        ({"Authorization": "Bearer not-a-token"},
         "InvalidAuthenticationToken", True),
    ]
    for headers, code, auth in cases:
        r = ro.get(url, headers=headers, auth=auth)
        assert r.status == 401
        assert r.json["error"]["code"] == code
        www = r.header("WWW-Authenticate")
        assert www.startswith('Bearer authorization_uri="https://login.'
                              'microsoftonline.com/common", '
                              'error="invalid_token", error_description="')


def test_expired_tokens():
    with Emulator("--token-seconds", 1) as emu:
        tok = emu.user_token()["access_token"]
        hdr = {"Authorization": "Bearer " + tok}
        assert emu.get(emu.ws("/computes"), headers=hdr).status == 200
        time.sleep(1.2)
        r = emu.get(emu.ws("/computes"), headers=hdr)
        assert r.status == 401
        assert r.json["error"]["code"] == "ExpiredAuthenticationToken"
        assert r.header("WWW-Authenticate").startswith("Bearer ")
        # the static token never expires
        assert emu.get(emu.ws("/computes")).status == 200
        # expire-tokens expires every issued token at once
        tok = emu.user_token()["access_token"]
        emu.post("/_emulator/expire-tokens", auth=False)
        r = emu.get(emu.ws("/computes"),
                    headers={"Authorization": "Bearer " + tok})
        assert r.json["error"]["code"] == "ExpiredAuthenticationToken"


@pytest.mark.parametrize("version", [
    "2022-10-01", "2023-04-01", "2024-01-01-preview", "2025-06-01",
    "2025-06-01-preview"])
def test_api_versions_accepted(ro, version):
    assert ro.get(ro.ws("/computes/ci-alice", api=version)).status == 200


@pytest.mark.parametrize("version", [
    "2022-09-01", "2025-06-02", "2025-09-01", "2021-01-01-preview",
    "latest", "2024-13-01", "2024-04-01-beta"])
def test_api_versions_refused(ro, version):
    r = ro.get(ro.ws("/computes", api=version))
    assert r.status == 400
    assert r.json["error"]["code"] == "NoRegisteredProviderFound"
    assert version in r.json["error"]["message"]
    assert "2025-06-01" in r.json["error"]["message"]


def test_api_version_missing(ro):
    r = ro.get(ro.ws("/computes", api=None))
    assert r.status == 400
    assert r.json["error"]["code"] == "MissingApiVersionParameter"


# ---- token endpoints ----------------------------------------------------

def form(**kw):
    return "&".join("%s=%s" % (k, v) for k, v in kw.items())


def test_token_aad_client_credentials(ro):
    ok = dict(grant_type="client_credentials", client_id="emu-client",
              client_secret="emu-secret",
              scope="https%3A%2F%2Fmanagement.azure.com%2F.default")
    hdr = {"Content-Type": "application/x-www-form-urlencoded"}
    r = ro.post("/tenant-x/oauth2/v2.0/token", form(**ok), headers=hdr,
                auth=False)
    assert r.status == 200
    assert r.json["token_type"] == "Bearer"
    assert r.json["expires_in"] == 3600 == r.json["ext_expires_in"]
    c = claims(r.json["access_token"])
    assert c["appid"] == "emu-client" and c["oid"] and c["tid"]
    assert c["exp"] > time.time()
    arm = ro.get(ro.ws("/computes"),
                 headers={"Authorization": "Bearer " + r.json["access_token"]})
    assert arm.status == 200
    bad = [
        (dict(ok, client_secret="wrong"), 401, "invalid_client", 7000215),
        (dict(ok, client_id="who"), 400, "unauthorized_client", 700016),
        (dict(ok, scope="https%3A%2F%2Fgraph.microsoft.com%2F.default"),
         400, "invalid_scope", 70011),
        (dict(ok, grant_type="password"), 400, "unsupported_grant_type",
         70003),
    ]
    for body, status, error, code in bad:
        r = ro.post("/tenant-x/oauth2/v2.0/token", form(**body),
                    headers=hdr, auth=False)
        assert r.status == status, body
        assert r.json["error"] == error
        assert r.json["error_codes"] == [code]
        assert r.json["error_description"].startswith("AADSTS%d: " % code)


def test_token_msi(ro):
    q = "/msi/token?api-version=2017-09-01&resource=https://management.azure.com"
    r = ro.get(q, headers={"secret": "emu-msi-secret"}, auth=False)
    assert r.status == 200
    assert set(r.json) == {"access_token", "expires_on", "resource",
                           "token_type"}
    assert isinstance(r.json["expires_on"], int)
    assert r.json["token_type"] == "Bearer"
    assert ro.get(ro.ws("/computes"), headers={
        "Authorization": "Bearer " + r.json["access_token"]}).status == 200
    assert ro.get(q, auth=False).status == 400
    assert ro.get(q, headers={"secret": "nope"}, auth=False).status == 401


def test_token_app_service(ro):
    q = ("/identity/token?api-version=2019-08-01"
         "&resource=https://management.azure.com")
    r = ro.get(q, headers={"X-IDENTITY-HEADER": "emu-identity-header"},
               auth=False)
    assert r.status == 200
    assert isinstance(r.json["expires_on"], str)
    assert int(r.json["expires_on"]) > time.time()
    assert "expires_in" not in r.json
    assert ro.get(q, auth=False).status == 400
    assert ro.get(q, headers={"X-IDENTITY-HEADER": "x"},
                  auth=False).status == 401


def test_token_imds(ro):
    q = ("/metadata/identity/oauth2/token?api-version=2018-02-01"
         "&resource=https://management.azure.com/")
    r = ro.get(q, headers={"Metadata": "true"}, auth=False)
    assert r.status == 200
    for k in ("access_token", "expires_in", "expires_on", "not_before",
              "resource", "token_type"):
        assert isinstance(r.json[k], str), k
    r = ro.get(q, auth=False)
    assert r.status == 400 and r.json["error"] == "invalid_request"


def test_token_routes_are_counted(ro):
    ro.reset()
    ro.get("/metadata/identity/oauth2/token?api-version=2018-02-01"
           "&resource=https://management.azure.com/",
           headers={"Metadata": "true"}, auth=False)
    ro.get("/_emulator/requests", auth=False)
    c = ro.counters()
    assert c["routes"]["token_imds"] == 1 and c["total"] == 1
    assert c["log"] == [{"method": "GET", "route": "token_imds",
                         "path": "/metadata/identity/oauth2/token",
                         "status": 200}]


# ---- long-running operations -------------------------------------------

def test_stop_and_restart_answer_azure_async_operation(rw):
    r = rw.post(rw.ws("/computes/ci-alice/stop"))
    assert r.status == 202 and r.raw == b""
    assert r.header("Location") is None
    assert r.header("Retry-After") == "0"
    status_url = r.header("Azure-AsyncOperation")
    assert re.match(re.escape(rw.url) + r"/subscriptions/[^/]+/providers/"
                    r"Microsoft\.MachineLearningServices/locations/eastus/"
                    r"computeOperationsStatus/[0-9a-f-]+\?api-version="
                    r"2025-06-01&service=new&t=\d+&c=[\w-]+&s=[\w-]+"
                    r"&h=[\w-]+$", status_url)
    alice = rw.get(rw.ws("/computes/ci-alice")).json["properties"]
    assert alice["properties"]["state"] == "Stopping"
    assert alice["properties"]["lastOperation"]["operationStatus"] == \
        "InProgress"
    first = rw.get(status_url).json
    again = rw.get(status_url).json           # back-to-back polls
    assert first["status"] == again["status"] == "InProgress"
    done = poll_status(rw, status_url + "&extra=ignored")
    assert done["status"] == "Succeeded" and done["endTime"]
    assert done["name"] in status_url and "error" not in done
    alice = rw.get(rw.ws("/computes/ci-alice")).json["properties"]
    assert alice["properties"]["state"] == "Stopped"
    assert alice["properties"]["lastOperation"]["operationName"] == "Stop"
    assert alice["properties"]["lastOperation"]["operationStatus"] == \
        "Succeeded"
    assert alice["properties"]["connectivityEndpoints"][
        "publicIpAddress"] is None
    # restart needs a running instance
    r = rw.post(rw.ws("/computes/ci-alice/restart"))
    assert r.status == 409
    assert r.json["error"]["code"] == \
        "RestartComputeInstanceOnlyAllowedInRunningState"
    r = rw.post(rw.ws("/computes/ci-carol/restart"))  # JobRunning
    assert r.status == 202 and r.header("Azure-AsyncOperation")
    assert wait_state(rw, "ci-carol", "Running")


def test_start_and_resize_answer_location(rw):
    r = rw.post(rw.ws("/computes/ci-bob/resize"),
                {"targetVMSize": "STANDARD_E4S_V3"})
    assert r.status == 202
    assert r.header("Azure-AsyncOperation") is None
    loc = r.header("Location")
    assert "/computeOperationsResults/" in loc
    assert rw.get(loc).status == 202
    assert rw.get(rw.ws("/computes/ci-bob")).json["properties"][
        "properties"]["state"] == "Resizing"
    deadline = time.monotonic() + 5
    while (res := rw.get(loc)).status == 202:
        assert res.header("Location") and res.header("Retry-After")
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert res.status == 200
    ci = res.json["properties"]["properties"]
    assert ci["vmSize"] == "STANDARD_E4S_V3" and ci["state"] == "Stopped"
    r = rw.post(rw.ws("/computes/ci-bob/start"))
    assert r.status == 202 and "/computeOperationsResults/" in \
        r.header("Location") and r.header("Azure-AsyncOperation") is None
    running = wait_state(rw, "ci-bob", "Running")
    ends = running["properties"]["properties"]["connectivityEndpoints"]
    assert ends["privateIpAddress"]
    assert running["properties"]["properties"]["applications"]


def test_refusals(rw):
    cases = [
        ("ci-alice/start", None, 409,
         "StartComputeInstanceOnlyAllowedInStoppedState"),
        ("ci-bob/stop", None, 409,
         "StopComputeInstanceOnlyAllowedInRunningState"),
        ("ci-alice/resize", {"targetVMSize": "STANDARD_E4S_V3"}, 409,
         "ResizeComputeInstanceOnlyAllowedInStoppedState"),
        ("ci-bob/resize", None, 400, "InvalidRequestContent"),
        ("ci-bob/resize", {"size": "x"}, 400, "ValidationError"),
        ("ci-nobody/start", None, 404, "ResourceNotFound"),
        ("cpu-cluster/start", None, 400, "BadRequest"),
    ]
    for path, body, status, code in cases:
        r = rw.post(rw.ws("/computes/" + path), body)
        assert r.status == status, path
        assert r.json["error"]["code"] == code, path
        assert r.json["error"]["message"]
    # a transition in progress refuses the next one
    assert rw.post(rw.ws("/computes/ci-alice/stop")).status == 202
    r = rw.post(rw.ws("/computes/ci-alice/stop"))
    assert r.status == 409
    assert rw.request("DELETE", rw.ws(
        "/computes/ci-alice?underlyingResourceAction=Delete")).status == 409


def test_create_and_delete(rw):
    body = {"location": "eastus", "properties": {
        "computeType": "ComputeInstance",
        "properties": {"vmSize": "STANDARD_DS3_V2"}}}
    r = rw.request("PUT", rw.ws("/computes/ci-zed"), body)
    assert r.status == 201
    assert r.json["properties"] == {"computeType": "ComputeInstance",
                                    "provisioningState": "Creating"}
    assert r.header("Azure-AsyncOperation") and r.header("Retry-After")
    ci = rw.get(rw.ws("/computes/ci-zed")).json["properties"]
    assert ci["provisioningState"] == "Creating"
    assert ci["properties"]["state"] == "Creating"
    done = poll_status(rw, r.header("Azure-AsyncOperation"))
    assert done["status"] == "Succeeded"
    ci = rw.get(rw.ws("/computes/ci-zed")).json["properties"]
    assert ci["provisioningState"] == "Succeeded"
    assert ci["properties"]["state"] == "Running"
    assert ci["properties"]["createdBy"]["userName"]
    assert "ci-zed" in rw.instances()
    # PUT on an existing name overwrites it: 200, Creating again
    r = rw.request("PUT", rw.ws("/computes/CI-ZED"), body)
    assert r.status == 200 and r.header("Azure-AsyncOperation")
    assert rw.request("PUT", rw.ws("/computes/ci-zed"), body).status == 409
    wait_state(rw, "ci-zed", "Running")
    # delete: underlyingResourceAction is required
    r = rw.request("DELETE", rw.ws("/computes/ci-zed"))
    assert r.status == 400
    r = rw.request("DELETE", rw.ws(
        "/computes/ci-zed?underlyingResourceAction=Remove"))
    assert r.status == 400
    r = rw.request("DELETE", rw.ws(
        "/computes/ci-zed?underlyingResourceAction=Detach"))
    assert r.status == 400
    r = rw.request("DELETE", rw.ws(
        "/computes/ci-zed?underlyingResourceAction=Delete"))
    assert r.status == 202
    assert r.header("Azure-AsyncOperation") and r.header("Location")
    assert r.header("Retry-After")
    ci = rw.get(rw.ws("/computes/ci-zed")).json["properties"]
    assert ci["provisioningState"] == "Deleting"
    assert ci["properties"]["state"] == "Deleting"
    loc = r.header("Location")
    deadline = time.monotonic() + 5
    while (res := rw.get(loc)).status == 202:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert res.status == 204
    assert poll_status(rw, r.header("Azure-AsyncOperation"))["status"] == \
        "Succeeded"
    assert rw.get(rw.ws("/computes/ci-zed")).status == 404
    r = rw.request("DELETE", rw.ws(
        "/computes/ci-zed?underlyingResourceAction=Delete"))
    assert r.status == 204


@pytest.mark.parametrize("name,ok", [
    ("ci-01", False), ("ci-01a", True), ("ab", False), ("a" * 24, True),
    ("a" * 25, False), ("1abc", False), ("ab_c", False), ("abc-", True),
    ("abc--1", False), ("Abc-1-x", True), ("x-1-2", False)])
def test_create_name_rule(rw, name, ok):
    body = {"properties": {"computeType": "ComputeInstance"}}
    r = rw.request("PUT", rw.ws("/computes/" + name), body)
    assert (r.status == 201) == ok, r
    if not ok:
        assert r.status == 400 and r.json["error"]["code"] == \
            "ValidationError"


def test_create_body_validation(rw):
    cases = [
        ("not json", "InvalidRequestContent"),
        ({"location": "eastus"}, "ValidationError"),
        ({"properties": {"computeType": "Potato"}}, "ValidationError"),
        ({"properties": {"computeType": "ComputeInstance", "properties": {
            "sshSettings": {"sshPublicAccess": "Enabled"}}}},
         "ValidationError"),
    ]
    for body, code in cases:
        r = rw.request("PUT", rw.ws("/computes/ci-new"), body)
        assert r.status == 400, body
        assert r.json["error"]["code"] == code
    body = {"properties": {"computeType": "ComputeInstance", "properties": {
        "vmSize": "STANDARD_E4S_V3",
        "sshSettings": {"sshPublicAccess": "Enabled",
                        "adminPublicKey": "ssh-ed25519 AAAA me"},
        "personalComputeInstanceSettings": {"assignedUser": {
            "objectId": "0000-1", "tenantId": "0000-2"}}}}}
    tok = rw.user_token("grace")
    r = rw.request("PUT", rw.ws("/computes/ci-new"), body, headers={
        "Authorization": "Bearer " + tok["access_token"]})
    assert r.status == 201
    ci = rw.get(rw.ws("/computes/ci-new")).json["properties"]["properties"]
    assert ci["vmSize"] == "STANDARD_E4S_V3"
    assert ci["sshSettings"]["adminPublicKey"] == "ssh-ed25519 AAAA me"
    assert ci["createdBy"]["userId"] == tok["oid"]
    assert ci["personalComputeInstanceSettings"]["assignedUser"][
        "objectId"] == "0000-1"


def test_failed_operations():
    with Emulator("--op-seconds", 0.2, "--fail-ops", "start",
                  "--retry-after", 0) as emu:
        r = emu.post(emu.ws("/computes/ci-bob/start"))
        loc = r.header("Location")
        deadline = time.monotonic() + 5
        while (res := emu.get(loc)).status == 202:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert res.status == 400
        assert res.json["error"]["code"] == "ComputeInstanceStartFailed"
        ci = emu.get(emu.ws("/computes/ci-bob")).json["properties"][
            "properties"]
        assert ci["state"] == "Stopped"
        assert ci["lastOperation"]["operationStatus"] == "StartFailed"
        assert ci["errors"][0]["error"]["code"] == \
            "ComputeInstanceStartFailed"
        # set at run time: stops fail too, reported on the status URL
        assert emu.post("/_emulator/fail-ops", ["stop"],
                        auth=False).json == ["stop"]
        r = emu.post(emu.ws("/computes/ci-alice/stop"))
        done = poll_status(emu, r.header("Azure-AsyncOperation"))
        assert done["status"] == "Failed" and done["error"]["code"]
        ci = emu.get(emu.ws("/computes/ci-alice")).json["properties"][
            "properties"]
        assert ci["state"] == "Running"
        assert ci["lastOperation"]["operationStatus"] == "StopFailed"


def test_unknown_operation(rw):
    url = (rw.workspace.split("/resourceGroups")[0] +
           "/providers/Microsoft.MachineLearningServices/locations/eastus/"
           "computeOperationsStatus/nope?api-version=2025-06-01")
    r = rw.get(url)
    assert r.status == 404 and r.json["error"]["code"]


# ---- faults ------------------------------------------------------------

def test_fault_status_headers_times(rw):
    rules = rw.faults([{"route": "list", "status": 429,
                        "headers": {"Retry-After": "2"}, "times": 2}])
    assert rules[0]["times_left"] == 2
    for _ in range(2):
        r = rw.get(rw.ws("/computes"))
        assert r.status == 429 and r.header("Retry-After") == "2"
        assert r.json["error"]["code"] == "TooManyRequests"
    assert rw.get(rw.ws("/computes")).status == 200
    assert rw.get("/_emulator/faults", auth=False).json[0]["times_left"] == 0


def test_fault_body_delay_skip_and_clear(rw):
    rw.faults([{"method": "GET", "path": "*/computes/ci-bob", "status": 503,
                "body": "{\"error\":{\"code\":\"Busy\"}}", "skip": 1},
               {"path": "/computes/ci-alice", "delay_ms": 300}])
    assert rw.get(rw.ws("/computes/ci-bob")).status == 200    # skipped
    r = rw.get(rw.ws("/computes/ci-bob"))
    assert r.status == 503 and r.json == {"error": {"code": "Busy"}}
    t = time.monotonic()
    assert rw.get(rw.ws("/computes/ci-alice")).status == 200
    assert time.monotonic() - t >= 0.3
    rw.faults([])
    assert rw.get("/_emulator/faults", auth=False).json == []
    assert rw.get(rw.ws("/computes/ci-bob")).status == 200


def test_fault_drop_and_malformed(rw):
    rw.faults([{"route": "get", "drop": True, "times": 1},
               {"route": "list", "malformed": True, "times": 1}])
    conn = rw.connection()
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        rw.get(rw.ws("/computes/ci-alice"), conn=conn)
    conn.close()
    r = rw.get(rw.ws("/computes"))
    assert r.status == 200
    with pytest.raises(ValueError):
        json.loads(r.raw)
    assert rw.get(rw.ws("/computes")).json["value"]
    c = rw.counters()
    assert c["routes"]["get"] >= 1 and c["routes"]["list"] >= 2


def test_fault_rules_are_checked(rw):
    r = rw.post("/_emulator/faults", [{"stauts": 500}], auth=False)
    assert r.status == 400 and "stauts" in r.json["error"]
    r = rw.post("/_emulator/faults", {"status": 500}, auth=False)
    assert r.status == 400


# ---- HTTP ----------------------------------------------------------------

def test_keep_alive_and_body_limit(rw):
    conn = rw.connection()
    conn.connect()
    sock = conn.sock
    for _ in range(3):
        assert rw.get(rw.ws("/computes/ci-alice"), conn=conn).status == 200
    assert conn.sock is sock           # the same connection throughout
    conn.close()
    big = {"properties": {"computeType": "ComputeInstance"},
           "tags": {"pad": "x" * (1 << 20)}}
    r = rw.request("PUT", rw.ws("/computes/ci-big"), big)
    assert r.status == 413
    assert rw.get(rw.ws("/computes/ci-big")).status == 404


def test_body_limit_answers_expect_continue_before_the_body(rw):
    # curl sends "Expect: 100-continue" for large bodies; the 413 comes
    # before a byte of the body is sent.
    host, port = rw.url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(("PUT %s HTTP/1.1\r\nHost: %s:%s\r\n"
                   "Authorization: Bearer %s\r\n"
                   "Content-Type: application/json\r\n"
                   "Content-Length: %d\r\nExpect: 100-continue\r\n\r\n"
                   % (rw.ws("/computes/ci-big"), host, port, rw.token,
                      2 << 20)).encode())
        head = s.recv(4096).decode("latin-1")
    assert head.startswith("HTTP/1.1 413 "), head


def test_https():
    with TempCert() as pair, Emulator(tls=pair) as emu:
        assert emu.url.startswith("https://127.0.0.1:")
        r = emu.get(emu.ws("/computes"))
        assert r.status == 200
        assert r.json.get("nextLink") is None
        one = emu.get(emu.ws("/computes/ci-alice")).json
        assert one["name"] == "ci-alice"
