#!/usr/bin/python3
"""Scrapes brokerd's Prometheus endpoint and checks it (tools.sh).

  ops_metrics.py URL [--eq 'SAMPLE=V'] [--ge 'SAMPLE=V'] [--same A,B]...

The exposition must follow the text format 0.0.4: every family has one
HELP and one TYPE line before its samples, a family's samples are
adjacent, names are valid, values parse, counters end in _total, and each
histogram's buckets are cumulative up to le="+Inf", which equals _count.
Then each --eq sample must equal V, each --ge be at least V, and each
--same pair of samples be equal.  SAMPLE is written as exposed, labels
included: sluice_s3_requests_total{daemon="brokerd"}.  A path other than
/metrics must get 404.  Exit 0 when everything holds.
"""

import argparse
import re
import sys
import urllib.error
import urllib.request

NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def parse(text):
    """Returns ({sample: value}, [errors])."""
    samples, errors = {}, []
    types, helps, done = {}, set(), set()
    current = None
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name = line.split(" ", 3)[2]
            if name in helps:
                errors.append("second HELP for %s" % name)
            helps.add(name)
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            if name not in helps:
                errors.append("TYPE before HELP for %s" % name)
            types[name] = kind
            if kind == "counter" and not name.endswith("_total"):
                errors.append("counter %s does not end in _total" % name)
            continue
        m = SAMPLE.match(line)
        if not m:
            errors.append("bad line: %r" % line)
            continue
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        family = re.sub(r"_(bucket|sum|count)$", "", name) if \
            re.sub(r"_(bucket|sum|count)$", "", name) in types else name
        if family not in types:
            errors.append("sample %s without TYPE" % name)
        if family != current:
            if family in done:
                errors.append("family %s is not contiguous" % family)
            if current:
                done.add(current)
            current = family
        try:
            samples[name + labels] = float(value)
        except ValueError:
            errors.append("bad value in %r" % line)
    for name, kind in types.items():
        if kind != "histogram":
            continue
        last = -1
        for k, v in samples.items():
            if k.startswith(name + "_bucket{"):
                if v < last:
                    errors.append("%s buckets not cumulative" % name)
                last = v
        inf = samples.get(name + '_bucket{le="+Inf"}')
        if inf is None or inf != samples.get(name + "_count"):
            errors.append("%s: +Inf bucket %s != count %s" %
                          (name, inf, samples.get(name + "_count")))
    return samples, errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--eq", action="append", default=[])
    ap.add_argument("--ge", action="append", default=[])
    ap.add_argument("--same", action="append", default=[])
    a = ap.parse_args()
    with urllib.request.urlopen(a.url, timeout=10) as r:
        ctype = r.headers.get("Content-Type", "")
        text = r.read().decode()
    status = 0
    if not ctype.startswith("text/plain; version=0.0.4"):
        print("Content-Type %r" % ctype)
        status = 1
    samples, errors = parse(text)
    for e in errors[:10]:
        print("format: %s" % e)
        status = 1
    for spec, op in [(s, "eq") for s in a.eq] + [(s, "ge") for s in a.ge]:
        key, want = spec.rsplit("=", 1)
        got = samples.get(key)
        if got is None or (op == "eq" and got != float(want)) or \
                (op == "ge" and got < float(want)):
            print("%s is %s, expected %s %s" % (key, got, "==" if op == "eq" else ">=", want))
            status = 1
    for pair in a.same:
        x, y = pair.split(",")
        if samples.get(x) is None or samples.get(x) != samples.get(y):
            print("%s (%s) != %s (%s)" % (x, samples.get(x), y, samples.get(y)))
            status = 1
    try:
        urllib.request.urlopen(a.url.rsplit("/", 1)[0] + "/nothing-here", timeout=10)
        print("/nothing-here did not get 404")
        status = 1
    except urllib.error.HTTPError as e:
        if e.code != 404:
            print("/nothing-here got %d" % e.code)
            status = 1
    print("%d samples, %d families checked" % (len(samples), len(set(
        re.sub(r"[{].*", "", k) for k in samples))))
    return status


if __name__ == "__main__":
    sys.exit(main())
