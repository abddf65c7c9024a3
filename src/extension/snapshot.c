/* Snapshot cells (df/extension.h): state published by one thread, read on
 * every core without a lock or an atomic read-modify-write per read.
 *
 * The cell keeps its current version as a reference-counted node. A view
 * holds a reference to the node it last took and the version number it had;
 * a read compares that number with the cell's (a relaxed load) and only on
 * a difference takes the cell's lock, a reference to the current node, and
 * drops its old one. The reference counts are atomic because the last
 * holder of an old version may be any thread. Publication stores the new
 * node and bumps the version under the same lock, so a view that sees the
 * new number and takes the lock finds the node that goes with it (the lock
 * orders the node's contents before the reader's use of them). */
#include <pthread.h>
#include <stdlib.h>

#include "df/error.h"
#include "df/extension.h"

struct df_snapshot_ref {
    uint32_t refs; /* atomic */
    void *value;
    void (*free_fn)(void *value);
};

struct df_snapshot {
    uint64_t version; /* written under lock, read relaxed by views */
    pthread_mutex_t lock;
    struct df_snapshot_ref *current; /* NULL before the first publication */
    void (*free_fn)(void *value);
};

static void unref(struct df_snapshot_ref *r)
{
    if (!r || __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL))
        return;
    if (r->free_fn && r->value)
        r->free_fn(r->value);
    free(r);
}

struct df_snapshot *df_snapshot_new(void (*free_fn)(void *value))
{
    struct df_snapshot *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    c->free_fn = free_fn;
    return c;
}

int df_snapshot_publish(struct df_snapshot *c, void *value)
{
    struct df_snapshot_ref *r = malloc(sizeof *r);
    if (!r) {
        if (c->free_fn && value)
            c->free_fn(value);
        return DF_ENOMEM;
    }
    *r = (struct df_snapshot_ref){.refs = 1, .value = value, .free_fn = c->free_fn};
    pthread_mutex_lock(&c->lock);
    struct df_snapshot_ref *old = c->current;
    c->current = r;
    __atomic_store_n(&c->version, c->version + 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&c->lock);
    unref(old); /* the cell's reference; views may still hold theirs */
    return 0;
}

void df_snapshot_free(struct df_snapshot *c)
{
    if (!c)
        return;
    unref(c->current);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

void df_snapshot_view_init(struct df_snapshot_view *v, struct df_snapshot *c)
{
    *v = (struct df_snapshot_view){.cell = c, .current = &c->version};
    df_snapshot_view_refresh(v);
}

void df_snapshot_view_refresh(struct df_snapshot_view *v)
{
    struct df_snapshot *c = v->cell;
    pthread_mutex_lock(&c->lock);
    struct df_snapshot_ref *r = c->current;
    if (r)
        __atomic_add_fetch(&r->refs, 1, __ATOMIC_RELAXED);
    v->version = c->version;
    pthread_mutex_unlock(&c->lock);
    unref(v->ref);
    v->ref = r;
    v->value = r ? r->value : NULL;
}

void df_snapshot_view_close(struct df_snapshot_view *v)
{
    unref(v->ref);
    *v = (struct df_snapshot_view){0};
}
