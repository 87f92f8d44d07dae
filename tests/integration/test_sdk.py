"""Microsoft's own client (@azure/arm-machinelearning 2.1.1, Node 20)
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

pytestmark = pytest.mark.skipif(not NODE or not NPM,
                                reason="node and npm are needed")


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
