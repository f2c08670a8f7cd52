#!/bin/bash
# The manual against the code: every page renders with man -l without a
# groff warning, daemon pages have their sections, sluice.conf(5) documents
# every key of the config table with its default (and no other), the sample
# sluice.conf shows every key, sluicectl(1) every subcommand of
# `sluicectl -h`, sluicestat(1) every counter (tests/integration/ops_docs.py).
. "$(dirname "$0")/lib.sh"
sl_init docs
sl_require_cmd man
sl_require_built tools/sluicectl
sl_run 60 "$SL_PYTHON" "$SL_LIBDIR/ops_docs.py" "$top_srcdir" "$top_builddir/tools/sluicectl"
echo "PASS: docs"
