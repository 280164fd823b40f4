#!/usr/bin/env bash
# The servers the tests and benchmarks use, from Debian's packages, on loopback, throwaway (data under /tmp).
# Source it and call the functions (`.ci/run` and `make bench` do): each is idempotent and reuses a running server,
# and exports the URL the tests read (a test whose server is missing is skipped, saying which variable to set).
# PostgreSQL for the oracle's database tests: Debian's server, a throwaway cluster on loopback (port 55432),
# owned by the postgres user (the server refuses to run as root). Idempotent: a running cluster is reused.
PG_PORT=55432
PG_DATA=/tmp/disfruta-ci-postgres
setup_postgres() {
  if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
  fi
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  if ! runuser -u postgres -- "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    rm -rf "$PG_DATA"
    install -d -o postgres -g postgres -m 700 "$PG_DATA"
    runuser -u postgres -- "$bin/initdb" -D "$PG_DATA" --auth-local=peer --auth-host=scram-sha-256 \
      --username=postgres --encoding=UTF8 >/dev/null
    runuser -u postgres -- "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w \
      -o "-p $PG_PORT -k $PG_DATA -c listen_addresses=127.0.0.1" start >/dev/null
  fi
  runuser -u postgres -- "$bin/psql" -h "$PG_DATA" -p "$PG_PORT" -d postgres -v ON_ERROR_STOP=1 -q <<'SQL'
SELECT 'CREATE ROLE disfruta LOGIN CREATEDB PASSWORD ''disfruta'''
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'disfruta') \gexec
SELECT 'CREATE DATABASE disfruta_test OWNER disfruta'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'disfruta_test') \gexec
SQL
  export DISFRUTA_TEST_PG_URL="postgresql+psycopg://disfruta:disfruta@127.0.0.1:$PG_PORT/disfruta_test"
  echo "PostgreSQL ready for the oracle tests at 127.0.0.1:$PG_PORT"
}

# Redis for the oracle's rate limits shared by several workers: Debian's server, no persistence, port 56379.
REDIS_PORT=56379
REDIS_DIR=/tmp/disfruta-ci-redis
setup_redis() {
  if ! command -v redis-server >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq redis-server >/dev/null
  fi
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    mkdir -p "$REDIS_DIR"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$REDIS_DIR" \
      --logfile "$REDIS_DIR/server.log" --daemonize yes
    for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  export DISFRUTA_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
  echo "Redis ready for the rate-limit tests at 127.0.0.1:$REDIS_PORT"
}

# Chromium for the reference dApp's browser tests: Debian's package (Playwright drives it by its path; Playwright's
# own browser downloads are never used). Exports DISFRUTA_CHROMIUM, which the tests read.
setup_chromium() {
  if ! command -v chromium >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
  export DISFRUTA_CHROMIUM
  DISFRUTA_CHROMIUM=$(command -v chromium)
  echo "Chromium ready for the dApp's browser tests: $("$DISFRUTA_CHROMIUM" --version 2>/dev/null | head -n 1)"
}
