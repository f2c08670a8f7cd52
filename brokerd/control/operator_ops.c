/*
 * Control operations for operators (sluicectl): topics (each partition's
 * offsets and where its bytes are: WAL or S3), wal (what the log holds),
 * catalog (a summary of the system of record) and seal_now (publish what
 * is durable as a region, so uploaderd uploads it now).  They only read
 * brokerd's state, except seal_now, which does early what the region timer
 * would do anyway.  Event-loop thread only.
 */
#include <stdio.h>
#include <string.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/catalog/topic_config.h"
#include "brokerd/control/control_ops.h"
#include "brokerd/partition/partition.h"
#include "brokerd/shm/segment.h"
#include "brokerd/upload/catalog_mirror.h"
#include "brokerd/upload/regions.h"
#include "brokerd/wal/wal.h"
#include "common/object_format.h"
#include "common/shm_layout.h"

/* What one partition holds in the WAL: batches at or above the trim
 * (below it they are in S3 and only maybe still in the cache). */
struct operator_wal_use {
	uint64_t batches, records, bytes;
	int64_t first_offset; /* -1 when nothing is in the WAL */
};

/* Sums the partition's batches still in the WAL. */
static void operator_wal_use_of(const struct partition *p, uint64_t trim,
				struct operator_wal_use *u)
{
	memset(u, 0, sizeof *u);
	u->first_offset = -1;
	for (size_t i = 0; i < p->batch_count; i++) {
		const struct batch_entry *e = &p->batches[i];
		if (e->wal_pos < trim)
			continue;
		if (u->first_offset < 0)
			u->first_offset = e->base_offset;
		u->batches++;
		u->records += (uint64_t)(e->last_offset - e->base_offset + 1);
		u->bytes += e->len;
	}
}

/* One partition of a topic as JSON (a new reference). */
static json_t *operator_partition_json(const struct topic *t, int32_t k)
{
	uint64_t stream = topic_stream_id(t, k);
	struct partition *p = partition_by_stream(broker.partitions, stream);
	struct operator_wal_use u = {.first_offset = -1};
	if (p)
		operator_wal_use_of(p, wal_trim(broker.wal), &u);
	size_t n = 0;
	const struct catalog_block *b = catalog_stream_blocks(broker.catalog, stream, &n);
	uint64_t s3_bytes = 0;
	for (size_t i = 0; i < n; i++)
		s3_bytes += b[i].size;
	return json_pack("{s:i, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I}, "
			 "s:{s:I, s:I, s:I, s:I}}",
			 "partition", (int)k, "stream", (json_int_t)stream,
			 "log_start", (json_int_t)(p ? p->log_start : 0),
			 "high_watermark", (json_int_t)(p ? p->high_watermark : 0),
			 "log_end", (json_int_t)(p ? p->next_offset : 0),
			 "wal", "batches", (json_int_t)u.batches, "records",
			 (json_int_t)u.records, "bytes", (json_int_t)u.bytes,
			 "first_offset", (json_int_t)u.first_offset,
			 "s3", "blocks", (json_int_t)n, "bytes", (json_int_t)s3_bytes,
			 "first_offset", (json_int_t)(n ? b[0].start_offset : -1),
			 "end_offset", (json_int_t)(n ? b[n - 1].end_offset : -1));
}

/* Formats a topic id as the usual 8-4-4-4-12 hex UUID. */
static void operator_uuid_format(const uint8_t id[16], char out[37])
{
	char *o = out;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		o += sprintf(o, "%02x", id[i]);
	}
}

/* {"op":"topics"[,"topic":name]}: topics, their configs set explicitly,
 * and every partition's offsets and bytes in the WAL and in S3. */
json_t *operator_op_topics(struct control_conn *cc, json_t *req)
{
	const char *only = json_string_value(json_object_get(req, "topic"));
	json_t *topics = json_array();
	size_t nt = catalog_topic_count(broker.catalog);
	for (size_t i = 0; i < nt; i++) {
		const struct topic *t = catalog_topic_at(broker.catalog, i);
		if (only && strcmp(only, t->name))
			continue;
		char uuid[37];
		operator_uuid_format(t->id, uuid);
		json_t *configs = json_object();
		for (size_t c = 0; c < t->config_count; c++)
			json_object_set_new(configs, t->configs[c].name,
					    json_string(t->configs[c].value));
		json_t *parts = json_array();
		for (int32_t k = 0; k < t->partition_count; k++)
			json_array_append_new(parts, operator_partition_json(t, k));
		json_array_append_new(topics,
				      json_pack("{s:s, s:s, s:i, s:o, s:o}", "name", t->name,
						"id", uuid, "partition_count",
						(int)t->partition_count, "configs", configs,
						"partitions", parts));
	}
	if (only && json_array_size(topics) == 0) {
		json_decref(topics);
		return control_error("topics: no topic '%s'", only);
	}
	return json_pack("{s:b, s:o}", "ok", 1, "topics", topics);
}

/* {"op":"wal"}: the log's offsets, what it holds, and the regions. */
json_t *operator_op_wal(struct control_conn *cc, json_t *req)
{
	uint64_t trim = wal_trim(broker.wal), batches = 0, records = 0, bytes = 0;
	size_t nt = catalog_topic_count(broker.catalog), partitions = 0;
	for (size_t i = 0; i < nt; i++) {
		const struct topic *t = catalog_topic_at(broker.catalog, i);
		for (int32_t k = 0; k < t->partition_count; k++) {
			struct partition *p = partition_by_stream(
				broker.partitions, topic_stream_id(t, k));
			struct operator_wal_use u;
			if (!p)
				continue;
			operator_wal_use_of(p, trim, &u);
			batches += u.batches;
			records += u.records;
			bytes += u.bytes;
			if (u.batches)
				partitions++;
		}
	}
	const struct shm_region_ring *ring = shm_regions(broker.shm);
	return json_pack("{s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
			 "s:I, s:{s:I, s:I}, s:{s:I, s:I, s:I}}",
			 "ok", 1, "path", broker.cfg->wal_path,
			 "ring_bytes", (json_int_t)wal_ring_bytes(broker.wal),
			 "head", (json_int_t)wal_head(broker.wal),
			 "durable", (json_int_t)wal_durable(broker.wal),
			 "trim", (json_int_t)trim,
			 "used", (json_int_t)(wal_head(broker.wal) - trim),
			 "max_batch_bytes", (json_int_t)wal_max_batch_bytes(broker.wal),
			 "batches", (json_int_t)batches, "records", (json_int_t)records,
			 "batch_bytes", (json_int_t)bytes,
			 "partitions", (json_int_t)partitions,
			 "uploaded_end", (json_int_t)catalog_uploaded_end(broker.catalog),
			 "cache", "low", (json_int_t)broker.counters[BC_cache_low],
			 "high", (json_int_t)broker.counters[BC_cache_high],
			 "regions", "sealed", (json_int_t)ring->sealed,
			 "committed", (json_int_t)ring->committed,
			 "uploaded_end", (json_int_t)ring->uploaded_end);
}

/* Adds the live blocks of stream to the totals. */
static void operator_count_blocks(uint64_t stream, uint64_t *blocks, uint64_t *bytes)
{
	size_t n = 0;
	const struct catalog_block *b = catalog_stream_blocks(broker.catalog, stream, &n);
	*blocks += n;
	for (size_t i = 0; i < n; i++)
		*bytes += b[i].size;
}

/* {"op":"catalog"}: a summary of the catalog: topics, objects live and
 * retired, blocks, how far the WAL is uploaded, the copy in the bucket. */
json_t *operator_op_catalog(struct control_conn *cc, json_t *req)
{
	uint64_t live = 0, retired = 0, live_bytes = 0, retired_bytes = 0;
	uint64_t stream_set = 0, single = 0;
	size_t no = catalog_object_count(broker.catalog);
	for (size_t i = 0; i < no; i++) {
		const struct catalog_object *o = catalog_object_at(broker.catalog, i);
		if (!o)
			break;
		if (catalog_object_is_retired(broker.catalog, o->id, NULL) == 1) {
			retired++;
			retired_bytes += o->size;
			continue;
		}
		live++;
		live_bytes += o->size;
		if (o->flags & OBJECT_FLAG_STREAM_SET)
			stream_set++;
		else
			single++;
	}
	uint64_t blocks = 0, block_bytes = 0, dead_streams = 0;
	size_t nt = catalog_topic_count(broker.catalog), partitions = 0;
	for (size_t i = 0; i < nt; i++) {
		const struct topic *t = catalog_topic_at(broker.catalog, i);
		partitions += (size_t)t->partition_count;
		for (int32_t k = 0; k < t->partition_count; k++)
			operator_count_blocks(topic_stream_id(t, k), &blocks,
					      &block_bytes);
	}
	for (uint64_t s = catalog_dead_stream_next(broker.catalog, 0); s;
	     s = catalog_dead_stream_next(broker.catalog, s)) {
		dead_streams++;
		operator_count_blocks(s, &blocks, &block_bytes);
	}
	return json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I, "
			 "s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:{s:I, s:I}, s:I}",
			 "ok", 1, "generation", (json_int_t)catalog_generation(broker.catalog),
			 "mirror_pending", (json_int_t)catalog_mirror_pending(),
			 "seq", (json_int_t)catalog_seq(broker.catalog),
			 "topics", (json_int_t)nt, "partitions", (json_int_t)partitions,
			 "uploaded_end", (json_int_t)catalog_uploaded_end(broker.catalog),
			 "objects", "live", (json_int_t)live, "live_bytes",
			 (json_int_t)live_bytes, "retired", (json_int_t)retired,
			 "retired_bytes", (json_int_t)retired_bytes, "stream_set",
			 (json_int_t)stream_set, "single_stream", (json_int_t)single,
			 "blocks", "live", (json_int_t)blocks, "bytes", (json_int_t)block_bytes,
			 "deleted_streams_with_blocks", (json_int_t)dead_streams);
}

/* {"op":"seal_now"}: publishes what is durable as a region now.  The reply
 * says whether a region was sealed and up to which WAL offset uploads must
 * reach for everything durable now to be in S3 ("until"). */
json_t *operator_op_seal_now(struct control_conn *cc, json_t *req)
{
	const struct shm_region_ring *ring = shm_regions(broker.shm);
	uint64_t before = ring->sealed;
	regions_seal_now();
	return json_pack("{s:b, s:b, s:I, s:I, s:I, s:i}", "ok", 1, "sealed",
			 ring->sealed > before, "regions_sealed", (json_int_t)ring->sealed,
			 "until", (json_int_t)wal_durable(broker.wal), "uploaded_end",
			 (json_int_t)ring->uploaded_end, "uploader_attached",
			 control_subscribers("regions"));
}
