#!/bin/sh
# Install the Debian packages a make target needs, only those missing.
# Usage: scripts/deps.sh GROUP...   (groups: build test lab fuzz bench clickhouse)
# Called by the Makefile before every target that needs them, so that on a
# fresh Debian 12 machine `make demo` and `make check` are the whole set-up.
set -eu

pkgs_build="gcc make pkg-config libc6-dev libpcap-dev libsqlite3-dev libcurl4-openssl-dev libnetfilter-queue-dev libldns-dev libjansson-dev libssl-dev libjs-chart.js"
pkgs_test="libldns-dev jq bc tcpdump bind9-dnsutils iproute2 iptables chromium sqlite3 util-linux"
pkgs_lab="iproute2 iptables unbound nsd ldnsutils bind9-dnsutils procps openssl"
pkgs_fuzz="clang-14 libclang-rt-14-dev"
pkgs_bench="libknot-dev dnsperf dsniff nsd valgrind bc dnsmasq-base"
# Debian's ClickHouse (18.16): the scale-out store's server, for its tests,
# `make clickhouse-up` and the benchmarks (scripts/clickhouse.sh).
pkgs_clickhouse="clickhouse-server clickhouse-client curl"

want=""
for g in "$@"; do
	case "$g" in
	build) want="$want $pkgs_build" ;;
	test) want="$want $pkgs_test" ;;
	lab) want="$want $pkgs_lab" ;;
	fuzz) want="$want $pkgs_fuzz" ;;
	bench) want="$want $pkgs_bench" ;;
	clickhouse) want="$want $pkgs_clickhouse" ;;
	*) echo "deps.sh: unknown group '$g' (build test lab fuzz bench clickhouse)" >&2; exit 2 ;;
	esac
done

missing=""
for p in $want; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing Debian packages:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp /tmp/dnswatch-deps.XXXXXX)
apt-get update -qq >"$log" 2>&1 || { echo "deps.sh: apt-get update failed, see $log" >&2; exit 1; }
# policy-rc.d keeps packaged daemons (unbound, nsd) from starting at install:
# the lab starts its own instances with its own configs.
rcd=/usr/sbin/policy-rc.d
made_rcd=0
if [ ! -e "$rcd" ]; then printf '#!/bin/sh\nexit 101\n' >"$rcd"; chmod +x "$rcd"; made_rcd=1; fi
rc=0
apt-get install -y -qq --no-install-recommends $missing >>"$log" 2>&1 || rc=$?
[ "$made_rcd" = 1 ] && rm -f "$rcd"
if [ $rc != 0 ]; then tail -5 "$log" >&2; echo "deps.sh: apt-get install failed, see $log" >&2; exit $rc; fi
rm -f "$log"
