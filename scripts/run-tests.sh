#!/usr/bin/env bash
# Runs the full suite: starts a throwaway PostgreSQL server on a loopback port for the
# app-database tests, and always stops it afterwards.
#
# The suite runs on pytest-xdist workers (TEST_WORKERS, default: the CPU count, at most 2) with
# --dist loadfile: a test file's tests run on one worker, so the Spark parity file starts one JVM
# (not one per worker) and a module's shared fixtures are built once; each analysed demo company
# is built once per run (tests/demo_support.py). Not --dist loadgroup: with pytest 9, xdist 3.8
# cannot tag a test's node id with its group, and the groups were silently split across workers.
# TEST_WORKERS=0 runs serially, in one process.  Extra arguments go to pytest.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/pg.sh
pg_start || echo "warning: PostgreSQL did not start; its tests will fail"
# the app-database tests must run on PostgreSQL here, not skip
export ACCOUNTLEADER_REQUIRE_POSTGRES=1
# the Spark parity suite runs several full analyses in one JVM: 2 GB left it in full GCs
export ACCOUNTLEADER_SPARK_DRIVER_MEMORY=${ACCOUNTLEADER_SPARK_DRIVER_MEMORY:-4g}
trap pg_stop EXIT

workers=${TEST_WORKERS:-$(nproc 2>/dev/null || echo 1)}
if [ "$workers" -gt 2 ] && [ -z "${TEST_WORKERS:-}" ]; then workers=2; fi
parallel=()
if [ "$workers" -gt 1 ]; then
  # -n/--dist come first: a -n given on the command line still wins (the last one counts)
  parallel=(-n "$workers" --dist loadfile)
fi
.venv/bin/python -m pytest "${parallel[@]}" "$@"
