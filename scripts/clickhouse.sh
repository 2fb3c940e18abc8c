#!/bin/sh
# Start and stop Debian's clickhouse-server for dnswatch, on loopback, with its
# config, data, logs and pid file under a directory the project owns (no
# system service, nothing under /etc or /var/lib).
#
#   scripts/clickhouse.sh up   [DIR [HTTP_PORT]]   start (installs the package if missing)
#   scripts/clickhouse.sh down [DIR]               stop the server started in DIR, by its pid
#                                                  (CH_KILL=1: with SIGKILL, as a crash)
#   scripts/clickhouse.sh status [DIR]
#
# DIR defaults to build/clickhouse, HTTP_PORT to 8123 (env CH_DIR, CH_PORT
# work too). The native TCP port is CH_TCP_PORT (default HTTP_PORT + 1).
# CH_SHARDS="HOST:TCPPORT HOST:TCPPORT ..." writes a cluster named `dnswatch`
# (one shard per entry) into the config, for Distributed tables.
# Waits until the server answers over HTTP (at most CH_WAIT seconds, 60).
set -eu

cmd=${1:-}
dir=${2:-${CH_DIR:-build/clickhouse}}
port=${3:-${CH_PORT:-8123}}
tcp=${CH_TCP_PORT:-$((port + 1))}
wait_s=${CH_WAIT:-60}
here=$(cd "$(dirname "$0")" && pwd)

die() { echo "clickhouse.sh: $*" >&2; exit 1; }

alive() { [ -f "$dir/server.pid" ] && kill -0 "$(cat "$dir/server.pid")" 2>/dev/null; }

answers() { curl -fsS --max-time 2 "http://127.0.0.1:$1/?query=SELECT%201" 2>/dev/null | grep -qx 1; }

write_config() {
	shards=""
	if [ -n "${CH_SHARDS:-}" ]; then
		shards="<dnswatch>"
		for s in $CH_SHARDS; do
			shards="$shards<shard><replica><host>${s%:*}</host><port>${s##*:}</port></replica></shard>"
		done
		shards="$shards</dnswatch>"
	fi
	cat >"$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>$dir/log/server.log</log>
        <errorlog>$dir/log/server.err.log</errorlog>
        <size>100M</size>
        <count>2</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>$port</http_port>
    <tcp_port>$tcp</tcp_port>
    <max_connections>256</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>64</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>
    <path>$dir/data/</path>
    <tmp_path>$dir/tmp/</tmp_path>
    <user_files_path>$dir/user_files/</user_files_path>
    <format_schema_path>$dir/format_schemas/</format_schema_path>
    <users_config>$dir/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <remote_servers>$shards</remote_servers>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
</yandex>
XML
	cat >"$dir/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>2000000000</max_memory_usage>
            <load_balancing>random</load_balancing>
            <!-- An insert into a Distributed table answers once every shard
                 has its rows: a 200 means stored, as for a local table. -->
            <insert_distributed_sync>1</insert_distributed_sync>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval><duration>3600</duration><queries>0</queries><errors>0</errors>
            <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval>
        </default>
    </quotas>
</yandex>
XML
}

case "$cmd" in
up)
	command -v clickhouse-server >/dev/null 2>&1 || "$here/deps.sh" clickhouse
	command -v clickhouse-server >/dev/null 2>&1 || die "clickhouse-server is not installed"
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if alive; then
		answers "$port" && { echo "clickhouse: already up in $dir, pid $(cat "$dir/server.pid"), http://127.0.0.1:$port/"; exit 0; }
		die "a server started in $dir (pid $(cat "$dir/server.pid")) does not answer on port $port"
	fi
	answers "$port" && die "port $port already answers: another server is there"
	mkdir -p "$dir/log" "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas"
	write_config
	# setsid: its own session, so a test's job control or a terminal's
	# signals do not reach it; stopped only through its pid file.
	setsid clickhouse-server --config-file="$dir/config.xml" --pidfile="$dir/server.pid" \
		>"$dir/log/stdout.log" 2>&1 </dev/null &
	i=0
	while ! answers "$port"; do
		i=$((i + 1))
		if [ "$i" -gt $((wait_s * 5)) ]; then
			tail -5 "$dir/log/server.err.log" "$dir/log/stdout.log" >&2 2>/dev/null || true
			die "the server in $dir did not answer on 127.0.0.1:$port within $wait_s s"
		fi
		sleep 0.2
	done
	echo "clickhouse: up in $dir, pid $(cat "$dir/server.pid"), http://127.0.0.1:$port/ (tcp $tcp)"
	;;
down)
	[ -d "$dir" ] || { echo "clickhouse: nothing in $dir"; exit 0; }
	if ! alive; then rm -f "$dir/server.pid"; echo "clickhouse: not running in $dir"; exit 0; fi
	pid=$(cat "$dir/server.pid")
	# CH_KILL=1: SIGKILL, a crash (the tests' outages); else a clean stop.
	if [ "${CH_KILL:-0}" = 1 ]; then kill -9 "$pid"; else kill "$pid"; fi
	i=0
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -gt 150 ]; then kill -9 "$pid" 2>/dev/null || true; break; fi
		sleep 0.2
	done
	rm -f "$dir/server.pid"
	echo "clickhouse: stopped pid $pid ($dir)"
	;;
status)
	if alive; then echo "clickhouse: running in $dir, pid $(cat "$dir/server.pid")"; else echo "clickhouse: not running in $dir"; exit 1; fi
	;;
*)
	echo "usage: scripts/clickhouse.sh up|down|status [DIR [HTTP_PORT]]" >&2; exit 2 ;;
esac
