/* nodes/processors/batch/config.c — processor:batch's option table and its
 * cross-field check. */
#include <stddef.h>

#include "df/options.h"
#include "nodes/processors/batch/batch.h"

static int check_batch(void *obj, const struct df_value *src, const char *path, struct df_diags *d)
{
    const struct batch_config *c = obj;
    if (c->send_batch_max_size && c->send_batch_max_size < c->send_batch_size) {
        df_diags_add(d, src ? &src->mark : NULL, path,
                     "send_batch_max_size (%lld) is smaller than send_batch_size (%lld)",
                     (long long)c->send_batch_max_size, (long long)c->send_batch_size);
        df_diags_hint(d, "raise send_batch_max_size, or set it to 0 for no limit");
        return DF_EINVAL;
    }
    return 0;
}

static const struct df_option batch_opts[] = {
    {.name = "send_batch_size",
     .type = DF_OPT_INT,
     .flags = DF_OPT_BOUNDED,
     .min = 1,
     .max = 1 << 24,
     .def = "8192",
     .offset = offsetof(struct batch_config, send_batch_size),
     .desc = "items (log records, spans, data points) that trigger sending a batch"},
    {.name = "send_batch_max_size",
     .type = DF_OPT_INT,
     .flags = DF_OPT_BOUNDED,
     .min = 0,
     .max = 1 << 24,
     .def = "0",
     .offset = offsetof(struct batch_config, send_batch_max_size),
     .desc = "upper bound on a batch's items; larger requests are split at resource boundaries "
             "(0 = no limit)"},
    {.name = "timeout",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 1000000,
     .max = 3600000000000LL,
     .def = "200ms",
     .offset = offsetof(struct batch_config, timeout),
     .desc = "longest time a part waits before its batch is sent"},
    {.name = "partition_by_identity",
     .type = DF_OPT_BOOL,
     .def = "true",
     .offset = offsetof(struct batch_config, partition_by_identity),
     .desc = "batch the requests of each authenticated sender (the identity an auth_check "
             "extension gave them) apart, so a batch never mixes senders and carries its "
             "sender's identity; false: one batch per signal, carrying an identity only when "
             "all its parts share it"},
    {.name = "metadata_cardinality_limit",
     .type = DF_OPT_INT,
     .flags = DF_OPT_BOUNDED,
     .min = 1,
     .max = 100000,
     .def = "1000",
     .offset = offsetof(struct batch_config, metadata_cardinality_limit),
     .desc = "partitions (signal and sender) batching at once; a new sender beyond it first "
             "sends the oldest partition's batch"},
};

const struct df_option_table batch_table = {
    .name = "struct batch_config",
    .size = sizeof(struct batch_config),
    .options = batch_opts,
    .count = DF_COUNTOF(batch_opts),
    .desc = "processor:batch options.",
    .check = check_batch,
};
