/* extensions/common/snapshot_view.c — a core's view of a shared provider's
 * snapshot cell. See snapshot_view.h. */
#include <stdlib.h>

#include "extensions/common/snapshot_view.h"

int ext_view_attach(const void *state, struct df_snapshot *cell, void **self)
{
    struct ext_view *v = calloc(1, sizeof *v);
    if (!v)
        return DF_ENOMEM;
    v->state = state;
    df_snapshot_view_init(&v->view, cell);
    *self = v;
    return 0;
}

void ext_view_detach(void *self)
{
    struct ext_view *v = self;
    df_snapshot_view_close(&v->view);
    free(v);
}
