# Short commands for df_engine. CMake does the building; see README.md.
#   make        build build/df_engine (release)
#   make run    install what is missing, build, run on the embedded default config
#   make test   install what is missing, build release (gcc), TSan (clang) and
#               ASan+UBSan+fuzz (clang) and run every test through ctest in each
#   make format apply .clang-format

JOBS ?= $(shell nproc)
BUILD := build
CHECK_BUILD := build-asan
TSAN_BUILD := build-tsan

.PHONY: all build run test deps conformance-deps format clean

all: build

deps:
	@scripts/install-deps.sh

build:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: deps build
	./$(BUILD)/df_engine

# The release tests run first, then the same tests under ThreadSanitizer
# (the runtime's threads), then the ASan+UBSan build (clang, with the fuzz
# targets) whose ctest summary is the last thing printed.
test: deps build conformance-deps
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@CC=clang cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDF_TSAN=ON >/dev/null
	@cmake --build $(TSAN_BUILD) -j $(JOBS)
	@cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ctest --output-on-failure -j $(JOBS)
	@CC=clang cmake -S . -B $(CHECK_BUILD) -DCMAKE_BUILD_TYPE=Debug -DDF_SANITIZE=ON -DDF_FUZZ=ON >/dev/null
	@cmake --build $(CHECK_BUILD) -j $(JOBS)
	@cd $(CHECK_BUILD) && ctest --output-on-failure -j $(JOBS)

# The JS SDK packages of the conformance tests, exactly as locked.
conformance-deps:
	@cd tests/conformance && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; }

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(CHECK_BUILD) $(TSAN_BUILD)
