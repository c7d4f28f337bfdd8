#!/bin/sh
# Runs every test program of build directory $1 and prints "N passed, N failed".
# A program that crashes or ends with an error without saying FAIL counts as
# one failure.
build=${1:-build/test}
passed=0
failed=0
log=$(mktemp)
for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    echo "== $(basename "$t")"
    timeout 900 "$t" "$build" >"$log" 2>&1
    rc=$?
    cat "$log"
    p=$(grep -c '^PASS ' "$log")
    f=$(grep -c '^FAIL ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $(basename "$t") exited with status $rc"
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
done
rm -f "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
