/*
 * The catalog's copy in the bucket, so that a node with an empty disk can be
 * rebuilt from the bucket alone: every journaled change is PUT as
 * <prefix>/catalog/journal/<16 hex sequence>, every snapshot as
 * <prefix>/catalog/snapshot (after which the journal copies it covers are
 * deleted).  An upload commit is answered only once its journal record is
 * in the bucket, so anything uploaderd was told is committed survives the
 * loss of brokerd's disk.  Event-loop thread only.
 */
#ifndef SLUICE_CATALOG_MIRROR_H
#define SLUICE_CATALOG_MIRROR_H

#include <stdint.h>

struct catalog;
struct objstore;
struct objstore_options;

/* Hooks the catalog and PUTs a snapshot of its current state.  Returns 0. */
int catalog_mirror_start(struct objstore *os, struct catalog *cat);
void catalog_mirror_stop(void);

/* Calls fn(arg) once every change up to seq is in the bucket. */
void catalog_mirror_wait(uint64_t seq, void (*fn)(void *arg), void *arg);

/* Changes journaled but not yet copied to the bucket. */
uint64_t catalog_mirror_pending(void);

/* Rebuilds dir's catalog from the bucket's copy (snapshot, then journal
 * records in sequence order).  Returns 0, SL_ENOENT when the bucket has no
 * catalog, or another SL_E* after logging. */
int catalog_mirror_restore(const struct objstore_options *opt, const char *dir);

#endif
