/*
 * Report (see report.h).  Reads results that the measuring threads have
 * finished writing; runs on the main thread at the end.  The JSON file is
 * the one durable output: written whole to a temp name, then renamed, so a
 * script never reads half a report.
 */
#include "autoconfig.h"

#include "tools/bench/report.h"
#include "tools/bench/catchup.h"
#include "tools/bench/report_s3.h"
#include "common/errors.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NS_PER_MS 1e6
#define NS_PER_US 1e3

/* Milliseconds of a histogram's percentile. */
static double report_ms(const struct hist *h, double q)
{
	return (double)hist_percentile(h, q) / NS_PER_MS;
}

/* Prints the disk section. */
static void report_print_disk(FILE *out, const struct report *r)
{
	const struct disk_result *d = r->disk;
	fprintf(out, "Disk: %s (%s), O_DIRECT, one write in flight\n", r->opts->disk_dir,
		d->fs[0] ? d->fs : "?");
	if (d->error[0] != '\0')
		fprintf(out, "  FAILED: %s\n", d->error);
	if (strcmp(d->fs, "tmpfs") == 0)
		fprintf(out, "  note: tmpfs is memory; these are not a disk's figures\n");
	if (d->fresh_mbps > 0)
		fprintf(out, "  sequential 1 MiB writes, %llu MiB then fdatasync: "
			"fresh file %.1f MB/s, overwrite %.1f MB/s\n",
			(unsigned long long)(d->bytes / BENCH_MIB), d->fresh_mbps, d->overwrite_mbps);
	fprintf(out, "  %-24s %10s %10s %10s %10s %10s\n", "pwrite+fdatasync (ms)", "p50", "p99",
		"p99.9", "mean", "max");
	for (int i = 0; i < 2; i++) {
		const struct hist *h = &d->sync[i].lat;
		if (h->count == 0)
			continue;
		char label[64];
		snprintf(label, sizeof label, "%zu KiB x %llu", d->sync[i].size / 1024,
			 (unsigned long long)h->count);
		fprintf(out, "  %-24s %10.3f %10.3f %10.3f %10.3f %10.3f\n", label, report_ms(h, 50),
			report_ms(h, 99), report_ms(h, 99.9), hist_mean(h) / NS_PER_MS,
			(double)h->max / NS_PER_MS);
	}
	fprintf(out, "\n");
}

/* One row of the produce table: label, then one value per target that ran. */
struct report_row {
	const char *label;
	const char *fmt;
	double (*get)(const struct workload_result *w);
	int tput;   /* a figure of phase (a), left out with --only paced */
};

/* Accessors for the rows below, one figure each. */
static double get_tput_mbps(const struct workload_result *w) { return w->tput_mbps; }
static double get_tput_rps(const struct workload_result *w) { return w->tput_rps; }
static double get_achieved(const struct workload_result *w) { return w->achieved_mbps; }
static double get_prod_p50(const struct workload_result *w) { return report_ms(&w->produce, 50); }
static double get_prod_p99(const struct workload_result *w) { return report_ms(&w->produce, 99); }
static double get_prod_p999(const struct workload_result *w) { return report_ms(&w->produce, 99.9); }
static double get_prod_max(const struct workload_result *w) { return (double)w->produce.max / NS_PER_MS; }
static double get_e2e_p50(const struct workload_result *w) { return report_ms(&w->e2e, 50); }
static double get_e2e_p99(const struct workload_result *w) { return report_ms(&w->e2e, 99); }
static double get_e2e_p999(const struct workload_result *w) { return report_ms(&w->e2e, 99.9); }
static double get_consumed(const struct workload_result *w) { return (double)w->e2e_consumed; }
static double get_missing(const struct workload_result *w) { return (double)w->e2e_missing; }
/* Failed deliveries of both phases. */
static double get_errors(const struct workload_result *w)
{
	return (double)(w->tput_errors + w->lat_errors);
}

static const struct report_row report_rows[] = {
	{ "(a) max throughput, MB/s", "%12.1f", get_tput_mbps, 1 },
	{ "    records/s", "%12.0f", get_tput_rps, 1 },
	{ "(b) paced rate achieved, MB/s", "%12.1f", get_achieved, 0 },
	{ "    produce latency p50, ms", "%12.3f", get_prod_p50, 0 },
	{ "    p99, ms", "%12.3f", get_prod_p99, 0 },
	{ "    p99.9, ms", "%12.3f", get_prod_p999, 0 },
	{ "    max, ms", "%12.3f", get_prod_max, 0 },
	{ "(c) end-to-end p50, ms", "%12.3f", get_e2e_p50, 0 },
	{ "    p99, ms", "%12.3f", get_e2e_p99, 0 },
	{ "    p99.9, ms", "%12.3f", get_e2e_p999, 0 },
	{ "    records read back", "%12.0f", get_consumed, 0 },
	{ "    acknowledged, not read back", "%12.0f", get_missing, 0 },
	{ "delivery errors", "%12.0f", get_errors, 0 },
};

/* Prints the produce section for the targets that ran. */
static void report_print_produce(FILE *out, const struct report *r)
{
	const struct bench_opts *o = r->opts;
	const struct workload_result *cols[2] = { r->broker, r->mock };
	const char *names[2] = { "brokerd", "mock" };
	int parts = r->broker ? r->broker->partitions : r->mock->partitions;

	fprintf(out, "Produce: topic %s, %d partitions, %zu-byte records, acks=all, "
		"%g s per phase,\n  paced at %.1f MB/s with linger.ms=%d, consumer fetch.wait.max.ms=%d\n",
		o->topic, parts, o->record_size, o->duration_s, o->rate_mb, o->latency_linger_ms,
		o->fetch_wait_ms);
	fprintf(out, "  %-32s", "");
	for (int c = 0; c < 2; c++)
		if (cols[c] != NULL)
			fprintf(out, "%12s", names[c]);
	if (r->broker && r->mock)
		fprintf(out, "%14s", "brokerd/mock");
	fprintf(out, "\n");
	for (size_t i = 0; i < sizeof report_rows / sizeof report_rows[0]; i++) {
		const struct report_row *row = &report_rows[i];
		if (row->tput && o->skip_throughput)
			continue;
		fprintf(out, "  %-32s", row->label);
		for (int c = 0; c < 2; c++)
			if (cols[c] != NULL)
				fprintf(out, row->fmt, row->get(cols[c]));
		if (i == 0 && r->broker && r->mock && r->mock->tput_mbps > 0)
			fprintf(out, "%14.2f", r->broker->tput_mbps / r->mock->tput_mbps);
		fprintf(out, "\n");
	}
	for (int c = 0; c < 2; c++)
		if (cols[c] != NULL)
			fprintf(out, "  %s: %s%s\n", names[c], cols[c]->ok ? "ok" : "FAILED: ",
				cols[c]->ok ? "" : cols[c]->error);
	fprintf(out, "\n");
}

void report_print_sections(FILE *out, const struct report *r)
{
	fprintf(out, "sluice-bench %s\n\n", PACKAGE_VERSION);
	if (r->disk != NULL)
		report_print_disk(out, r);
	if (r->broker != NULL || r->mock != NULL)
		report_print_produce(out, r);
	if (r->eos[0] != NULL || r->eos[2] != NULL || r->txn != NULL)
		report_eos_print(out, r->opts, r->eos, r->txn);
	if (r->fill != NULL)
		report_s3_print_fill(out, r->opts, r->fill);
	if (r->catchup != NULL)
		report_s3_print_catchup(out, r->opts, r->catchup);
	if (r->pid > 0) {
		if (r->mem_rc == 0)
			fprintf(out, "brokerd memory (pid %ld): VmRSS %.1f MiB, VmHWM %.1f MiB",
				(long)r->pid, (double)r->mem.rss_bytes / BENCH_MIB,
				(double)r->mem.hwm_bytes / BENCH_MIB);
		else
			fprintf(out, "brokerd memory (pid %ld): FAILED: %s", (long)r->pid,
				r->mem_rc == SL_ENOENT ? "process gone" : "no VmRSS/VmHWM");
		if (r->opts->cache_bytes > 0)
			fprintf(out, "; --cache-bytes %llu (%.1f MiB)",
				(unsigned long long)r->opts->cache_bytes,
				(double)r->opts->cache_bytes / BENCH_MIB);
		fprintf(out, "\n\n");
	}
}

void report_print_verdict(FILE *out, const struct report *r)
{
	fprintf(out, "result: %s\n", r->ok ? "ok" : "FAILED");
}

void report_print(FILE *out, const struct report *r)
{
	report_print_sections(out, r);
	report_print_verdict(out, r);
}

/* {key: value} of a NULL-terminated key/value list. */
static json_t *report_json_conf(const char *const *kv)
{
	json_t *o = json_object();
	for (int i = 0; kv[i] != NULL; i += 2)
		json_object_set_new(o, kv[i], json_string(kv[i + 1]));
	return o;
}

/* Percentiles of a histogram in milliseconds. */
static json_t *report_json_lat(const struct hist *h)
{
	return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f}",
			 "samples", (json_int_t)h->count,
			 "p50_ms", report_ms(h, 50),
			 "p99_ms", report_ms(h, 99),
			 "p999_ms", report_ms(h, 99.9),
			 "mean_ms", hist_mean(h) / NS_PER_MS,
			 "max_ms", (double)h->max / NS_PER_MS);
}

/* The disk section. */
static json_t *report_json_disk(const struct report *r)
{
	const struct disk_result *d = r->disk;
	json_t *syncs = json_array();
	for (int i = 0; i < 2; i++) {
		const struct hist *h = &d->sync[i].lat;
		json_array_append_new(syncs, json_pack("{s:I, s:I, s:f, s:f, s:f, s:f, s:f}",
			"write_bytes", (json_int_t)d->sync[i].size,
			"samples", (json_int_t)h->count,
			"p50_us", (double)hist_percentile(h, 50) / NS_PER_US,
			"p99_us", (double)hist_percentile(h, 99) / NS_PER_US,
			"p999_us", (double)hist_percentile(h, 99.9) / NS_PER_US,
			"mean_us", hist_mean(h) / NS_PER_US,
			"max_us", (double)h->max / NS_PER_US));
	}
	return json_pack("{s:s, s:s, s:b, s:s, s:I, s:I, s:f, s:f, s:o}",
			 "dir", r->opts->disk_dir,
			 "fs", d->fs,
			 "ok", d->error[0] == '\0',
			 "error", d->error,
			 "seq_write_bytes", (json_int_t)d->bytes,
			 "seq_write_size", (json_int_t)DISK_WRITE_SIZE,
			 "seq_write_fresh_mbps", d->fresh_mbps,
			 "seq_write_overwrite_mbps", d->overwrite_mbps,
			 "pwrite_fdatasync", syncs);
}

/* One target's workload section. */
static json_t *report_json_workload(const struct workload_result *w, const char *bootstrap)
{
	json_t *tput = json_pack("{s:f, s:f, s:I, s:f, s:I, s:I}",
				 "mbps", w->tput_mbps,
				 "records_per_s", w->tput_rps,
				 "acked", (json_int_t)w->tput_acked,
				 "seconds", w->tput_secs,
				 "delivery_errors", (json_int_t)w->tput_errors,
				 "queue_full", (json_int_t)w->tput_queue_full);
	json_t *lat = report_json_lat(&w->produce);
	json_object_set_new(lat, "target_mbps", json_real(w->target_mbps));
	json_object_set_new(lat, "achieved_mbps", json_real(w->achieved_mbps));
	json_object_set_new(lat, "sent", json_integer((json_int_t)w->lat_sent));
	json_object_set_new(lat, "acked", json_integer((json_int_t)w->lat_acked));
	json_object_set_new(lat, "delivery_errors", json_integer((json_int_t)w->lat_errors));
	json_object_set_new(lat, "queue_full", json_integer((json_int_t)w->lat_queue_full));
	json_t *e2e = report_json_lat(&w->e2e);
	json_object_set_new(e2e, "consumed", json_integer((json_int_t)w->e2e_consumed));
	json_object_set_new(e2e, "missing", json_integer((json_int_t)w->e2e_missing));
	json_object_set_new(e2e, "duplicates", json_integer((json_int_t)w->e2e_duplicates));
	json_object_set_new(e2e, "corrupt", json_integer((json_int_t)w->e2e_corrupt));
	json_object_set_new(e2e, "consumer_errors", json_integer((json_int_t)w->e2e_errors));
	return json_pack("{s:s, s:b, s:s, s:i, s:b, s:o, s:o, s:o}",
			 "bootstrap", bootstrap,
			 "ok", w->ok,
			 "error", w->error,
			 "partitions", w->partitions,
			 "topic_created", w->topic_created,
			 "throughput", tput,
			 "produce_latency", lat,
			 "e2e_latency", e2e);
}

json_t *report_json(const struct report *r)
{
	const struct bench_opts *o = r->opts;
	json_t *root = json_object();
	json_object_set_new(root, "tool", json_string("sluice-bench"));
	json_object_set_new(root, "version", json_string(PACKAGE_VERSION));
	json_object_set_new(root, "ok", json_boolean(r->ok));
	json_object_set_new(root, "params", json_pack("{s:s, s:i, s:I, s:f, s:f, s:i, s:i}",
		"topic", o->topic,
		"partitions_requested", o->partitions,
		"record_size", (json_int_t)o->record_size,
		"duration_s", o->duration_s,
		"rate_mb", o->rate_mb,
		"paced_linger_ms", o->latency_linger_ms,
		"consumer_fetch_wait_ms", o->fetch_wait_ms));
	json_t *params = json_object_get(root, "params");
	json_object_set_new(params, "throughput_phase", json_boolean(!o->skip_throughput));
	if (r->fill != NULL || r->catchup != NULL) {
		json_object_set_new(params, "fill_bytes", json_integer((json_int_t)o->fill_bytes));
		json_object_set_new(params, "get_parallel", json_integer(o->get_parallel));
		json_object_set_new(params, "get_range", json_integer((json_int_t)o->get_range));
	}
	json_t *paced = report_json_conf(workload_paced_conf);
	char linger[16];
	snprintf(linger, sizeof linger, "%d", o->latency_linger_ms);
	json_object_set_new(paced, "linger.ms", json_string(linger));
	json_object_set_new(root, "producer_config", json_pack("{s:o, s:o}",
		"throughput", report_json_conf(workload_tput_conf),
		"paced", paced));
	if (r->disk != NULL)
		json_object_set_new(root, "disk", report_json_disk(r));
	if (r->broker != NULL)
		json_object_set_new(root, "broker", report_json_workload(r->broker, o->bootstrap));
	if (r->mock != NULL)
		json_object_set_new(root, "mock", report_json_workload(r->mock, "in-process"));
	if (r->eos[0] != NULL || r->eos[2] != NULL || r->txn != NULL) {
		json_object_set_new(root, "eos", report_eos_json(o, r->eos, r->txn));
		json_object_set_new(root, "txn_producer_config", report_json_conf(txn_bench_conf));
	}
	if (r->fill != NULL)
		json_object_set_new(root, "fill", report_s3_json_fill(r->fill));
	if (r->catchup != NULL) {
		json_object_set_new(root, "catchup", report_s3_json_catchup(r->catchup));
		json_object_set_new(root, "catchup_consumer_config", report_json_conf(catchup_conf));
	}
	if (r->broker != NULL && r->mock != NULL && r->mock->tput_mbps > 0)
		json_object_set_new(root, "throughput_ratio_broker_mock",
				    json_real(r->broker->tput_mbps / r->mock->tput_mbps));
	if (r->pid > 0) {
		json_t *mem = json_pack("{s:I, s:b}", "pid", (json_int_t)r->pid, "ok", r->mem_rc == 0);
		if (r->mem_rc == 0) {
			json_object_set_new(mem, "vmrss_bytes", json_integer((json_int_t)r->mem.rss_bytes));
			json_object_set_new(mem, "vmhwm_bytes", json_integer((json_int_t)r->mem.hwm_bytes));
		}
		if (o->cache_bytes > 0)
			json_object_set_new(mem, "cache_bytes", json_integer((json_int_t)o->cache_bytes));
		json_object_set_new(root, "brokerd_memory", mem);
	}
	return root;
}

int report_json_write(const struct report *r, const char *path)
{
	json_t *root = report_json(r);
	if (root == NULL)
		return SL_ENOMEM;
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int rc = json_dump_file(root, tmp, JSON_INDENT(2)) == 0 && rename(tmp, path) == 0 ? 0 : SL_EIO;
	if (rc != 0)
		unlink(tmp);
	json_decref(root);
	return rc;
}
