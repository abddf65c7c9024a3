/* nodes/processors/batch/batch.h — processor:batch's configuration, private
 * to this folder: the struct its option table fills and checks (config.c)
 * and the runtime reads (batch.c). The parsed struct is read-only once
 * built, so any core's thread may read it. */
#ifndef DF_NODES_PROCESSORS_BATCH_BATCH_H
#define DF_NODES_PROCESSORS_BATCH_BATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "df/options.h"

struct batch_config {
    int64_t send_batch_size;
    int64_t send_batch_max_size;        /* 0 = no limit */
    uint64_t timeout;                   /* ns */
    bool partition_by_identity;         /* batch each sender's requests apart */
    int64_t metadata_cardinality_limit; /* partitions at once */
};

/* Options of processor:batch, filling a struct batch_config; its check
 * rejects a send_batch_max_size below send_batch_size. */
extern const struct df_option_table batch_table;

#endif
