#!/bin/bash
# The architecture's rules, read from the #include lines of src/ (see
# docs/ARCHITECTURE.md, "Layers"):
#   - no library (any folder but cli/) includes a command header (cli/);
#   - no library reaches into the lab but through its host interface,
#     lab/host.h;
#   - the folders' include graph has no cycle;
#   - every arrow between folders is one the layer table allows (a new
#     arrow is a design decision: add it to ALLOWED and the diagram).
set -u
cd "${DW_ROOT:-$(dirname "$0")/../..}"

ok() { echo "ok - $1"; }
notok() { echo "not ok - $1"; }

# "FROM TO FILE HEADER" for every include of another folder's header.
edges=$(for f in src/*/*.[ch]; do
	from=$(echo "$f" | cut -d/ -f2)
	sed -n 's/^#include "\([a-z_]*\)\/\([a-z_]*\.h\)".*/\1 \2/p' "$f" |
		while read -r to hdr; do
			[ "$to" != "$from" ] && echo "$from $to $f $to/$hdr"
		done
done)
[ -n "$edges" ] && ok "include lines read" || notok "no include lines read under src/"

bad=$(echo "$edges" | awk '$1 != "cli" && $2 == "cli"')
[ -z "$bad" ] && ok "no library includes a command header" ||
	{ notok "libraries include command headers"; echo "$bad" | sed 's/^/#   /'; }

bad=$(echo "$edges" | awk '$1 != "cli" && $1 != "lab" && $2 == "lab" && $4 != "lab/host.h"')
[ -z "$bad" ] && ok "libraries reach the lab only through lab/host.h" ||
	{ notok "libraries reach into the lab"; echo "$bad" | sed 's/^/#   /'; }

# The arrows the layers allow, lower layers last (docs/ARCHITECTURE.md).
ALLOWED="
cli:*
report:store probe util wire net
guard:store probe key wire net util
lab:inject key wire net util
store:probe wire net util
census:match wire util
watch:probe key wire net util
decode:wire net util
probe:key wire net util
inject:match wire net util
locate:wire net util
key:wire util
match:wire util
net:util
wire:util
util:
"
bad=$(echo "$edges" | while read -r from to file hdr; do
	allowed=$(echo "$ALLOWED" | sed -n "s/^$from://p")
	[ "$allowed" = "*" ] && continue
	case " $allowed " in *" $to "*) ;; *) echo "$from -> $to ($file includes $hdr)" ;; esac
done)
[ -z "$bad" ] && ok "every arrow between folders is in the layer table" ||
	{ notok "arrows the layers do not allow"; echo "$bad" | sort -u | sed 's/^/#   /'; }

# tsort reports a cycle on stderr.
cyc=$(echo "$edges" | awk '{print $1, $2}' | sort -u | tsort 2>&1 >/dev/null)
[ -z "$cyc" ] && ok "no cycle between folders" ||
	{ notok "a cycle between folders"; echo "$cyc" | sed 's/^/#   /'; }

# The checks above must be able to fail: a made-up cycle is found.
cyc=$(printf 'a b\nb c\nc a\n' | tsort 2>&1 >/dev/null)
[ -n "$cyc" ] && ok "a made-up cycle is found" || notok "tsort does not report cycles"
