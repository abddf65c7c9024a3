/* extensions/common/snapshot_view.h — the per-core handle target of a
 * shared provider whose capability methods read one df_snapshot cell: the
 * instance state and the core's df_snapshot_view of the cell. Private to
 * src/extensions/.
 *
 * Thread: ext_view_attach and ext_view_detach on the core's thread (the
 * provider's attach and detach hooks); the view is read on that thread
 * only. */
#ifndef DF_EXTENSIONS_COMMON_SNAPSHOT_VIEW_H
#define DF_EXTENSIONS_COMMON_SNAPSHOT_VIEW_H

#include "df/extension.h"

struct ext_view {
    const void *state; /* the instance's */
    struct df_snapshot_view view;
};

/* Makes a core's view of `cell` for instance `state` into *self. Returns 0
 * or DF_ENOMEM. */
int ext_view_attach(const void *state, struct df_snapshot *cell, void **self);

/* Closes and frees a view made by ext_view_attach. */
void ext_view_detach(void *self);

#endif
