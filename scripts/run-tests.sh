#!/usr/bin/env bash
# Runs the full suite: starts a throwaway PostgreSQL server on a loopback port for the
# app-database tests, and always stops it afterwards.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/pg.sh
pg_start || echo "warning: PostgreSQL did not start; its tests will fail"
# the app-database tests must run on PostgreSQL here, not skip
export ACCOUNTLEADER_REQUIRE_POSTGRES=1
# the Spark parity suite runs several full analyses in one JVM: 2 GB left it in full GCs
export ACCOUNTLEADER_SPARK_DRIVER_MEMORY=${ACCOUNTLEADER_SPARK_DRIVER_MEMORY:-4g}
trap pg_stop EXIT
.venv/bin/python -m pytest "$@"
