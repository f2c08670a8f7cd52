/*
 * The index behind the "objects" listing: every catalog object in id order
 * with where its blocks are (a stream and a position in that stream's block
 * list, in stream and offset order).
 *
 * The catalog keeps blocks by stream, not by object, so without it every
 * page of a listing passed over every block of the catalog: a listing cost
 * the loop O(pages x blocks).  The index is built in one such pass and kept
 * while the catalog's sequence stays the same, which it does across the
 * pages compactd asks for back to back; a change of the catalog (an upload
 * committed between two pages) makes the next page build it again.
 *
 * Positions are checked when a block is looked up, so an index that is
 * somehow stale yields NULL rather than another object's block.
 * Event-loop thread only; one index at a time.
 */
#ifndef SLUICE_OBJECT_INDEX_H
#define SLUICE_OBJECT_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct catalog;
struct catalog_block;

/* Where one block of an object is. */
struct object_index_ref {
	uint64_t stream_id;
	size_t pos; /* in catalog_stream_blocks(stream_id) */
};

struct object_index {
	const struct catalog *cat;
	uint64_t seq;                 /* catalog_seq when built */
	uint64_t *ids;                /* every object id, ascending */
	size_t count;
	size_t *first;                /* count + 1: object i's refs are */
	struct object_index_ref *refs; /* refs[first[i] .. first[i + 1]) */
};

/* The index of cat if it is current (built at cat's present sequence),
 * else NULL. */
const struct object_index *object_index_current(const struct catalog *cat);

/* Builds the index of cat from its objects and the blocks of the streams
 * stream_ids[0..n) (every stream that may hold blocks), replacing any
 * older one.  Returns it, or NULL when out of memory. */
const struct object_index *object_index_build(const struct catalog *cat,
					      const uint64_t *stream_ids,
					      size_t n);

/* The first position whose id is above after (0 when from_start). */
size_t object_index_after(const struct object_index *ix, int from_start,
			  uint64_t after);

/* The block of ref r of object i, or NULL when the catalog no longer has
 * it there (a stale index). */
const struct catalog_block *object_index_block(const struct object_index *ix,
					       size_t i, size_t r);

/* Frees the index (the next object_index_current returns NULL). */
void object_index_drop(void);

#endif
