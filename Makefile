# The two commands of the README, and a few more. Everything goes through CMake presets.
#   make run    installs what is missing, builds, starts the demo on 127.0.0.1:8080
#   make test   installs what is missing, builds, runs the whole test suite
PRESET ?= release
BUILD  := build/$(PRESET)
JOBS   ?= $(shell nproc)

.PHONY: deps configure build run test test-fast test-asan test-tsan bench fuzz format format-check tidy clean screenshots

deps:
	@tools/install_deps.sh

configure: deps
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/outagemap demo $(ARGS)

test: build format-check
	@python3 tools/check_layering.py
	@ctest --test-dir $(BUILD) -j $(JOBS) --output-on-failure --timeout 900

# Clang with AddressSanitizer + UndefinedBehaviorSanitizer, every test but the slow ones.
test-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build build/asan -j $(JOBS)
	@ctest --preset asan -j $(JOBS) --timeout 900

# Unit tests only (seconds).
test-fast: build
	@ctest --test-dir $(BUILD) -j $(JOBS) --output-on-failure -L unit

# Clang with ThreadSanitizer, the modules labelled `concurrency` (base, store, api, auth, alerts,
# official).
test-tsan: deps
	@cmake --preset tsan >/dev/null
	@cmake --build build/tsan -j $(JOBS) --target om_base_test om_store_test om_api_test om_auth_test om_alerts_test \
		om_official_test
	@TSAN_OPTIONS=halt_on_error=1 ctest --preset tsan -j $(JOBS) --timeout 900

# Runs the browser tests against the demo and keeps their screenshots in docs/screenshots/.
screenshots: build
	@python3 tests/e2e/browser_test.py $(BUILD)/outagemap docs/screenshots

bench: build
	$(BUILD)/bench/om_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

# A fuzzing campaign: every target in fuzz/ for RUNS executions (libFuzzer, ASan + UBSan),
# two at a time (docs/reliability.md, "Fuzzing").
RUNS ?= 1000000
fuzz: deps
	@PARALLEL=$(JOBS) tools/fuzz/campaign.sh $(RUNS)

SOURCES = $$(git ls-files 'src/*.h' 'src/*.cc' 'bench/*.cc' 'fuzz/*.cc')

format:
	@clang-format -i $(SOURCES)

format-check:
	@clang-format --dry-run --Werror $(SOURCES)

# clang-tidy with .clang-tidy over the non-test sources and our headers (about 10 minutes on
# 2 cores); any finding fails it. CI runs it (docs/architecture.md, "Static analysis").
tidy: deps
	@cmake --preset asan >/dev/null
	@run-clang-tidy -p build/asan -j $(JOBS) -quiet $$(git ls-files 'src/*.cc' | grep -v _test.cc)

clean:
	rm -rf build
