/* config/load.h — YAML/JSON text -> df_value tree with marks.
 *
 * The loader reads a YAML 1.1 document with libyaml (JSON files load through
 * the same parser: JSON is YAML flow syntax) and builds a df_value tree in the
 * given arena. It rejects what a config must not contain — several
 * documents, duplicate keys, non-scalar keys, unknown aliases — and applies
 * `${env:VAR}` / `${env:VAR:-default}` / `$$` substitution to every scalar
 * (keys excluded), so marks stay exact. Anchors and aliases are supported;
 * `<<` merge keys are not. Called on the main thread at start-up. */
#ifndef DF_CONFIG_LOAD_H
#define DF_CONFIG_LOAD_H

#include "df/arena.h"
#include "df/error.h"
#include "df/value.h"

/* Loads `len` bytes of `buf`. `name` is the file name used in marks (copied
 * into the arena). On success stores the root in *out (an empty document
 * yields a DF_VALUE_NULL root) and returns 0; on failure adds diagnostics to
 * `d` and returns DF_EPARSE (syntax), DF_EINVAL (structure or substitution)
 * or DF_ENOMEM. */
int df_config_load_buffer(const char *name, const char *buf, size_t len, struct df_arena *a,
                          struct df_value **out, struct df_diags *d);

/* Reads the file at `path` and loads it as above; DF_EIO with a diagnostic
 * naming the file when it cannot be read. */
int df_config_load_file(const char *path, struct df_arena *a, struct df_value **out,
                        struct df_diags *d);

#endif
