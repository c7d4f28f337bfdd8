#!/bin/sh
# make bench: durable acknowledged reports per second and ack latency at 1, 50
# and 800 requests in flight, side by side in one run on this machine:
#   gridcased   the daemon, every report a case, journal entry, idempotency
#               record, deadline, queue and figures, acknowledged after commit
#   raw         tests/bench/raw.c: ROUTER + protobuf-c unpack + LMDB group
#               commit of one record per request + ack after commit
#   redis       redis-server with appendonly yes, appendfsync always;
#               redis-benchmark -t set -d 300
# Each figure is the median of BENCH_RUNS runs (default 3) of BENCH_SECONDS
# (default 20). Usage: tests/bench/run.sh [BUILD]
set -eu
build=${1:-build}
seconds=${BENCH_SECONDS:-20}
runs=${BENCH_RUNS:-3}
dir=$(mktemp -d /tmp/gc-bench-XXXXXX)
pids=""
cleanup() {
    for p in $pids; do kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

gc_port=$(port); raw_port=$(port); redis_port=$(port)
"$build/bin/gridcased" -c deploy/sample-city.cfg -d "$dir/gridcased" \
    --command "tcp://127.0.0.1:$gc_port" --events "tcp://127.0.0.1:$(port)" 2>"$dir/gridcased.log" &
pids="$pids $!"
"$build/bench/bench_raw" "tcp://127.0.0.1:$raw_port" "$dir/raw" &
pids="$pids $!"
mkdir -p "$dir/redis"
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$dir/redis" --appendonly yes \
    --appendfsync always --save "" --daemonize no >"$dir/redis.log" 2>&1 &
pids="$pids $!"
sleep 1

# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

# run SYSTEM CONNECTIONS PIPELINE: one line "rps p50_ms p99_ms p999_ms"
run_gridcase() { # endpoint connections pipeline
    "$build/bench/bench_load" "$1" "$2" "$3" "$seconds"
}
run_redis() { # connections pipeline
    # redis-benchmark has no duration: size the run from a short one
    probe=$(redis-benchmark -p "$redis_port" -t set -d 300 -c "$1" -P "$2" -n 2000 --csv |
        awk -F'"' '/^"SET"/ { print $4 }')
    n=$(awk -v r="$probe" -v s="$seconds" 'BEGIN { n = int(r * s); print n < 1000 ? 1000 : n }')
    redis-benchmark -p "$redis_port" -t set -d 300 -c "$1" -P "$2" -n "$n" --csv |
        awk -F'"' '/^"SET"/ { printf "rps=%s p50_us=%d p99_us=%d p999_us=-\n", $4, $10 * 1000, $14 * 1000 }'
}

measure() { # system connections pipeline -> "rps p50 p99 p999"
    out="$dir/runs"
    : >"$out"
    i=0
    while [ "$i" -lt "$runs" ]; do
        case "$1" in
            gridcased) run_gridcase "tcp://127.0.0.1:$gc_port" "$2" "$3" >>"$out" ;;
            raw) run_gridcase "tcp://127.0.0.1:$raw_port" "$2" "$3" >>"$out" ;;
            redis) run_redis "$2" "$3" >>"$out" ;;
        esac
        i=$((i + 1))
    done
    rps=$(field rps <"$out" | median)
    p50=$(field p50_us <"$out" | median)
    p99=$(field p99_us <"$out" | median)
    if grep -q 'p999_us=-' "$out"; then p999=-; else p999=$(field p999_us <"$out" | median); fi
    echo "$rps $p50 $p99 $p999"
}

echo "gridcase benchmark: $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%d), median of $runs runs of ${seconds}s"
echo "in flight        system        reports/s    p50 ms    p99 ms  p99.9 ms"
last_raw=0; last_redis=0
for level in "1 1" "50 1" "50 16"; do
    set -- $level
    inflight=$(($1 * $2))
    for system in gridcased raw redis; do
        result=$(measure "$system" "$1" "$2")
        set -- $result
        eval "${system}_rps=$1"
        printf "%-16s %-12s %10.0f %9.2f %9.2f %9s\n" "$inflight ($level)" "$system" "$1" \
            "$(awk -v v="$2" 'BEGIN { print v / 1000 }')" "$(awk -v v="$3" 'BEGIN { print v / 1000 }')" \
            "$(if [ "$4" = - ]; then echo -; else awk -v v="$4" 'BEGIN { printf "%.2f", v / 1000 }'; fi)"
        set -- $level
    done
    r1=$(awk -v a="$gridcased_rps" -v b="$raw_rps" 'BEGIN { printf "%.2f", b ? a / b : 0 }')
    r2=$(awk -v a="$gridcased_rps" -v b="$redis_rps" 'BEGIN { printf "%.2f", b ? a / b : 0 }')
    echo "                 gridcased/raw = $r1, gridcased/redis = $r2"
    last_raw=$r1; last_redis=$r2
done
echo "ratio raw=$last_raw redis=$last_redis"
