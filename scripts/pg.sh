# A throwaway PostgreSQL cluster for tests (sourced by run-tests.sh).
# The port is PGPORT if set, else 55432 if free, else any free loopback port: two test runs on one
# machine never share (or stop) each other's server; each cluster lives in its own directory.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

_free_port() {
  python3 - <<'PY'
import socket
for port in (55432, 0):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(s.getsockname()[1])
        break
PY
}

PGPORT=${PGPORT:-$(_free_port)}
PGDATA=${PGDATA_DIR:-/tmp/accountleader-pgtest-$PGPORT}

_as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_start() {
  [ -n "$PGBIN" ] || { echo "PostgreSQL is not installed"; return 1; }
  if [ -f "$PGDATA/postmaster.pid" ]; then _as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$PGDATA"
  if [ "$(id -u)" = 0 ]; then install -d -o postgres -g postgres -m 700 "$PGDATA"; else install -d -m 700 "$PGDATA"; fi
  _as_pg "$PGBIN/initdb" -D "$PGDATA" -U app --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null || return 1
  # max_connections: every xdist worker opens its own pool; fsync off: the data is thrown away
  _as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 30 \
    -o "-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || { tail -20 "$PGDATA/server.log" 2>/dev/null; return 1; }
  "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U app appdb || return 1
  export ACCOUNTLEADER_TEST_POSTGRES_URL="postgresql+psycopg://app@127.0.0.1:$PGPORT/appdb"
  echo "PostgreSQL test server on 127.0.0.1:$PGPORT"
}

pg_stop() {
  [ -n "$PGBIN" ] && [ -f "$PGDATA/postmaster.pid" ] && _as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1
  rm -rf "$PGDATA"
}
