/*
 * The object-storage half of the catalog (internal to brokerd/catalog/):
 * objects, their blocks per stream, each stream's end and log start, and
 * the uploaded end of the WAL.  The public calls are in catalog.h; this
 * header is what catalog.c and catalog_objects.c share.
 *
 * Memory: each stream keeps its live blocks by value in one array sorted by
 * offset (what catalog_stream_blocks hands out, searched by bisection);
 * streams sit in an array sorted by id; objects sit in a dense array with
 * an open-addressing hash of their positions by id.  A live object also
 * keeps the ids of the streams it has blocks in, so a replace finds the
 * blocks to remove without scanning every stream.
 *
 * Every change runs in two steps: catalog_objects_prepare checks a record
 * and reserves all the memory applying it needs (before it is journaled),
 * catalog_objects_apply then cannot fail.
 */
#ifndef SLUICE_CATALOG_OBJECTS_H
#define SLUICE_CATALOG_OBJECTS_H

#include <stddef.h>
#include <stdint.h>

#include "brokerd/catalog/catalog.h"
#include "brokerd/catalog/catalog_record.h"

struct catalog_stream {
	uint64_t id;
	int64_t log_start;
	int64_t end;                  /* end of the last block committed */
	struct catalog_block *blocks; /* live blocks in offset order */
	uint32_t count, cap;
};

struct catalog_obj {
	struct catalog_object obj;
	int64_t retired_ms;           /* CATALOG_LIVE while live */
	uint64_t *streams;            /* ascending; live objects only */
	uint32_t stream_count;
};

struct catalog_objects {
	uint64_t uploaded_end;
	struct catalog_stream *streams; /* by id */
	size_t stream_count, stream_cap;
	struct catalog_obj *objs;
	size_t obj_count, obj_cap;
	uint32_t *slots;                /* 1 + position in objs, 0 empty */
	size_t slot_count;              /* a power of two, or 0 */
	uint64_t block_count;           /* live blocks in all streams */
	/* Stream lists prepared for the objects a record adds. */
	uint64_t **pending;
	uint32_t *pending_counts;
	size_t pending_count;
	char why[192];                  /* a formatted refusal reason */
};

/* ---- provided by catalog.c ---- */

/* The catalog's object state. */
const struct catalog_objects *catalog_objects_of(const struct catalog *cat);

/* Stream ids below this one have been handed out. */
uint64_t catalog_next_stream_id(const struct catalog *cat);

/* Checks, reserves, journals (fdatasync) and applies rec.  Returns 0,
 * catalog_objects_prepare's refusal with *why set, SL_ENOMEM or SL_EIO. */
int catalog_commit(struct catalog *cat, struct catalog_record *rec,
		   const char **why);

/* ---- catalog_objects.c ---- */

void catalog_objects_free(struct catalog_objects *co);

/* Whether records of this type change the object state. */
int catalog_objects_handles(enum catalog_record_type type);

/* Checks an UPLOAD, REPLACE, FORGET or LOG_START record against the state
 * (cat tells live, deleted and unknown streams apart) and reserves what
 * applying it needs.  Returns 0, SL_ESTALE (does not match the state) or
 * SL_EINVAL (malformed) with *why set, or SL_ENOMEM. */
int catalog_objects_prepare(struct catalog_objects *co,
			    const struct catalog *cat,
			    const struct catalog_record *rec, const char **why);

/* Applies a record catalog_objects_prepare accepted just before. */
void catalog_objects_apply(struct catalog_objects *co,
			   const struct catalog *cat,
			   const struct catalog_record *rec);

/* Fills in the object-storage fields of a snapshot's STATE record. */
void catalog_objects_totals(const struct catalog_objects *co,
			    struct catalog_record *rec_state);

/* Appends the snapshot records (OBJECTS, then STREAM) of the state to buf.
 * Returns 0, SL_ENOMEM or SL_EINVAL. */
int catalog_objects_encode(const struct catalog_objects *co, uint64_t seq,
			   struct byte_buf *buf);

/* Loads one OBJECTS or STREAM record of a snapshot (objects come first).
 * Returns 0, SL_ENOMEM, or SL_ECORRUPT with *why set. */
int catalog_objects_load(struct catalog_objects *co,
			 const struct catalog_record *rec, const char **why);

/* After the last snapshot record: checks the totals of rec_state and that
 * blocks and objects agree, and rebuilds the objects' stream lists.
 * Returns 0, SL_ENOMEM, or SL_ECORRUPT with *why set. */
int catalog_objects_load_finish(struct catalog_objects *co,
				const struct catalog *cat,
				const struct catalog_record *rec_state,
				const char **why);

/* Gives back the growth slack of the block and stream arrays (at open:
 * a catalog loaded or replayed carries none).  Best effort; never fails. */
void catalog_objects_shrink(struct catalog_objects *co);

/* Heap bytes the object state holds (arrays at their capacity). */
size_t catalog_objects_memory(const struct catalog_objects *co);

#endif
