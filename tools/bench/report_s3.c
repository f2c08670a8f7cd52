/*
 * Report of the S3 parts (see report_s3.h).  Main thread, at the end of
 * the run, over results nothing writes any more.
 */
#include "autoconfig.h"

#include "tools/bench/report_s3.h"

#include <stdio.h>

/* Delta of a counter between two samples. */
#define S3_DELTA(a, b, field) ((b)->field - (a)->field)

void report_s3_print_fill(FILE *out, const struct bench_opts *o, const struct s3bench_fill *f)
{
	const struct workload_result *w = &f->produce;
	const struct shmstat_sample *a = &f->before, *b = &f->after;
	uint64_t batch_bytes = S3_DELTA(a, b, produce_bytes);
	fprintf(out, "Fill: topic %s, %llu records of %zu bytes (%.0f MB), acks=all, "
		"as fast as the producer goes\n", o->topic, (unsigned long long)w->tput_acked,
		o->record_size, (double)w->tput_acked * (double)o->record_size / BENCH_MB);
	fprintf(out, "  %-44s %12.1f\n", "produce throughput, MB/s (record values)", w->tput_mbps);
	fprintf(out, "  %-44s %12.1f\n", "record batch bytes appended, MB", (double)batch_bytes / BENCH_MB);
	fprintf(out, "  %-44s %12llu\n", "objects committed (brokerd)",
		(unsigned long long)S3_DELTA(a, b, uploads_committed));
	fprintf(out, "  %-44s %12llu\n", "objects uploaded (uploaderd)",
		(unsigned long long)S3_DELTA(a, b, uploader_objects));
	fprintf(out, "  %-44s %12.1f\n", "object bytes uploaded, MB",
		(double)S3_DELTA(a, b, uploader_bytes) / BENCH_MB);
	fprintf(out, "  %-44s %12llu\n", "upload attempts failed (uploaderd)",
		(unsigned long long)S3_DELTA(a, b, uploader_errors));
	fprintf(out, "  %-44s %12.1f\n", "objects per GB ingested", s3bench_objects_per_gb(f));
	fprintf(out, "  %-44s %12.1f\n", "last ack to uploads drained, s", f->drain_secs);
	fprintf(out, "  fill: %s%s\n\n", f->ok ? "ok" : "FAILED: ", f->ok ? "" : f->error);
}

/* One raw GET line. */
static void report_s3_print_rawget(FILE *out, const char *what, const struct rawget_result *g)
{
	char label[96];
	snprintf(label, sizeof label, "raw GET %s, %d in flight, MB/s", what, g->parallel);
	fprintf(out, "  %-44s %12.1f   (%llu GETs of %llu objects, %.1f MB, %llu retries)\n",
		label, g->mbps, (unsigned long long)g->gets, (unsigned long long)g->objects,
		(double)g->bytes / BENCH_MB, (unsigned long long)g->retries);
}

void report_s3_print_catchup(FILE *out, const struct bench_opts *o,
			     const struct s3bench_catchup *c)
{
	const struct catchup_result *r = &c->read;
	const struct shmstat_sample *a = &c->before, *b = &c->after;
	if (!c->read_ran) {
		fprintf(out, "Raw GETs of the objects under %s\n", S3BENCH_OBJECT_PREFIX);
		goto raw;
	}
	fprintf(out, "Catch-up from S3: topic %s, %d partitions from their log start, "
		"one consumer, no group\n", o->topic, r->partitions);
	fprintf(out, "  %-44s %12llu / %llu\n", "records read back / expected",
		(unsigned long long)r->consumed, (unsigned long long)r->expected);
	fprintf(out, "  %-44s %12.2f\n", "time to read them, s", r->secs);
	fprintf(out, "  %-44s %12.1f\n", "catch-up, MB/s (record values)", r->mbps);
	fprintf(out, "  %-44s %12.1f\n", "catch-up, MB/s (record batches sent)",
		s3bench_catchup_batch_mbps(c));
	fprintf(out, "  %-44s %12llu\n", "cold GETs by brokerd",
		(unsigned long long)S3_DELTA(a, b, cold_read_gets));
	fprintf(out, "  %-44s %12.1f\n", "cold GETs per GB read back", s3bench_gets_per_gb(c));
	fprintf(out, "  %-44s %12llu\n", "block cache hits",
		(unsigned long long)S3_DELTA(a, b, cold_cache_hits));
	fprintf(out, "  %-44s %12llu\n", "batches from shm cache or WAL (want 0)",
		(unsigned long long)(S3_DELTA(a, b, fetch_cache_hits) +
				     S3_DELTA(a, b, fetch_wal_reads)));
raw:
	report_s3_print_rawget(out, "whole objects", &c->whole);
	char what[64];
	snprintf(what, sizeof what, "%llu-byte ranges", (unsigned long long)c->ranged.range);
	report_s3_print_rawget(out, what, &c->ranged);
	if (c->read_ran)
		fprintf(out, "  %-44s %12.2f\n", "catch-up / raw whole-object GET",
			s3bench_ratio(c));
	fprintf(out, "  catchup: %s%s\n\n", c->ok ? "ok" : "FAILED: ", c->ok ? "" : c->error);
}

/* Counter deltas between two samples. */
static json_t *report_s3_json_deltas(const struct shmstat_sample *a, const struct shmstat_sample *b)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"produce_bytes", (json_int_t)S3_DELTA(a, b, produce_bytes),
		"fetch_bytes", (json_int_t)S3_DELTA(a, b, fetch_bytes),
		"fetch_cache_hits", (json_int_t)S3_DELTA(a, b, fetch_cache_hits),
		"fetch_wal_reads", (json_int_t)S3_DELTA(a, b, fetch_wal_reads),
		"cold_read_gets", (json_int_t)S3_DELTA(a, b, cold_read_gets),
		"cold_read_bytes", (json_int_t)S3_DELTA(a, b, cold_read_bytes),
		"cold_read_errors", (json_int_t)S3_DELTA(a, b, cold_read_errors),
		"cold_cache_hits", (json_int_t)S3_DELTA(a, b, cold_cache_hits),
		"uploads_committed", (json_int_t)S3_DELTA(a, b, uploads_committed),
		"uploader_objects", (json_int_t)S3_DELTA(a, b, uploader_objects),
		"uploader_bytes", (json_int_t)S3_DELTA(a, b, uploader_bytes),
		"uploader_errors", (json_int_t)S3_DELTA(a, b, uploader_errors));
}

json_t *report_s3_json_fill(const struct s3bench_fill *f)
{
	const struct workload_result *w = &f->produce;
	return json_pack("{s:b, s:s, s:I, s:f, s:f, s:f, s:f, s:o}",
		"ok", f->ok,
		"error", f->error,
		"records", (json_int_t)w->tput_acked,
		"seconds", w->tput_secs,
		"mbps", w->tput_mbps,
		"objects_per_gb", s3bench_objects_per_gb(f),
		"drain_seconds", f->drain_secs,
		"counters", report_s3_json_deltas(&f->before, &f->after));
}

/* One raw GET pass. */
static json_t *report_s3_json_rawget(const struct rawget_result *g)
{
	return json_pack("{s:b, s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f}",
		"ok", g->ok,
		"error", g->error,
		"parallel", g->parallel,
		"range_bytes", (json_int_t)g->range,
		"objects", (json_int_t)g->objects,
		"object_bytes", (json_int_t)g->object_bytes,
		"gets", (json_int_t)g->gets,
		"bytes", (json_int_t)g->bytes,
		"requests", (json_int_t)g->requests,
		"retries", (json_int_t)g->retries,
		"seconds", g->secs,
		"mbps", g->mbps);
}

json_t *report_s3_json_catchup(const struct s3bench_catchup *c)
{
	const struct catchup_result *r = &c->read;
	json_t *read = json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f}",
		"partitions", r->partitions,
		"expected", (json_int_t)r->expected,
		"consumed", (json_int_t)r->consumed,
		"duplicates", (json_int_t)r->duplicates,
		"gaps", (json_int_t)r->gaps,
		"corrupt", (json_int_t)r->corrupt,
		"foreign", (json_int_t)r->foreign,
		"consumer_errors", (json_int_t)r->errors,
		"value_bytes", (json_int_t)r->value_bytes,
		"seconds", r->secs,
		"mbps", r->mbps,
		"batch_mbps", s3bench_catchup_batch_mbps(c),
		"gets_per_gb", s3bench_gets_per_gb(c));
	if (!c->read_ran) {
		json_decref(read);
		read = json_null();
	}
	return json_pack("{s:b, s:s, s:o, s:o, s:o, s:o, s:f}",
		"ok", c->ok,
		"error", c->error,
		"read", read,
		"counters", report_s3_json_deltas(&c->before, &c->after),
		"raw_get_whole", report_s3_json_rawget(&c->whole),
		"raw_get_ranged", report_s3_json_rawget(&c->ranged),
		"ratio_catchup_raw", s3bench_ratio(c));
}
