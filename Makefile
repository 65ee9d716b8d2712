# The two commands of the README, and a few more. Everything goes through CMake presets.
#   make run    installs what is missing, builds, starts the demo on 127.0.0.1:8080
#   make test   installs what is missing, builds, runs the whole test suite
PRESET ?= release
BUILD  := build/$(PRESET)
JOBS   ?= $(shell nproc)

.PHONY: deps configure build run test test-fast bench fuzz format clean

deps:
	@tools/install_deps.sh

configure: deps
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/outagemap demo $(ARGS)

test: build
	@python3 tools/check_layering.py
	@ctest --test-dir $(BUILD) -j $(JOBS) --output-on-failure --timeout 900

# Unit tests only (seconds).
test-fast: build
	@ctest --test-dir $(BUILD) -j $(JOBS) --output-on-failure -L unit

bench: build
	$(BUILD)/bench/om_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

format:
	@clang-format -i $$(git ls-files 'src/*.h' 'src/*.cc' 'bench/*.cc' 'fuzz/*.cc')

clean:
	rm -rf build
