"""Microsoft's own client (@azure/arm-machinelearning 2.1.1, Node 18 or later)
against computefs-emulator over https: listing across pages, and the
long-running operations with the SDK's own poller.
"""
import json
import os
import shutil
import subprocess

import pytest

from emulator import REPO, Emulator, TempCert

SDK = os.path.join(REPO, "tests", "sdk")
NODE = shutil.which("node")
NPM = shutil.which("npm")

# scripts/deps installs Node.js; without it these tests fail, never skip.
assert NODE and NPM, "node and npm are needed (scripts/deps installs them)"


@pytest.fixture(scope="module")
def sdk():
    """tests/sdk with its locked dependencies installed (npm ci, once)."""
    marker = os.path.join(SDK, "node_modules", "@azure",
                          "arm-machinelearning", "package.json")
    if not os.path.exists(marker):
        r = subprocess.run([NPM, "ci", "--no-audit", "--no-fund"], cwd=SDK,
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr
    return SDK


@pytest.fixture(scope="module")
def tls():
    with TempCert() as pair:
        yield pair


def node(script, emu, *args, timeout=120):
    env = dict(os.environ,
               COMPUTEFS_EMULATOR_URL=emu.url,
               COMPUTEFS_WORKSPACE=emu.workspace,
               COMPUTEFS_TOKEN=emu.token,
               NODE_EXTRA_CA_CERTS=emu.cafile)
    r = subprocess.run([NODE, script] + list(args), cwd=SDK, env=env,
                       capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_sdk_lists_every_compute_across_pages(sdk, tls):
    with Emulator("--instances", 30, "--clusters", 5, "--page-size", 7,
                  tls=tls) as emu:
        mine, pages = emu.computes()
        assert pages == 5
        emu.reset()
        out = node("list.mjs", emu)
        seen = [c["name"] for c in out["computes"]]
        assert seen == [c["name"] for c in mine]
        assert len(seen) == len(set(seen)) == 35
        types = [c["computeType"] for c in out["computes"]]
        assert types.count("ComputeInstance") == 30
        assert sorted(set(types)) == ["AmlCompute", "ComputeInstance",
                                      "Kubernetes"]
        assert out["pages"] == 5
        counts = emu.counters()
        assert counts["routes"]["list"] == 5
        assert counts["total"] == 5
        assert all(e["status"] == 200 for e in counts["log"])


def test_sdk_runs_long_running_operations_with_its_poller(sdk, tls):
    with Emulator("--op-seconds", "0.3", tls=tls) as emu:
        out = node("ops.mjs", emu, "ci-alice", "ci-sdk-made")
        steps = {s["op"]: (s["state"], s["provisioningState"])
                 for s in out["steps"]}
        assert steps == {
            "stop": ("Stopped", "Succeeded"),
            "start": ("Running", "Succeeded"),
            "restart": ("Running", "Succeeded"),
            "create-result": ("Running", "Succeeded"),
            "create": ("Running", "Succeeded"),
        }
        assert out["afterDelete"] == 404
        routes = emu.counters()["routes"]
        for verb in ("stop", "start", "restart", "put", "delete"):
            assert routes[verb] == 1, verb
        # stop, restart, put and delete poll Azure-AsyncOperation; start
        # polls its Location until the result is no longer 202.
        assert routes["operation_status"] >= 4
        assert routes["operation_result"] >= 1
        alice = emu.get(emu.ws("/computes/ci-alice")).json
        assert alice["properties"]["properties"]["state"] == "Running"
        assert "ci-sdk-made" not in emu.instances()


def test_sdk_sees_a_failed_operation_fail(sdk, tls):
    with Emulator("--op-seconds", "0.2", "--fail-ops", "stop",
                  tls=tls) as emu:
        env = dict(os.environ, COMPUTEFS_EMULATOR_URL=emu.url,
                   COMPUTEFS_WORKSPACE=emu.workspace,
                   COMPUTEFS_TOKEN=emu.token,
                   NODE_EXTRA_CA_CERTS=emu.cafile)
        r = subprocess.run([NODE, "ops.mjs", "ci-alice", "ci-x-made"],
                           cwd=SDK, env=env, capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 1
        assert "sdk error" in r.stderr
        ci = emu.get(emu.ws("/computes/ci-alice")).json["properties"]
        assert ci["properties"]["state"] == "Running"
        assert ci["properties"]["lastOperation"]["operationStatus"] == \
            "StopFailed"


def test_sdk_sets_idle_shutdown(sdk, tls):
    """Compute_UpdateIdleShutdownSetting through the SDK client's pipeline
    (2.1.1 has no generated method for it: see tests/sdk/idle.mjs), read
    back with the SDK's get; a value under 15 minutes is refused."""
    with Emulator(tls=tls) as emu:
        out = node("idle.mjs", emu, "ci-alice", "PT30M", "PT5M")
        assert out["readBack"] == "PT30M"
        assert out["refused"] == {"statusCode": 400,
                                  "code": "InvalidParameter"}
        ci = emu.get(emu.ws("/computes/ci-alice")).json
        assert ci["properties"]["properties"]["idleTimeBeforeShutdown"] \
            == "PT30M"
        routes = emu.counters()["routes"]
        assert routes["idle_shutdown"] == 2
        log = emu.get("/_emulator/requests?route=idle_shutdown",
                      auth=False).json["log"]
        assert [json.loads(e["body"]) for e in log] == [
            {"idleTimeBeforeShutdown": "PT30M"},
            {"idleTimeBeforeShutdown": "PT5M"}]
        assert [e["status"] for e in log] == [200, 400]
        assert "api-version=" not in log[0]["path"]
