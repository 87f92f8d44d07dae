"""Credentials: each source against the emulator's token endpoints.

Nothing leaves the machine: every endpoint is the emulator on loopback,
the Azure CLI is a fake `az` script on PATH, and the test of the default
metadata address (169.254.169.254) runs under `unshare -n`.
"""
import os
import shutil
import subprocess
import time

import pytest

from conftest import sh
from mount import COMPUTEFS, Mount, is_mounted, wait_for

DEAD = "http://127.0.0.1:9"  # a loopback port nobody listens on
SECRET = "emu-secret"


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AZURE_", "MSI_", "IDENTITY_", "IMDS_"))}
    env["PATH"] = "/usr/bin:/bin"
    env["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = DEAD
    env.update(extra)
    return env


def fake_az(tmp_path, token, expires_on):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    az = bin_dir / "az"
    az.write_text("""#!/bin/sh
echo "$@" >> %s/az.calls
cat <<JSON
{"accessToken": "%s", "expiresOn": "2030-01-01 00:00:00.000000",
 "expires_on": %d, "subscription": "s", "tenant": "t", "tokenType": "Bearer"}
JSON
""" % (tmp_path, token, expires_on))
    az.chmod(0o755)
    return str(bin_dir)


def mounted_ok(m, emu):
    names = sorted(n for n in os.listdir(m.path) if not n.startswith("."))
    assert names == sorted(emu.instances())
    with open(os.path.join(m.path, ".workspace")) as f:
        return dict(l.split(": ", 1) for l in f.read().splitlines())


def sources(emu):
    return {
        "env": dict(AZURE_TENANT_ID="tenant-1", AZURE_CLIENT_ID="emu-client",
                    AZURE_CLIENT_SECRET=SECRET,
                    AZURE_AUTHORITY_HOST=emu.url),
        "appservice": dict(IDENTITY_ENDPOINT=emu.url + "/identity/token",
                           IDENTITY_HEADER="emu-identity-header"),
        "azureml": dict(MSI_ENDPOINT=emu.url + "/msi/token",
                        MSI_SECRET="emu-msi-secret"),
        "imds": dict(AZURE_POD_IDENTITY_AUTHORITY_HOST=emu.url),
    }


@pytest.mark.parametrize("source,auth,route", [
    ("env", "env", "token_aad"),
    ("env", "auto", "token_aad"),
    ("appservice", "managed-identity", "token_appservice"),
    ("azureml", "managed-identity", "token_msi"),
    ("azureml", "auto", "token_msi"),
    ("imds", "managed-identity", "token_imds"),
    ("imds", "auto", "token_imds"),
])
def test_each_source_mounts(emu_factory, mnt, source, auth, route):
    emu = emu_factory("--instances", "2")
    env = clean_env(**sources(emu)[source])
    m = Mount(emu, mnt, options=["auth=" + auth], token=False, env=env)
    try:
        m.start()
        mounted_ok(m, emu)
        assert emu.counters()["routes"][route] >= 1
        assert m.unexpected_stderr() == []
    finally:
        m.stop()


def test_authority_option(emu_factory, mnt):
    emu = emu_factory("--instances", "1")
    env = clean_env(AZURE_TENANT_ID="tenant-1", AZURE_CLIENT_ID="emu-client",
                    AZURE_CLIENT_SECRET=SECRET)
    m = Mount(emu, mnt, options=["auth=env", "authority=" + emu.url],
              token=False, env=env)
    try:
        m.start()
        mounted_ok(m, emu)
    finally:
        m.stop()


def mount_with_fake_az(emu, mnt, tmp_path, **env_extra):
    """auth=auto with only a fake `az` (and @env_extra) to find; started."""
    env = clean_env(**env_extra)
    env["PATH"] = fake_az(tmp_path, emu.token, int(time.time()) + 3600) + \
        ":" + env["PATH"]
    m = Mount(emu, mnt, options=["auth=auto"], token=False, env=env)
    try:
        m.start()
        ws = mounted_ok(m, emu)
        assert "cli" in ws["auth"]
    except BaseException:
        m.stop()
        raise
    return m


def test_azure_cli_credential(emu_factory, mnt, tmp_path):
    emu = emu_factory("--instances", "2")
    m = mount_with_fake_az(emu, mnt, tmp_path)
    try:
        calls = (tmp_path / "az.calls").read_text()
        assert "account get-access-token" in calls
        assert "management.azure.com" in calls
    finally:
        m.stop()


def test_imds_is_probed_once_before_the_cli(emu_factory, mnt, tmp_path):
    # As azure-identity's DefaultAzureCredential does: an IMDS that does
    # not answer costs one attempt, not four, before the next credential.
    emu = emu_factory("--instances", "2")
    emu.faults([{"route": "token_imds", "drop": True}])
    m = mount_with_fake_az(emu, mnt, tmp_path,
                           AZURE_POD_IDENTITY_AUTHORITY_HOST=emu.url)
    try:
        assert emu.counters()["routes"]["token_imds"] == 1
    finally:
        m.stop()


def test_token_renewed_mid_use(emu_factory, mnt):
    emu = emu_factory("--instances", "2", "--token-seconds", "2")
    env = clean_env(**sources(emu)["azureml"])
    m = Mount(emu, mnt, options=["auth=managed-identity"], cache_ttl=0.5,
              token=False, env=env)
    try:
        m.start()
        first = emu.counters()["routes"]["token_msi"]
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:  # keep using it past expiry
            mounted_ok(m, emu)
            time.sleep(0.3)
        assert emu.counters()["routes"]["token_msi"] > first
        routes = emu.counters()["routes"]
        assert routes["list"] >= 3
    finally:
        m.stop()


def test_no_credential_says_what_was_tried(mnt, tmp_path):
    env = clean_env()
    t0 = time.monotonic()
    r = subprocess.run([COMPUTEFS, "/subscriptions/11111111-2222-3333-4444-"
                        "555555555555/resourceGroups/r/providers/"
                        "Microsoft.MachineLearningServices/workspaces/ws1",
                        mnt, "-o", "endpoint=" + DEAD], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    for word in ("AZURE_CLIENT_ID", "managed identity", "az"):
        assert word in lines[0], lines[0]
    assert time.monotonic() - t0 < 30
    assert not is_mounted(mnt)


def test_refused_secret_fails_quickly_and_says_so(emu_factory, mnt):
    emu = emu_factory("--instances", "1")
    env = clean_env(**dict(sources(emu)["env"],
                           AZURE_CLIENT_SECRET="wrong-secret"))
    r = subprocess.run([COMPUTEFS, emu.workspace, mnt, "-o",
                        "auth=env,endpoint=" + emu.url], env=env,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert len(r.stderr.splitlines()) == 1, r.stderr
    assert "AADSTS" in r.stderr or "invalid_client" in r.stderr
    assert "wrong-secret" not in r.stderr
    assert not is_mounted(mnt)


def test_default_metadata_endpoint_in_an_empty_network(mnt):
    """The default IMDS address, tried with no network at all."""
    env = clean_env()
    del env["AZURE_POD_IDENTITY_AUTHORITY_HOST"]
    r = subprocess.run(["unshare", "-n", COMPUTEFS,
                        "/subscriptions/11111111-2222-3333-4444-"
                        "555555555555/resourceGroups/r/providers/"
                        "Microsoft.MachineLearningServices/workspaces/ws1",
                        mnt, "-o", "auth=managed-identity"],
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "169.254.169.254" in r.stderr, r.stderr


def test_debug_log_never_shows_secrets(emu_factory, mnt):
    emu = emu_factory("--instances", "2")
    env = clean_env(**sources(emu)["env"])
    m = Mount(emu, mnt, options=["auth=env"], token=False, env=env,
              flags=("-d",))
    try:
        m.start()
        mounted_ok(m, emu)
        sh("cat %s/*/state %s/.status" % (m.path, m.path))
    finally:
        m.stop()
    log = m.stderr()
    assert "unique: " in log  # it is libfuse's debug trace
    assert SECRET not in log
    assert "Bearer " not in log
    for line in log.splitlines():
        assert "eyJ" not in line  # no JWT-shaped token


def test_config_json_found_from_a_subdirectory(emu_factory, mnt, tmp_path):
    emu = emu_factory("--instances", "2")
    ws = emu.workspace.split("/")
    proj = tmp_path / "proj"
    (proj / ".azureml").mkdir(parents=True)
    (proj / ".azureml" / "config.json").write_text(
        '{"subscription_id": "%s", "resource_group": "%s", '
        '"workspace_name": "%s"}' % (ws[2], ws[4], ws[8]))
    sub = proj / "src" / "deep"
    sub.mkdir(parents=True)
    tok = tmp_path / "tok"
    tok.write_text(emu.token)
    tok.chmod(0o600)
    r = subprocess.run([COMPUTEFS, mnt, "-o", "endpoint=%s,token_file=%s" %
                        (emu.url, tok)], cwd=str(sub), capture_output=True,
                       text=True, timeout=30)
    try:
        assert r.returncode == 0, r.stderr
        names = sorted(n for n in os.listdir(mnt) if not n.startswith("."))
        assert names == sorted(emu.instances())
    finally:
        subprocess.run(["fusermount3", "-u", mnt])


def test_mount_t_fuse_computefs_and_fstab(emu_factory, mnt, tmp_path):
    emu = emu_factory("--instances", "2")
    tok = tmp_path / "tok"
    tok.write_text(emu.token)
    tok.chmod(0o600)
    # mount(8) runs helpers with a fixed PATH: computefs must be installed
    # (scripts/test runs `meson install`), and must be this build
    installed = shutil.which(
        "computefs", path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin")
    assert installed, "computefs is not installed: meson install -C build"
    with open(installed, "rb") as a, open(COMPUTEFS, "rb") as b:
        assert a.read() == b.read(), installed + " is not this build"
    env = dict(os.environ)
    opts = "endpoint=%s,token_file=%s,_netdev,x-systemd.automount" % (
        emu.url, tok)
    r = subprocess.run(["mount", "-t", "fuse.computefs", emu.workspace, mnt,
                        "-o", opts], env=env, capture_output=True, text=True,
                       timeout=30)
    try:
        assert r.returncode == 0, r.stderr
        assert "ci-alice" in os.listdir(mnt)
    finally:
        subprocess.run(["umount", mnt])
    wait_for(lambda: not is_mounted(mnt), what="umount")
    fstab = tmp_path / "fstab"
    fstab.write_text("%s %s fuse.computefs noauto,%s 0 0\n" %
                     (emu.workspace, mnt, opts))
    r = subprocess.run(["mount", "-T", str(fstab), mnt], env=env,
                       capture_output=True, text=True, timeout=30)
    try:
        assert r.returncode == 0, r.stderr
        with open(os.path.join(mnt, "ci-alice", "state")) as f:
            assert f.read() == "Running\n"
        # the source is the line's first field: findmnt names the
        # workspace, and mount -a knows the line is mounted
        r = subprocess.run(["findmnt", "-n", "-o", "SOURCE,FSTYPE", mnt],
                           capture_output=True, text=True)
        assert r.stdout.split() == [emu.workspace, "fuse.computefs"]
        fstab.write_text("%s %s fuse.computefs %s 0 0\n" %
                         (emu.workspace, mnt, opts))
        for _ in range(2):
            r = subprocess.run(["mount", "-a", "-T", str(fstab)], env=env,
                               capture_output=True, text=True, timeout=30)
            assert r.returncode == 0, r.stderr
        with open("/proc/self/mountinfo") as f:
            assert sum(l.split()[4] == os.path.realpath(mnt)
                       for l in f) == 1  # mounted once
        # remount cannot change a FUSE daemon's options: said, not faked
        r = subprocess.run(["mount", "-T", str(fstab), "-o", "remount", mnt],
                           env=env, capture_output=True, text=True,
                           timeout=30)
        assert r.returncode != 0 and "remount is not supported" in r.stderr
        with open(os.path.join(mnt, "ci-alice", "state")) as f:
            assert f.read() == "Running\n"  # still the one mount
    finally:
        subprocess.run(["umount", mnt])
    wait_for(lambda: not is_mounted(mnt), what="umount")


def token_file_warnings(m, path):
    """The credential's own warnings about @path (each failed write is
    also logged, by the write path, with the same reason)."""
    return [l for l in m.stderr().splitlines()
            if l.startswith(("computefs: warning: token file " + path,
                             "computefs: warning: cannot stat token file " +
                             path))]


def works_again(m):
    """A write succeeds again, without remounting: at once, or when the
    cache next retries the listing it failed to refresh (2 s)."""
    wait_for(lambda: sh("echo restart > %s/ci-alice/control" %
                        m.path).returncode == 0,
             timeout=10, what="the mount to work again")
    assert "is usable again" in m.stderr()


def test_token_file_turned_readable_is_refused_until_fixed(emu_factory, mnt):
    # The mode is checked at each token request, not only at mount time
    # nor only after a 401: the cached token is not used either.
    emu = emu_factory("--instances", "2")
    m = Mount(emu, mnt)
    try:
        m.start()
        tok = m.token_file
        os.chmod(tok, 0o644)
        before = emu.counters()["total"]
        for _ in range(3):
            r = sh("echo restart > %s/ci-alice/control" % m.path)
            assert r.returncode != 0
            assert "Permission denied" in r.stderr, r.stderr
        assert emu.counters()["total"] == before  # nothing was sent
        lines = token_file_warnings(m, tok)
        assert len(lines) == 1, m.stderr()  # once per change, not per call
        assert "chmod 600 " + tok in lines[0]
        assert "0644" in lines[0]
        assert emu.token not in m.stderr()

        os.chmod(tok, 0o600)  # fixed: works again, no remount
        r = sh("echo restart > %s/ci-alice/control" % m.path)
        assert r.returncode == 0, r.stderr
        assert "token file %s is usable again" % tok in m.stderr()
        assert len(token_file_warnings(m, tok)) == 1
    finally:
        m.stop()


def test_token_file_removed_is_refused_until_back(emu_factory, mnt):
    emu = emu_factory("--instances", "2")
    m = Mount(emu, mnt, cache_ttl=0.2)
    try:
        m.start()
        tok = m.token_file
        os.rename(tok, tok + ".away")
        time.sleep(0.3)  # past the TTL: the listing is asked for anew
        r = sh("echo restart > %s/ci-alice/control" % m.path)
        assert r.returncode != 0
        assert "Permission denied" in r.stderr, r.stderr
        lines = token_file_warnings(m, tok)
        assert len(lines) == 1, m.stderr()
        assert "No such file or directory" in lines[0]

        os.rename(tok + ".away", tok)
        works_again(m)
    finally:
        m.stop()


def test_refused_after_a_401_too(emu_factory, mnt):
    # The case that used to fail silently: the token is renewed after a
    # 401, the file is no longer private, every call was EIO.
    emu = emu_factory("--instances", "2")
    m = Mount(emu, mnt, cache_ttl=0.2)
    try:
        m.start()
        tok = m.token_file
        os.chmod(tok, 0o640)
        emu.faults([{"route": "list", "status": 401, "times": 1}])
        time.sleep(0.3)
        try:  # served stale, or the refused token said: both fine
            os.listdir(m.path)
        except PermissionError:
            pass
        r = sh("echo restart > %s/ci-alice/control" % m.path)
        assert "Permission denied" in r.stderr, r.stderr
        lines = token_file_warnings(m, tok)
        assert len(lines) == 1 and "chmod 600 " + tok in lines[0], lines
        emu.faults([])
        os.chmod(tok, 0o600)
        works_again(m)
    finally:
        m.stop()


# ---- no secrets in core dumps ----

NO_PTRACE = ["setpriv", "--inh-caps=-sys_ptrace", "--bounding-set=-sys_ptrace",
             "--"]


def cap_prm(pid):
    with open("/proc/%d/status" % pid) as f:
        return [l for l in f if l.startswith("CapPrm:")][0]


def memory_open(pid):
    """Whether a peer (same uid and capabilities, no CAP_SYS_PTRACE) may
    open /proc/PID/mem: the kernel allows it (ptrace_may_access, attach
    mode) only when PID is dumpable. Opening reads nothing."""
    r = subprocess.run(NO_PTRACE + ["/bin/sh", "-c", 'exec 3< "$0"',
                                    "/proc/%d/mem" % pid],
                       capture_output=True, text=True, timeout=10)
    return r.returncode == 0


def test_daemon_is_not_dumpable(emu_factory, mnt):
    emu = emu_factory("--instances", "1")
    # control: a dumpable process with the same uid and capabilities
    peer = subprocess.Popen(NO_PTRACE + ["sleep", "60"])
    m = Mount(emu, mnt)
    m.argv = NO_PTRACE + m.argv
    try:
        m.start()
        assert cap_prm(peer.pid) == cap_prm(m.proc.pid)
        assert memory_open(peer.pid), "the control is not readable"
        assert not memory_open(m.proc.pid)
        assert os.listdir(m.path)  # and it works
    finally:
        peer.kill()
        peer.wait()
        m.stop()

