/*
 * DescribeLogDirs v0-v4, answered honestly for Sluice's storage.
 *
 * Kafka has one directory per disk holding whole partitions.  Sluice keeps
 * each partition in two places at once: its newest batches in the WAL
 * (until they are uploaded and the WAL is trimmed past them), everything
 * older in object storage, the system of record.  So there are two
 * entries, and a partition appears in both with the bytes it has there:
 *   - the WAL (LogDir = wal.path): PartitionSize is the bytes of the
 *     partition's record batches between the WAL's trim point and its
 *     head; TotalBytes is the ring's size and UsableBytes what is free in
 *     it (v4+), which is what produce back-pressure depends on;
 *   - the object store (LogDir = object.store): PartitionSize is the bytes
 *     of the partition's blocks in live objects, as the catalog records
 *     them; a bucket has no size, so TotalBytes and UsableBytes are -1
 *     ("unknown" in the schema).
 * Summing a partition's sizes over both entries gives its stored bytes
 * (a region being uploaded counts in both for a moment).  OffsetLag is 0
 * and IsFutureKey false: there are no replica moves between directories.
 *
 * Topics null asks for every partition; named topics and partitions that
 * do not exist are left out (a topic with none left too), as Kafka leaves
 * out what a broker does not host.
 */
#include <stdlib.h>
#include <string.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/partition/partition.h"
#include "brokerd/server/request.h"
#include "brokerd/wal/wal.h"
#include "common/errors.h"

/* Bounds on the request's arrays; more is malformed. */
#define DESCRIBE_LOG_DIRS_TOPICS_MAX 100000
#define DESCRIBE_LOG_DIRS_PARTITIONS_MAX 100000

/* One topic to report and which of its partitions. */
struct log_dirs_topic {
	const struct topic *topic;
	int32_t *partitions;   /* NULL: all */
	int32_t count;
};

/* Bytes of partition p's batches still in the WAL. */
static int64_t describe_log_dirs_wal_bytes(const struct partition *p)
{
	uint64_t trim = wal_trim(broker.wal);
	int64_t sum = 0;
	for (size_t i = 0; i < p->batch_count; i++)
		if (p->batches[i].wal_pos >= trim)
			sum += p->batches[i].len;
	return sum;
}

/* Bytes of the stream's blocks in live objects. */
static int64_t describe_log_dirs_object_bytes(uint64_t stream_id)
{
	size_t n;
	const struct catalog_block *b =
		catalog_stream_blocks(broker.catalog, stream_id, &n);
	int64_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += b[i].size;
	return sum;
}

/* Writes one DescribeLogDirsResult: the WAL (in_wal) or the bucket. */
static void describe_log_dirs_write_dir(struct kwriter *w, int16_t ver,
					const struct log_dirs_topic *topics,
					int32_t n, int in_wal)
{
	kw_i16(w, KERR_NONE);                                   /* ErrorCode */
	kw_string(w, in_wal ? broker.cfg->wal_path
			    : broker.cfg->object_store);         /* LogDir */
	kw_array(w, n);                                         /* Topics */
	for (int32_t i = 0; i < n; i++) {
		const struct log_dirs_topic *lt = &topics[i];
		const struct topic *t = lt->topic;
		kw_string(w, t->name);                          /* Name */
		int32_t count = lt->partitions ? lt->count : t->partition_count;
		kw_array(w, count);                             /* Partitions */
		for (int32_t k = 0; k < count; k++) {
			int32_t idx = lt->partitions ? lt->partitions[k] : k;
			uint64_t stream = topic_stream_id(t, idx);
			int64_t size = 0;
			if (in_wal) {
				const struct partition *p = partition_by_stream(
					broker.partitions, stream);
				size = p ? describe_log_dirs_wal_bytes(p) : 0;
			} else {
				size = describe_log_dirs_object_bytes(stream);
			}
			kw_i32(w, idx);                         /* PartitionIndex */
			kw_i64(w, size);                        /* PartitionSize */
			kw_i64(w, 0);                           /* OffsetLag */
			kw_bool(w, 0);                          /* IsFutureKey */
			kw_tags(w);
		}
		kw_tags(w);
	}
	if (ver >= 4) {
		uint64_t ring = wal_ring_bytes(broker.wal);
		uint64_t used = wal_head(broker.wal) - wal_trim(broker.wal);
		kw_i64(w, in_wal ? (int64_t)ring : -1);         /* TotalBytes */
		kw_i64(w, in_wal ? (int64_t)(ring - used) : -1); /* UsableBytes */
	}
	kw_tags(w);
}

/* Keeps the requested partitions that exist, in request order, each once;
 * returns how many. */
static int32_t describe_log_dirs_filter(const struct topic *t, int32_t *parts,
					int32_t n)
{
	int32_t k = 0;
	for (int32_t i = 0; i < n; i++) {
		if (parts[i] < 0 || parts[i] >= t->partition_count)
			continue;
		int seen = 0;
		for (int32_t j = 0; j < k && !seen; j++)
			seen = parts[j] == parts[i];
		if (!seen)
			parts[k++] = parts[i];
	}
	return k;
}

/* Frees the topics' partition arrays and the array. */
static void describe_log_dirs_free(struct log_dirs_topic *topics, int32_t n)
{
	for (int32_t i = 0; i < n; i++)
		free(topics[i].partitions);
	free(topics);
}

int handle_describe_log_dirs(struct request *req)
{
	struct kreader *r = &req->r;
	struct kwriter *w = &req->w;
	int16_t ver = req->api_version;

	int32_t count = kr_array(r, DESCRIBE_LOG_DIRS_TOPICS_MAX,
				 r->flexible ? 3 : 6);      /* Topics */
	int all = count < 0;
	size_t slots = all ? catalog_topic_count(broker.catalog)
			   : (size_t)count;
	struct log_dirs_topic *topics = calloc(slots ? slots : 1,
					       sizeof *topics);
	if (!topics)
		return REQ_MALFORMED;
	int32_t n = 0;
	for (int32_t i = 0; i < count && !kreader_failed(r); i++) {
		struct kslice name = kr_string(r);          /* Topic */
		int32_t np = kr_array(r, DESCRIBE_LOG_DIRS_PARTITIONS_MAX, 4);
		if (np < 0)
			kreader_fail(r); /* Partitions is not nullable */
		int32_t *parts = np > 0 ? malloc((size_t)np * sizeof *parts)
					: NULL;
		if (np > 0 && !parts)
			kreader_fail(r);
		for (int32_t k = 0; k < np && parts; k++)
			parts[k] = kr_i32(r);               /* Partitions */
		kr_tags(r);
		char buf[TOPIC_NAME_MAX + 1];
		const struct topic *t = NULL;
		if (!kreader_failed(r) && name.len <= TOPIC_NAME_MAX &&
		    !memchr(name.p, 0, (size_t)name.len)) {
			memcpy(buf, name.p, (size_t)name.len);
			buf[name.len] = '\0';
			t = catalog_topic_by_name(broker.catalog, buf);
		}
		int32_t kept = t ? describe_log_dirs_filter(t, parts, np) : 0;
		if (!kept) {
			/* like Kafka: only partitions this broker hosts */
			free(parts);
			continue;
		}
		topics[n].topic = t;
		topics[n].partitions = parts;
		topics[n].count = kept;
		n++;
	}
	kr_tags(r);
	if (kreader_failed(r)) {
		describe_log_dirs_free(topics, n);
		return REQ_MALFORMED;
	}
	if (all) {
		for (size_t i = 0; i < slots; i++)
			topics[n++].topic = catalog_topic_at(broker.catalog, i);
	}

	kw_i32(w, 0);                                       /* ThrottleTimeMs */
	if (ver >= 3)
		kw_i16(w, KERR_NONE);                       /* ErrorCode */
	kw_array(w, 2);                                     /* Results */
	describe_log_dirs_write_dir(w, ver, topics, n, 1);
	describe_log_dirs_write_dir(w, ver, topics, n, 0);
	kw_tags(w);
	describe_log_dirs_free(topics, n);
	return REQ_DONE;
}
