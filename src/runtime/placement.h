/* runtime/placement.h — which cores a pipeline runs on.
 *
 * The engine's available cores are the process's CPU affinity set. A
 * pipeline's core_allocation policy selects among them: all_cores, the first
 * `count` (0 = all), or an explicit core_set whose cores must all be
 * available. `--num-cores N` / `--core-id-range A-B` replace the top-level
 * policy (as the Rust engine's CLI does), so pipelines and groups that
 * declare their own allocation keep it. Pure functions; any thread. */
#ifndef DF_RUNTIME_PLACEMENT_H
#define DF_RUNTIME_PLACEMENT_H

#include <stddef.h>

#include "config/model.h"

#define DF_MAX_CORES 1024

/* Fills `cores` with the CPU ids this process may run on, ascending;
 * returns how many (at least 1). */
size_t df_placement_available(unsigned *cores, size_t max);

/* Selects the cores for `alloc` among `avail` (ascending, n_avail). Writes
 * them ascending to `out` and their count to *n_out. Returns 0, or DF_ERANGE
 * with a message in `err` (a count above what is available, a core that is
 * not available). */
int df_placement_select(const struct df_core_allocation *alloc, const unsigned *avail,
                        size_t n_avail, unsigned *out, size_t *n_out, char *err, size_t errlen);

/* Formats a core list compactly ("0-3,6"); returns `buf`. */
char *df_placement_format(const unsigned *cores, size_t n, char *buf, size_t len);

#endif
