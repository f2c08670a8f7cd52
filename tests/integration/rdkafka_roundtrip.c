/*
 * rdkafka_roundtrip: the integration round trip with librdkafka's C API.
 *
 *   rdkafka_roundtrip full TOPIC BASE_TS
 *   rdkafka_roundtrip create TOPIC | delete TOPIC
 *   rdkafka_roundtrip produce TOPIC BASE_TS START END ACKS CODEC
 *   rdkafka_roundtrip verify TOPIC BASE_TS END
 *
 * `full` creates TOPIC with 4 partitions (CreateTopics), produces 12,500
 * records in runs with every codec and acks -1, 1 and 0, reads them back
 * from the beginning and compares key, value, headers, timestamp, partition
 * and offset byte for byte, then reads from the end, from an offset and
 * from a timestamp (offsets_for_times), checks Metadata, and deletes the
 * topic (DeleteTopics).  `verify` checks that TOPIC holds exactly records
 * 0..END-1.  The broker address comes from $SLUICE_BOOTSTRAP.
 *
 * Record i is a pure function of i and BASE_TS, defined identically in
 * records.py and records.js, so any client can check another's records.
 * Because every run produces its records in index order and partition is
 * i % 4, the record at (partition p, offset o) of a topic holding records
 * 0..N-1 is record p + 4*o: checks need no table of what was sent.
 *
 * Single-threaded apart from librdkafka's own threads; nothing durable.
 * Exit status 0 when every check passed, 1 otherwise.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#define PARTITIONS 4
#define TAIL_COUNT 100
#define TIMEOUT_MS 15000
#define CONSUME_TIMEOUT_MS 60000
#define MAX_HEADERS 5

/* One expected record; see record_make() for the pattern. */
struct record {
	int32_t partition;
	int64_t timestamp;
	int key_null;
	char key[32];
	size_t key_len;
	int value_null;
	unsigned char value[128];
	size_t value_len;
	int header_cnt;
	struct {
		const char *name;
		unsigned char value[24];
		size_t len;
	} headers[MAX_HEADERS];
};

/* acks, codec and count of each produce run of `full`; acks=0 comes last
 * since its unanswered requests could be overtaken by a later producer's
 * connection and break the per-partition order. */
static const struct {
	int acks;
	const char *codec;
	int count;
} full_runs[] = {
	{-1, "none", 3000}, {1, "gzip", 2000}, {-1, "snappy", 2000},
	{1, "lz4", 2000},   {-1, "zstd", 2000}, {0, "none", 1500},
};

static const char *bootstrap;
static int is_mock;
static int64_t base_ts;

/* Prints why the run failed and exits 1. */
static void fail(const char *fmt, ...)
{
	va_list ap;
	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

/* Prints one progress line of the test log. */
static void note(const char *fmt, ...)
{
	va_list ap;
	printf("  ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Milliseconds on the monotonic clock, for deadlines. */
static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Appends a header to an expected record. */
static void record_header_add(struct record *r, const char *name,
			      const void *value, size_t len)
{
	r->headers[r->header_cnt].name = name;
	memcpy(r->headers[r->header_cnt].value, value, len);
	r->headers[r->header_cnt].len = len;
	r->header_cnt++;
}

/* Fills *r with record i: key NULL for i%10==3, value NULL for i%50==49,
 * empty for i%10==7, else a text prefix and binary bytes. */
static void record_make(struct record *r, int64_t i)
{
	memset(r, 0, sizeof *r);
	r->partition = (int32_t)(i % PARTITIONS);
	r->timestamp = base_ts + i;
	r->key_null = i % 10 == 3;
	if (!r->key_null)
		r->key_len = (size_t)snprintf(r->key, sizeof r->key,
					      "key-%" PRId64, i);
	r->value_null = i % 50 == 49;
	if (!r->value_null && i % 10 != 7) {
		int n = snprintf((char *)r->value, sizeof r->value,
				 "value-%" PRId64 "-", i);
		for (int64_t j = 0; j < i % 61; j++)
			r->value[n++] = (unsigned char)((i * 131 + j * 29) & 0xff);
		r->value_len = (size_t)n;
	}
	if (i % 5 != 0) {
		char seq[24];
		unsigned char bin[3] = {(unsigned char)(i & 0xff), 0x00, 0xff};
		record_header_add(r, "seq", seq,
				  (size_t)snprintf(seq, sizeof seq, "%" PRId64, i));
		record_header_add(r, "bin", bin, sizeof bin);
		if (i % 5 == 2) {
			record_header_add(r, "dup", "a", 1);
			record_header_add(r, "dup", "b", 1);
			record_header_add(r, "empty", "", 0);
		}
	}
}

/* Records of partition p among records 0..n-1. */
static int64_t partition_count(int64_t n, int32_t p)
{
	return n > p ? (n - p + PARTITIONS - 1) / PARTITIONS : 0;
}

/* Creates a client handle or exits; config pairs end with NULL. */
static rd_kafka_t *client_new(rd_kafka_type_t type, ...)
{
	char errstr[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	const char *k, *v;
	va_list ap;

	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr,
			      sizeof errstr) != RD_KAFKA_CONF_OK)
		fail("config: %s", errstr);
	va_start(ap, type);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		if (rd_kafka_conf_set(conf, k, v, errstr, sizeof errstr) !=
		    RD_KAFKA_CONF_OK)
			fail("config %s=%s: %s", k, v, errstr);
	}
	va_end(ap);
	rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
	if (!rk)
		fail("rd_kafka_new: %s", errstr);
	return rk;
}

/* Partition count of topic in a full Metadata answer; 0 when absent. */
static int topic_partitions(rd_kafka_t *rk, const char *topic)
{
	const struct rd_kafka_metadata *md;
	int n = 0;
	rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, TIMEOUT_MS);
	if (err)
		fail("metadata: %s", rd_kafka_err2str(err));
	for (int t = 0; t < md->topic_cnt; t++)
		if (!strcmp(md->topics[t].topic, topic) && !md->topics[t].err)
			n = md->topics[t].partition_cnt;
	rd_kafka_metadata_destroy(md);
	return n;
}

/* Waits for an admin result event on q; returns it (caller destroys). */
static rd_kafka_event_t *admin_wait(rd_kafka_queue_t *q, const char *what)
{
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, TIMEOUT_MS + 5000);
	if (!ev)
		fail("%s: no result", what);
	if (rd_kafka_event_error(ev))
		fail("%s: %s", what, rd_kafka_event_error_string(ev));
	return ev;
}

/* Fails unless every topic result is free of errors. */
static void admin_check_topics(const rd_kafka_topic_result_t **res, size_t n,
			       const char *what)
{
	for (size_t k = 0; k < n; k++)
		if (rd_kafka_topic_result_error(res[k]))
			fail("%s %s: %s", what, rd_kafka_topic_result_name(res[k]),
			     rd_kafka_topic_result_error_string(res[k]));
}

/* Polls until the topic's partition count satisfies want (or fails). */
static int topic_wait(rd_kafka_t *rk, const char *topic, int present)
{
	int64_t deadline = now_ms() + 30000;
	for (;;) {
		int n = topic_partitions(rk, topic);
		if ((n > 0) == present)
			return n;
		if (now_ms() > deadline)
			fail("topic %s still %s in metadata after 30 s", topic,
			     present ? "missing" : "listed");
		rd_kafka_poll(rk, 200);
	}
}

/* Creates the topic with 4 partitions through CreateTopics (against the
 * mock cluster, which lacks it, through auto-creation). */
static void topic_create(const char *topic)
{
	char errstr[512];
	rd_kafka_t *rk = client_new(RD_KAFKA_PRODUCER, NULL);

	if (is_mock) {
		const struct rd_kafka_metadata *md;
		note("mock cluster: no CreateTopics, auto-creating %s instead",
		     topic);
		rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
		if (rd_kafka_metadata(rk, 0, rkt, &md, TIMEOUT_MS) == 0)
			rd_kafka_metadata_destroy(md);
		rd_kafka_topic_destroy(rkt);
	} else {
		rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(
			topic, PARTITIONS, 1, errstr, sizeof errstr);
		if (!nt)
			fail("NewTopic: %s", errstr);
		rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
		rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
		rd_kafka_event_t *ev = admin_wait(q, "CreateTopics");
		size_t n;
		const rd_kafka_topic_result_t **res =
			rd_kafka_CreateTopics_result_topics(
				rd_kafka_event_CreateTopics_result(ev), &n);
		admin_check_topics(res, n, "CreateTopics");
		rd_kafka_event_destroy(ev);
		rd_kafka_queue_destroy(q);
		rd_kafka_NewTopic_destroy(nt);
	}
	int n = topic_wait(rk, topic, 1);
	if (n != PARTITIONS)
		fail("topic %s has %d partitions, expected %d", topic, n,
		     PARTITIONS);
	rd_kafka_destroy(rk);
	note("created %s with %d partitions", topic, n);
}

/* Deletes the topic through DeleteTopics and waits until it is gone. */
static void topic_delete(const char *topic)
{
	if (is_mock) {
		note("mock cluster: no DeleteTopics, deletion not checked");
		return;
	}
	rd_kafka_t *rk = client_new(RD_KAFKA_PRODUCER, NULL);
	rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(topic);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_DeleteTopics(rk, &dt, 1, NULL, q);
	rd_kafka_event_t *ev = admin_wait(q, "DeleteTopics");
	size_t n;
	const rd_kafka_topic_result_t **res = rd_kafka_DeleteTopics_result_topics(
		rd_kafka_event_DeleteTopics_result(ev), &n);
	admin_check_topics(res, n, "DeleteTopics");
	rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	rd_kafka_DeleteTopic_destroy(dt);
	topic_wait(rk, topic, 0);
	rd_kafka_destroy(rk);
	note("deleted %s; metadata no longer lists it", topic);
}

/* Delivery report tallies of one produce run. */
struct produce_tally {
	int64_t delivered;
	int64_t failed;
	rd_kafka_resp_err_t first_err;
};

/* Counts delivery reports; the first error is kept for the message. */
static void produce_dr(rd_kafka_t *rk, const rd_kafka_message_t *m,
		       void *opaque)
{
	struct produce_tally *t = opaque;
	if (m->err) {
		if (!t->failed++)
			t->first_err = m->err;
	} else {
		t->delivered++;
	}
}

/* Produces records start..end-1 with one producer; fails on any error. */
static void produce(const char *topic, int64_t start, int64_t end, int acks,
		    const char *codec)
{
	char acks_s[8];
	struct produce_tally tally = {0, 0, 0};
	struct record r;
	snprintf(acks_s, sizeof acks_s, "%d", acks);

	char errstr[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	struct {
		const char *k, *v;
	} kv[] = {
		{"bootstrap.servers", bootstrap}, {"acks", acks_s},
		{"compression.codec", codec},     {"linger.ms", "5"},
		{"enable.idempotence", "false"},
	};
	for (size_t k = 0; k < sizeof kv / sizeof kv[0]; k++)
		if (rd_kafka_conf_set(conf, kv[k].k, kv[k].v, errstr,
				      sizeof errstr) != RD_KAFKA_CONF_OK)
			fail("config %s: %s", kv[k].k, errstr);
	rd_kafka_conf_set_dr_msg_cb(conf, produce_dr);
	rd_kafka_conf_set_opaque(conf, &tally);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr,
				      sizeof errstr);
	if (!rk)
		fail("rd_kafka_new: %s", errstr);

	for (int64_t i = start; i < end; i++) {
		record_make(&r, i);
		rd_kafka_headers_t *hdrs = rd_kafka_headers_new(MAX_HEADERS);
		for (int h = 0; h < r.header_cnt; h++)
			rd_kafka_header_add(hdrs, r.headers[h].name, -1,
					    r.headers[h].value,
					    (ssize_t)r.headers[h].len);
		rd_kafka_resp_err_t err;
		do {
			err = rd_kafka_producev(
				rk, RD_KAFKA_V_TOPIC(topic),
				RD_KAFKA_V_PARTITION(r.partition),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_KEY(r.key_null ? NULL : r.key,
					       r.key_len),
				RD_KAFKA_V_VALUE(r.value_null ? NULL : r.value,
						 r.value_len),
				RD_KAFKA_V_HEADERS(hdrs),
				RD_KAFKA_V_TIMESTAMP(r.timestamp),
				RD_KAFKA_V_END);
			if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
				rd_kafka_poll(rk, 100);
		} while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
		if (err)
			fail("produce record %" PRId64 ": %s", i,
			     rd_kafka_err2str(err));
		rd_kafka_poll(rk, 0);
	}
	rd_kafka_resp_err_t err = rd_kafka_flush(rk, 60000);
	if (err)
		fail("produce: flush: %s (%d records left)", rd_kafka_err2str(err),
		     rd_kafka_outq_len(rk));
	rd_kafka_destroy(rk);
	if (tally.failed)
		fail("produce: %" PRId64 " delivery errors, first: %s",
		     tally.failed, rd_kafka_err2str(tally.first_err));
	if (tally.delivered != end - start)
		fail("produce: %" PRId64 " delivery reports, expected %" PRId64,
		     tally.delivered, end - start);
	note("produced records %" PRId64 "..%" PRId64 " (acks=%d, %s)", start,
	     end - 1, acks, codec);
}

/* A consumer that never joins its group: it only uses assign(). */
static rd_kafka_t *consumer_new(void)
{
	rd_kafka_t *rk = client_new(RD_KAFKA_CONSUMER, "group.id",
				    "sluice-test-rdkafka", "enable.auto.commit",
				    "false", "enable.auto.offset.store", "false",
				    "auto.offset.reset", "error", NULL);
	rd_kafka_poll_set_consumer(rk);
	return rk;
}

/* Assigns each partition p at offset at[p] (which may be logical, like
 * RD_KAFKA_OFFSET_END), skipping those at RD_KAFKA_OFFSET_INVALID. */
static void consumer_assign(rd_kafka_t *rk, const char *topic,
			    const int64_t at[PARTITIONS])
{
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(PARTITIONS);
	for (int32_t p = 0; p < PARTITIONS; p++)
		if (at[p] != RD_KAFKA_OFFSET_INVALID)
			rd_kafka_topic_partition_list_add(l, topic, p)->offset =
				at[p];
	rd_kafka_resp_err_t err = rd_kafka_assign(rk, l);
	if (err)
		fail("assign: %s", rd_kafka_err2str(err));
	rd_kafka_topic_partition_list_destroy(l);
}

/* Fails unless consumed message m at partition p, offset o is record
 * p + 4*o in every field. */
static void message_check(const rd_kafka_message_t *m)
{
	struct record r;
	int32_t p = m->partition;
	int64_t o = m->offset;
	rd_kafka_timestamp_type_t tstype;
	rd_kafka_headers_t *hdrs = NULL;

	record_make(&r, p + (int64_t)PARTITIONS * o);
	if ((m->key == NULL) != r.key_null ||
	    (m->key && (m->key_len != r.key_len ||
			memcmp(m->key, r.key, r.key_len))))
		fail("partition %d offset %" PRId64 ": key differs (%zu bytes)", p,
		     o, m->key_len);
	if ((m->payload == NULL) != r.value_null ||
	    (m->payload && (m->len != r.value_len ||
			    memcmp(m->payload, r.value, r.value_len))))
		fail("partition %d offset %" PRId64 ": value differs (%zu bytes, "
		     "expected %zu%s)", p, o, m->len, r.value_len,
		     r.value_null ? ", null" : "");
	int64_t ts = rd_kafka_message_timestamp(m, &tstype);
	if (tstype != RD_KAFKA_TIMESTAMP_CREATE_TIME || ts != r.timestamp)
		fail("partition %d offset %" PRId64 ": timestamp %" PRId64
		     " type %d, expected %" PRId64 " CreateTime", p, o, ts,
		     (int)tstype, r.timestamp);
	rd_kafka_resp_err_t err = rd_kafka_message_headers(m, &hdrs);
	size_t cnt = err ? 0 : rd_kafka_header_cnt(hdrs);
	if (err && err != RD_KAFKA_RESP_ERR__NOENT)
		fail("partition %d offset %" PRId64 ": headers: %s", p, o,
		     rd_kafka_err2str(err));
	if (cnt != (size_t)r.header_cnt)
		fail("partition %d offset %" PRId64 ": %zu headers, expected %d",
		     p, o, cnt, r.header_cnt);
	for (size_t h = 0; h < cnt; h++) {
		const char *name;
		const void *val;
		size_t len;
		rd_kafka_header_get_all(hdrs, h, &name, &val, &len);
		if (strcmp(name, r.headers[h].name) || !val ||
		    len != r.headers[h].len || memcmp(val, r.headers[h].value, len))
			fail("partition %d offset %" PRId64 ": header %zu (%s) "
			     "differs", p, o, h, name);
	}
}

/* Consumes until every partition p delivered offsets first[p]..end[p]-1
 * in order (partitions with first[p] INVALID deliver nothing), then waits
 * grace_ms for records that should not be there. */
static void consume_check(rd_kafka_t *rk, const int64_t first[PARTITIONS],
			  const int64_t end[PARTITIONS], int grace_ms)
{
	int64_t next[PARTITIONS], want = 0, got = 0;
	int64_t deadline = now_ms() + CONSUME_TIMEOUT_MS, grace_end = 0;

	for (int32_t p = 0; p < PARTITIONS; p++) {
		next[p] = first[p];
		if (first[p] != RD_KAFKA_OFFSET_INVALID)
			want += end[p] - first[p];
	}
	for (;;) {
		int64_t now = now_ms();
		if (got >= want && !grace_end)
			grace_end = now + grace_ms;
		if (grace_end && now >= grace_end)
			break;
		if (now > deadline)
			fail("consumed %" PRId64 " of %" PRId64 " records in %d s",
			     got, want, CONSUME_TIMEOUT_MS / 1000);
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		if (!m)
			continue;
		if (m->err)
			fail("consume: %s", rd_kafka_message_errstr(m));
		int32_t p = m->partition;
		if (p < 0 || p >= PARTITIONS || first[p] == RD_KAFKA_OFFSET_INVALID)
			fail("record from unexpected partition %d", p);
		if (next[p] >= end[p])
			fail("partition %d: extra record at offset %" PRId64
			     " (expected offsets up to %" PRId64 " only)", p,
			     m->offset, end[p] - 1);
		if (m->offset != next[p])
			fail("partition %d: offset %" PRId64 ", expected %" PRId64
			     " (not contiguous)", p, m->offset, next[p]);
		message_check(m);
		next[p]++;
		got++;
		rd_kafka_message_destroy(m);
	}
}

/* Checks that the topic holds exactly records 0..n-1 (read from the
 * beginning, then the high watermarks). */
static void verify(const char *topic, int64_t n)
{
	int64_t at[PARTITIONS], first[PARTITIONS], end[PARTITIONS];
	rd_kafka_t *rk = consumer_new();

	for (int32_t p = 0; p < PARTITIONS; p++) {
		at[p] = RD_KAFKA_OFFSET_BEGINNING;
		first[p] = 0;
		end[p] = partition_count(n, p);
	}
	consumer_assign(rk, topic, at);
	consume_check(rk, first, end, 500);
	for (int32_t p = 0; p < PARTITIONS; p++) {
		int64_t lo, hi;
		rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
			rk, topic, p, &lo, &hi, TIMEOUT_MS);
		if (err)
			fail("watermarks of partition %d: %s", p,
			     rd_kafka_err2str(err));
		if (lo != 0 || hi != end[p])
			fail("partition %d: watermarks %" PRId64 "..%" PRId64
			     ", expected 0..%" PRId64, p, lo, hi, end[p]);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	note("read back %" PRId64 " records from the beginning: keys, values, "
	     "headers, timestamps, partitions, contiguous offsets all match", n);
}

/* Positions a consumer at the end, produces TAIL_COUNT records after the
 * first n and checks that exactly those arrive. */
static void check_from_end(const char *topic, int64_t n)
{
	int64_t first[PARTITIONS], end[PARTITIONS];
	rd_kafka_t *rk = consumer_new();

	for (int32_t p = 0; p < PARTITIONS; p++)
		first[p] = RD_KAFKA_OFFSET_END;
	consumer_assign(rk, topic, first);
	/* Give the consumer time to resolve the logical end offsets. */
	int64_t until = now_ms() + 2000;
	while (now_ms() < until) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		if (m)
			fail("consumer at the end got %s at offset %" PRId64,
			     m->err ? rd_kafka_message_errstr(m) : "a record",
			     m->offset);
	}
	produce(topic, n, n + TAIL_COUNT, -1, "none");
	for (int32_t p = 0; p < PARTITIONS; p++) {
		first[p] = partition_count(n, p);
		end[p] = partition_count(n + TAIL_COUNT, p);
	}
	consume_check(rk, first, end, 1000);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	note("consumer at the end got exactly the %d new records", TAIL_COUNT);
}

/* Reads one partition from an explicit offset to its end. */
static void check_from_offset(const char *topic, int64_t n, int32_t part,
			      int64_t off, const char *what)
{
	int64_t first[PARTITIONS], end[PARTITIONS];
	rd_kafka_t *rk = consumer_new();

	for (int32_t p = 0; p < PARTITIONS; p++) {
		first[p] = p == part ? off : RD_KAFKA_OFFSET_INVALID;
		end[p] = partition_count(n, p);
	}
	consumer_assign(rk, topic, first);
	consume_check(rk, first, end, 500);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	note("read partition %d from offset %" PRId64 "%s: %" PRId64
	     " records match", part, off, what, end[part] - off);
}

/* The offset of the first record with timestamp >= ts in partition p of
 * records 0..n-1, or -1 (RD_KAFKA_OFFSET_END) when there is none. */
static int64_t offset_for_time(int64_t n, int32_t p, int64_t ts)
{
	int64_t o = ts - base_ts - p <= 0 ? 0
					  : (ts - base_ts - p + PARTITIONS - 1) /
						    PARTITIONS;
	return o < partition_count(n, p) ? o : -1;
}

/* offsets_for_times for several timestamps against the arithmetic truth,
 * then a read from the offset found for one of them. */
static void check_from_timestamp(const char *topic, int64_t n)
{
	const int32_t part = 2;
	int64_t j = partition_count(n, part) / 3;
	int64_t ts_j = base_ts + part + PARTITIONS * j;
	int64_t probes[] = {ts_j, ts_j + 1, base_ts - 1000,
			    base_ts + n + 3600 * 1000};

	if (is_mock) {
		note("mock cluster: ListOffsets by timestamp unsupported, skipped");
		return;
	}
	rd_kafka_t *rk = consumer_new();
	for (size_t k = 0; k < sizeof probes / sizeof probes[0]; k++) {
		rd_kafka_topic_partition_list_t *l =
			rd_kafka_topic_partition_list_new(PARTITIONS);
		for (int32_t p = 0; p < PARTITIONS; p++)
			rd_kafka_topic_partition_list_add(l, topic, p)->offset =
				probes[k];
		rd_kafka_resp_err_t err =
			rd_kafka_offsets_for_times(rk, l, TIMEOUT_MS);
		if (err)
			fail("offsets_for_times(%" PRId64 "): %s", probes[k],
			     rd_kafka_err2str(err));
		for (int e = 0; e < l->cnt; e++) {
			rd_kafka_topic_partition_t *tp = &l->elems[e];
			int64_t exp = offset_for_time(n, tp->partition, probes[k]);
			if (tp->err || tp->offset != exp)
				fail("offsets_for_times(%" PRId64 ") partition %d: "
				     "offset %" PRId64 " (%s), expected %" PRId64,
				     probes[k], tp->partition, tp->offset,
				     rd_kafka_err2str(tp->err), exp);
		}
		rd_kafka_topic_partition_list_destroy(l);
	}
	rd_kafka_destroy(rk);
	note("offsets_for_times: exact, between, before-first and future "
	     "timestamps give the right offsets");
	check_from_offset(topic, n, part, j, " found by timestamp");
}

/* Metadata names the broker we bootstrapped from and the topic with 4
 * partitions, each led by a listed broker. */
static void check_metadata(const char *topic)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_t *rk = client_new(RD_KAFKA_PRODUCER, NULL);
	char host[256];
	int port = 0, found_broker = 0, found_topic = 0;

	if (sscanf(bootstrap, "%255[^:]:%d", host, &port) != 2)
		fail("bootstrap %s is not host:port", bootstrap);
	rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, TIMEOUT_MS);
	if (err)
		fail("metadata: %s", rd_kafka_err2str(err));
	for (int b = 0; b < md->broker_cnt; b++)
		if (!strcmp(md->brokers[b].host, host) && md->brokers[b].port == port)
			found_broker = 1;
	if (!found_broker)
		fail("metadata: no broker at the bootstrap address %s", bootstrap);
	for (int t = 0; t < md->topic_cnt; t++) {
		const rd_kafka_metadata_topic_t *mt = &md->topics[t];
		if (strcmp(mt->topic, topic))
			continue;
		found_topic = 1;
		if (mt->err || mt->partition_cnt != PARTITIONS)
			fail("metadata: topic %s: %s, %d partitions", topic,
			     rd_kafka_err2str(mt->err), mt->partition_cnt);
		for (int p = 0; p < mt->partition_cnt; p++) {
			int led = 0;
			for (int b = 0; b < md->broker_cnt; b++)
				led |= md->brokers[b].id == mt->partitions[p].leader;
			if (mt->partitions[p].err || !led ||
			    mt->partitions[p].id < 0 ||
			    mt->partitions[p].id >= PARTITIONS)
				fail("metadata: partition %d: %s, leader %d",
				     mt->partitions[p].id,
				     rd_kafka_err2str(mt->partitions[p].err),
				     mt->partitions[p].leader);
		}
	}
	rd_kafka_metadata_destroy(md);
	rd_kafka_destroy(rk);
	if (!found_topic)
		fail("metadata: topic %s missing", topic);
	note("metadata lists the broker at the bootstrap address and %s with "
	     "%d led partitions", topic, PARTITIONS);
}

/* The whole scenario; see the top of the file. */
static void full(const char *topic)
{
	int64_t n = 0;

	topic_create(topic);
	check_metadata(topic);
	for (size_t k = 0; k < sizeof full_runs / sizeof full_runs[0]; k++) {
		produce(topic, n, n + full_runs[k].count, full_runs[k].acks,
			full_runs[k].codec);
		n += full_runs[k].count;
	}
	verify(topic, n);
	check_from_end(topic, n);
	n += TAIL_COUNT;
	check_from_offset(topic, n, 1, partition_count(n, 1) / 2, "");
	check_from_timestamp(topic, n);
	topic_delete(topic);
}

/* Parses a decimal argument or exits. */
static int64_t arg_i64(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end)
		fail("not a number: %s", s);
	return v;
}

int main(int argc, char **argv)
{
	bootstrap = getenv("SLUICE_BOOTSTRAP");
	if (!bootstrap || !*bootstrap)
		fail("SLUICE_BOOTSTRAP is not set (run through lib.sh)");
	is_mock = getenv("SLUICE_MOCK") && !strcmp(getenv("SLUICE_MOCK"), "1");
	if (argc == 4 && !strcmp(argv[1], "full")) {
		base_ts = arg_i64(argv[3]);
		full(argv[2]);
	} else if (argc == 3 && !strcmp(argv[1], "create")) {
		topic_create(argv[2]);
		check_metadata(argv[2]);
	} else if (argc == 3 && !strcmp(argv[1], "delete")) {
		topic_delete(argv[2]);
	} else if (argc == 8 && !strcmp(argv[1], "produce")) {
		base_ts = arg_i64(argv[3]);
		produce(argv[2], arg_i64(argv[4]), arg_i64(argv[5]),
			(int)arg_i64(argv[6]), argv[7]);
	} else if (argc == 5 && !strcmp(argv[1], "verify")) {
		base_ts = arg_i64(argv[3]);
		verify(argv[2], arg_i64(argv[4]));
	} else {
		fail("usage: rdkafka_roundtrip full TOPIC BASE_TS | create TOPIC | "
		     "delete TOPIC | produce TOPIC BASE_TS START END ACKS CODEC | "
		     "verify TOPIC BASE_TS END");
	}
	return 0;
}
