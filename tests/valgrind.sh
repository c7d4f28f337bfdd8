#!/bin/sh
# The daemon under valgrind memcheck, end to end: a case's whole life through
# the CLI, the supervisors' reads, a backup, bad input, then SIGTERM; then the
# HTTP gateway the same way (every endpoint it serves, in both formats,
# service requests filed and read, and
# mangled URLs). Fails on any memory error or leak valgrind finds in either.
# Usage: tests/valgrind.sh [BUILD]   (a build without sanitizers, default build)
set -eu
build=${1:-build}
dir=$(mktemp -d /tmp/gc-valgrind-XXXXXX)
gateway=""
trap 'kill -9 $pid $gateway 2>/dev/null || true; rm -rf "$dir"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
command="tcp://127.0.0.1:$(port)"
events="tcp://127.0.0.1:$(port)"
valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --show-leak-kinds=definite,indirect --error-exitcode=99 --log-file="$dir/valgrind.log" \
    "$build/bin/gridcased" -c deploy/sample-city.cfg -d "$dir/data" --command "$command" \
    --events "$events" --time-scale 600 2>"$dir/daemon.log" &
pid=$!
export GRIDCASE_ENDPOINT="$command" GRIDCASE_EVENTS="$events" GRIDCASE_STATE_DIR="$dir/cli"
export GRIDCASE_AS=supervisor:sup-siming
g() { "$build/bin/gridcase" --timeout 30000 "$@"; }
# Up when it answers
for i in $(seq 1 60); do g stats >/dev/null 2>&1 && break; sleep 1; done
id=$(g --as officer:o-haihong-01 report --grid haihong-01 --category gas-leak --title "gas smell")
g --as officer:o-haihong-01 escalate "$id" --reason "needs the gas company" >/dev/null
sleep 3
g --as street:s-lianqian dispatch "$id" --lead gas --helpers police >/dev/null
g --as worker:w-gas-1 claim --queue dept/gas >/dev/null
g --as worker:w-gas-1 accept "$id" >/dev/null
g --as worker:w-gas-1 resolve "$id" --note "valve replaced" >/dev/null
g --as officer:o-haihong-01 verify "$id" --failed >/dev/null
g --as worker:w-gas-1 claim "$id" >/dev/null
g --as worker:w-gas-1 resolve "$id" --note "replaced again" >/dev/null
g --as officer:o-haihong-01 verify "$id" --ok >/dev/null
g --as officer:o-haihong-01 evaluate "$id" --rating 4 >/dev/null
other=$(g --as officer:o-haihong-01 report --grid haihong-01 --category garbage --title bins)
g --as officer:o-haihong-01 link "$other" --to "$id" >/dev/null 2>&1 || true
g show "$id" --history >/dev/null
g list --area haihong --csv >/dev/null
g log >/dev/null
g stats --period 2026-11 --by community >/dev/null
g stats --by department >/dev/null
g --as committee:c-haihong weekly --community haihong >/dev/null
g --as committee:c-qianpu show "$id" >/dev/null 2>&1 || true
g --as admin:admin backup "$dir/backup" >/dev/null
g --as admin:admin verify-journal >/dev/null
g --as nobody:x list >/dev/null 2>&1 || true
g stats >/dev/null
# The gateway, beside the daemon
listen="127.0.0.1:$(port)"
valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --show-leak-kinds=definite,indirect --error-exitcode=99 --log-file="$dir/gateway-valgrind.log" \
    "$build/bin/gridcase-gateway" -c deploy/sample-city.cfg --listen "$listen" \
    --command "$command" --events "$events" 2>"$dir/gateway.log" &
gateway=$!
for i in $(seq 1 60); do curl -s -o /dev/null "http://$listen/metrics" && break; sleep 1; done
for path in discovery.json discovery.xml services.json services.xml services/gas-leak.json \
    services/gas-leak.xml services/nope.json services/nope.xml services/%FF.json tokens/x.xml \
    services.html; do
    curl -s -o /dev/null "http://$listen/open311/v2/$path"
done
# Service requests: filed (placed by location, by grid, once per
# Idempotency-Key, refused), read with and without a key, their updates
api="http://$listen/open311/v2"
for format in json xml; do
    curl -s -o /dev/null -X POST "$api/requests.$format" -d api_key=sample-hotline-key \
        -d service_code=garbage -d lat=24.4725 -d long=118.1625 -d description=bins \
        -d first_name=Wang -d phone=1 -d email=w@example.org -d media_url=http://x/y.jpg
    curl -s -o /dev/null -X POST "$api/requests.$format" -H 'Idempotency-Key: k1' \
        -d api_key=sample-hotline-key -d service_code=garbage -d address_id=qianpu-01
    curl -s -o /dev/null -X POST "$api/requests.$format" -H 'Idempotency-Key: k1' \
        -d api_key=sample-hotline-key -d service_code=garbage -d address_id=qianpu-02
    curl -s -o /dev/null -X POST "$api/requests.$format" -d api_key=wrong -d service_code=garbage
    curl -s -o /dev/null -X POST "$api/requests.$format" -d api_key=sample-hotline-key \
        -d service_code=garbage -d lat=1 -d long=1
    curl -s -o /dev/null -X POST "$api/requests.$format" -H 'Content-Type: application/json' -d '{}'
    curl -s -o /dev/null "$api/requests.$format"
    curl -s -o /dev/null "$api/requests.$format?api_key=sample-hotline-key&page=1&page_size=1"
    curl -s -o /dev/null "$api/requests.$format?service_request_id=$id,nope&status=open"
    curl -s -o /dev/null "$api/requests/$id.$format"
    curl -s -o /dev/null "$api/requests.$format?start_date=2020-01-01&end_date=2026-01-01"
    curl -s -o /dev/null "$api/servicerequestupdates.$format"
    curl -s -o /dev/null "$api/servicerequestupdates.$format?api_key=sample-hotline-key"
done
head -c 100000 /dev/zero | tr '\0' a | curl -s -o /dev/null -X POST --data-binary @- "$api/requests.json"
curl -s -o /dev/null "http://$listen/nothing"
curl -s -o /dev/null "http://$listen/metrics"
kill -TERM $gateway
gateway_status=0
wait $gateway || gateway_status=$?
if [ "$gateway_status" -ne 0 ] || [ -s "$dir/gateway-valgrind.log" ]; then
    echo "valgrind: gridcase-gateway exited with $gateway_status"
    cat "$dir/gateway-valgrind.log"
    exit 1
fi
kill -TERM $pid
status=0
wait $pid || status=$?
if [ "$status" -ne 0 ] || [ -s "$dir/valgrind.log" ]; then
    echo "valgrind: gridcased exited with $status"
    cat "$dir/valgrind.log"
    exit 1
fi
echo "valgrind: gridcased ran the story, the supervisors' reads and a backup, and gridcase-gateway every endpoint it serves, with no memory error and no leak"
