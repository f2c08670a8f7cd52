/*
 * ListOffsets v1-v7 (v0's MaxNumOffsets form is not offered).  The
 * response mirrors the request topic by topic and partition by partition,
 * so it is written while the request is read; a request that stops parsing
 * half way closes the connection and the partial body is dropped.
 *
 * Timestamp:
 *   -2  EARLIEST: log start offset
 *   -1  LATEST: the high watermark; for READ_COMMITTED (IsolationLevel
 *       1) the last stable offset, and an answer by timestamp at or past
 *       it is no answer, as in Kafka
 *   -3  MAX_TIMESTAMP (v7+): the batch with the largest MaxTimestamp and
 *       the offset of its last record (Kafka's batch-level answer)
 *   else the first record whose timestamp is >= Timestamp, exactly as
 *       Kafka answers: the first batch whose MaxTimestamp qualifies is read
 *       and searched record by record, a compressed one after
 *       decompressing a copy of its records.  Only a batch whose records
 *       do not decompress or parse (it passed validation on produce, so
 *       this means damage or no memory) is answered at batch granularity,
 *       with its base offset and MaxTimestamp, and logged.  Near the log
 *       start an answer below it is raised to the log start.
 * Only batches wholly below the high watermark count; no match gives
 * Offset -1, Timestamp -1.  LeaderEpoch is 0 (one leader, never changed)
 * when an offset is returned and -1 when none is.  CurrentLeaderEpoch is
 * read and not checked, for the same reason.  A partition asked for twice
 * is answered twice.
 */
#include <stdlib.h>
#include <string.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/partition/batch_read.h"
#include "brokerd/partition/partition.h"
#include "brokerd/partition/record_batch.h"
#include "brokerd/server/request.h"
#include "brokerd/topics.h"
#include "common/errors.h"
#include "common/log.h"

/* Topics one request may name; more is malformed. */
#define LIST_OFFSETS_TOPICS_MAX 10000

#define LIST_OFFSETS_LATEST -1
#define LIST_OFFSETS_EARLIEST -2
#define LIST_OFFSETS_MAX_TIMESTAMP -3

/* One partition's answer. */
struct list_offsets_result {
	int16_t error;     /* ErrorCode */
	int64_t timestamp; /* Timestamp */
	int64_t offset;    /* Offset */
};

/* Searches one batch for the first record with timestamp >= ts.  Returns 1
 * with *offset and *timestamp set, 0 when no record qualifies, or
 * KERR_KAFKA_STORAGE_ERROR when the bytes cannot be read. */
static int list_offsets_search_batch(const struct batch_entry *e, int64_t ts,
				     int64_t *offset, int64_t *timestamp)
{
	uint8_t *bytes = malloc(e->len);
	if (!bytes)
		return KERR_KAFKA_STORAGE_ERROR;
	int rc = batch_read(e, bytes);
	if (rc == 0)
		rc = record_batch_find_timestamp(bytes, e->len, ts, offset,
						 timestamp);
	else
		log_error("list_offsets: batch at offset %lld: %s",
			  (long long)e->base_offset, sl_error_name(rc));
	free(bytes);
	if (rc == 0 || rc == 1)
		return rc;
	if (rc != -1)
		return KERR_KAFKA_STORAGE_ERROR;
	/* an answer a few records early beats none: the batch still holds
	 * the first record at or after ts */
	log_warn("list_offsets: batch at offset %lld (codec %d): records do not "
		 "decompress or parse; answering with the batch's base offset",
		 (long long)e->base_offset, e->attributes & RB_ATTR_CODEC_MASK);
	*offset = e->base_offset;
	*timestamp = e->max_timestamp;
	return 1;
}

/* The first record at or after the log start, below the high watermark,
 * with timestamp >= ts. */
static struct list_offsets_result
list_offsets_by_timestamp(const struct partition *p, int64_t ts)
{
	struct list_offsets_result res = {KERR_NONE, -1, -1};
	size_t i = partition_find_timestamp(p, ts);
	size_t first = partition_find(p, p->log_start);
	if (i < first)
		i = first;
	for (; i < p->batch_count; i++) {
		const struct batch_entry *e = &p->batches[i];
		if (e->last_offset >= p->high_watermark)
			break;
		if (e->max_timestamp < ts)
			continue;
		int rc = list_offsets_search_batch(e, ts, &res.offset,
						   &res.timestamp);
		if (rc == 0)
			continue;
		if (rc != 1) {
			res.error = (int16_t)rc;
			res.offset = res.timestamp = -1;
		} else if (res.offset < p->log_start) {
			res.offset = p->log_start;
		}
		return res;
	}
	return res;
}

/* The visible batch with the largest MaxTimestamp (the first of equals). */
static struct list_offsets_result
list_offsets_max_timestamp(const struct partition *p)
{
	struct list_offsets_result res = {KERR_NONE, -1, -1};
	if (p->max_timestamp_offset >= p->log_start &&
	    p->max_timestamp_offset < p->high_watermark) {
		res.timestamp = p->max_timestamp;
		res.offset = p->max_timestamp_offset;
		return res;
	}
	/* the maximum is not visible (yet, or any more): scan what is */
	for (size_t i = partition_find(p, p->log_start); i < p->batch_count; i++) {
		const struct batch_entry *e = &p->batches[i];
		if (e->last_offset >= p->high_watermark)
			break;
		if (res.offset < 0 || e->max_timestamp > res.timestamp) {
			res.timestamp = e->max_timestamp;
			res.offset = e->last_offset;
		}
	}
	return res;
}

/* Answers one partition of topic t (NULL: unknown topic). */
static struct list_offsets_result
list_offsets_partition(const struct topic *t, int32_t partition_index,
		       int64_t timestamp, int16_t ver, int8_t isolation)
{
	struct list_offsets_result res = {KERR_UNKNOWN_TOPIC_OR_PARTITION, -1, -1};
	if (!t || partition_index < 0 || partition_index >= t->partition_count)
		return res;
	const struct partition *p = partition_by_stream(
		broker.partitions, topic_stream_id(t, partition_index));
	if (!p)
		return res;
	res.error = KERR_NONE;
	if (timestamp == LIST_OFFSETS_EARLIEST) {
		res.offset = p->log_start;
	} else if (timestamp == LIST_OFFSETS_LATEST) {
		res.offset = isolation ? partition_last_stable(p) : p->high_watermark;
	} else if (timestamp == LIST_OFFSETS_MAX_TIMESTAMP && ver >= 7) {
		res = list_offsets_max_timestamp(p);
	} else {
		res = list_offsets_by_timestamp(p, timestamp);
	}
	if (isolation && timestamp != LIST_OFFSETS_LATEST &&
	    timestamp != LIST_OFFSETS_EARLIEST && res.offset >= partition_last_stable(p)) {
		res.offset = -1;
		res.timestamp = -1;
	}
	return res;
}

int handle_list_offsets(struct request *req)
{
	struct kreader *r = &req->r;
	struct kwriter *w = &req->w;
	int16_t ver = req->api_version;

	(void)kr_i32(r);                                  /* ReplicaId */
	int8_t isolation = 0;
	if (ver >= 2)
		isolation = kr_i8(r);                     /* IsolationLevel */
	int32_t topic_count = kr_array(r, LIST_OFFSETS_TOPICS_MAX,
				       r->flexible ? 3 : 6);
	if (topic_count < 0)
		kreader_fail(r); /* Topics is not nullable */

	if (ver >= 2)
		kw_i32(w, 0);                             /* ThrottleTimeMs */
	kw_array(w, topic_count);                         /* Topics */
	size_t part_min = 4 + (ver >= 4 ? 4 : 0) + 8 + (r->flexible ? 1 : 0);
	for (int32_t i = 0; i < topic_count && !kreader_failed(r); i++) {
		struct kslice name = kr_string(r);        /* Name */
		int32_t part_count = kr_array(r, TOPICS_PARTITIONS_MAX, part_min);
		if (part_count < 0)
			kreader_fail(r); /* Partitions is not nullable */
		if (kreader_failed(r))
			break;
		const struct topic *t = topics_find(name);
		kw_string_len(w, name.p, name.len);       /* Name */
		kw_array(w, part_count);                  /* Partitions */
		for (int32_t j = 0; j < part_count && !kreader_failed(r); j++) {
			int32_t partition_index = kr_i32(r);  /* PartitionIndex */
			if (ver >= 4)
				(void)kr_i32(r);          /* CurrentLeaderEpoch */
			int64_t timestamp = kr_i64(r);    /* Timestamp */
			kr_tags(r);
			if (kreader_failed(r))
				break;
			struct list_offsets_result res = list_offsets_partition(
				t, partition_index, timestamp, ver, isolation);
			kw_i32(w, partition_index);       /* PartitionIndex */
			kw_i16(w, res.error);             /* ErrorCode */
			kw_i64(w, res.timestamp);         /* Timestamp */
			kw_i64(w, res.offset);            /* Offset */
			if (ver >= 4)
				kw_i32(w, res.offset >= 0 ? 0 : -1); /* LeaderEpoch */
			kw_tags(w);
		}
		kr_tags(r);
		kw_tags(w);
	}
	kr_tags(r);
	kw_tags(w);
	return kreader_failed(r) ? REQ_MALFORMED : REQ_DONE;
}
