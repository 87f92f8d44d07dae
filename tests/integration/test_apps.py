"""apps/ against a real mount: each application's URL file (for scripts)
and its NAME.html page, the file a file manager's double-click opens in
the browser (Thunar, Nautilus and Dolphin open a .html with the default
browser; the page sends it on to the URL). A hostile URL from Azure gets
no page; a hostile character in one is escaped. xdg-open and gio open,
the desktop's "open this file", reach a fake browser with the page.
"""
import copy
import html
import html.parser
import json
import os
import subprocess
import time

import pytest

from conftest import sh


def page(name, url):
    """The exact bytes of NAME.html for an application (fs/render.c)."""
    u, n = html.escape(url, quote=True), html.escape(name, quote=True)
    u, n = u.replace("&#x27;", "&#39;"), n.replace("&#x27;", "&#39;")
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"refresh\" content=\"0; url=%s\">\n"
            "<title>%s</title></head>\n"
            "<body><p><a href=\"%s\">%s</a></p></body></html>\n"
            % (u, n, u, n))


class Tags(html.parser.HTMLParser):
    """Every start tag of a page, with its attributes (unescaped)."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def targets(text):
    """Where a page sends a browser: (refresh URL, link URL), and the set
    of tag names it holds."""
    t = Tags(text)
    refresh = [a["content"] for tag, a in t.tags
               if tag == "meta" and a.get("http-equiv") == "refresh"]
    links = [a["href"] for tag, a in t.tags if tag == "a"]
    assert len(refresh) == 1 and len(links) == 1, t.tags
    assert refresh[0].startswith("0; url="), refresh
    return refresh[0][len("0; url="):], links[0], {tag for tag, _ in t.tags}


def apps_of(c):
    return c["properties"]["properties"].get("applications") or []


def listing(m, name):
    return sorted(os.listdir(os.path.join(m.path, name, "apps")))


def read_bytes(m, name, f):
    with open(os.path.join(m.path, name, "apps", f), "rb") as fh:
        return fh.read()


@pytest.fixture
def emu(emu_factory):
    return emu_factory("--instances", "3")


def test_url_files_and_pages(emu, mount_factory):
    truth = emu.instances()
    c = truth["ci-alice"]
    apps = apps_of(c)
    assert len(apps) >= 2  # the emulator's ci-alice has applications
    m = mount_factory(emu)
    want = {}
    for a in apps:
        base = a["displayName"].replace(" ", "")
        want[base] = (a["endpointUri"] + "\n").encode()
        want[base + ".html"] = page(a["displayName"],
                                    a["endpointUri"]).encode()
    assert listing(m, "ci-alice") == sorted(want)
    for f, data in want.items():
        assert read_bytes(m, "ci-alice", f) == data, f
    # the page sends a browser to the URL, by refresh and by link
    for a in apps:
        text = read_bytes(m, "ci-alice",
                          a["displayName"].replace(" ", "") + ".html")
        refresh, link, _ = targets(text.decode())
        assert refresh == link == a["endpointUri"]
    # scripts: cat gives exactly the URL line
    r = sh("cat %s/ci-alice/apps/Jupyter" % m.path)
    assert r.returncode == 0 and r.stdout == \
        [a["endpointUri"] for a in apps if a["displayName"] ==
         "Jupyter"][0] + "\n"


def test_sizes_equal_bytes_read(emu, mount_factory):
    m = mount_factory(emu)
    seen = 0
    for name in emu.instances():
        r = sh("ls -l --time-style=+ %s/%s/apps" % (m.path, name))
        assert r.returncode == 0, r.stderr
        for line in r.stdout.splitlines()[1:]:
            fields = line.split()
            size, f = int(fields[4]), fields[-1]
            assert fields[0] == "-r--r--r--", line
            assert size == len(read_bytes(m, name, f)), (name, f)
            seen += 1
    assert seen >= 8


def test_inodes_are_distinct_and_stable(emu, mount_factory):
    m = mount_factory(emu)
    d = os.path.join(m.path, "ci-alice", "apps")
    inos = {f: os.stat(os.path.join(d, f)).st_ino for f in os.listdir(d)}
    assert len(set(inos.values())) == len(inos)
    inst = os.stat(os.path.join(m.path, "ci-alice")).st_ino
    assert all(inst < i < inst + 64 for i in inos.values())
    # readdir's numbers are lookup's numbers
    with os.scandir(d) as it:
        assert {e.name: e.inode() for e in it} == inos


HOSTILE = [
    ("Js", "javascript:alert(1)"),
    ("Data", "data:text/html,<script>alert(1)</script>"),
    ("File", "file:///etc/passwd"),
    ("Spaced", "https://h.example/ <script>"),
    ("NoHost", "https:///x"),
    ("Line", "https://h.example/\n<script>alert(1)</script>"),
    ("VSCodeDesktop", "vscode://vscode-remote/x"),
]
ESCAPED = ("\"><b x='1'>&", "https://evil.example/?q=\"><script>"
           "alert('x')</script>&a=1")


def hostile(emu):
    c = copy.deepcopy(emu.instances()["ci-alice"])
    c["properties"]["properties"]["applications"] = \
        [{"displayName": n, "endpointUri": u} for n, u in HOSTILE] + \
        [{"displayName": ESCAPED[0], "endpointUri": ESCAPED[1]}]
    emu.faults([{"route": "list", "status": 200,
                 "body": json.dumps({"value": [c]})},
                {"route": "get", "status": 200, "body": json.dumps(c)}])
    return c


def test_hostile_urls_get_no_page(emu, mount_factory):
    hostile(emu)
    m = mount_factory(emu)
    got = listing(m, "ci-alice")
    # the URL files stay, as Azure gave them (one line); no page for a
    # URL a browser must not be sent to
    assert [n for n, _ in HOSTILE if n + ".html" in got] == []
    for n, u in HOSTILE:
        assert n in got
        data = read_bytes(m, "ci-alice", n)  # one line, whatever came
        assert data.endswith(b"\n") and data.count(b"\n") == 1, data
        assert not os.path.exists(
            os.path.join(m.path, "ci-alice", "apps", n + ".html"))
    for n in ("Js.html", "Line.html"):
        r = sh("cat %s/ci-alice/apps/%s" % (m.path, n))
        assert r.returncode != 0 and "No such file" in r.stderr


def test_hostile_characters_are_escaped(emu, mount_factory):
    hostile(emu)
    m = mount_factory(emu)
    base = ESCAPED[0].replace(" ", "")
    assert base == "\"><bx='1'>&"
    data = read_bytes(m, "ci-alice", base + ".html")
    assert data == page(*ESCAPED).encode()
    text = data.decode()
    for bad in ("<script", "<b ", "<b>", "\"><", "'x'"):
        assert bad not in text, bad
    refresh, link, tags = targets(text)
    assert refresh == link == ESCAPED[1]  # unescaped: the very URL
    assert tags == {"html", "head", "meta", "title", "body", "p", "a"}
    assert read_bytes(m, "ci-alice", base) == (ESCAPED[1] + "\n").encode()


# ---- the desktop's "open": xdg-open and gio open ----------------------

FAKE_BROWSER = """#!/bin/sh
for a in "$@"; do printf '%s\\n' "$a" >> "{log}"; done
"""


@pytest.fixture
def desktop(tmp_path):
    """A user whose default browser (http, https, text/html) is a script
    that writes down what it was asked to open; the environment to run
    xdg-open and gio open as that user."""
    home = tmp_path / "home"
    apps = home / ".local" / "share" / "applications"
    apps.mkdir(parents=True)
    (home / ".config").mkdir()
    log = tmp_path / "opened"
    browser = tmp_path / "fake-browser"
    browser.write_text(FAKE_BROWSER.replace("{log}", str(log)))
    browser.chmod(0o755)
    (apps / "cfs-fake-browser.desktop").write_text(
        "[Desktop Entry]\nType=Application\nName=Fake Browser\n"
        "Exec=%s %%u\nMimeType=text/html;x-scheme-handler/http;"
        "x-scheme-handler/https;\n" % browser)
    (home / ".config" / "mimeapps.list").write_text(
        "[Default Applications]\n" + "".join(
            "%s=cfs-fake-browser.desktop\n" % t for t in
            ("text/html", "x-scheme-handler/http",
             "x-scheme-handler/https")))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("XDG_", "DBUS_", "KDE", "GNOME",
                                "DESKTOP_SESSION", "BROWSER"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_DATA_HOME=str(home / ".local" / "share"),
               XDG_DATA_DIRS="/usr/local/share:/usr/share",
               # xdg-open asks the desktop's MIME defaults only when it
               # believes a display is there; nothing is drawn
               DISPLAY=os.environ.get("DISPLAY", ":cfs-none"))
    return env, log


def opened(log, want, timeout=20):
    """The lines the fake browser wrote, once it wrote @want of them."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if log.exists():
            lines = log.read_text().splitlines()
            if len(lines) >= want:
                return lines
        time.sleep(0.1)
    return log.read_text().splitlines() if log.exists() else []


@pytest.mark.parametrize("tool", [["xdg-open"], ["gio", "open"]])
def test_desktop_open_reaches_the_browser(emu, mount_factory, desktop,
                                          tool):
    env, log = desktop
    c = emu.instances()["ci-alice"]
    url = [a["endpointUri"] for a in apps_of(c)
           if a["displayName"] == "Jupyter"][0]
    m = mount_factory(emu)
    f = os.path.join(m.path, "ci-alice", "apps", "Jupyter.html")
    r = subprocess.run(tool + [f], env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, (tool, r.stdout, r.stderr)
    lines = opened(log, 1)
    assert len(lines) == 1, (lines, r.stderr)
    # the browser is given the page (path or file:// URL) ...
    assert lines[0] in (f, "file://" + f), lines
    # ... which sends it to the application's URL
    with open(f) as fh:
        refresh, link, _ = targets(fh.read())
    assert refresh == link == url
