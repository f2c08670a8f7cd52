/*
 * Report of the compaction part (see report_compact.h).  Main thread, at
 * the end of the run, over results nothing writes any more.
 */
#include "autoconfig.h"

#include "tools/bench/report_compact.h"
#include "common/daemon_report.h"
#include "common/errors.h"

#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

/* Delta of a field between two samples. */
#define RC_DELTA(a, b, field) ((b)->field - (a)->field)

/* The object store operations reported per GB, with their labels. */
static const struct {
	const char *label;
	size_t field;
} report_compact_ops[] = {
	{ "PUT", offsetof(struct objstore_stats, puts) },
	{ "GET", offsetof(struct objstore_stats, gets) },
	{ "HEAD", offsetof(struct objstore_stats, heads) },
	{ "LIST", offsetof(struct objstore_stats, lists) },
	{ "DELETE", offsetof(struct objstore_stats, deletes) },
	{ "parts", offsetof(struct objstore_stats, multipart_parts) },
	{ "HTTP", offsetof(struct objstore_stats, requests) },
};
#define REPORT_COMPACT_OPS (sizeof report_compact_ops / sizeof report_compact_ops[0])

/* One object store counter's delta for daemon d. */
static uint64_t report_compact_s3(const struct compactstat_sample *a,
				  const struct compactstat_sample *b, int d, size_t op)
{
	size_t off = report_compact_ops[op].field;
	return *(const uint64_t *)((const char *)&b->s3[d] + off) -
	       *(const uint64_t *)((const char *)&a->s3[d] + off);
}

/* Produce latency of a phase at percentile q, ms. */
static double report_compact_ms(const struct compactbench_phase *ph, double q)
{
	return (double)hist_percentile(&ph->lat.produce, q) / 1e6;
}

/* One phase's line of the table. */
static void report_compact_print_phase(FILE *out, int pair, const struct compactbench_phase *ph)
{
	const struct compactstat_sample *a = &ph->cs[0], *b = &ph->cs[1];
	char name[32];
	snprintf(name, sizeof name, "%s %d", ph->compacting ? "compacting" : "idle", pair + 1);
	fprintf(out, "  %-13s %7.3f %7.3f %7.3f %8.3f %6.1f %9.1f %9.1f %9.1f %6.2f %5llu\n",
		name, report_compact_ms(ph, 50), report_compact_ms(ph, 99),
		report_compact_ms(ph, 99.9), (double)ph->lat.produce.max / 1e6,
		ph->lat.achieved_mbps, (double)compactbench_ingested(&ph->shm[0], &ph->shm[1]) / BENCH_MB,
		(double)RC_DELTA(a, b, bytes_read) / BENCH_MB,
		(double)RC_DELTA(a, b, bytes_written) / BENCH_MB,
		compactbench_write_amp(&ph->shm[0], &ph->shm[1], a, b),
		(unsigned long long)RC_DELTA(a, b, rewrites_committed));
}

/* The latency table, the medians and the verdict. */
static void report_compact_print_latency(FILE *out, const struct compactbench_result *c)
{
	fprintf(out, "  %-13s %7s %7s %7s %8s %6s %9s %9s %9s %6s %5s\n", "produce, ms",
		"p50", "p99", "p99.9", "max", "MB/s", "ingest MB", "cmp rd MB", "cmp wr MB",
		"wr/in", "rewr");
	for (int i = 0; i < c->pairs; i++)
		for (int k = 0; k < 2; k++)
			if (c->phase[2 * i + k].ran)
				report_compact_print_phase(out, i, &c->phase[2 * i + k]);
	for (int i = 0; i < c->pairs; i++)
		if (c->phase[2 * i + 1].ran)
			fprintf(out, "  pair %d: compactd's first write %.1f s after its start; "
				"p99 compacting / idle %.2f\n", i + 1, c->phase[2 * i + 1].wait_s,
				compactbench_pair_ratio(c, i));
	double idle = compactbench_median_p99(c, 0), busy = compactbench_median_p99(c, 1);
	double ratio = compactbench_p99_ratio(c);
	fprintf(out, "  median p99: idle %.3f ms, compacting %.3f ms; ratio %.2f (target <= %.1f: %s)\n",
		idle, busy, ratio, COMPACTBENCH_P99_TARGET,
		ratio <= 0 ? "not measured" : ratio <= COMPACTBENCH_P99_TARGET ? "met" : "NOT met");
}

/* Sums the compacting phases' deltas of ingest and compaction writes. */
static void report_compact_busy_totals(const struct compactbench_result *c, uint64_t *in,
				       uint64_t *written)
{
	*in = *written = 0;
	for (int i = 0; i < c->pairs; i++) {
		const struct compactbench_phase *ph = &c->phase[2 * i + 1];
		if (!ph->ran)
			continue;
		*in += compactbench_ingested(&ph->shm[0], &ph->shm[1]);
		*written += RC_DELTA(&ph->cs[0], &ph->cs[1], bytes_written);
	}
}

/* Whole-run write amplification and requests per GB. */
static void report_compact_print_totals(FILE *out, const struct compactbench_result *c)
{
	const struct shmstat_sample *sa = &c->shm_start, *sb = &c->shm_end;
	const struct compactstat_sample *a = &c->cs_start, *b = &c->cs_end;
	uint64_t in = compactbench_ingested(sa, sb), busy_in, busy_written;
	report_compact_busy_totals(c, &busy_in, &busy_written);
	fprintf(out, "  whole run, start to %s after %.0f s:\n",
		c->settled ? "compactd settled" : "compactd NOT settled (figures are a lower bound)",
		c->settle_s);
	fprintf(out, "  %-48s %10.1f\n", "record batches ingested, MB", (double)in / BENCH_MB);
	fprintf(out, "  %-48s %10.1f\n", "object bytes uploaded (uploaderd), MB",
		(double)RC_DELTA(sa, sb, uploader_bytes) / BENCH_MB);
	fprintf(out, "  %-48s %10.1f\n", "compaction bytes read, MB",
		(double)RC_DELTA(a, b, bytes_read) / BENCH_MB);
	fprintf(out, "  %-48s %10.1f\n", "compaction bytes written, MB",
		(double)RC_DELTA(a, b, bytes_written) / BENCH_MB);
	fprintf(out, "  %-48s %10llu / %llu / %llu\n", "rewrites committed / refused / runs",
		(unsigned long long)RC_DELTA(a, b, rewrites_committed),
		(unsigned long long)RC_DELTA(a, b, rewrites_refused),
		(unsigned long long)(RC_DELTA(a, b, runs) + RC_DELTA(a, b, runs_failed)));
	fprintf(out, "  %-48s %10llu / %llu / %llu\n", "objects written / expired / retired deleted",
		(unsigned long long)RC_DELTA(a, b, objects_written),
		(unsigned long long)RC_DELTA(a, b, objects_expired),
		(unsigned long long)RC_DELTA(a, b, retired_deleted));
	fprintf(out, "  %-48s %10.2f\n", "write amplification (written / ingested)",
		compactbench_write_amp(sa, sb, a, b));
	fprintf(out, "  %-48s %10.2f\n", "  per byte uploaded",
		compactbench_write_amp_uploaded(sa, sb, a, b));
	fprintf(out, "  %-48s %10.2f\n", "  compacting phases only (backlog included)",
		busy_in ? (double)busy_written / (double)busy_in : 0);
	fprintf(out, "  S3 operations per GB ingested (HTTP: every request, part, retry)\n");
	fprintf(out, "  %-10s", "");
	for (size_t op = 0; op < REPORT_COMPACT_OPS; op++)
		fprintf(out, " %8s", report_compact_ops[op].label);
	fprintf(out, "\n");
	for (int d = 0; d < COMPACTSTAT_DAEMONS; d++) {
		fprintf(out, "  %-10s", compactstat_daemon_name(d));
		for (size_t op = 0; op < REPORT_COMPACT_OPS; op++)
			fprintf(out, " %8.1f",
				compactbench_per_gb(report_compact_s3(a, b, d, op), sa, sb));
		fprintf(out, "\n");
	}
}

void report_compact_print(FILE *out, const struct bench_opts *o,
			  const struct compactbench_result *c)
{
	const struct compactbench_settings *s = &c->set;
	int parts = c->pairs > 0 ? c->phase[0].lat.partitions : 0;
	fprintf(out, "Compaction: topic %s, %d partitions, %zu-byte records, acks=all, paced at "
		"%.1f MB/s,\n  %g s per phase, %d pairs (compactd stopped, then running)\n",
		o->topic, parts, o->record_size, o->rate_mb, o->duration_s, c->pairs);
	fprintf(out, "  region.bytes %lld, region.ms %lld; compaction.interval.ms %lld, "
		"target.bytes %lld,\n  split.bytes %lld, small.object.bytes %lld, bytes.per.sec %lld, "
		"max.objects.per.run %lld; retired.grace.ms %lld\n",
		(long long)s->region_bytes, (long long)s->region_ms, (long long)s->interval_ms,
		(long long)s->target_bytes, (long long)s->split_bytes, (long long)s->small_bytes,
		(long long)s->bytes_per_sec, (long long)s->max_objects_per_run,
		(long long)s->retired_grace_ms);
	report_compact_print_latency(out, c);
	report_compact_print_totals(out, c);
	fprintf(out, "  compact: %s%s\n\n", c->ok ? "ok" : "FAILED: ", c->ok ? "" : c->error);
}

/* compactd's counter deltas between two samples. */
static json_t *report_compact_json_counters(const struct compactstat_sample *a,
					    const struct compactstat_sample *b)
{
	json_t *o = json_object();
#define RC_JSON(f) json_object_set_new(o, #f, json_integer((json_int_t)RC_DELTA(a, b, f)));
	COMPACTSTAT_FIELDS(RC_JSON)
#undef RC_JSON
	return o;
}

/* Object store operations by daemon between two samples, as counts or
 * (with sa, sb) per GB ingested. */
static json_t *report_compact_json_s3(const struct compactstat_sample *a,
				      const struct compactstat_sample *b,
				      const struct shmstat_sample *sa, const struct shmstat_sample *sb)
{
	json_t *o = json_object();
	for (int d = 0; d < COMPACTSTAT_DAEMONS; d++) {
		json_t *ops = json_object();
		for (size_t op = 0; op < REPORT_COMPACT_OPS; op++) {
			uint64_t n = report_compact_s3(a, b, d, op);
			json_object_set_new(ops, report_compact_ops[op].label,
					    sa ? json_real(compactbench_per_gb(n, sa, sb))
					       : json_integer((json_int_t)n));
		}
		json_object_set_new(o, compactstat_daemon_name(d), ops);
	}
	return o;
}

/* One phase. */
static json_t *report_compact_json_phase(const struct compactbench_phase *ph)
{
	const struct workload_result *w = &ph->lat;
	return json_pack("{s:b, s:b, s:s, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:I, "
			 "s:f, s:o}",
		"compacting", ph->compacting,
		"ok", w->ok,
		"error", w->error,
		"wait_first_write_s", ph->wait_s,
		"seconds", ph->secs,
		"achieved_mbps", w->achieved_mbps,
		"p50_ms", report_compact_ms(ph, 50),
		"p99_ms", report_compact_ms(ph, 99),
		"p999_ms", report_compact_ms(ph, 99.9),
		"max_ms", (double)w->produce.max / 1e6,
		"e2e_p99_ms", (double)hist_percentile(&w->e2e, 99) / 1e6,
		"acked", (json_int_t)w->lat_acked,
		"ingested_bytes", (json_int_t)compactbench_ingested(&ph->shm[0], &ph->shm[1]),
		"compaction_bytes_written", (json_int_t)RC_DELTA(&ph->cs[0], &ph->cs[1], bytes_written),
		"compaction_bytes_read", (json_int_t)RC_DELTA(&ph->cs[0], &ph->cs[1], bytes_read),
		"write_amp", compactbench_write_amp(&ph->shm[0], &ph->shm[1], &ph->cs[0], &ph->cs[1]),
		"s3", report_compact_json_s3(&ph->cs[0], &ph->cs[1], NULL, NULL));
}

json_t *report_compact_json(const struct compactbench_result *c)
{
	const struct compactbench_settings *s = &c->set;
	const struct shmstat_sample *sa = &c->shm_start, *sb = &c->shm_end;
	json_t *phases = json_array();
	for (int i = 0; i < 2 * c->pairs; i++)
		if (c->phase[i].ran)
			json_array_append_new(phases, report_compact_json_phase(&c->phase[i]));
	json_t *ratios = json_array();
	for (int i = 0; i < c->pairs; i++)
		json_array_append_new(ratios, json_real(compactbench_pair_ratio(c, i)));
	return json_pack("{s:b, s:s, s:i, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:o, "
			 "s:f, s:f, s:f, s:o, s:f, s:b, s:f, s:I, s:I, s:f, s:f, s:o, s:o, s:o}",
		"ok", c->ok,
		"error", c->error,
		"pairs", c->pairs,
		"settings",
		"region_bytes", (json_int_t)s->region_bytes,
		"region_ms", (json_int_t)s->region_ms,
		"interval_ms", (json_int_t)s->interval_ms,
		"target_bytes", (json_int_t)s->target_bytes,
		"split_bytes", (json_int_t)s->split_bytes,
		"small_object_bytes", (json_int_t)s->small_bytes,
		"bytes_per_sec", (json_int_t)s->bytes_per_sec,
		"max_objects_per_run", (json_int_t)s->max_objects_per_run,
		"retired_grace_ms", (json_int_t)s->retired_grace_ms,
		"phases", phases,
		"median_p99_idle_ms", compactbench_median_p99(c, 0),
		"median_p99_compacting_ms", compactbench_median_p99(c, 1),
		"p99_ratio", compactbench_p99_ratio(c),
		"pair_p99_ratios", ratios,
		"p99_ratio_target", COMPACTBENCH_P99_TARGET,
		"settled", c->settled,
		"settle_seconds", c->settle_s,
		"ingested_bytes", (json_int_t)compactbench_ingested(sa, sb),
		"uploaded_bytes", (json_int_t)RC_DELTA(sa, sb, uploader_bytes),
		"write_amp", compactbench_write_amp(sa, sb, &c->cs_start, &c->cs_end),
		"write_amp_uploaded", compactbench_write_amp_uploaded(sa, sb, &c->cs_start, &c->cs_end),
		"counters", report_compact_json_counters(&c->cs_start, &c->cs_end),
		"s3", report_compact_json_s3(&c->cs_start, &c->cs_end, NULL, NULL),
		"s3_per_gb", report_compact_json_s3(&c->cs_start, &c->cs_end, sa, sb));
}

int report_compact_json_write(const struct report *r, const struct compactbench_result *c,
			      const char *path)
{
	json_t *root = report_json(r);
	if (root == NULL)
		return SL_ENOMEM;
	json_t *section = report_compact_json(c);
	if (section == NULL || json_object_set_new(root, "compact", section) != 0) {
		json_decref(root);
		return SL_ENOMEM;
	}
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int rc = json_dump_file(root, tmp, JSON_INDENT(2)) == 0 && rename(tmp, path) == 0 ? 0 : SL_EIO;
	if (rc != 0)
		unlink(tmp);
	json_decref(root);
	return rc;
}
