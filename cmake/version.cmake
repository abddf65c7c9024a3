# Generates df_version.h with the project version and the git description.
execute_process(COMMAND git describe --always --dirty
                WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                OUTPUT_VARIABLE DF_GIT_DESCRIBE OUTPUT_STRIP_TRAILING_WHITESPACE
                ERROR_QUIET)
if(NOT DF_GIT_DESCRIBE)
  set(DF_GIT_DESCRIBE "unknown")
endif()
file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/generated)
file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/generated/df_version.h CONTENT
"#define DF_VERSION \"${PROJECT_VERSION}\"\n#define DF_GIT_DESCRIBE \"${DF_GIT_DESCRIBE}\"\n")
