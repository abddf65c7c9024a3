/* exporter:console — prints every request human-readably to stdout and
 * Acks it. `verbosity`: basic (one summary line per request), normal (a line
 * per record) or detailed (every field). Each request is rendered into
 * memory first and written with one call, so output from several cores
 * never interleaves within a request. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "df/node.h"
#include "nodes/exporters/console/console.h"
#include "otlp/dump.h"

static int console_create(struct df_node *node, const void *options, void **state,
                          struct df_error *err)
{
    *state = (void *)options;
    return 0;
}

static void console_process(struct df_node *node, void *state, struct df_pdata *pd)
{
    const struct console_config *c = state;
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem) {
        df_node_nack(node, pd, DF_OUTCOME_NACK_TRANSIENT, "console exporter: out of memory");
        return;
    }
    int rc = df_otlp_dump(mem, pd->signal, pd->data, pd->len, (enum df_otlp_verbosity)c->verbosity);
    fclose(mem);
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    free(text);
    if (rc < 0)
        df_node_nack(node, pd, DF_OUTCOME_NACK_PERMANENT, "malformed %s request",
                     df_signal_name(pd->signal));
    else
        df_node_ack(node, pd);
}

static const struct df_node_ops console_ops = {.create = console_create,
                                               .process = console_process};

DF_REGISTER_NODE(console_exporter, "urn:otel:exporter:console", DF_NODE_EXPORTER,
                 "Prints logs, spans and metrics human-readably to stdout.",
                 "docs/nodes.md#exporterconsole", .options = &console_table, .ops = &console_ops);
