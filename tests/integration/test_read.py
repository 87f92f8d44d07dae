"""Reading a mounted workspace with real ls, cat, stat, find, ssh and jq."""
import errno
import json
import math
import os
import subprocess

import pytest

from conftest import sh

FILES = ["apps", "control", "created_by", "errors", "idle_shutdown",
         "info.json", "ip", "location", "operation", "schedules", "size",
         "ssh", "state", "wait"]


def value(v):
    return (v + "\n") if v else ""


def expected_bytes(c):
    """What each value file must hold, from the resource Azure returned."""
    p = c["properties"]
    ip = p.get("properties") or {}
    conn = ip.get("connectivityEndpoints") or {}
    addr = conn.get("publicIpAddress") or conn.get("privateIpAddress")
    return {
        "state": value(ip.get("state") or "Unknown"),
        "size": value(ip.get("vmSize")),
        "location": value(c.get("location")),
        "created_by": value((ip.get("createdBy") or {}).get("userName")),
        "ip": value(addr),
    }


def test_ls_shows_instances_and_hides_clusters(emu_factory, mount_factory):
    emu = emu_factory("--instances", "6", "--clusters", "3")
    computes, _ = emu.computes()
    instances = sorted(c["name"] for c in computes
                       if c["properties"]["computeType"] == "ComputeInstance")
    clusters = [c["name"] for c in computes
                if c["properties"]["computeType"] != "ComputeInstance"]
    assert len(instances) == 6 and len(clusters) == 3
    m = mount_factory(emu)
    r = sh("ls %s" % m.path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == instances
    r = sh("ls -a %s" % m.path)
    assert r.stdout.split() == [".", "..", ".create", ".instances",
                                ".mine", ".status", ".workspace"] + instances
    for name in clusters:
        r = sh("stat %s/%s" % (m.path, name))
        assert r.returncode != 0
        assert "No such file or directory" in r.stderr
    # link counts as on a disk: 2 + one per subdirectory
    r = sh("stat -c %%h %s %s/%s %s/%s/apps %s/.mine" % (
        m.path, m.path, instances[0], m.path, instances[0], m.path))
    assert r.stdout.split() == [str(2 + 1 + 6), "3", "2", "2"], r.stdout
    assert m.unexpected_stderr() == []


def test_cat_gives_exact_bytes_and_ls_l_true_sizes(emu_factory, mount_factory):
    emu = emu_factory("--instances", "8", "--clusters", "2")
    truth = emu.instances()
    m = mount_factory(emu)
    for name, c in truth.items():
        d = os.path.join(m.path, name)
        want = expected_bytes(c)
        for f, data in want.items():
            r = sh("cat %s/%s" % (d, f))
            assert r.returncode == 0, (name, f, r.stderr)
            assert r.stdout == data, (name, f)
        # ls -l shows each file's true size: the bytes cat reads
        r = sh("ls -l --time-style=+ %s" % d)
        assert r.returncode == 0, r.stderr
        sizes = {}
        for line in r.stdout.splitlines()[1:]:
            parts = line.split()
            sizes[parts[-1]] = (parts[0], int(parts[4]))
        assert sorted(sizes) == FILES
        for f, (mode, size) in sizes.items():
            if mode.startswith("d") or f == "control":
                continue
            data = subprocess.run(["cat", os.path.join(d, f)],
                                  capture_output=True).stdout
            assert size == len(data), (name, f)
        assert sizes["control"][0] == "--w-------"
        assert sizes["size"][0] == "-rw-r--r--"
        assert sizes["state"][0] == "-r--r--r--"
        assert sizes["apps"][0] == "dr-xr-xr-x"


def test_info_json_is_the_resource(emu_factory, mount_factory):
    emu = emu_factory("--instances", "4")
    truth = emu.instances()
    m = mount_factory(emu)
    for name, c in truth.items():
        path = os.path.join(m.path, name, "info.json")
        with open(path) as f:
            assert json.load(f) == c
        r = sh("jq -r .properties.properties.vmSize %s" % path)
        assert r.returncode == 0, r.stderr
        assert r.stdout == c["properties"]["properties"]["vmSize"] + "\n"


def test_ssh_stanza_works_with_ssh(emu_factory, mount_factory):
    emu = emu_factory("--instances", "6")
    truth = emu.instances()
    m = mount_factory(emu)
    seen_enabled = seen_disabled = False
    for name, c in truth.items():
        ip = c["properties"]["properties"]
        sshs = ip.get("sshSettings") or {}
        conn = ip.get("connectivityEndpoints") or {}
        addr = conn.get("publicIpAddress") or conn.get("privateIpAddress")
        path = os.path.join(m.path, name, "ssh")
        with open(path) as f:
            text = f.read()
        if sshs.get("sshPublicAccess") == "Enabled" and addr:
            seen_enabled = True
            r = sh("ssh -G -F %s %s" % (path, name))
            assert r.returncode == 0, r.stderr
            conf = dict(l.split(" ", 1) for l in r.stdout.splitlines()
                        if " " in l)
            assert conf["hostname"] == addr
            assert conf["port"] == str(sshs["sshPort"])
            assert conf["user"] == sshs["adminUserName"]
        else:
            seen_disabled = True
            assert text.startswith("# %s: " % name)
            assert text.count("\n") == 1 and text.endswith("\n")
    assert seen_enabled and seen_disabled


def test_apps_hold_urls(emu_factory, mount_factory):
    emu = emu_factory("--instances", "4")
    truth = emu.instances()
    m = mount_factory(emu)
    some = False
    for name, c in truth.items():
        apps = c["properties"]["properties"].get("applications") or []
        want = {a["displayName"].replace(" ", ""): a["endpointUri"] + "\n"
                for a in apps}
        got = {}
        for f in os.listdir(os.path.join(m.path, name, "apps")):
            if f.endswith(".html"):
                continue  # the pages: test_apps.py
            with open(os.path.join(m.path, name, "apps", f)) as fh:
                got[f] = fh.read()
        assert got == want
        some = some or bool(want)
    assert some


def test_find_and_stat_walk_the_tree(emu_factory, mount_factory):
    emu = emu_factory("--instances", "3")
    truth = emu.instances()
    m = mount_factory(emu)
    r = sh("find %s -mindepth 1 -maxdepth 2 -printf '%%y %%P\\n'" % m.path)
    assert r.returncode == 0, r.stderr
    got = sorted(r.stdout.splitlines())
    want = ["d .mine", "f .create", "f .instances", "f .status",
            "f .workspace"]
    for name in truth:
        want.append("d " + name)
        want += ["%s %s/%s" % ("d" if f == "apps" else "f", name, f)
                 for f in FILES]
    assert got == sorted(want)
    name = sorted(truth)[0]
    r = sh("stat -c '%%F %%a %%s %%h' %s/%s %s/%s/state" %
           (m.path, name, m.path, name))
    lines = r.stdout.splitlines()
    assert lines[0] == "directory 755 0 3"
    state = truth[name]["properties"]["properties"]["state"]
    assert lines[1] == "regular file 444 %d 1" % (len(state) + 1)


def test_probes_never_reach_azure(emu_factory, mount_factory):
    emu = emu_factory("--instances", "4")
    m = mount_factory(emu, cache_ttl=60)
    name = sorted(emu.instances())[0]
    assert sh("ls -l %s" % m.path).returncode == 0  # warm
    emu.reset()
    probes = [".Trash-1000", ".Trash", ".hidden", ".directory", "autorun.inf",
              ".xdg-volume-info", "desktop.ini", name + "/.hidden",
              name + "/desktop.ini", name + "/apps/.hidden"]
    for p in probes:
        with pytest.raises(FileNotFoundError):
            os.stat(os.path.join(m.path, p))
    r = sh("cat %s/autorun.inf" % m.path)
    assert r.returncode == 1 and "No such file or directory" in r.stderr
    os.statvfs(m.path)
    os.statvfs(os.path.join(m.path, name))
    assert os.listxattr(os.path.join(m.path, name, "state")) == []
    with pytest.raises(OSError) as e:
        os.getxattr(os.path.join(m.path, name), "user.xdg.origin.url")
    assert e.value.errno == errno.EOPNOTSUPP  # none, and said once
    for f in (".status", ".workspace"):
        with open(os.path.join(m.path, f)) as fh:
            fh.read()
    assert emu.counters()["total"] == 0


def test_browse_200_costs_one_traversal(emu_factory, mount_factory):
    emu = emu_factory("--instances", "200", "--clusters", "10",
                      "--page-size", "20")
    pages = math.ceil(210 / 20)
    emu.reset()
    m = mount_factory(emu, cache_ttl=120)
    # what a file manager and a script do: list, stat, read everything
    for cmd in ("ls -l %s", "ls -la %s/*", "find %s -type f",
                "cat %s/*/state", "cat %s/*/ssh", "stat %s/*/apps/*",
                "cat %s/*/info.json"):
        r = sh(cmd % m.path)
        assert r.returncode == 0, (cmd, r.stderr[:500])
    routes = emu.counters()["routes"]
    assert routes.get("list", 0) == pages  # the mount's one traversal
    assert routes.get("get", 0) == 0
    assert routes.get("workspace", 0) == 1


def test_dot_files(emu_factory, mount_factory):
    emu = emu_factory("--instances", "2")
    m = mount_factory(emu)
    with open(os.path.join(m.path, ".workspace")) as f:
        ws = dict(l.split(": ", 1) for l in f.read().splitlines())
    assert ws["id"] == emu.workspace
    assert ws["endpoint"] == emu.url
    assert ws["region"] == "eastus"
    with open(os.path.join(m.path, ".status")) as f:
        st = dict(l.split(": ", 1) for l in f.read().splitlines())
    assert st["backend"] == "ok"
    assert int(st["requests"]) >= 2
    assert st["cache_ttl"] == "15"


def test_sighup_drops_the_cache(emu_factory, mount_factory):
    emu = emu_factory("--instances", "2")
    m = mount_factory(emu, cache_ttl=300)
    assert sh("ls %s" % m.path).returncode == 0
    emu.reset()
    assert sh("ls %s" % m.path).returncode == 0
    assert emu.counters()["routes"].get("list", 0) == 0
    m.proc.send_signal(1)  # SIGHUP
    from mount import wait_for

    def listed_again():
        sh("ls %s" % m.path)
        return emu.counters()["routes"].get("list", 0) >= 1
    wait_for(listed_again, what="a new listing after SIGHUP")


def test_instances_table_is_the_listing_ls_shows(emu_factory, mount_factory):
    # after SIGHUP there is no listing: .instances waits for one, as ls
    # does, instead of an empty table; past stale_max it fails, as ls does
    emu = emu_factory("--instances", "3")
    m = mount_factory(emu, cache_ttl=0.5, options=["stale_max=1"])
    emu.faults([{"route": "list", "delay_ms": 1500}])
    m.proc.send_signal(1)  # SIGHUP
    with open(os.path.join(m.path, ".instances")) as f:
        rows = [l.split()[0] for l in f.read().splitlines()]
    assert rows == sorted(emu.instances())
    emu.faults([{"route": "list", "status": 500}])
    import time
    time.sleep(2.5)  # past cache_ttl + stale_max
    with pytest.raises(OSError) as e:
        with open(os.path.join(m.path, ".instances")) as f:
            f.read()
    assert e.value.errno == errno.EIO
    r = sh("ls %s" % m.path)
    assert r.returncode != 0  # the same answer as ls


def test_microsoft_example_shapes_render(emu_factory, mount_factory):
    """Resources shaped exactly like Microsoft's published examples."""
    emu = emu_factory("--shape", "examples")
    truth = emu.instances()
    assert truth
    m = mount_factory(emu)
    assert sorted(n for n in os.listdir(m.path)
                  if not n.startswith(".")) == sorted(truth)
    for name, c in truth.items():
        for f in FILES:
            p = os.path.join(m.path, name, f)
            if f == "apps":
                assert sh("ls %s" % p).returncode == 0
                continue
            if f == "control":
                continue
            r = subprocess.run(["cat", p], capture_output=True)
            assert r.returncode == 0, (name, f, r.stderr)
            assert os.stat(p).st_size == len(r.stdout), (name, f)
        with open(os.path.join(m.path, name, "info.json")) as fh:
            assert json.load(fh) == c
    assert m.unexpected_stderr() == []


def test_mine_links_to_my_instances(emu_factory, mount_factory, tmp_path):
    emu = emu_factory("--instances", "6")
    _, _, who = emu.request("POST", "/_emulator/token", body={"user": "alice"},
                            auth=False)
    truth = emu.instances()

    def mine(c):
        p = c["properties"]["properties"]
        assigned = ((p.get("personalComputeInstanceSettings") or {})
                    .get("assignedUser") or {}).get("objectId")
        return who["oid"] in ((p.get("createdBy") or {}).get("userId"),
                              assigned)
    want = sorted(n for n, c in truth.items() if mine(c))
    assert want and len(want) < len(truth)
    m = mount_factory(emu, token=who["access_token"])
    got = sorted(os.listdir(os.path.join(m.path, ".mine")))
    assert got == want
    for n in want:
        link = os.path.join(m.path, ".mine", n)
        assert os.readlink(link) == "../" + n
        with open(os.path.join(link, "state")) as f:
            assert f.read() == value(truth[n]["properties"]["properties"]
                                     ["state"])
    other = sorted(set(truth) - set(want))[0]
    assert not os.path.lexists(os.path.join(m.path, ".mine", other))
    with open(os.path.join(m.path, ".workspace")) as f:
        assert "identity: alice@" in f.read()
    # a token that names nobody (not a JWT): .mine is empty
    m2 = mount_factory(emu, path=str(tmp_path / "anon"))
    assert os.listdir(os.path.join(m2.path, ".mine")) == []
