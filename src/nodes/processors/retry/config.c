/* nodes/processors/retry/config.c — processor:retry's options, the
 * Collector's retry_on_failure keys and defaults plus max_pending_bytes. */
#include <stddef.h>

#include "nodes/processors/retry/retry.h"

static int check(void *obj, const struct df_value *src, const char *path, struct df_diags *d)
{
    const struct retry_config *c = obj;
    if (c->max_interval < c->initial_interval) {
        df_diags_add(d, src ? &src->mark : NULL, path,
                     "max_interval is shorter than initial_interval");
        df_diags_hint(d, "raise max_interval or lower initial_interval");
        return DF_EINVAL;
    }
    return 0;
}

static const struct df_option opts[] = {
    {.name = "initial_interval",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 1000000,
     .max = 3600000000000LL,
     .def = "5s",
     .offset = offsetof(struct retry_config, initial_interval),
     .desc = "wait before the first resend"},
    {.name = "max_interval",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 1000000,
     .max = 3600000000000LL,
     .def = "30s",
     .offset = offsetof(struct retry_config, max_interval),
     .desc = "longest wait between resends"},
    {.name = "max_elapsed_time",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 0,
     .max = 86400000000000LL,
     .def = "300s",
     .offset = offsetof(struct retry_config, max_elapsed_time),
     .desc = "give up (pass the Nack on) this long after the first attempt; 0 = never"},
    {.name = "multiplier",
     .type = DF_OPT_FLOAT,
     .flags = DF_OPT_FBOUNDED,
     .fmin = 1.0,
     .fmax = 100.0,
     .def = "1.5",
     .offset = offsetof(struct retry_config, multiplier),
     .desc = "each wait is the previous one times this (with up to 20% jitter)"},
    {.name = "max_pending_bytes",
     .type = DF_OPT_SIZE,
     .flags = DF_OPT_BOUNDED,
     .min = 1024,
     .max = 1LL << 40,
     .def = "64MiB",
     .offset = offsetof(struct retry_config, max_pending_bytes),
     .desc = "request bytes waiting to be resent, per core; beyond, Nacks pass on at once"},
};

const struct df_option_table retry_table = {
    .name = "struct retry_config",
    .size = sizeof(struct retry_config),
    .options = opts,
    .count = DF_COUNTOF(opts),
    .check = check,
    .desc = "processor:retry options.",
};
