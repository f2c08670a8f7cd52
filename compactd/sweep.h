/*
 * What compactd deletes from the bucket: retired objects (inputs of a
 * committed rewrite) once retired.grace.ms has passed, so reads that
 * started before the commit can finish; and orphans, objects under o/
 * that the catalog knows neither live nor retired (an upload or a rewrite
 * whose commit was refused, never answered, or never sent because its
 * daemon died) once orphan.grace.ms has passed since they were written.
 *
 * The bucket is listed before the catalog is read: an object in the
 * listing that is not in the catalog read after it was either never
 * committed or is being committed right now, and a commit follows its
 * PUT within seconds, far inside the grace period.  Pure functions over
 * the catalog view and the listing.
 */
#ifndef SLUICE_COMPACTD_SWEEP_H
#define SLUICE_COMPACTD_SWEEP_H

#include <stddef.h>
#include <stdint.h>

struct catalog_view;
struct objstore_entry;

/* An object found in the bucket. */
struct sweep_listed {
	uint64_t id;
	int64_t modified_ms;
};

/* The object keys of a LIST of "o/" (keys that are not object keys are
 * skipped).  Returns 0 with *out (malloc'd) and *n, or SL_ENOMEM. */
int sweep_parse_list(const struct objstore_entry *e, size_t count,
		     struct sweep_listed **out, size_t *n);

/* Retired objects retired at least grace_ms before the view's now.
 * Returns 0 with *ids (malloc'd) and *n, or SL_ENOMEM. */
int sweep_retired(const struct catalog_view *v, int64_t grace_ms,
		  uint64_t **ids, size_t *n);

/* Listed objects the view does not know, written at least grace_ms
 * before now_ms (the local clock).  Returns 0 with *ids and *n, or
 * SL_ENOMEM. */
int sweep_orphans(const struct catalog_view *v, const struct sweep_listed *l,
		  size_t count, int64_t grace_ms, int64_t now_ms, uint64_t **ids,
		  size_t *n);

#endif
