#!/usr/bin/env bash
# Make sure PostgreSQL and RabbitMQ answer where DESK_POSTGRES_URL / DESK_AMQP_URL point:
# use running servers; else `docker compose` where a Docker engine runs; else, on a
# Debian-like machine as root, install and start them from the distribution's packages;
# else say exactly what is missing.
set -euo pipefail

pg_url=${DESK_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432}
amqp_url=${DESK_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/}

host_port() { # URL -> "host port" (default port as given)
  python3 - "$1" "$2" <<'PY'
import sys
from urllib.parse import urlsplit
u = urlsplit(sys.argv[1])
print(u.hostname or "127.0.0.1", u.port or int(sys.argv[2]))
PY
}
read -r pg_host pg_port < <(host_port "$pg_url" 5432)
read -r mq_host mq_port < <(host_port "$amqp_url" 5672)

reachable() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
wait_for() { # name host port seconds
  for _ in $(seq 1 "$4"); do reachable "$2" "$3" && return 0; sleep 1; done
  return 1
}

# One desk (five services, their pools and a test's own connections) needs about this many
# PostgreSQL connections and RabbitMQ file handles; say so plainly when a server has fewer
# free, instead of letting services fail later with "too many clients" or a closed socket.
DESK_PG_CONNECTIONS=70
DESK_MQ_HANDLES=150

check_limits() {
  local status=0
  if command -v psql >/dev/null 2>&1; then
    local free
    free=$(psql "$pg_url/postgres" -Atc "SELECT current_setting('max_connections')::int
      - current_setting('superuser_reserved_connections')::int
      - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')" 2>/dev/null || true)
    if [[ $free =~ ^[0-9]+$ ]] && (( free < DESK_PG_CONNECTIONS )); then
      echo "PostgreSQL at $pg_host:$pg_port has $free connections free; one desk needs about $DESK_PG_CONNECTIONS." >&2
      echo "  Stop other desks or clients (SELECT * FROM pg_stat_activity), or raise max_connections." >&2
      status=1
    fi
  fi
  if local_host "$mq_host" && command -v rabbitmqctl >/dev/null 2>&1; then
    local handles
    handles=$(timeout 20 rabbitmqctl status --formatter json 2>/dev/null | python3 -c '
import json, sys
fd = json.load(sys.stdin).get("file_descriptors") or {}
print(min(fd["total_limit"] - fd["total_used"], fd["sockets_limit"] - fd["sockets_used"]))
' 2>/dev/null || true)
    if [[ $handles =~ ^-?[0-9]+$ ]] && (( handles < DESK_MQ_HANDLES )); then
      echo "RabbitMQ at $mq_host:$mq_port has $handles file handles or sockets free; one desk needs about $DESK_MQ_HANDLES." >&2
      echo "  Close other clients, or restart it with a higher open-files limit (ulimit -n 65536; rabbitmq-server -detached)." >&2
      status=1
    fi
  fi
  return $status
}

local_host() { [[ $1 == 127.0.0.1 || $1 == localhost || $1 == ::1 ]]; }

# A broker that has run out of file handles still completes TCP connections but never
# answers the AMQP protocol header: every test would then wait for its own timeout.
speaks_amqp() { # host port: the broker answers the protocol header with Connection.Start
  timeout 15 python3 - "$1" "$2" <<'PY' 2>/dev/null
import socket, sys
with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10) as s:
    s.settimeout(10)
    s.sendall(b"AMQP\x00\x00\x09\x01")
    sys.exit(0 if s.recv(7)[:1] == b"\x01" else 1)
PY
}

restart_local_broker() {
  if [[ $(id -u) == 0 ]] && local_host "$mq_host" && [[ -x /etc/init.d/rabbitmq-server ]]; then
    echo "Restarting the local RabbitMQ, which does not answer…" >&2
    /etc/init.d/rabbitmq-server stop >/dev/null 2>&1 || true
    pkill -9 -u rabbitmq -f beam.smp 2>/dev/null || true
    (ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true; /etc/init.d/rabbitmq-server start >/dev/null 2>&1) || true
    wait_for RabbitMQ "$mq_host" "$mq_port" 120 && speaks_amqp "$mq_host" "$mq_port"
  else
    return 1
  fi
}

if reachable "$pg_host" "$pg_port" && reachable "$mq_host" "$mq_port"; then
  if ! speaks_amqp "$mq_host" "$mq_port"; then
    echo "RabbitMQ at $mq_host:$mq_port accepts connections but does not answer AMQP within 10 s" >&2
    echo "  (a broker out of file handles or sockets does this: rabbitmqctl status shows them)." >&2
    restart_local_broker || exit 1
  fi
  check_limits
  exit $?
fi

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  echo "Starting PostgreSQL and RabbitMQ with docker compose…"
  docker compose up -d postgres rabbitmq
  wait_for PostgreSQL "$pg_host" "$pg_port" 60 && wait_for RabbitMQ "$mq_host" "$mq_port" 90 && { check_limits; exit $?; }
fi

if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1 && local_host "$pg_host" && local_host "$mq_host"; then
  if ! reachable "$pg_host" "$pg_port"; then
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
      echo "Installing PostgreSQL from the distribution's packages…"
      "$(dirname "$0")/apt-install.sh" postgresql
    fi
    version=$(ls /etc/postgresql | sort -V | tail -1)
    # The desk connects as `postgres` over TCP without a password, as on the dev machines.
    hba=/etc/postgresql/$version/main/pg_hba.conf
    grep -q "desk-local-trust" "$hba" || sed -i '1i host all all 127.0.0.1/32 trust # desk-local-trust\nhost all all ::1/128 trust # desk-local-trust' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
  if ! reachable "$mq_host" "$mq_port"; then
    if ! command -v rabbitmq-server >/dev/null 2>&1; then
      echo "Installing RabbitMQ from the distribution's packages…"
      "$(dirname "$0")/apt-install.sh" rabbitmq-server
    fi
    # Every queue costs the broker file handles; the default 1024 runs out with tests.
    (ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true; rabbitmq-server -detached) || true
  fi
  wait_for PostgreSQL "$pg_host" "$pg_port" 60 && wait_for RabbitMQ "$mq_host" "$mq_port" 120 && { check_limits; exit $?; }
fi

reachable "$pg_host" "$pg_port" || echo "PostgreSQL is not reachable at $pg_host:$pg_port (DESK_POSTGRES_URL)." >&2
reachable "$mq_host" "$mq_port" || echo "RabbitMQ is not reachable at $mq_host:$mq_port (DESK_AMQP_URL)." >&2
cat >&2 <<'MSG'
Start them (e.g. `docker compose up -d postgres rabbitmq`, or install the `postgresql` and
`rabbitmq-server` packages), or point DESK_POSTGRES_URL / DESK_AMQP_URL at running servers.
MSG
exit 1
