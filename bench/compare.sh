#!/usr/bin/env bash
# Full comparison for miniasync bench: every miniasync backend available
# here, Go's net/http (the baseline), the peer servers of bench/peers
# (fasthttp, gnet, nbio, bare netpoll, net/http) and the one-threaded C
# epoll server of bench/c, all under exactly the same load. Writes the
# markdown table, the JSON results and the chart into bench-results/.
#
#   bench/compare.sh                      # 3 s runs, conns 64,256, pipeline 1,16
#   DURATION=10s CONNS=64 bench/compare.sh --cpu-pin
#   ROUNDS=3 DURATION=2s WARMUP=500ms bench/compare.sh --cpu-pin   # the README's table
#
# Besides the backends it runs "miniasync serve --inline" as epoll-inline
# (and, where the kernel has io_uring, with --backend iouring as
# iouring-inline), and measures every server's resident set per idle
# keep-alive connection with IDLE connections (0 skips that).
#
# Environment: DURATION, WARMUP, CONNS, PIPELINE, ROUNDS, IDLE (bench flags), OUT (output
# directory), CHART (chart file, .svg or .png), WRK_SERVERS (servers wrk
# also loads, to compare load generators; needs wrk, "apt-get install wrk").
# Extra arguments go to "miniasync bench" as they are.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-bench-results}
DURATION=${DURATION:-3s}
WARMUP=${WARMUP:-1s}
CONNS=${CONNS:-64,256}
PIPELINE=${PIPELINE:-1,16}
ROUNDS=${ROUNDS:-1}
IDLE=${IDLE:-10000}
CHART=${CHART:-$OUT/compare.svg}
WRK_SERVERS=${WRK_SERVERS:-epoll,c-epoll}

mkdir -p "$OUT/bin"
BIN=$(cd "$OUT/bin" && pwd)

echo "building miniasync, the peers and the C server into $BIN" >&2
go build -o "$BIN/miniasync" ./cmd/miniasync
(cd bench/peers && go build -o "$BIN/" ./fasthttp ./gnet ./nbio ./netpoll ./nethttp)
"${CC:-cc}" -O2 -Wall -o "$BIN/c-epoll" bench/c/hello.c

inline_args=(--external "epoll-inline=$BIN/miniasync serve --inline --addr {addr} --log-level warn")
if "$BIN/miniasync" serve --help | grep -q 'available here: .*iouring'; then
  inline_args+=(--external "iouring-inline=$BIN/miniasync serve --inline --backend iouring --addr {addr} --log-level warn")
fi

wrk_args=()
if command -v wrk >/dev/null 2>&1; then
  wrk_args=(--wrk wrk --wrk-servers "$WRK_SERVERS")
else
  echo "wrk is not installed: skipping the load generator check (apt-get install -y wrk)" >&2
fi

"$BIN/miniasync" bench --baseline \
  "${inline_args[@]}" \
  --external "fasthttp=$BIN/fasthttp" \
  --external "gnet=$BIN/gnet" \
  --external "nbio=$BIN/nbio" \
  --external "netpoll-bare=$BIN/netpoll" \
  --external "nethttp-peer=$BIN/nethttp" \
  --external "c-epoll=$BIN/c-epoll" \
  --conns "$CONNS" --pipeline "$PIPELINE" \
  --duration "$DURATION" --warmup "$WARMUP" --rounds "$ROUNDS" --idle "$IDLE" \
  --keep-going --format markdown \
  --json "$OUT/compare.json" --chart "$CHART" \
  ${wrk_args[@]+"${wrk_args[@]}"} "$@" | tee "$OUT/compare.md"

echo "wrote $OUT/compare.md, $OUT/compare.json and $CHART" >&2
