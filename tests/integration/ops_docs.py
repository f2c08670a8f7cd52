#!/usr/bin/python3
"""Checks the manual against the code (tests/integration/docs.sh).

  ops_docs.py SRCDIR SLUICECTL

- every page renders with `man -l` (man-db, groff warnings on) without a
  warning, and the daemon pages have the sections a daemon page needs;
- every key of the config table (common/sluice_config.h) is in
  sluice.conf(5)'s KEYS section as "key = default", and every key there is
  in the table; every key is in the sample etc/sluice.conf too;
- every sluicectl subcommand (from `sluicectl -h`) is an entry of
  sluicectl(1)'s COMMANDS section;
- every counter of common/counters.h is in sluicestat(1)'s COUNTERS;
- every page is installed (man/include.am).
Exit 0 when all hold; each failure is printed.
"""

import os
import re
import subprocess
import sys

PAGES = ["brokerd.8", "uploaderd.8", "compactd.8", "sluicectl.1", "sluicestat.1",
         "sluice.conf.5", "sluice.7"]
DAEMON_SECTIONS = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "SIGNALS",
                   "CONFIGURATION", "FILES", "EXIT STATUS", "SEE ALSO"]
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def render(path, width=80):
    """The page as plain text, and groff's warnings."""
    env = dict(os.environ, LC_ALL="C", MANWIDTH=str(width), MANPAGER="cat", PAGER="cat")
    p = subprocess.run(["man", "--warnings=w", "-E", "ascii", "-l", path], env=env,
                       capture_output=True, text=True)
    text = re.sub(r".\x08", "", p.stdout)
    return p.returncode, text, p.stderr


def section(text, name):
    """The lines of a top-level section (headings start in column 0)."""
    m = re.search(r"^%s\n(.*?)(?=^[A-Z][A-Z ]+\n|\Z)" % re.escape(name), text, re.M | re.S)
    return m.group(1) if m else ""


def config_table(srcdir):
    """[(key, default)] from the X-macro table."""
    s = open(os.path.join(srcdir, "common/sluice_config.h")).read()
    body = s[s.index("#define SLUICE_CONFIG(X)"):s.index("struct sluice_config")]
    body = body.replace("\\\n", " ")
    keys = re.findall(r'X\(\s*\w+,\s*"([^"]+)",\s*(?:STRING|INT|BOOL),\s*"([^"]*)"', body)
    if len(keys) != body.count("X("):
        fail("common/sluice_config.h: parsed %d of %d rows" % (len(keys), body.count("X(")))
    return keys


def main():
    srcdir, sluicectl = sys.argv[1], sys.argv[2]
    mandir = os.path.join(srcdir, "man")
    texts = {}
    for page in PAGES + ["sluice-object.1"]:
        path = os.path.join(mandir, page)
        if not os.path.exists(path):
            fail("%s is missing" % page)
            continue
        rc, text, warnings = render(path)
        if rc != 0 or warnings.strip() or "NAME" not in text:
            fail("%s: man -l exit %d, warnings: %s" % (page, rc, warnings.strip()[:300]))
        texts[page] = text
        if page.endswith(".8"):
            for s in DAEMON_SECTIONS:
                if not re.search(r"^%s$" % s, text, re.M):
                    fail("%s has no %s section" % (page, s))
    installed = open(os.path.join(mandir, "include.am")).read()
    for page in PAGES:
        if "man/" + page not in installed:
            fail("man/%s is not in man/include.am (not installed)" % page)

    # sluice.conf(5): the table's keys with their defaults, and nothing else
    keys = config_table(srcdir)
    rc, wide, _ = render(os.path.join(mandir, "sluice.conf.5"), 250)
    documented = {}
    for line in section(wide, "KEYS").splitlines():
        m = re.match(r"^ {7}([a-z0-9_.]+) =(?: (.*))?$", line.rstrip())
        if m:
            documented[m.group(1)] = m.group(2) or ""
    table = dict(keys)
    for key, default in keys:
        if key not in documented:
            fail("sluice.conf(5) does not document %s" % key)
        elif documented[key] != default:
            fail("sluice.conf(5) gives %s the default '%s', the table '%s'" %
                 (key, documented[key], default))
    for key in documented:
        if key not in table:
            fail("sluice.conf(5) documents %s, which the table does not have" % key)
    sample = open(os.path.join(srcdir, "etc/sluice.conf")).read()
    for key, default in keys:
        if not re.search(r"^%s =" % re.escape(key), sample, re.M):
            fail("etc/sluice.conf does not show %s" % key)

    # sluicectl(1): every subcommand of the tool's own table
    usage = subprocess.run([sluicectl, "-h"], capture_output=True, text=True).stdout
    commands = re.findall(r"^  ([a-z][a-z-]*)\b", usage.split("commands:", 1)[-1], re.M)
    if len(commands) < 5:
        fail("sluicectl -h lists only %s" % commands)
    entries = section(texts.get("sluicectl.1", ""), "COMMANDS")
    for c in commands:
        if not re.search(r"^ {7}%s(\s|$)" % re.escape(c), entries, re.M):
            fail("sluicectl(1) does not describe the command %s" % c)

    # sluicestat(1): every counter
    counters = re.findall(r"X\((\w+), (?:counter|gauge),",
                          open(os.path.join(srcdir, "common/counters.h")).read())
    listed = section(texts.get("sluicestat.1", ""), "COUNTERS")
    for c in counters:
        if not re.search(r"\b%s\b" % c, listed):
            fail("sluicestat(1) does not describe the counter %s" % c)

    print("%d pages, %d keys, %d commands, %d counters checked; %d failures" %
          (len(texts), len(keys), len(commands), len(counters), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
