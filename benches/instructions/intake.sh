#!/bin/bash
# Instructions per intake report: a count that does not move with the host's speed (the wall-clock
# benches do), for comparing two builds of the intake path. Runs the release binary under
# callgrind, warms it with 200 reports, zeroes the counters, posts N reports (same story, same
# regency, a new number each, as `cargo bench --bench intake`) from 16 keep-alive HTTPS clients,
# dumps, and prints user-space instructions per report. Needs valgrind and python3.
#
#     bash benches/instructions/intake.sh [BINARY] [N]
#
# SHA-256 runs in software under valgrind (the CPU's SHA instructions are not emulated), so the
# event chain's hash weighs more here than natively; compare builds with each other only.
set -euo pipefail
BIN=${1:-target/release/banpol}
N=${2:-1600}
HERE=$(cd "$(dirname "$0")" && pwd)
D=$(mktemp -d)
trap 'kill -9 $VP 2>/dev/null || true; rm -rf "$D"' EXIT
BANPOL_INTAKE_LIMIT_PER_IP=off BANPOL_INTAKE_LIMIT_PER_PHONE=off RUST_LOG=warn \
  valgrind --tool=callgrind --callgrind-out-file="$D/cg.out" "$BIN" --data-dir "$D/data" \
  --listen 127.0.0.1:0 --no-demo --sync-listen off >"$D/out" 2>"$D/err" &
VP=$!
for _ in $(seq 1 600); do grep -q "^open " "$D/out" 2>/dev/null && break; sleep 0.2; done
BASE=$(grep "^serving " "$D/out" | awk '{print $2}')
python3 "$HERE/load.py" "$BASE" "$D/data/tls-cert.pem" 200 16 900000 >/dev/null
callgrind_control -z "$VP" >/dev/null 2>&1
OK=$(python3 "$HERE/load.py" "$BASE" "$D/data/tls-cert.pem" "$N" 16 0)
callgrind_control -d "$VP" >/dev/null 2>&1
F=$(ls -t "$D"/cg.out.* | head -1)
TOTAL=$(grep -m1 "^summary:\|^totals:" "$F" | awk '{print $2}')
echo "reports $OK, instructions $TOTAL, per report $((TOTAL / OK))"
