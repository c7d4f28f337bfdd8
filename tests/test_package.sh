#!/bin/bash
# gridcase as Debian ships it: make deb builds the four packages and lintian
# finds no error; unpacked into a scratch root (dpkg -x) they hold every
# file, their daemon serves the sample city from /etc/gridcase as shipped,
# a program builds against libgridcase-dev through pkg-config, the library
# exports only its API, each man page renders and names every command,
# option and config key, and bash completes gridcase's commands and options.
# Prints PASS or FAIL per test, like the C tests.
set -u
build=${1:-build/test}
work=$(mktemp -d /tmp/gc-test-package-XXXXXX)
daemon=""
trap '[ -n "$daemon" ] && kill -9 $daemon 2>/dev/null; rm -rf "$work"' EXIT
failures=0
fail() { echo "  $*"; failed=1; }
run() {
    failed=0
    "$1"
    if [ "$failed" -eq 0 ]; then echo "PASS $1"; else echo "FAIL $1"; failures=$((failures + 1)); fi
}
root=$work/root
version=$(sed -n 's/^VERSION = //p' Makefile)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)

test_packages_build_without_lintian_errors() {
    if ! make --no-print-directory -s deb >"$work/deb.log" 2>&1; then
        tail -30 "$work/deb.log"
        fail "make deb failed"
        return
    fi
    for p in gridcased gridcase-clients libgridcase0 libgridcase-dev; do
        [ -f "build/deb/${p}_${version}_$(dpkg --print-architecture).deb" ] || fail "no $p package in build/deb"
    done
    # make deb ran lintian --fail-on error; its verdict again, counted
    errors=$(lintian build/deb/*.changes 2>/dev/null | grep -c '^E: ')
    [ "$errors" -eq 0 ] || fail "lintian reports $errors errors"
}

test_packages_hold_every_file() {
    mkdir -p "$root"
    for deb in build/deb/*_"$version"_*.deb; do
        case $deb in *dbgsym*) continue ;; esac
        dpkg -x "$deb" "$root" || fail "dpkg -x $deb failed"
    done
    for f in usr/bin/gridcased usr/bin/gridcase usr/bin/gridcase-gateway \
        etc/gridcase/gridcase.cfg etc/gridcase/roster.cfg etc/gridcase/grids.geojson \
        usr/share/gridcase/sample-city.cfg usr/share/gridcase/sample-roster.cfg \
        usr/share/gridcase/sample-grids.geojson usr/share/gridcase/gridcase.proto \
        usr/share/gridcase/web/index.html usr/share/gridcase/web/vendor/uPlot.iife.min.js \
        lib/systemd/system/gridcased.service lib/systemd/system/gridcase-gateway.service \
        usr/share/man/man8/gridcased.8.gz usr/share/man/man1/gridcase.1.gz \
        usr/share/man/man5/gridcase.conf.5.gz usr/share/man/man8/gridcase-gateway.8.gz \
        usr/share/bash-completion/completions/gridcase \
        usr/include/gridcase.h usr/include/gridcase_json.h usr/include/gridcase.pb-c.h \
        "usr/lib/$multiarch/libgridcase.so.0" "usr/lib/$multiarch/libgridcase.so.$version" \
        "usr/lib/$multiarch/libgridcase.so" "usr/lib/$multiarch/libgridcase.a" \
        "usr/lib/$multiarch/pkgconfig/libgridcase.pc"; do
        [ -e "$root/$f" ] || fail "/$f is in no package"
    done
    # /etc/gridcase is the packages' conffiles; the unit is Type=notify with
    # a watchdog, runs as gridcase, and reloads with SIGHUP
    dpkg-deb -f build/deb/gridcased_"$version"_*.deb Depends | grep -q adduser || fail "gridcased does not depend on adduser"
    dpkg-deb --ctrl-tarfile build/deb/gridcased_"$version"_*.deb | tar -xOf - ./conffiles >"$work/conffiles"
    grep -qx /etc/gridcase/gridcase.cfg "$work/conffiles" || fail "/etc/gridcase/gridcase.cfg is not a conffile"
    grep -qx /etc/gridcase/roster.cfg "$work/conffiles" || fail "/etc/gridcase/roster.cfg is not a conffile"
    # The gateway runs as the same user, which reads a roster kept for the group
    grep -qxF User=gridcase "$root/lib/systemd/system/gridcase-gateway.service" ||
        fail "the gateway's unit does not run as gridcase"
    dpkg-deb --ctrl-tarfile build/deb/gridcase-clients_"$version"_*.deb | tar -xOf - ./postinst |
        grep -q 'adduser --system --group' || fail "gridcase-clients does not make the user gridcase"
    unit=$root/lib/systemd/system/gridcased.service
    for line in Type=notify WatchdogSec=30s User=gridcase StateDirectory=gridcase \
        'ExecReload=/bin/kill -HUP $MAINPID'; do
        grep -qxF "$line" "$unit" || fail "the unit lacks $line"
    done
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

test_packaged_daemon_serves_the_sample_city() {
    local command=tcp://127.0.0.1:$(free_port) events=tcp://127.0.0.1:$(free_port)
    "$root/usr/bin/gridcased" --check-config -c "$root/etc/gridcase/gridcase.cfg" >"$work/check" 2>&1 ||
        { cat "$work/check"; fail "the shipped config does not check"; }
    # The unit's command line, with the scratch root's paths
    "$root/usr/bin/gridcased" -c "$root/etc/gridcase/gridcase.cfg" -d "$work/data" \
        --command "$command" --events "$events" 2>"$work/daemon.log" &
    daemon=$!
    cli() { GRIDCASE_STATE_DIR=$work/cli "$root/usr/bin/gridcase" -e "$command" --timeout 5000 "$@"; }
    for _ in $(seq 50); do cli --as admin:admin info >"$work/info" 2>/dev/null && break; sleep 0.1; done
    grep -q "gridcased $version" "$work/info" || fail "gridcase info: $(cat "$work/info")"
    id=$(cli --as officer:o-haihong-01 report --grid haihong-01 --category gas-leak --title packaged) ||
        fail "a report to the packaged daemon failed"
    cli --as committee:c-haihong show "$id" | grep -q packaged || fail "the report is not shown"
    kill -TERM $daemon
    wait $daemon || fail "the packaged daemon did not stop cleanly"
    daemon=""
}

test_a_program_builds_against_libgridcase_dev() {
    cat >"$work/hello.c" <<'C'
#include <gridcase.h>
#include <stdio.h>
int main (void) { printf ("libgridcase %s protocol %d\n", gridcase_version (), GRIDCASE_PROTOCOL); return 0; }
C
    export PKG_CONFIG_PATH=$root/usr/lib/$multiarch/pkgconfig
    flags=$(pkg-config --define-variable=prefix="$root/usr" --cflags --libs libgridcase) ||
        fail "pkg-config cannot find libgridcase"
    # shellcheck disable=SC2086
    cc "$work/hello.c" $flags -o "$work/hello" || fail "hello.c does not build"
    out=$(LD_LIBRARY_PATH=$root/usr/lib/$multiarch "$work/hello")
    [ "$out" = "libgridcase $version protocol 2" ] || fail "hello says '$out'"
    unset PKG_CONFIG_PATH
    lib=$root/usr/lib/$multiarch/libgridcase.so.$version
    objdump -p "$lib" | grep -q 'SONAME *libgridcase.so.0' || fail "the soname is not libgridcase.so.0"
    # Exported: gridcase_* and the protobuf messages (gridcase__*), nothing else
    others=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v -e '^gridcase_' -e '^GRIDCASE_0$')
    [ -z "$others" ] || fail "exported beyond the API: $others"
    # ... and every gridcase_ function is declared in the installed headers
    for f in $(nm -D --defined-only "$lib" | awk '{print $3}' | grep '^gridcase_[a-z]' | sed 's/@.*//'); do
        grep -q "\b$f (" "$root/usr/include/gridcase.h" "$root/usr/include/gridcase_json.h" ||
            fail "$f is exported but not in the headers"
    done
}

test_man_pages_render_and_name_everything() {
    for page in gridcased.8 gridcase.1 gridcase.conf.5 gridcase-gateway.8; do
        dir=man${page##*.}
        MANWIDTH=200 man -l "$root/usr/share/man/$dir/$page.gz" 2>"$work/man.err" >"$work/$page.txt" ||
            fail "man -l $page failed"
        [ -s "$work/man.err" ] && fail "man -l $page warns: $(head -3 "$work/man.err")"
        grep -q '^NAME' "$work/$page.txt" || fail "$page has no NAME"
    done
    # Every command of gridcase --help is in gridcase(1)
    for c in $("$root/usr/bin/gridcase" --help |
        awk '/^  [a-z]/ { print $1; for (i = 2; i < NF; i++) if ($i == "|") print $(i + 1) }' | sort -u); do
        grep -q -- "$c" "$work/gridcase.1.txt" || fail "gridcase(1) does not name the command $c"
    done
    # Every option of each program's help is in its page
    for p in gridcased gridcase gridcase-gateway; do
        page=$p.8; [ $p = gridcase ] && page=gridcase.1
        for o in $("$root/usr/bin/$p" --help 2>&1 | grep -o -- '--[a-z][a-z-]*' | sort -u); do
            grep -q -- "$o" "$work/$page.txt" || fail "$page does not name $p's option $o"
        done
    done
    # Every key of every config section is in gridcase.conf(5)
    for k in $(grep -o '{"[a-z_]*", \(ONCE\|IDS\|LINES\)' daemon/gc_config_keys.c | sed 's/{"\([a-z_]*\)".*/\1/' | sort -u); do
        grep -qw -- "$k" "$work/gridcase.conf.5.txt" || fail "gridcase.conf(5) does not name the key $k"
    done
}

test_bash_completes_commands_and_options() {
    cat >"$work/complete.bash" <<B
source /usr/share/bash-completion/bash_completion
source "$root/usr/share/bash-completion/completions/gridcase"
PATH=$root/usr/bin:\$PATH
complete_words() {
    COMP_WORDS=("\$@"); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1)); COMP_LINE="\$*"; COMP_POINT=\${#COMP_LINE}
    COMPREPLY=(); _gridcase gridcase "\${COMP_WORDS[-1]}" "\${COMP_WORDS[-2]}"; echo "\${COMPREPLY[*]}"
}
echo "commands: \$(complete_words gridcase '')"
echo "re: \$(complete_words gridcase re)"
echo "list options: \$(complete_words gridcase --as admin:admin list --st)"
echo "states: \$(complete_words gridcase list --state '')"
B
    out=$(bash "$work/complete.bash" 2>&1)
    for w in "commands: accept approve arbitrate backup" " park " " renew " " sync " " info " \
        "re: regrade reject release renew report resolve" "list options: --state" \
        "states: at_grid queued claimed in_progress resolved verified closed"; do
        grep -q -- "$w" <<<"$out" || fail "completion lacks '$w' in: $out"
    done
}

run test_packages_build_without_lintian_errors
run test_packages_hold_every_file
run test_packaged_daemon_serves_the_sample_city
run test_a_program_builds_against_libgridcase_dev
run test_man_pages_render_and_name_everything
run test_bash_completes_commands_and_options
[ "$failures" -eq 0 ]
