#!/usr/bin/env bash
# A local, password-protected Redis Cluster for trying refresh-kit at scale by hand.
#
#   scripts/redis-cluster.sh start    # 3 masters on 127.0.0.1:7001-7003, prints the env to use
#   scripts/redis-cluster.sh status   # CLUSTER INFO state and the slots of each master
#   scripts/redis-cluster.sh stop     # stops every node and removes its data
#
# Settings (environment):
#   REDIS_CLUSTER_PORT     first port; the nodes use consecutive ports   (default 7001)
#   REDIS_CLUSTER_MASTERS  number of masters, at least 3                  (default 3)
#   REDIS_CLUSTER_DIR      where nodes keep config, pid and log files     (default ${TMPDIR:-/tmp}/refresh-kit-cluster)
#   REDIS_PASSWORD         requirepass and masterauth of every node       (default: 32 random hex characters)
#
# Needs redis-server and redis-cli 7 or newer on PATH (Debian/Ubuntu: apt-get install -y
# redis-server; macOS: brew install redis). Nodes listen on loopback only.
set -euo pipefail

first_port="${REDIS_CLUSTER_PORT:-7001}"
masters="${REDIS_CLUSTER_MASTERS:-3}"
state_dir="${REDIS_CLUSTER_DIR:-${TMPDIR:-/tmp}/refresh-kit-cluster}"
host=127.0.0.1

die() {
  echo "redis-cluster.sh: $*" >&2
  exit 1
}

require_tools() {
  command -v redis-server >/dev/null || die "redis-server is not on PATH"
  command -v redis-cli >/dev/null || die "redis-cli is not on PATH"
}

check_settings() {
  [[ "$first_port" =~ ^[0-9]+$ ]] || die "REDIS_CLUSTER_PORT must be a port number, got '$first_port'"
  [[ "$masters" =~ ^[0-9]+$ ]] && ((masters >= 3)) ||
    die "REDIS_CLUSTER_MASTERS must be a whole number of at least 3, got '$masters'"
  # Each node also listens on its cluster bus port, port + 10000.
  ((first_port >= 1024 && first_port + masters - 1 + 10000 <= 65535)) ||
    die "REDIS_CLUSTER_PORT must leave room for $masters ports and their bus ports (port + 10000) below 65536"
}

ports() {
  seq "$first_port" $((first_port + masters - 1))
}

cli() {
  # REDISCLI_AUTH keeps the password off the command line.
  REDISCLI_AUTH="$password" redis-cli "$@"
}

port_taken() {
  (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null
}

print_env() {
  local list
  list="$(ports | sed "s/^/$host:/" | paste -sd, -)"
  echo "REDIS_CLUSTER_NODES=$list"
  echo "REDIS_PASSWORD=$password"
}

start() {
  require_tools
  check_settings
  [[ -e "$state_dir/password" ]] &&
    die "a cluster already runs from $state_dir; run '$0 stop' first"
  local port
  for port in $(ports); do
    port_taken "$port" && die "port $port is already in use; set REDIS_CLUSTER_PORT"
    port_taken $((port + 10000)) && die "cluster bus port $((port + 10000)) is already in use; set REDIS_CLUSTER_PORT"
  done

  password="${REDIS_PASSWORD:-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}"
  [[ "$password" =~ ^[A-Za-z0-9._~+/=-]+$ ]] ||
    die "REDIS_PASSWORD must be letters, digits or ._~+/=- (it is written into a Redis config file)"
  mkdir -p "$state_dir"
  chmod 700 "$state_dir"
  (umask 077 && printf '%s\n' "$password" >"$state_dir/password")
  echo "$first_port $masters" >"$state_dir/ports"

  for port in $(ports); do
    mkdir -p "$state_dir/$port"
    # The password goes through a config on stdin ("-"), so `ps` does not show it.
    printf 'requirepass "%s"\nmasterauth "%s"\n' "$password" "$password" |
      redis-server - \
        --port "$port" \
        --bind "$host" \
        --dir "$state_dir/$port" \
        --cluster-enabled yes \
        --cluster-config-file nodes.conf \
        --cluster-node-timeout 5000 \
        --appendonly no \
        --save '' \
        --daemonize yes \
        --pidfile "$state_dir/$port/redis.pid" \
        --logfile "$state_dir/$port/redis.log" >/dev/null
  done

  for port in $(ports); do
    local tries=0
    until cli -h "$host" -p "$port" PING 2>/dev/null | grep -q PONG; do
      ((tries += 1))
      ((tries <= 100)) || die "node $port did not answer PING; see $state_dir/$port/redis.log"
      sleep 0.1
    done
  done

  # shellcheck disable=SC2046 # one argument per node
  cli --cluster create $(ports | sed "s/^/$host:/") --cluster-replicas 0 --cluster-yes >"$state_dir/create.log" ||
    die "redis-cli --cluster create failed; see $state_dir/create.log"

  for port in $(ports); do
    local tries=0
    until cli -h "$host" -p "$port" CLUSTER INFO | grep -q 'cluster_state:ok'; do
      ((tries += 1))
      ((tries <= 300)) || die "node $port did not reach cluster_state:ok"
      sleep 0.1
    done
  done

  echo "# A Redis Cluster of $masters masters runs from $state_dir. Use it with:" >&2
  print_env
}

load_state() {
  [[ -e "$state_dir/password" ]] || die "no cluster runs from $state_dir"
  password="$(cat "$state_dir/password")"
  read -r first_port masters <"$state_dir/ports"
}

status() {
  require_tools
  load_state
  local port
  for port in $(ports); do
    local state
    state="$(cli -h "$host" -p "$port" CLUSTER INFO 2>/dev/null | tr -d '\r' | grep '^cluster_state:' || echo 'cluster_state:unreachable')"
    echo "$host:$port $state"
  done
  # address, role and slot ranges of every node, as the first node sees them
  cli -h "$host" -p "$first_port" CLUSTER NODES 2>/dev/null |
    awk '{ sub(/@.*/, "", $2); sub(/^myself,/, "", $3); slots = ""; for (i = 9; i <= NF; i++) slots = slots " " $i; print "  " $2, $3 slots }' || true
  print_env
}

stop() {
  load_state
  local port
  for port in $(ports); do
    local pidfile="$state_dir/$port/redis.pid"
    if [[ -s "$pidfile" ]]; then
      local pid
      pid="$(cat "$pidfile")"
      # Only the pid this script recorded, and only while it is still a redis-server.
      if ps -p "$pid" -o comm= 2>/dev/null | grep -q redis-server; then
        kill "$pid"
        local tries=0
        while kill -0 "$pid" 2>/dev/null && ((tries < 50)); do
          ((tries += 1))
          sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
      fi
    fi
  done
  rm -rf "$state_dir"
  echo "stopped the cluster of $state_dir" >&2
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
*)
  echo "usage: $0 start|status|stop" >&2
  exit 2
  ;;
esac
