/*
 * delete_records_admin: DeleteRecords through librdkafka's admin API, the
 * way an application deletes records.
 *
 *   delete_records_admin TOPIC PARTITION:OFFSET [PARTITION:OFFSET ...]
 *
 * OFFSET -1 means the high watermark.  Prints one line per partition:
 * "PARTITION LOW_WATERMARK" when it succeeded, "PARTITION error NAME" when
 * the broker refused it.  The broker address comes from $SLUICE_BOOTSTRAP.
 * Exit status 0 when the request was answered (whatever each partition's
 * result), 1 when it could not be made.  Nothing durable; single-threaded
 * apart from librdkafka's own threads.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#define TIMEOUT_MS 30000

/* Prints a failure and exits 1. */
static void die(const char *what, const char *why)
{
	fprintf(stderr, "delete_records_admin: %s: %s\n", what, why);
	exit(1);
}

/* A client for the admin call. */
static rd_kafka_t *client_new(void)
{
	const char *bootstrap = getenv("SLUICE_BOOTSTRAP");
	char err[512];
	if (!bootstrap)
		die("SLUICE_BOOTSTRAP", "not set");
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof err) !=
	    RD_KAFKA_CONF_OK)
		die("bootstrap.servers", err);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
	if (!rk)
		die("rd_kafka_new", err);
	return rk;
}

/* The partitions and offsets named on the command line. */
static rd_kafka_topic_partition_list_t *offsets_parse(const char *topic, int n,
						      char **args)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
	for (int i = 0; i < n; i++) {
		char *colon = strchr(args[i], ':');
		if (!colon)
			die(args[i], "expected PARTITION:OFFSET");
		int32_t p = (int32_t)strtol(args[i], NULL, 10);
		int64_t off = strtoll(colon + 1, NULL, 10);
		rd_kafka_topic_partition_list_add(l, topic, p)->offset = off;
	}
	return l;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: delete_records_admin TOPIC PARTITION:OFFSET...\n");
		return 1;
	}
	rd_kafka_t *rk = client_new();
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_topic_partition_list_t *l = offsets_parse(argv[1], argc - 2, argv + 2);
	rd_kafka_DeleteRecords_t *del = rd_kafka_DeleteRecords_new(l);
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_AdminOptions_t *opt =
		rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DELETERECORDS);
	char err[512];
	if (rd_kafka_AdminOptions_set_operation_timeout(opt, TIMEOUT_MS, err, sizeof err))
		die("operation timeout", err);
	rd_kafka_DeleteRecords(rk, &del, 1, opt, q);
	rd_kafka_DeleteRecords_destroy(del);
	rd_kafka_AdminOptions_destroy(opt);

	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, TIMEOUT_MS + 5000);
	if (!ev)
		die("DeleteRecords", "no answer");
	/* per-partition errors come in the offsets list; a request-level
	 * error (when every partition failed) names the first of them */
	const rd_kafka_DeleteRecords_result_t *res = rd_kafka_event_DeleteRecords_result(ev);
	if (!res)
		die("DeleteRecords", rd_kafka_event_error_string(ev));
	const rd_kafka_topic_partition_list_t *out =
		rd_kafka_DeleteRecords_result_offsets(res);
	for (int i = 0; out && i < out->cnt; i++) {
		const rd_kafka_topic_partition_t *tp = &out->elems[i];
		if (tp->err)
			printf("%" PRId32 " error %s\n", tp->partition, rd_kafka_err2name(tp->err));
		else
			printf("%" PRId32 " %" PRId64 "\n", tp->partition, tp->offset);
	}
	if (!out)
		die("DeleteRecords", rd_kafka_event_error_string(ev));
	rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
	return 0;
}
