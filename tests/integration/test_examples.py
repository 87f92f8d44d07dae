"""The examples of README.md and of the man page's EXAMPLES run as shown.

Each file's shell examples (the lines after a `$ ` prompt, with the
output lines shown under them) are read out of the file and run in
order, verbatim through bash, on a demo workspace: the first of them is
`computefs --demo ~/ws`. Only the mount point is substituted: `~/ws`
becomes this test's directory (made first, as scripts/demo leaves ~/ws). `computefs` is the build under test
(COMPUTEFS_BUILD first on PATH). Each must exit 0, and where the text
shows output the output must be that, word for word (`...` stands for
any further words).

The examples that need a real Azure workspace are listed in AZURE_ONLY,
and must still be in the text.
"""
import os
import re
import subprocess

import pytest

from mount import BUILD, REPO, is_mounted

README = os.path.join(REPO, "README.md")
MANPAGE = os.path.join(REPO, "docs", "computefs.1.scd")

# (file, command) pairs that need Azure, not the demo
AZURE_ONLY = {(MANPAGE, "computefs ~/ws")}


def readme_examples(path):
    """Prompted lines of the indented code blocks, with their output."""
    examples, cur = [], None
    for line in open(path).read().splitlines():
        if line.startswith("    $ "):
            cur = (line[6:], [])
            examples.append(cur)
        elif cur and line.startswith("    ") and line.strip():
            cur[1].append(line[4:])
        else:  # a blank line or prose: the output is over
            cur = None
    return examples


def manpage_examples(path):
    """Prompted lines of the fenced blocks in # EXAMPLES, with output."""
    text = open(path).read()
    section = re.search(r"^# EXAMPLES\n(.*?)^# ", text, re.M | re.S)
    assert section, "no EXAMPLES section in " + path
    examples = []
    for block in re.findall(r"^```\n(.*?)^```", section.group(1),
                            re.M | re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                examples.append((line[2:], []))
            elif examples and line.strip():
                examples[-1][1].append(line)
    return examples


def words_match(got, shown):
    """got's words are shown's, where a `...` word takes the rest."""
    g, s = got.split(), " ".join(shown).split()
    if "..." in s:
        i = s.index("...")
        return g[:i] == s[:i] and len(g) >= i
    return g == s


def run_examples(path, examples, tmp_path):
    mnt = str(tmp_path / "ws")
    os.mkdir(mnt)  # as scripts/demo leaves ~/ws
    env = dict(os.environ, PATH=BUILD + os.pathsep + os.environ["PATH"])
    runnable = [(c, out) for c, out in examples
                if (path, c) not in AZURE_ONLY]
    for pair in AZURE_ONLY:
        if pair[0] == path:
            assert pair[1] in [c for c, _ in examples], \
                "%s: AZURE_ONLY names %r, which is gone" % pair
    assert len(runnable) >= 6, "too few examples found in %s: %r" % (
        path, examples)
    assert runnable[0][0] == "computefs --demo ~/ws", runnable[0]
    try:
        for cmd, shown in runnable:
            line = cmd.replace("~/ws", mnt)
            r = subprocess.run(line, shell=True, executable="/bin/bash",
                               capture_output=True, text=True, timeout=30,
                               env=env, cwd=str(tmp_path))
            assert r.returncode == 0, "%s: `%s` exited %d:\n%s%s" % (
                os.path.basename(path), cmd, r.returncode, r.stdout,
                r.stderr)
            if shown:
                assert words_match(r.stdout, shown), \
                    "%s: `%s` printed\n%s\nnot, as shown,\n%s" % (
                        os.path.basename(path), cmd, r.stdout,
                        "\n".join(shown))
    finally:
        if is_mounted(mnt):
            subprocess.run(["fusermount3", "-u", "-z", mnt])
    assert runnable[-1][0] == "fusermount3 -u ~/ws", \
        "the examples should end by unmounting"


@pytest.mark.parametrize("path,parse", [(README, readme_examples),
                                        (MANPAGE, manpage_examples)],
                         ids=["README", "man"])
def test_examples_run_as_shown(path, parse, tmp_path):
    run_examples(path, parse(path), tmp_path)
