"""computefs-emulator input checks Azure makes on a compute instance body:
the VM size must be a real Azure size (create's vmSize, resize's
targetVMSize, compared case-insensitively), a resize must name another
size, and subnet.id must be an ARM subnet id; a refusal is 400 in ARM's
error shape and changes nothing. And the addresses the emulator hands out
are documentation (RFC 5737) or private ones, never a stranger's host.
Real emulator processes over loopback.
"""
import ipaddress
import time

import pytest

from emulator import Emulator

SUB = "00000000-0000-0000-0000-000000000000"
SUBNET = ("/subscriptions/%s/resourceGroups/net-rg/providers/"
          "Microsoft.Network/virtualNetworks/ml-vnet/subnets/default" % SUB)
DOC_NETS = [ipaddress.ip_network(n) for n in
            ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")]


@pytest.fixture
def emu():
    # ci-alice Running (STANDARD_DS3_V2), ci-bob Stopped; 0.3 s operations
    with Emulator("--instances", 4, "--clusters", 1, "--op-seconds", 0.3,
                  "--retry-after", 0) as e:
        yield e


def body(**ci):
    return {"location": "eastus", "properties": {
        "computeType": "ComputeInstance", "properties": ci}}


def put(emu, name, b):
    return emu.request("PUT", emu.ws("/computes/" + name), b)


def inner(emu, name):
    r = emu.get(emu.ws("/computes/" + name))
    assert r.status == 200, r
    return r.json["properties"]["properties"]


def wait_state(emu, name, want, timeout=5):
    deadline = time.monotonic() + timeout
    while inner(emu, name)["state"] != want:
        assert time.monotonic() < deadline, inner(emu, name)["state"]
        time.sleep(0.05)


def refused(r, code):
    """A 400 in ARM's shape: {"error": {"code", "message"}}."""
    assert r.status == 400, r
    err = r.json["error"]
    assert err["code"] == code and err["message"], r.json
    return err["message"]


# ---- VM sizes ------------------------------------------------------------

@pytest.mark.parametrize("size", [
    "bogus", "Standard_DS3", "Standard_Bogus_v9", "Standard_DS3_v2 ",
    "STANDARD_NC6S_V99"])
def test_create_with_unknown_size_is_refused(emu, size):
    before = sorted(emu.instances())
    r = put(emu, "ci-new", body(vmSize=size))
    msg = refused(r, "InvalidParameter")
    assert size in msg and "VM size" in msg
    assert emu.get(emu.ws("/computes/ci-new")).status == 404
    assert sorted(emu.instances()) == before


@pytest.mark.parametrize("size", [
    "Standard_DS3_v2", "STANDARD_DS3_V2", "standard_e4s_v3",
    "Standard_NC24ads_A100_v4", "STANDARD_NC6", "Standard_F8s_v2"])
def test_create_takes_real_sizes_in_any_case(emu, size):
    r = put(emu, "ci-new", body(vmSize=size))
    assert r.status == 201, r
    # kept as the caller spelled it, as Azure's examples show
    assert inner(emu, "ci-new")["vmSize"] == size
    wait_state(emu, "ci-new", "Running")


def test_resize_to_unknown_size_changes_nothing(emu):
    before = inner(emu, "ci-bob")
    r = emu.post(emu.ws("/computes/ci-bob/resize"), {"targetVMSize": "bogus"})
    msg = refused(r, "InvalidParameter")
    assert "bogus" in msg
    after = inner(emu, "ci-bob")
    assert after["vmSize"] == before["vmSize"]
    assert after["state"] == "Stopped"
    assert after.get("lastOperation") == before.get("lastOperation")
    assert emu.counters()["routes"]["resize"] == 1


def test_resize_takes_a_real_size_in_any_case(emu):
    r = emu.post(emu.ws("/computes/ci-bob/resize"),
                 {"targetVMSize": "standard_d4s_v3"})
    assert r.status == 202, r
    assert inner(emu, "ci-bob")["state"] == "Resizing"
    wait_state(emu, "ci-bob", "Stopped")
    assert inner(emu, "ci-bob")["vmSize"] == "standard_d4s_v3"


def test_resize_to_the_present_size_is_refused(emu):
    size = inner(emu, "ci-bob")["vmSize"]
    for same in (size, size.upper(), size.lower()):
        r = emu.post(emu.ws("/computes/ci-bob/resize"),
                     {"targetVMSize": same})
        msg = refused(r, "InvalidParameter")
        assert "ci-bob" in msg and "already" in msg
        # no transition, no operation
        ci = inner(emu, "ci-bob")
        assert ci["state"] == "Stopped" and ci["vmSize"] == size


def test_unknown_size_is_refused_before_the_state_check(emu):
    # ci-alice is Running: a real size gets the 409, a bogus one the 400
    r = emu.post(emu.ws("/computes/ci-alice/resize"),
                 {"targetVMSize": "bogus"})
    refused(r, "InvalidParameter")
    r = emu.post(emu.ws("/computes/ci-alice/resize"),
                 {"targetVMSize": "Standard_E4s_v3"})
    assert r.status == 409, r
    assert inner(emu, "ci-alice")["state"] == "Running"


# ---- subnets -------------------------------------------------------------

@pytest.mark.parametrize("subnet", [
    "test-subnet-resource-id",
    "",
    "default",
    "subscriptions/%s/resourceGroups/rg/providers/Microsoft.Network/"
    "virtualNetworks/v1/subnets/s" % SUB,
    "/subscriptions/not-a-guid/resourceGroups/rg/providers/"
    "Microsoft.Network/virtualNetworks/v1/subnets/s",
    "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Network/"
    "virtualNetworks/v1" % SUB,
    "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Network/"
    "virtualNetworks/v1/subnets/" % SUB,
    "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Network/"
    "virtualNetworks/v1/subnets/s/" % SUB,
    "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Network/"
    "virtualNetworks/v1/subnets/s/extra" % SUB,
    "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Compute/"
    "virtualNetworks/v1/subnets/s" % SUB,
    "/subscriptions/%s/resourceGroups//providers/Microsoft.Network/"
    "virtualNetworks/v1/subnets/s" % SUB,
    "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Network/"
    "virtualNetworks/-v/subnets/s" % SUB,
    "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Network/"
    "virtualNetworks/v1/subnets/s p" % SUB,
])
def test_malformed_subnet_is_refused(emu, subnet):
    before = sorted(emu.instances())
    r = put(emu, "ci-new", body(vmSize="Standard_DS3_v2",
                                subnet={"id": subnet}))
    msg = refused(r, "LinkedInvalidPropertyId")
    assert "subnet.id" in msg
    assert emu.get(emu.ws("/computes/ci-new")).status == 404
    assert sorted(emu.instances()) == before


@pytest.mark.parametrize("subnet", [
    SUBNET,
    SUBNET.lower(),
    "/subscriptions/%s/resourcegroups/My.Group(1)/providers/"
    "microsoft.network/virtualnetworks/vnet_a.b-c/subnets/s_" % SUB.upper(),
])
def test_arm_subnet_ids_are_taken(emu, subnet):
    r = put(emu, "ci-new", body(vmSize="Standard_DS3_v2",
                                subnet={"id": subnet}))
    assert r.status == 201, r
    assert inner(emu, "ci-new")["subnet"] == {"id": subnet}


def test_seeded_subnets_are_arm_subnet_ids():
    with Emulator("--instances", 40) as e:
        subnets = [c["properties"]["properties"]["subnet"]
                   for c in e.instances().values()]
        ids = [s["id"] for s in subnets if s]
        assert ids
        for i, sid in enumerate(sorted(set(ids))):
            # each is accepted on create too
            r = put(e, "ci-subnet%da" % i, body(vmSize="Standard_DS3_v2",
                                                subnet={"id": sid}))
            assert r.status == 201, (sid, r)


# ---- addresses -----------------------------------------------------------

def check_address(text, public):
    ip = ipaddress.ip_address(text)
    if public:
        # what a user would ssh to: a documentation address, or private
        assert any(ip in n for n in DOC_NETS) or ip.is_private, text
    else:
        assert ip.is_private, text
    assert not ip.is_loopback and not ip.is_unspecified, text


def addresses(emu):
    out = []
    for name, c in emu.instances().items():
        # an example's inner properties may be absent or null
        ends = (c["properties"].get("properties") or {}).get(
            "connectivityEndpoints") or {}
        for key in ("publicIpAddress", "privateIpAddress"):
            if ends.get(key) is not None:
                out.append((name, key, ends[key]))
    return out


@pytest.mark.parametrize("args", [
    # what `computefs --demo` starts (fs/demo.c), then a large workspace
    # whose addresses wrap round, then other seeds and the REST examples
    ("--instances", 6, "--clusters", 2),
    ("--instances", 900, "--clusters", 3),
    ("--instances", 50, "--seed", 7),
    ("--instances", 50, "--seed", 12345),
    ("--shape", "examples"),
])
def test_seeded_addresses_are_documentation_or_private(args):
    with Emulator(*args) as e:
        got = addresses(e)
        assert any(k == "publicIpAddress" for _, k, _ in got)
        for name, key, text in got:
            check_address(text, key == "publicIpAddress")


def test_created_and_started_instances_get_safe_addresses(emu):
    assert put(emu, "ci-new", body(vmSize="Standard_DS3_v2")).status == 201
    assert emu.post(emu.ws("/computes/ci-bob/start")).status == 202
    wait_state(emu, "ci-new", "Running")
    wait_state(emu, "ci-bob", "Running")
    for name in ("ci-new", "ci-bob"):
        ends = inner(emu, name)["connectivityEndpoints"]
        check_address(ends["publicIpAddress"], True)
        check_address(ends["privateIpAddress"], False)
        assert any(ipaddress.ip_address(ends["publicIpAddress"]) in n
                   for n in DOC_NETS)
