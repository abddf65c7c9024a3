/* config/env.h — environment substitution in config scalars.
 *
 * `${env:VAR}` is replaced by the value of VAR (an error when unset),
 * `${env:VAR:-default}` by VAR or `default` when VAR is unset, `$$` by one
 * `$`. Any other `${...}` and any lone `$` are kept as written, reserved for
 * future providers (as the Rust engine does). Variable names are
 * [A-Za-z_][A-Za-z0-9_]*. */
#ifndef DF_CONFIG_ENV_H
#define DF_CONFIG_ENV_H

#include <stddef.h>

#include "df/arena.h"

/* Substitutes in `len` bytes of `in`. On success stores a NUL-terminated
 * arena string in *out and its length in *out_len and returns 0 (when there
 * is nothing to substitute *out may be a copy of the input). On failure
 * writes a message into err[errlen] and returns DF_EINVAL (unset variable,
 * bad name, unterminated `${env:`) or DF_ENOMEM. */
int df_env_substitute(const char *in, size_t len, struct df_arena *a, char **out, size_t *out_len,
                      char *err, size_t errlen);

#endif
