#!/bin/sh
# make bench: durable acknowledged reports per second and ack latency at 1, 50
# and 800 requests in flight, side by side in one run on this machine:
#   gridcased   the daemon, every report a case, journal entry, idempotency
#               record, deadline, queue and figures, acknowledged after commit
#   raw         tests/bench/raw.c: ROUTER + protobuf-c unpack + LMDB group
#               commit of one record per request + ack after commit
#   postgresql  Debian's PostgreSQL, default durability (fsync and
#               synchronous_commit on), on a free port in a temporary
#               directory: the rows a report writes in one transaction
#               (tests/bench/pg-schema.sql, pg-report.sql: case, journal
#               entry chained to the previous one's SHA-256 under the chain
#               head's row lock, idempotency row, deadline, queue entry),
#               driven by pgbench; at 800 in flight its best connection
#               count up to 800. "pg unchained" (pg-report-unchained.sql)
#               drops the chain's lock: no hash chain, its upper bound
#   redis       redis-server with appendonly yes, appendfsync always;
#               redis-benchmark -t set -d 300
# then ack latency at a steady 2,000 and 20,000 reports/s beside the raw loop
# and the disk's own fdatasync, then service requests filed over HTTP through
# gridcase-gateway (wrk, tests/bench/post.lua) beside the same reports sent
# straight over ZeroMQ at the same concurrency, then a city at scale (BENCH_CASES, default
# 1,000,000 open cases, built by bench_city with the daemon's own code): the
# escalation tick with nothing due and with 10,000 cases due at once, the
# restart to the first served request, the daemon's memory, and claims from
# a department queue of 100,000. Then a real city's days (part 5): five days
# of Los Angeles 311 requests (../shared/data/la-311-*.csv) mapped onto a city
# by tests/bench/la311.py and replayed by bench_replay with the daemon's
# clock compressed x10,000 (BENCH_LA_HOURS_FAST of the data, default 168)
# and x100 (BENCH_LA_HOURS_SLOW, default 6), workers claiming and resolving
# at the data's times; then the journal counted against the daemon's figures.
# Each figure is the median of BENCH_RUNS runs (default 3) of BENCH_SECONDS
# (default 20). Usage: tests/bench/run.sh [BUILD]
set -eu
build=${1:-build}
seconds=${BENCH_SECONDS:-20}
runs=${BENCH_RUNS:-3}
cases=${BENCH_CASES:-1000000}
due=${BENCH_DUE:-10000}
queued=${BENCH_QUEUED:-100000}
parts=${BENCH_PARTS:-"1 2 4 3 5"}
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
# PostgreSQL: its own cluster, in a directory its user owns (initdb and the
# server refuse to run as root)
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
pg_port=$(port)
pg_dir=$(mktemp -d /tmp/gc-bench-pg-XXXXXX)
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres "$pg_dir"
as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 --no-locale >"$pg_dir/initdb.log" 2>&1 ||
    { echo "initdb failed:"; tail -5 "$pg_dir/initdb.log"; exit 1; }
as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
    -o "-p $pg_port -k $pg_dir -c listen_addresses='' -c max_connections=850" start >/dev/null ||
    { echo "PostgreSQL did not start:"; tail -5 "$pg_dir/server.log"; exit 1; }
pg_stop() { as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$pg_dir"; }
trap 'pg_stop; cleanup' EXIT INT TERM
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

# pgbench CONNECTIONS SCRIPT [SECONDS] on a fresh schema: one line like bench_load's;
# latencies from its per-transaction log
run_pg() {
    "$pg_bin/psql" -h "$pg_dir" -p "$pg_port" -U postgres -q -v ON_ERROR_STOP=1 \
        -c 'DROP SCHEMA public CASCADE' -c 'CREATE SCHEMA public' -f tests/bench/pg-schema.sql postgres \
        >/dev/null 2>&1 || { echo "rps=0 p50_us=0 p99_us=0 p999_us=0"; return; }
    rm -rf "$dir/pglog" && mkdir -p "$dir/pglog"
    threads=2; [ "$1" -lt 2 ] && threads=1
    tps=$("$pg_bin/pgbench" -h "$pg_dir" -p "$pg_port" -U postgres -n -M prepared -c "$1" -j "$threads" \
        -T "${3:-$seconds}" -f "$2" -l --log-prefix="$dir/pglog/tx" postgres 2>"$dir/pgbench.err" |
        sed -n 's/^tps = \([0-9.]*\) .*/\1/p')
    cat "$dir"/pglog/tx* | awk '{ print $3 }' | sort -n >"$dir/pglat"
    awk -v tps="${tps:-0}" '
        function at(f,  i) { i = int(NR * f) + 1; if (i > NR) i = NR; return v[i] }
        { v[NR] = $1 }
        END {
            if (!NR) { print "rps=0 p50_us=0 p99_us=0 p999_us=0"; exit }
            printf "rps=%s p50_us=%d p99_us=%d p999_us=%d\n", tps, at(0.5), at(0.99), at(0.999)
        }' "$dir/pglat"
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
            postgresql) run_pg "$(($2 * $3))" tests/bench/pg-report.sql >>"$out" ;;
            pg_unchained) run_pg "$(($2 * $3))" tests/bench/pg-report-unchained.sql >>"$out" ;;
            pg_best) run_pg "$pg_best" tests/bench/pg-report.sql >>"$out" ;;
            pg_unchained_best) run_pg "$pg_best_unchained" tests/bench/pg-report-unchained.sql >>"$out" ;;
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
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{ print $3 }'), Redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')"
last_raw=-; last_redis=-; last_pg=-
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? a / b : 0 }'; }
# PostgreSQL's best connection count up to 800 for SCRIPT: one short run each
pg_sweep() {
    best=0; best_rps=0
    for c in 100 200 400 800; do
        rps=$(run_pg "$c" "$1" $(( (seconds + 1) / 2 )) | field rps)
        if awk -v a="$rps" -v b="$best_rps" 'BEGIN { exit !(a > b) }'; then best=$c; best_rps=$rps; fi
    done
    echo "$best"
}
if part 1; then
echo
echo "1. durable acknowledged reports at equal numbers in flight"
echo "in flight        system        reports/s    p50 ms    p99 ms  p99.9 ms"
for level in "1 1" "50 1" "50 16"; do
    set -- $level
    inflight=$(($1 * $2))
    systems="gridcased raw postgresql pg_unchained redis"
    if [ "$inflight" -gt 50 ]; then
        pg_best=$(pg_sweep tests/bench/pg-report.sql)
        pg_best_unchained=$(pg_sweep tests/bench/pg-report-unchained.sql)
        systems="gridcased raw pg_best pg_unchained_best redis"
    fi
    for system in $systems; do
        result=$(measure "$system" "$1" "$2")
        set -- $result
        label=$system
        case $system in
            pg_best) label="postgresql"; postgresql_rps=$1; label="postgresql $pg_best c" ;;
            pg_unchained_best) pg_unchained_rps=$1; label="pg unchained $pg_best_unchained c" ;;
            pg_unchained) pg_unchained_rps=$1; label="pg unchained" ;;
            *) eval "${system}_rps=$1" ;;
        esac
        printf "%-16s %-12s %10.0f %9s %9s %9s\n" "$inflight ($level)" "$label" "$1" \
            "$(ms "$2")" "$(ms "$3")" "$(ms "$4")"
        set -- $level
    done
    r1=$(ratio "$gridcased_rps" "$raw_rps")
    r2=$(ratio "$gridcased_rps" "$redis_rps")
    r3=$(ratio "$gridcased_rps" "$postgresql_rps")
    r4=$(ratio "$gridcased_rps" "$pg_unchained_rps")
    echo "                 gridcased/raw = $r1, gridcased/postgresql = $r3 (unchained: $r4), gridcased/redis = $r2"
    # The ratio to PostgreSQL's best: chained or not, whichever was faster
    last_raw=$r1; last_redis=$r2
    last_pg=$(awk -v a="$r3" -v b="$r4" 'BEGIN { print (a < b || b == 0) ? a : b }')
done
echo "(postgresql: the same rows in one transaction of one call, the journal chained under the"
echo " head's row lock; pg unchained: without that lock, no chain; N c: its best connection"
echo " count up to 800; ratio pg below: against the faster of the two)"
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
if part 5; then
echo
la_csv=$(ls ../shared/data/la-311-*.csv 2>/dev/null | head -1)
if [ -z "$la_csv" ]; then
    echo "5. a real city's days: no ../shared/data/la-311-*.csv here, skipped"
else
    mkdir -p "$dir/la"
    summary=$(python3 tests/bench/la311.py "$la_csv" "$dir/la")
    echo "5. a real city's days: Los Angeles 311, $(echo "$summary" | field rows) requests from $(basename "$la_csv")"
    echo "   mapped onto $(echo "$summary" | field streets) streets (APC), $(echo "$summary" | field communities) communities (APC and CD), $(echo "$summary" | field grids) grids (NC), 5 departments (agencies), $(echo "$summary" | field categories) categories"
    echo "compressed  of the data  requests   req/s   p50 ms   p99 ms  late ms  escalations by deadline              figures = journal"
    for replay in "10000 ${BENCH_LA_HOURS_FAST:-168}" "100 ${BENCH_LA_HOURS_SLOW:-6}"; do
        set -- $replay
        la_port=$(port)
        rm -rf "$dir/la/data"
        "$build/bin/gridcased" -c "$dir/la/city.cfg" -d "$dir/la/data" --time-scale "$1" \
            --command "tcp://127.0.0.1:$la_port" --events "tcp://127.0.0.1:$(port)" 2>>"$dir/la/daemon.log" &
        la_daemon=$!
        sleep 0.5
        "$build/bench/bench_replay" "tcp://127.0.0.1:$la_port" "$dir/la/events.tsv" "$1" "$2" >"$dir/la/replay" 2>>"$dir/la/replay.err"
        kill "$la_daemon"; wait "$la_daemon" 2>/dev/null || true
        # Counted on a daemon whose clock no longer runs fast
        "$build/bin/gridcased" -c "$dir/la/city.cfg" -d "$dir/la/data" \
            --command "tcp://127.0.0.1:$la_port" --events "tcp://127.0.0.1:$(port)" 2>>"$dir/la/daemon.log" &
        la_daemon=$!
        sleep 0.5
        "$build/bench/bench_replay" "tcp://127.0.0.1:$la_port" --check "$(field first_day <"$dir/la/replay")" \
            >>"$dir/la/replay" 2>>"$dir/la/replay.err" || true
        kill "$la_daemon"; wait "$la_daemon" 2>/dev/null || true
        r=$(cat "$dir/la/replay")
        get() { echo "$r" | field "$1" | head -1; }
        match=$(echo "$r" | sed -n 's/.*match=\([a-z]*\).*/\1/p')
        printf "x%-10s %7s h %10s %7s %8s %8s %8s  community %s, street %s, district %s, supervision %s, overdue %s  %s\n" \
            "$1" "$2" "$(get requests)" "$(get rps)" "$(ms "$(get p50_us)")" "$(ms "$(get p99_us)")" \
            "$(get late_ms)" "$(get by_deadline_to_community)" "$(get to_street)" "$(get to_district)" \
            "$(get supervision)" "$(get overdue)" "${match:-failed}"
        [ "$(get errors)" = 0 ] || echo "   ($(get errors) requests refused; see the replay's log)"
    done
    echo "(late ms: the most an event went out after its time, in wall ms; escalations by the"
    echo " daemon's deadlines as the journal holds them, besides each officer handing the case up)"
fi
fi
echo
echo "gridcased/redis at 800 in flight: $last_redis"
echo "ratio raw=$last_raw pg=$last_pg"
