/*
 * DeleteRecords v0-v2 (v2 flexible): moves partitions' log start offsets
 * forward on request.  The whole request is read before anything moves,
 * so one that does not parse changes nothing.  Then, partition by
 * partition in request order:
 *
 *   Offset -1            the high watermark
 *   Offset < -1 or > HW  OFFSET_OUT_OF_RANGE
 *   at or below the log start: nothing changes (not an error)
 *   a topic whose cleanup.policy lacks "delete": POLICY_VIOLATION, as Kafka
 *
 * A move is journaled in the catalog before the answer (and before the
 * partition's in-memory log start follows), so the LowWatermark a client
 * is told survives a crash.  Fetch below it then gets OFFSET_OUT_OF_RANGE
 * and ListOffsets EARLIEST returns it; compactd is nudged to drop the data
 * below from the bucket.  TimeoutMs is read and ignored: the answer never
 * waits for anything but the journal.  LowWatermark is -1 with an error.
 */
#include <stdlib.h>
#include <string.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/catalog/topic_config.h"
#include "brokerd/compaction/compaction.h"
#include "brokerd/compaction/retention.h"
#include "brokerd/partition/partition.h"
#include "brokerd/server/request.h"
#include "brokerd/topics.h"
#include "common/errors.h"

/* Topics one request may name; more is malformed. */
#define DELETE_RECORDS_TOPICS_MAX 10000

/* Offset that stands for the high watermark. */
#define DELETE_RECORDS_HIGH_WATERMARK -1

/* One requested partition and its result. */
struct delete_records_part {
	int32_t partition_index; /* PartitionIndex */
	int64_t offset;          /* Offset */
	int64_t low_watermark;   /* LowWatermark */
	int16_t error;           /* ErrorCode */
};

struct delete_records_topic {
	struct kslice name;      /* Name */
	int32_t count;
	struct delete_records_part *parts;
};

/* Answers one partition of topic t (NULL: unknown); returns 1 when its log
 * start moved. */
static int delete_records_partition(const struct topic *t,
				    struct delete_records_part *dp)
{
	dp->low_watermark = -1;
	struct partition *p = NULL;
	if (t && dp->partition_index >= 0 && dp->partition_index < t->partition_count)
		p = partition_by_stream(broker.partitions,
					topic_stream_id(t, dp->partition_index));
	if (!p) {
		dp->error = KERR_UNKNOWN_TOPIC_OR_PARTITION;
		return 0;
	}
	if (!topic_config_list_contains(t, "cleanup.policy", "delete")) {
		dp->error = KERR_POLICY_VIOLATION;
		return 0;
	}
	int64_t offset = dp->offset == DELETE_RECORDS_HIGH_WATERMARK
				 ? p->high_watermark
				 : dp->offset;
	if (offset < 0 || offset > p->high_watermark) {
		dp->error = KERR_OFFSET_OUT_OF_RANGE;
		return 0;
	}
	int64_t before = p->log_start;
	if (retention_set_log_start(p, offset) != 0) { /* logged */
		dp->error = KERR_KAFKA_STORAGE_ERROR;
		return 0;
	}
	dp->error = KERR_NONE;
	dp->low_watermark = p->log_start;
	return p->log_start > before;
}

/* Frees the parsed request. */
static void delete_records_free(struct delete_records_topic *topics, int32_t n)
{
	for (int32_t i = 0; i < n; i++)
		free(topics[i].parts);
	free(topics);
}

/* Reads the whole request, then moves log starts and answers. */
int handle_delete_records(struct request *req)
{
	struct kreader *r = &req->r;
	struct kwriter *w = &req->w;

	int32_t topic_count = kr_array(r, DELETE_RECORDS_TOPICS_MAX,
				       r->flexible ? 3 : 6);  /* Topics */
	if (topic_count < 0)
		kreader_fail(r); /* not nullable */
	struct delete_records_topic *topics =
		calloc(topic_count > 0 ? (size_t)topic_count : 1, sizeof *topics);
	if (!topics)
		return REQ_MALFORMED;
	int32_t parsed = 0;
	for (int32_t i = 0; i < topic_count && !kreader_failed(r); i++) {
		struct delete_records_topic *dt = &topics[i];
		parsed = i + 1;
		dt->name = kr_string(r);                       /* Name */
		int32_t n = kr_array(r, TOPICS_PARTITIONS_MAX,
				     r->flexible ? 13 : 12);   /* Partitions */
		if (n < 0)
			kreader_fail(r); /* not nullable */
		if (kreader_failed(r))
			break;
		dt->parts = calloc(n ? (size_t)n : 1, sizeof *dt->parts);
		if (!dt->parts) {
			delete_records_free(topics, parsed);
			return REQ_MALFORMED;
		}
		dt->count = n;
		for (int32_t j = 0; j < n && !kreader_failed(r); j++) {
			dt->parts[j].partition_index = kr_i32(r); /* PartitionIndex */
			dt->parts[j].offset = kr_i64(r);          /* Offset */
			kr_tags(r);
		}
		kr_tags(r);
	}
	(void)kr_i32(r);                                       /* TimeoutMs */
	kr_tags(r);
	if (kreader_failed(r)) {
		delete_records_free(topics, parsed);
		return REQ_MALFORMED;
	}

	int moved = 0;
	kw_i32(w, 0);                                          /* ThrottleTimeMs */
	kw_array(w, topic_count);                              /* Topics */
	for (int32_t i = 0; i < topic_count; i++) {
		struct delete_records_topic *dt = &topics[i];
		const struct topic *t = topics_find(dt->name);
		kw_string_len(w, dt->name.p, dt->name.len);    /* Name */
		kw_array(w, dt->count);                        /* Partitions */
		for (int32_t j = 0; j < dt->count; j++) {
			struct delete_records_part *dp = &dt->parts[j];
			moved += delete_records_partition(t, dp);
			kw_i32(w, dp->partition_index);        /* PartitionIndex */
			kw_i64(w, dp->low_watermark);          /* LowWatermark */
			kw_i16(w, dp->error);                  /* ErrorCode */
			kw_tags(w);
		}
		kw_tags(w);
	}
	kw_tags(w);
	delete_records_free(topics, topic_count);
	if (moved)
		compaction_nudge("delete_records");
	return REQ_DONE;
}
