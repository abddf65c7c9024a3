# Unit tests: tests/unit/<module>/test_<name>.c, one cmocka executable each,
# linked with the engine objects and the test-only components.
file(GLOB_RECURSE DF_UNIT_TESTS CONFIGURE_DEPENDS tests/unit/*/test_*.c)
foreach(src ${DF_UNIT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE df_core df_test_components PkgConfig::CMOCKA)
  add_test(NAME unit.${name} COMMAND ${name})
  set_tests_properties(unit.${name} PROPERTIES ENVIRONMENT "DF_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endforeach()

# End-to-end tests of the binaries (tests/e2e/*.sh; each takes the binary and
# the source directory and writes only under a mktemp folder).
set(DF_E2E ${CMAKE_SOURCE_DIR}/tests/e2e)
add_test(NAME e2e.configs COMMAND ${DF_E2E}/check_configs.sh $<TARGET_FILE:df_engine_test> ${DF_E2E}/configs)
add_test(NAME e2e.examples COMMAND ${DF_E2E}/check_examples.sh $<TARGET_FILE:df_engine> ${CMAKE_SOURCE_DIR}/configs)
add_test(NAME e2e.cli COMMAND ${DF_E2E}/check_cli.sh $<TARGET_FILE:df_engine> $<TARGET_FILE:df_engine_test>)
add_test(NAME e2e.catalog_fresh COMMAND ${DF_E2E}/check_catalog.sh $<TARGET_FILE:df_engine> ${CMAKE_SOURCE_DIR}/docs/catalog.md)

# Fuzz targets: tests/fuzz/fuzz_<name>.c with a seed corpus in
# tests/fuzz/corpus/<name>/, each run for a short fixed time as a test.
if(DF_FUZZ)
  file(GLOB DF_FUZZ_TARGETS CONFIGURE_DEPENDS tests/fuzz/fuzz_*.c)
  foreach(src ${DF_FUZZ_TARGETS})
    get_filename_component(name ${src} NAME_WE)
    string(REGEX REPLACE "^fuzz_" "" corpus ${name})
    add_executable(${name} ${src})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(${name} PRIVATE df_core df_test_components)
    add_test(NAME fuzz.${name}
             COMMAND ${CMAKE_SOURCE_DIR}/tests/fuzz/run_fuzz.sh $<TARGET_FILE:${name}>
                     ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${corpus} ${DF_FUZZ_SECONDS})
  endforeach()
endif()

# Registration metadata is enforced by the compiler: these files must not compile.
file(GLOB DF_COMPILE_FAIL CONFIGURE_DEPENDS tests/unit/registry/compile_fail/*.c)
add_test(NAME unit.registration_requires_metadata
         COMMAND ${CMAKE_SOURCE_DIR}/tests/unit/registry/check_compile_fail.sh
                 ${CMAKE_C_COMPILER} ${CMAKE_SOURCE_DIR}/include ${DF_COMPILE_FAIL})

# The running engine: scenarios of tests/e2e/runtime_e2e.py against the
# binaries (admin API on an ephemeral port, signals, metrics, drain).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
foreach(scenario count sigterm nack readyz second_signal start_errors start_failure
                 log_level default_config forward_grpc forward_http forward_nack
                 forward_reconnect retry processors extensions exporter_token
                 bearer_auth tenant_headers oauth2 oidc basic_auth enrich)
  add_test(NAME e2e.runtime.${scenario}
           COMMAND ${Python3_EXECUTABLE} ${DF_E2E}/runtime_e2e.py ${scenario}
                   $<TARGET_FILE:df_engine> $<TARGET_FILE:df_engine_test>)
endforeach()

# Conformance with the OpenTelemetry JS SDK (tests/conformance; node packages
# pinned by its package-lock.json and installed by `make test`).
add_test(NAME conformance.js_sdk_auth
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/conformance/auth_sdk.py
                 $<TARGET_FILE:df_engine> $<TARGET_FILE:df_engine_test>)
add_test(NAME conformance.js_sdk_dataset
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/conformance/dataset_sdk.py
                 $<TARGET_FILE:df_engine>)
add_test(NAME conformance.js_sdk
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/conformance/conformance.py
                 $<TARGET_FILE:df_engine>)
add_test(NAME e2e.bad_input
         COMMAND ${Python3_EXECUTABLE} ${DF_E2E}/bad_input.py $<TARGET_FILE:df_engine>)
add_test(NAME e2e.tls COMMAND ${Python3_EXECUTABLE} ${DF_E2E}/tls_e2e.py $<TARGET_FILE:df_engine>)
add_test(NAME e2e.auth
         COMMAND ${Python3_EXECUTABLE} ${DF_E2E}/auth_e2e.py $<TARGET_FILE:df_engine_test>)
