#!/bin/sh
# make bench: durable acknowledged reports per second and ack latency at 1, 50
# and 800 requests in flight, side by side in one run on this machine:
#   gridcased   the daemon, every report a case, journal entry, idempotency
#               record, deadline, queue and figures, acknowledged after commit
#   raw         tests/bench/raw.c: ROUTER + protobuf-c unpack + LMDB group
#               commit of one record per request + ack after commit
#   redis       redis-server with appendonly yes, appendfsync always;
#               redis-benchmark -t set -d 300
# then ack latency at a steady 2,000 and 20,000 reports/s beside the raw loop
# and the disk's own fdatasync, then service requests filed over HTTP through
# gridcase-gateway (wrk, tests/bench/post.lua) beside the same reports sent
# straight over ZeroMQ at the same concurrency, then a city at scale (BENCH_CASES, default
# 1,000,000 open cases, built by bench_city with the daemon's own code): the
# escalation tick with nothing due and with 10,000 cases due at once, the
# restart to the first served request, the daemon's memory, and claims from
# a department queue of 100,000.
# Each figure is the median of BENCH_RUNS runs (default 3) of BENCH_SECONDS
# (default 20). Usage: tests/bench/run.sh [BUILD]
set -eu
build=${1:-build}
seconds=${BENCH_SECONDS:-20}
runs=${BENCH_RUNS:-3}
cases=${BENCH_CASES:-1000000}
due=${BENCH_DUE:-10000}
queued=${BENCH_QUEUED:-100000}
parts=${BENCH_PARTS:-"1 2 4 3"}
part() { case " $parts " in *" $1 "*) return 0 ;; esac; return 1; }
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
run_gridcase() { # endpoint connections pipeline [rate]
    "$build/bench/bench_load" "$1" "$2" "$3" "$seconds" ${4:-}
}
run_redis() { # connections pipeline
    # redis-benchmark has no duration: size the run from a short one
    probe=$(redis-benchmark -p "$redis_port" -t set -d 300 -c "$1" -P "$2" -n 2000 --csv |
        awk -F'"' '/^"SET"/ { print $4 }')
    n=$(awk -v r="$probe" -v s="$seconds" 'BEGIN { n = int(r * s); print n < 1000 ? 1000 : n }')
    redis-benchmark -p "$redis_port" -t set -d 300 -c "$1" -P "$2" -n "$n" --csv |
        awk -F'"' '/^"SET"/ { printf "rps=%s p50_us=%d p99_us=%d p999_us=-\n", $4, $10 * 1000, $14 * 1000 }'
}

measure() { # system connections pipeline [rate] -> "rps p50 p99 p999"
    out="$dir/runs"
    : >"$out"
    i=0
    while [ "$i" -lt "$runs" ]; do
        case "$1" in
            gridcased) run_gridcase "tcp://127.0.0.1:$gc_port" "$2" "$3" ${4:-} >>"$out" ;;
            raw) run_gridcase "tcp://127.0.0.1:$raw_port" "$2" "$3" ${4:-} >>"$out" ;;
            redis) run_redis "$2" "$3" >>"$out" ;;
            fdatasync)
                "$build/bench/bench_fsync" "$dir" "$seconds" "$((1000000 / $4))" |
                    sed 's/fdatasync_//g' >>"$out"
                ;;
        esac
        i=$((i + 1))
    done
    rps=$(field rps <"$out" | median)
    p50=$(field p50_us <"$out" | median)
    p99=$(field p99_us <"$out" | median)
    if grep -q 'p999_us=-' "$out"; then p999=-; else p999=$(field p999_us <"$out" | median); fi
    echo "$rps $p50 $p99 $p999"
}

ms() { awk -v v="$1" 'BEGIN { if (v == "-") print "-"; else printf "%.2f", v / 1000 }'; }

echo "gridcase benchmark: $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%d), median of $runs runs of ${seconds}s"
last_raw=-; last_redis=-
if part 1; then
echo
echo "1. durable acknowledged reports at equal numbers in flight"
echo "in flight        system        reports/s    p50 ms    p99 ms  p99.9 ms"
for level in "1 1" "50 1" "50 16"; do
    set -- $level
    inflight=$(($1 * $2))
    for system in gridcased raw redis; do
        result=$(measure "$system" "$1" "$2")
        set -- $result
        eval "${system}_rps=$1"
        printf "%-16s %-12s %10.0f %9s %9s %9s\n" "$inflight ($level)" "$system" "$1" \
            "$(ms "$2")" "$(ms "$3")" "$(ms "$4")"
        set -- $level
    done
    r1=$(awk -v a="$gridcased_rps" -v b="$raw_rps" 'BEGIN { printf "%.2f", b ? a / b : 0 }')
    r2=$(awk -v a="$gridcased_rps" -v b="$redis_rps" 'BEGIN { printf "%.2f", b ? a / b : 0 }')
    echo "                 gridcased/raw = $r1, gridcased/redis = $r2"
    last_raw=$r1; last_redis=$r2
done
fi

if part 2; then
echo
echo "2. ack latency at a steady rate (open loop, 50 connections)"
echo "rate             system         done/s    p50 ms    p99 ms  p99.9 ms"
for rate in 2000 20000; do
    for system in gridcased raw fdatasync; do
        set -- $(measure "$system" 50 1 "$rate")
        label=$system
        [ "$system" = fdatasync ] && label="fdatasync 4K"
        printf "%-16s %-12s %10.0f %9s %9s %9s\n" "$rate/s" "$label" \
            "$1" "$(ms "$2")" "$(ms "$3")" "$(ms "$4")"
    done
done
echo "(fdatasync 4K: the disk alone, a 4 KiB write and fdatasync, one per request interval at most)"
fi

if part 4; then
echo
echo "4. reports over HTTP (Open311 POST through gridcase-gateway) and straight over ZeroMQ"
gw_port=$(port)
printf 'gateway\n    threads = 16\n' >"$dir/gateway.cfg"
sed -e '/^gateway$/d' -e "s|\"sample-roster.cfg\"|\"$PWD/deploy/sample-roster.cfg\"|" \
    -e "s|\"sample-grids.geojson\"|\"$PWD/deploy/sample-grids.geojson\"|" \
    deploy/sample-city.cfg >>"$dir/gateway.cfg"
"$build/bin/gridcase-gateway" -c "$dir/gateway.cfg" --listen "127.0.0.1:$gw_port" \
    --command "tcp://127.0.0.1:$gc_port" 2>"$dir/gateway.log" &
pids="$pids $!"
for i in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$gw_port/metrics" && break; sleep 0.1; done
echo "connections      path                   reports/s    p50 ms    p99 ms  p99.9 ms"
for connections in 16 50; do
    : >"$dir/http"
    i=0
    while [ "$i" -lt "$runs" ]; do
        wrk -t 2 -c "$connections" -d "${seconds}s" --latency -s tests/bench/post.lua \
            "http://127.0.0.1:$gw_port" | grep '^rps=' >>"$dir/http"
        i=$((i + 1))
    done
    errors=$(field errors <"$dir/http" | awk '{ s += $1 } END { print s + 0 }')
    note=""
    [ "$errors" -gt 0 ] && note=" ($errors answers not 201)"
    printf "%-16s %-20s %11.0f %9s %9s %9s%s\n" "$connections" "HTTP via gateway" \
        "$(field rps <"$dir/http" | median)" "$(ms "$(field p50_us <"$dir/http" | median)")" \
        "$(ms "$(field p99_us <"$dir/http" | median)")" \
        "$(ms "$(field p999_us <"$dir/http" | median)")" "$note"
    set -- $(measure gridcased "$connections" 1)
    printf "%-16s %-20s %11.0f %9s %9s %9s\n" "$connections" "ZeroMQ, direct" "$1" "$(ms "$2")" \
        "$(ms "$3")" "$(ms "$4")"
done
echo "(one request in flight per connection; the gateway with 16 HTTP threads, each its own"
echo " connection to the daemon; every HTTP report also carries the resident's contact)"
fi

# A city at scale. The daemon of parts 1-2 is done: stop it first.
for p in $pids; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=""
if part 3; then
echo
echo "3. a city at scale: $cases open cases"
city=$(
    "$build/bench/bench_city" deploy/sample-city.cfg "$dir/city" "$cases" "$due" "$queued" 2>"$dir/city.log"
) || { echo "bench_city failed:"; tail -5 "$dir/city.log"; exit 1; }
get() { echo "$city" | field "$1"; }
sample=$(echo "$city" | sed -n 's/.*sample_case=\([^ ]*\).*/\1/p')
printf "%-52s %s s\n" "built with the daemon's code" "$(get build_s)"
printf "%-52s p50 %s us, p99 %s us\n" "escalation tick, nothing due" "$(get tick_idle_us)" "$(get tick_idle_p99_us)"
printf "%-52s %s ms\n" "$(get due) cases falling due at once, all escalated in" "$(get escalate_ms)"

city_port=$(port)
: >"$dir/restarts"
i=0
while [ "$i" -lt "$runs" ]; do
    "$build/bench/bench_first" "tcp://127.0.0.1:$city_port" "$sample" sup-siming \
        "$build/bin/gridcased" -c deploy/sample-city.cfg -d "$dir/city" \
        --command "tcp://127.0.0.1:$city_port" --events "tcp://127.0.0.1:$(port)" \
        >>"$dir/restarts" 2>>"$dir/city-daemon.log"
    daemon=$(tail -1 "$dir/restarts" | field pid)
    pids="$daemon"
    i=$((i + 1))
    if [ "$i" -lt "$runs" ]; then
        kill "$daemon"
        while kill -0 "$daemon" 2>/dev/null; do sleep 0.1; done
    fi
done
printf "%-52s %s ms\n" "restart: exec to the first served request" "$(field first_reply_ms <"$dir/restarts" | median)"

#   Claims, the head of sanitation's queue each time, half a second a run
: >"$dir/claims"
i=0
while [ "$i" -lt "$runs" ]; do
    "$build/bench/bench_load" "tcp://127.0.0.1:$city_port" 50 16 0.5 0 dept/sanitation w-sanitation-1 \
        >>"$dir/claims" || { echo "claims failed (queue empty?)"; tail -1 "$dir/claims"; }
    i=$((i + 1))
done
printf "%-52s %s claims/s, p99 %s ms\n" "claims from a department queue of $queued" \
    "$(field rps <"$dir/claims" | median)" "$(ms "$(field p99_us <"$dir/claims" | median)")"

kib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
smaps=/proc/$daemon/smaps_rollup
rss=$(awk '/^Rss:/ { print $2 }' "$smaps")
anon=$(awk '/^Pss_Anon:/ { print $2 }' "$smaps")
file=$(awk '/^Pss_File:/ { print $2 }' "$smaps")
dirty=$(awk '/^Private_Dirty:/ { print $2 }' "$smaps")
printf "%-52s RSS %s MiB: %s MiB anonymous (private dirty %s MiB) + %s MiB of mapped files\n" \
    "memory of the daemon serving them" "$(kib "$rss")" "$(kib "$anon")" "$(kib "$dirty")" "$(kib "$file")"
fi
echo
echo "ratio raw=$last_raw redis=$last_redis"
