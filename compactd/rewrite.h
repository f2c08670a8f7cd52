/*
 * Building the outputs of one rewrite (plan.h) from its input blocks: a
 * pure function from verified block bytes to finished, verified objects
 * with their catalog block lists, ready to PUT and propose.
 *
 * Per stream, in stream order: a deleted stream's data goes; batches
 * wholly below the log start go (a batch straddling it stays whole, as in
 * Kafka; brokerd hides what lies below); a compacted stream keeps the
 * latest record per key (compacted.h).  Streams the rewrite splits get
 * per-stream objects (flags 0), the others share stream-set objects
 * (OBJECT_FLAG_STREAM_SET); both are cut near target.bytes, except a
 * clean rewrite's single output per stream.  An output block never
 * spans an offset range its inputs do not hold (another object may hold
 * the gap), so brokerd's cover check accepts it.  Outputs without data
 * are not made: a rewrite whose data all goes has no outputs.
 */
#ifndef SLUICE_COMPACTD_REWRITE_H
#define SLUICE_COMPACTD_REWRITE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/object_format.h"
#include "compactd/compacted.h"

struct catalog_view;
struct rewrite;

/* An input block, fetched and checked with object_block_verify. */
struct rewrite_block {
	uint64_t object_id;
	struct object_index_entry entry; /* from the object's own index */
	const uint8_t *data;             /* entry.size bytes, caller's */
};

struct rewrite_output {
	uint64_t id;
	uint16_t flags;
	uint8_t *bytes;    /* the object (free() it) */
	size_t len;
	json_t *blocks;    /* the replace_objects block list */
	size_t batches;
};

struct rewrite_result {
	struct rewrite_output *outputs;
	size_t count, cap;
	uint64_t bytes_in, bytes_out;
	uint64_t batches_in, batches_out;
	uint64_t batches_expired; /* below the log start or of deleted streams */
	struct compacted_stats compacted;
};

struct rewrite_params {
	int64_t now_ms;             /* for compacted streams' horizons */
	uint64_t target_bytes;      /* outputs are cut near this size */
	uint64_t (*new_id)(void *arg); /* a fresh object id */
	void *id_arg;
};

/* Builds the outputs of rewrite r from blocks[0..n) (any order; the
 * function sorts the array).  Returns 0 with res filled; SL_ECORRUPT when
 * a block's batches do not parse or an output does not verify (err says
 * which); SL_EINVAL when blocks overlap; SL_ENOMEM.  On failure res holds
 * nothing. */
int rewrite_build(const struct catalog_view *v, const struct rewrite *r,
		  const struct rewrite_params *p, struct rewrite_block *blocks,
		  size_t n, struct rewrite_result *res, char *err, size_t errlen);

/* Frees the outputs and empties res. */
void rewrite_result_free(struct rewrite_result *res);

#endif
