/*
 * The "commit_upload" control operation: uploaderd proposes an object that
 * holds WAL region [wal_start, wal_end); brokerd checks the proposal against
 * its generation and the catalog (which refuses anything but the next range
 * in order, or an exact repeat), journals it with fsync, then moves the WAL
 * trim point past the region and answers.  A refused or unanswered upload
 * is an orphan for compactd.
 *
 * Request: {"op":"commit_upload","generation":G,
 *   "object":{"id":"<16 hex>","size":N,"wal_start":S,"wal_end":E,
 *             "flags":F,"created_ms":T},
 *   "blocks":[[stream,start,end,max_timestamp,records,position,size,crc],...]}
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/control/control_codec.h"
#include "brokerd/control/control_ops.h"
#include "brokerd/partition/partition.h"
#include "brokerd/shm/segment.h"
#include "brokerd/txn/producer_snapshot.h"
#include "brokerd/upload/catalog_mirror.h"
#include "brokerd/upload/regions.h"
#include "brokerd/wal/wal.h"
#include "common/counters.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/shm_layout.h"

/* Reads a non-negative JSON integer field; -1 when missing or negative. */
static int64_t upload_json_u(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	return json_integer_value(v);
}

/* Moves the WAL trim to limit (a block boundary the producer snapshot on
 * disk covers). */
static void upload_trim_to(uint64_t limit)
{
	if (!broker.wal)
		return;
	if (limit > wal_trim(broker.wal)) {
		int rc = wal_set_trim(broker.wal, limit);
		if (rc)
			log_error("upload: cannot move the WAL trim to %" PRIu64 ": %s",
				  limit, sl_error_name(rc));
	}
	COUNTER_SET(wal_trim, wal_trim(broker.wal));
	/* index entries below both the trim and the cache now live in S3 */
	uint64_t low = shm_cache_low(broker.shm);
	partition_table_drop_below(broker.partitions,
				   low < wal_trim(broker.wal) ? low : wal_trim(broker.wal));
}

/* After a commit: the WAL below uploaded_end may be reused once the
 * producer state of what it holds is in a snapshot (at once when the
 * last one covers it, else a new one is written first). */
static void upload_advance_trim(uint64_t uploaded_end)
{
	if (uploaded_end > wal_trim(broker.wal))
		producer_snapshot_before_trim(uploaded_end, upload_trim_to);
	regions_on_commit(uploaded_end);
}

/* A commit's answer waiting for the catalog's copy in the bucket. */
struct upload_reply {
	struct control_reply_slot *slot;
	json_t *reply;
};

/* Mirror callback: the commit is in the bucket; answer uploaderd. */
static void upload_reply_now(void *arg)
{
	struct upload_reply *ur = arg;
	control_complete(ur->slot, ur->reply);
	free(ur);
}

json_t *upload_op_commit(struct control_conn *cc, json_t *req)
{
	json_t *obj = json_object_get(req, "object");
	int64_t gen = upload_json_u(req, "generation");
	uint64_t id;
	if (!json_is_object(obj) ||
	    control_codec_id_parse(json_object_get(obj, "id"), &id) < 0)
		return control_error("commit_upload: malformed object");
	if (gen != (int64_t)broker.generation)
		return control_error("commit_upload: generation %lld is not brokerd's %llu",
				     (long long)gen, (unsigned long long)broker.generation);
	struct catalog_object o = {
		.id = id,
		.size = (uint64_t)upload_json_u(obj, "size"),
		.wal_start = (uint64_t)upload_json_u(obj, "wal_start"),
		.wal_end = (uint64_t)upload_json_u(obj, "wal_end"),
		.created_ms = upload_json_u(obj, "created_ms"),
		.flags = (uint32_t)upload_json_u(obj, "flags"),
	};
	if (upload_json_u(obj, "size") <= 0 || upload_json_u(obj, "wal_start") < 0 ||
	    upload_json_u(obj, "wal_end") <= upload_json_u(obj, "wal_start") ||
	    o.wal_end > wal_durable(broker.wal))
		return control_error("commit_upload: bad object fields or WAL range");
	struct catalog_block *blocks = NULL;
	ssize_t n = control_codec_blocks_parse(json_object_get(req, "blocks"), id,
					       CONTROL_CODEC_MAX_BLOCKS, &blocks);
	if (n < 0)
		return control_error("commit_upload: malformed blocks");
	o.block_count = (uint32_t)n;
	int already = 0;
	int rc = catalog_commit_upload(broker.catalog, &o, blocks, (size_t)n, &already);
	free(blocks);
	uint64_t uploaded_end = catalog_uploaded_end(broker.catalog);
	if (rc == SL_ESTALE) {
		log_warn("upload: refused object %016" PRIx64 " for WAL [%" PRIu64 ", %" PRIu64
			 "): the catalog is at %" PRIu64,
			 id, o.wal_start, o.wal_end, uploaded_end);
		json_t *r = control_error("commit_upload: refused: does not match the catalog");
		json_object_set_new(r, "uploaded_end", json_integer((json_int_t)uploaded_end));
		return r;
	}
	if (rc)
		return control_error("commit_upload: catalog: %s", sl_error_name(rc));
	if (!already)
		log_info("upload: committed object %016" PRIx64 " (%" PRIu64 " bytes, %zd blocks) for WAL [%" PRIu64 ", %" PRIu64 ")",
			 id, o.size, n, o.wal_start, o.wal_end);
	upload_advance_trim(uploaded_end);
	COUNTER_ADD(uploads_committed, !already);
	/* "committed" is said only once the catalog's copy in the bucket has
	 * the change, so the object outlives a loss of this disk */
	struct upload_reply *ur = malloc(sizeof *ur);
	if (!ur)
		log_panic("upload: out of memory");
	ur->slot = control_defer(cc);
	ur->reply = json_pack("{s:b, s:b, s:I}", "ok", 1, "already", already,
			      "uploaded_end", (json_int_t)uploaded_end);
	catalog_mirror_wait(catalog_seq(broker.catalog), upload_reply_now, ur);
	return NULL;
}
