/*
 * compactd's copy of brokerd's catalog for one run: every stream (with
 * its log start and topic settings) and every object (live with its
 * blocks, or retired), read from the control socket's "streams" and
 * "objects" answers (notes/compaction_protocol.md).  The copy is never
 * written back: brokerd fences every proposal against its own catalog, so
 * a stale view costs a refused rewrite, never data.
 */
#ifndef SLUICE_COMPACTD_CATALOG_VIEW_H
#define SLUICE_COMPACTD_CATALOG_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* cleanup.policy bits. */
#define CV_POLICY_DELETE 0x1
#define CV_POLICY_COMPACT 0x2

struct cv_stream {
	uint64_t id;
	int64_t log_start;
	int64_t end;
	int deleted;               /* its topic is gone: every block may go */
	int policy;                /* CV_POLICY_* */
	int64_t delete_retention_ms;
	int64_t min_compaction_lag_ms;
	int32_t partition;         /* -1 for a deleted stream */
	char *topic;               /* NULL for a deleted stream */
};

/* A block as the catalog lists it (the commit_upload array). */
struct cv_block {
	uint64_t stream_id;
	int64_t start, end;        /* offsets, end exclusive */
	int64_t max_timestamp;
	uint64_t records;
	uint64_t position;
	uint32_t size, crc;
};

struct cv_object {
	uint64_t id;
	uint64_t size;
	uint16_t flags;            /* OBJECT_FLAG_STREAM_SET or 0 */
	int64_t created_ms;
	int64_t retired_ms;        /* -1 while live */
	struct cv_block *blocks;   /* sorted by stream and offset */
	size_t block_count;
};

/* A live block with its object, for walking one stream across objects. */
struct cv_ref {
	const struct cv_object *obj;
	const struct cv_block *blk;
};

struct catalog_view {
	int64_t now_ms;            /* brokerd's clock when it listed the streams */
	struct cv_stream *streams; /* sorted by id */
	size_t stream_count;
	struct cv_object *objects; /* sorted by id */
	size_t object_count, object_cap;
	struct cv_ref *refs;       /* live blocks by stream and offset (finish) */
	size_t ref_count;
};

/* Reads a "streams" answer into an empty view.  Returns 0, SL_EINVAL when
 * the answer is malformed (err says where), or SL_ENOMEM. */
int catalog_view_set_streams(struct catalog_view *v, json_t *reply, char *err,
			     size_t errlen);

/* Appends one "objects" page; *next gets the next page's "after" id and
 * *more 1, or *more 0 at the end.  Returns 0, SL_EINVAL or SL_ENOMEM. */
int catalog_view_add_objects(struct catalog_view *v, json_t *reply,
			     uint64_t *next, int *more, char *err,
			     size_t errlen);

/* Sorts what was added and indexes live blocks by stream; call once after
 * the last page.  Returns 0, SL_EINVAL when an object id came twice or two
 * live blocks of a stream overlap, or SL_ENOMEM. */
int catalog_view_finish(struct catalog_view *v, char *err, size_t errlen);

/* The stream with this id, or NULL (the catalog did not list it). */
const struct cv_stream *catalog_view_stream(const struct catalog_view *v,
					    uint64_t id);

/* The object with this id, or NULL. */
const struct cv_object *catalog_view_object(const struct catalog_view *v,
					    uint64_t id);

/* The live blocks of a stream in offset order (*n of them; NULL if none). */
const struct cv_ref *catalog_view_stream_blocks(const struct catalog_view *v,
						uint64_t stream_id, size_t *n);

/* Whether the block's data may go: its stream is deleted or the block lies
 * wholly below the stream's log start.  A stream the catalog does not list
 * keeps its blocks (nothing is dropped on a guess). */
int catalog_view_block_dead(const struct catalog_view *v,
			    const struct cv_block *b);

/* Parses a 16-hex-digit object id; 0 or SL_EINVAL. */
int catalog_view_parse_id(const char *hex, uint64_t *id);

/* Frees what the view holds and empties it (it may be filled again). */
void catalog_view_free(struct catalog_view *v);

#endif
