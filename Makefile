# gridcase - build, test, run, install.
#   make            binaries in build/bin, library in build/lib
#   make test       ASan + UBSan build in build/test, then every test
#   make run        the daemon on the sample city, data in ./var/gridcase
#   make deps       installs missing Debian packages (run as root)

PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
VERSION = 0.2.0

DEB_PACKAGES = build-essential pkg-config libzmq3-dev libczmq-dev libprotobuf-c-dev \
               protobuf-c-compiler liblmdb-dev lmdb-utils libssl-dev libjansson-dev clang libclang-rt-14-dev \
               valgrind python3 redis-server redis-tools tzdata libmicrohttpd-dev libxml2-dev curl wrk \
               libsodium-dev openssl chromium fonts-wqy-zenhei libsystemd-dev scdoc bash-completion postgresql \
               devscripts debhelper lintian fakeroot man-db
PKGS = libczmq libzmq libprotobuf-c lmdb libcrypto jansson libsystemd

CC ?= cc
CFLAGS_BASE = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -fPIC \
              -DGC_VERSION='"$(VERSION)"' \
              -DGC_SAMPLE_CITY='"$(PREFIX)/share/gridcase/sample-city.cfg"' \
              -DGC_WEB_ROOT='"$(PREFIX)/share/gridcase/web"' \
              -I$(BUILD)/gen -Iinclude -Idaemon $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
SANFLAGS = -fsanitize=address,undefined
ifeq ($(SANITIZE),1)
CFLAGS_OPT = -O1 $(SANFLAGS) -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += $(SANFLAGS)
ifeq ($(FUZZ),1)
CFLAGS_OPT += -fsanitize=fuzzer-no-link
endif
else
CFLAGS_OPT = -O2
endif
CFLAGS += $(CFLAGS_BASE) $(CFLAGS_OPT)
LDLIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
# libgridcase needs neither systemd nor the daemon's store beyond its outbox
LIB_PKGS = libczmq libzmq libprotobuf-c lmdb libcrypto jansson
LIB_LDLIBS = $(shell pkg-config --libs $(LIB_PKGS) 2>/dev/null) -lm

GEN = $(BUILD)/gen/gridcase.pb-c.c $(BUILD)/gen/gridcase.pb-c.h
DAEMON_SRC = daemon/gc_auth.c daemon/gc_flow.c daemon/gc_peers.c daemon/gc_store.c daemon/gc_util.c daemon/gc_config.c daemon/gc_request.c \
             daemon/gc_rules.c daemon/gc_figures.c daemon/gc_lifecycle.c daemon/gc_query.c daemon/gc_escalation.c \
             daemon/gc_topics.c daemon/gc_server.c daemon/gc_zpl.c daemon/gc_check.c daemon/gc_writer.c daemon/gc_reader.c daemon/gc_counters.c daemon/gc_holder.c daemon/gc_ladder.c daemon/gc_journal.c daemon/gc_op.c daemon/gc_handlers.c daemon/gc_access.c daemon/gc_query_stats.c daemon/gc_schema.c daemon/gc_key.c daemon/gc_config_keys.c daemon/gc_chain.c daemon/gc_guards.c daemon/gc_time.c daemon/gc_reply.c daemon/gc_geo.c
# The daemon names enum values as libgridcase does (clients/lib/names.c)
DAEMON_OBJ = $(DAEMON_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/clients/lib/names.o \
             $(BUILD)/obj/gen/gridcase.pb-c.o
LIB_OBJ = $(BUILD)/obj/clients/lib/gridcase.o $(BUILD)/obj/clients/lib/json.o $(BUILD)/obj/clients/lib/names.o $(BUILD)/obj/clients/lib/outbox.o \
          $(BUILD)/obj/gen/gridcase.pb-c.o
TEST_NAMES = test_store test_units test_lifecycle test_supervision test_e2e test_attacks test_operator test_field test_gateway test_service
TESTS = $(TEST_NAMES:%=$(BUILD)/tests/%)

BINS = $(BUILD)/bin/gridcased $(BUILD)/bin/gridcase $(BUILD)/bin/gridcase-gateway
LIBS = $(BUILD)/lib/libgridcase.a $(BUILD)/lib/libgridcase.so

.PHONY: all deps test tests run clean install install-files format lint fuzz valgrind bench web man deb programs
.SECONDARY:

all: programs web man
programs: $(BINS) $(LIBS)

# Man pages: deploy/man/*.scd.in with the README's sections put in by
# deploy/man/readme-to-scd (so a page cannot drift from the README), then
# scdoc
MANS = $(BUILD)/man/gridcased.8 $(BUILD)/man/gridcase-gateway.8 $(BUILD)/man/gridcase.1 \
       $(BUILD)/man/gridcase.conf.5
man: $(MANS)
$(BUILD)/man/%: deploy/man/%.scd.in deploy/man/readme-to-scd README.md
	@mkdir -p $(dir $@)
	deploy/man/readme-to-scd $< README.md $(VERSION) > $@.scd
	scdoc < $@.scd > $@

# The supervisors' page (served by gridcase-gateway): its own files and the
# pinned npm libraries (web/package-lock.json), copied with a gzipped twin
# each into $(BUILD)/web; npm reaches the registry at build time only
WEB_SRC = web/index.html web/login.html web/login.js web/app.js web/app.css
WEB_VENDOR = web/node_modules/uplot/dist/uPlot.iife.min.js web/node_modules/uplot/dist/uPlot.min.css \
             web/node_modules/d3-array/dist/d3-array.min.js web/node_modules/d3-geo/dist/d3-geo.min.js
web: $(BUILD)/web/.built

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	@command -v npm >/dev/null || { echo "make web needs Node.js and npm (the machine's)"; exit 1; }
	cd web && npm ci --ignore-scripts --no-audit --no-fund

$(BUILD)/web/.built: $(WEB_SRC) web/node_modules/.package-lock.json
	@rm -rf $(BUILD)/web && mkdir -p $(BUILD)/web/vendor
	cp $(WEB_SRC) $(BUILD)/web/
	cp $(WEB_VENDOR) $(BUILD)/web/vendor/
	find $(BUILD)/web -type f ! -name '*.gz' -exec gzip -9 -k -n {} \;
	@echo "the page's first load: $$(cat $(BUILD)/web/index.html.gz $(BUILD)/web/app.js.gz $(BUILD)/web/app.css.gz \
	  $(BUILD)/web/vendor/*.gz | wc -c) bytes gzipped (budget 300 KB)"
	@touch $@

SUDO = $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y $$missing; \
	else echo "all dependencies are installed"; fi

$(BUILD)/gen/gridcase.pb-c.c $(BUILD)/gen/gridcase.pb-c.h: proto/gridcase.proto
	@mkdir -p $(BUILD)/gen
	protoc-c --c_out=$(BUILD)/gen -Iproto proto/gridcase.proto

$(BUILD)/obj/gen/gridcase.pb-c.o: $(BUILD)/gen/gridcase.pb-c.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-unused-parameter -c $< -o $@

$(BUILD)/obj/%.o: %.c $(GEN) $(wildcard daemon/*.h include/*.h tests/*.h clients/*.h clients/gateway/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/bin/gridcased: $(BUILD)/obj/daemon/gridcased.o $(DAEMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

CLI_OBJ = $(BUILD)/obj/clients/cli_main.o $(BUILD)/obj/clients/cli_output.o $(BUILD)/obj/clients/cli_daemon.o \
          $(BUILD)/obj/clients/cli_cases.o $(BUILD)/obj/clients/cli_reads.o $(BUILD)/obj/clients/supervise.o $(BUILD)/obj/clients/cli_field.o \
          $(BUILD)/obj/daemon/gc_time.o $(BUILD)/obj/daemon/gc_util.o

# The CLI never opens a store: no LMDB (gridcased --check reads one)
CLI_LDLIBS = $(shell pkg-config --libs libczmq libzmq libprotobuf-c lmdb libcrypto jansson libsodium 2>/dev/null) -lm

$(BUILD)/bin/gridcase: $(CLI_OBJ) $(BUILD)/lib/libgridcase.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(CLI_LDLIBS) -o $@

# The HTTP gateway: libmicrohttpd, jansson and libxml2's xmlwriter; the
# city's config read by the daemon's own strict reader
GATEWAY_OBJ = $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard clients/gateway/*.c)) \
              $(BUILD)/obj/daemon/gc_config.o $(BUILD)/obj/daemon/gc_config_keys.o \
              $(BUILD)/obj/daemon/gc_zpl.o $(BUILD)/obj/daemon/gc_rules.o $(BUILD)/obj/daemon/gc_geo.o $(BUILD)/obj/daemon/gc_holder.o \
              $(BUILD)/obj/daemon/gc_access.o \
              $(BUILD)/obj/daemon/gc_time.o $(BUILD)/obj/daemon/gc_util.o
GATEWAY_PKGS = libczmq libzmq libprotobuf-c libcrypto jansson libmicrohttpd libxml-2.0 libsodium libsystemd
$(BUILD)/obj/clients/gateway/%.o: CFLAGS += $(shell pkg-config --cflags libmicrohttpd libxml-2.0 2>/dev/null)

$(BUILD)/bin/gridcase-gateway: $(GATEWAY_OBJ) $(BUILD)/lib/libgridcase.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(shell pkg-config --libs $(GATEWAY_PKGS) 2>/dev/null) -lm -o $@

$(BUILD)/lib/libgridcase.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	ar rcs $@ $^

# Exports only gridcase_* (the API) and gridcase__* (the protobuf messages);
# the soname's number follows the ABI policy in the README
SONAME = libgridcase.so.0
$(BUILD)/lib/libgridcase.so: $(LIB_OBJ) clients/lib/libgridcase.map
	@mkdir -p $(dir $@)
	$(CC) -shared $(LDFLAGS) -Wl,-soname,$(SONAME) -Wl,--version-script=clients/lib/libgridcase.map \
	  -Wl,-z,defs $(LIB_OBJ) $(LIB_LDLIBS) -o $@

# Unit tests of the daemon's modules link them directly
$(BUILD)/tests/test_store $(BUILD)/tests/test_lifecycle $(BUILD)/tests/test_supervision: \
  $(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(DAEMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/test_units: $(BUILD)/obj/tests/test_units.o $(DAEMON_OBJ) $(BUILD)/lib/libgridcase.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(filter-out $(BUILD)/obj/gen/gridcase.pb-c.o,$^) $(LDLIBS) -o $@

$(BUILD)/tests/test_e2e $(BUILD)/tests/test_attacks $(BUILD)/tests/test_operator $(BUILD)/tests/test_field \
  $(BUILD)/tests/test_service: $(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(BUILD)/lib/libgridcase.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# The gateway's test reads its XML with libxml2
$(BUILD)/tests/test_gateway: $(BUILD)/obj/tests/test_gateway.o $(BUILD)/lib/libgridcase.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) $(shell pkg-config --libs libxml-2.0 2>/dev/null) -o $@
$(BUILD)/obj/tests/test_gateway.o: CFLAGS += $(shell pkg-config --cflags libxml-2.0 2>/dev/null)

tests: $(BINS) $(TESTS) $(BUILD)/tests/test_web $(BUILD)/tests/test_package

# The Debian packages, man pages, completion and library face
# (tests/test_package.sh: make deb, dpkg -x into a scratch root)
$(BUILD)/tests/test_package: tests/test_package.sh
	@mkdir -p $(dir $@)
	printf '#!/bin/sh\nexec bash tests/test_package.sh "$$@"\n' > $@
	chmod +x $@

# The supervisors' page in Debian's Chromium (tests/test_web.mjs, driven by
# playwright-core from web/node_modules); tests/run.sh runs it like the rest
$(BUILD)/tests/test_web: tests/test_web.mjs web/node_modules/.package-lock.json
	@mkdir -p $(dir $@)
	printf '#!/bin/sh\nexec node tests/test_web.mjs "$$@"\n' > $@
	chmod +x $@

# The fuzz target: clang's libFuzzer with ASan and UBSan (build/fuzz)
$(BUILD)/tests/fuzz_request: $(BUILD)/obj/tests/fuzz_request.o $(DAEMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer $^ $(LDLIBS) -o $@

# Benchmarks (never part of make test): gridcased beside the raw ceiling and
# Redis with appendfsync always, on loopback, in one run
BENCH_BINS = $(BUILD)/bench/bench_load $(BUILD)/bench/bench_raw $(BUILD)/bench/bench_first \
             $(BUILD)/bench/bench_fsync $(BUILD)/bench/bench_city $(BUILD)/bench/bench_replay
# bench_city builds a city at scale with the daemon's own modules
$(BUILD)/bench/bench_city: $(BUILD)/obj/tests/bench/bench_city.o $(DAEMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@
$(BUILD)/bench/%: $(BUILD)/obj/tests/bench/%.o $(BUILD)/obj/gen/gridcase.pb-c.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@
$(BUILD)/obj/tests/bench/bench_%.o: tests/bench/%.c $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	tests/bench/run.sh $(BUILD)

# The daemon end to end under valgrind memcheck (a build without sanitizers)
valgrind: deps
	@$(MAKE) --no-print-directory all
	tests/valgrind.sh $(BUILD)

FUZZ_TIME ?= 60
# The gateway's routes under the fuzzer: everything of the gateway but main
$(BUILD)/tests/fuzz_gateway: $(BUILD)/obj/tests/fuzz_gateway.o $(filter-out %/gateway.o,$(GATEWAY_OBJ)) \
  $(BUILD)/lib/libgridcase.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer $^ $(shell pkg-config --libs $(GATEWAY_PKGS) 2>/dev/null) -lm -o $@
$(BUILD)/obj/tests/fuzz_gateway.o: CFLAGS += -Iclients/gateway $(shell pkg-config --cflags libmicrohttpd libxml-2.0 2>/dev/null)

fuzz: deps
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang SANITIZE=1 FUZZ=1 \
	  build/fuzz/tests/fuzz_request build/fuzz/tests/fuzz_gateway
	@rm -rf build/fuzz/seeds && mkdir -p build/fuzz/seeds build/fuzz/corpus
	GC_FUZZ_SEEDS=build/fuzz/seeds build/fuzz/tests/fuzz_request
	build/fuzz/tests/fuzz_request -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
	  -rss_limit_mb=4096 build/fuzz/corpus build/fuzz/seeds
	@rm -rf build/fuzz/gateway-seeds && mkdir -p build/fuzz/gateway-seeds build/fuzz/gateway-corpus
	GC_FUZZ_SEEDS=build/fuzz/gateway-seeds build/fuzz/tests/fuzz_gateway
	build/fuzz/tests/fuzz_gateway -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
	  -rss_limit_mb=4096 build/fuzz/gateway-corpus build/fuzz/gateway-seeds

# The test run: sanitizer build in build/test (and the plain build, which a
# test runs under an address-space limit), then every test program; the last
# line says "N passed, N failed".
test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory BUILD=build/test SANITIZE=1 tests
	@tests/run.sh build/test

run: deps
	@$(MAKE) --no-print-directory all
	$(BUILD)/bin/gridcased -c deploy/sample-city.cfg -d var/gridcase

LIBDIR ?= $(PREFIX)/lib
# The page as built by make web (the Debian build brings it prebuilt)
WEB_DIST ?= $(BUILD)/web
install: all
	@$(MAKE) --no-print-directory install-files
install-files:
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PREFIX)/include \
	  $(DESTDIR)$(PREFIX)/share/gridcase
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(BUILD)/lib/libgridcase.a $(DESTDIR)$(LIBDIR)/
	install -m 644 $(BUILD)/lib/libgridcase.so $(DESTDIR)$(LIBDIR)/libgridcase.so.$(VERSION)
	ln -sf libgridcase.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libgridcase.so
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 \
	  $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 644 $(BUILD)/man/gridcase.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 $(BUILD)/man/gridcase.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 644 $(BUILD)/man/gridcased.8 $(BUILD)/man/gridcase-gateway.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 644 deploy/bash-completion/gridcase $(DESTDIR)$(PREFIX)/share/bash-completion/completions/
	install -m 644 include/gridcase.h include/gridcase_json.h $(BUILD)/gen/gridcase.pb-c.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 proto/gridcase.proto deploy/sample-city.cfg deploy/sample-roster.cfg deploy/sample-grids.geojson \
	  $(DESTDIR)$(PREFIX)/share/gridcase/
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig
	printf 'prefix=%s\nlibdir=$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))\nincludedir=$${prefix}/include\n\nName: libgridcase\nDescription: gridcase client library (ZeroMQ + protobuf case events, outbox)\nVersion: %s\nRequires.private: libczmq libzmq libprotobuf-c lmdb libcrypto jansson\nLibs: -L$${libdir} -lgridcase\nCflags: -I$${includedir}\n' \
	  '$(PREFIX)' '$(VERSION)' > $(DESTDIR)$(LIBDIR)/pkgconfig/libgridcase.pc
	install -d $(DESTDIR)$(PREFIX)/share/gridcase/web/vendor
	install -m 644 $(wildcard $(WEB_DIST)/*.*) $(DESTDIR)$(PREFIX)/share/gridcase/web/
	install -m 644 $(wildcard $(WEB_DIST)/vendor/*) $(DESTDIR)$(PREFIX)/share/gridcase/web/vendor/

# Debian packages (deploy/debian) into $(BUILD)/deb: the source tree copied
# with deploy/debian as debian/ and the page prebuilt as web-dist/, built by
# dpkg-buildpackage -us -uc -b, checked by lintian (errors fail the build)
deb: deps web
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/gridcase-$(VERSION)
	tar -cf - --exclude=./build --exclude=./var --exclude=./web/node_modules --exclude=./.git . | \
	  tar -xf - -C $(BUILD)/deb/gridcase-$(VERSION)
	cp -r deploy/debian $(BUILD)/deb/gridcase-$(VERSION)/debian
	cp -r $(BUILD)/web $(BUILD)/deb/gridcase-$(VERSION)/web-dist
	rm -f $(BUILD)/deb/gridcase-$(VERSION)/web-dist/.built
	cd $(BUILD)/deb/gridcase-$(VERSION) && dpkg-buildpackage -us -uc -b > ../build.log 2>&1 || \
	  { tail -40 ../build.log; exit 1; }
	rm -rf $(BUILD)/deb/gridcase-$(VERSION)
	lintian --fail-on error $(BUILD)/deb/*.changes
	@ls $(BUILD)/deb/*.deb

format:
	clang-format -i daemon/*.c daemon/*.h clients/*.c clients/*.h clients/lib/*.c clients/gateway/*.c clients/gateway/*.h include/*.h tests/*.c tests/*.h tests/bench/*.c

lint: $(GEN)
	clang-format --dry-run --Werror daemon/*.c daemon/*.h clients/*.c clients/*.h clients/lib/*.c clients/gateway/*.c clients/gateway/*.h include/*.h tests/*.c tests/*.h
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --suppress=missingIncludeSystem -I include -I daemon -I $(BUILD)/gen \
	  daemon clients tests

clean:
	rm -rf build
