# A loopback authoritative server for the throughput benches, sourced by
# bench/probe/run.sh and bench/store/run.sh.
#   bench_nsd_up NAMESPACE DIR SERVERS [WRAPPER...]
# Writes DIR/bench.zone (bench.example: 100,000 A records w0 ... w99999 and
# a wildcard, so that every name wN past them is answered too and a list of
# distinct names can be as long as a run needs) and DIR/nsd.conf, starts nsd
# with SERVERS server processes on 127.0.0.1:53 inside NAMESPACE (through
# WRAPPER, e.g. taskset -c 1), sets bench_nsd_pid and returns once it
# answers (or after 10 s). The caller kills bench_nsd_pid.
bench_nsd_up() {
	local ns=$1 dir=$2 servers=$3
	shift 3
	{
		printf '$ORIGIN bench.example.\n$TTL 3600\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A 127.0.0.1\n* A 198.19.255.1\n'
		awk 'BEGIN { for (i = 0; i < 100000; i++) printf "w%d A 198.19.%d.%d\n", i, int(i / 250) % 250, i % 250 + 1 }'
	} > "$dir/bench.zone"
	# Debian's nsd is built with response rate limiting, on at 200/s per
	# /24 and answer: every query here comes from 127.0.0.1 and every name
	# past the zone's records draws the same wildcard, so RRL would drop or
	# truncate most of them (a run answered 54% of dnsperf's queries).
	cat > "$dir/nsd.conf" <<CONF
server:
	ip-address: 127.0.0.1
	port: 53
	do-ip6: no
	username: ""
	chroot: ""
	database: ""
	zonesdir: "$dir"
	zonelistfile: "$dir/zone.list"
	xfrdfile: "$dir/xfrd.state"
	xfrdir: "$dir"
	pidfile: "$dir/nsd.pid"
	logfile: "$dir/nsd.log"
	server-count: $servers
	reuseport: yes
	verbosity: 0
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0
remote-control:
	control-enable: no
zone:
	name: bench.example
	zonefile: bench.zone
CONF
	ip netns exec "$ns" "$@" nsd -d -c "$dir/nsd.conf" &
	bench_nsd_pid=$!
	local _
	for _ in $(seq 100); do
		ip netns exec "$ns" dig +short +tries=1 +time=1 @127.0.0.1 w1.bench.example >/dev/null 2>&1 && return 0
		sleep 0.1
	done
}
