/*
 * The eos part of the report (see report_eos.h).  Runs on the main thread
 * once the measurements are done.
 */
#include "autoconfig.h"

#include "tools/bench/report_eos.h"

#include <string.h>

#define NS_PER_MS 1e6

/* Column names, indexed by enum bench_producer_mode. */
static const char *const report_eos_names[REPORT_EOS_MODES] = {
	"idem off", "off, 5 infl", "idem on",
};

/* JSON keys, the same order. */
static const char *const report_eos_keys[REPORT_EOS_MODES] = {
	"idempotence_off", "idempotence_off_5_in_flight", "idempotence_on",
};

/* Milliseconds of a histogram's percentile. */
static double report_eos_ms(const struct hist *h, double q)
{
	return (double)hist_percentile(h, q) / NS_PER_MS;
}

void report_eos_print(FILE *out, const struct bench_opts *o,
		      const struct workload_result *const modes[REPORT_EOS_MODES],
		      const struct txn_bench_result *txn)
{
	fprintf(out, "Idempotence and transactions (brokerd %s): topic %s, %zu-byte records,\n"
		"  acks=all, %g s per phase, paced at %.1f MB/s with linger.ms=%d\n",
		o->bootstrap, o->topic, o->record_size, o->duration_s, o->rate_mb,
		o->latency_linger_ms);
	fprintf(out, "  %-32s", "");
	for (int m = 0; m < REPORT_EOS_MODES; m++)
		if (modes[m])
			fprintf(out, "%13s", report_eos_names[m]);
	fprintf(out, "\n");
	static const char *const rows[] = {
		"max throughput, MB/s", "    records/s", "produce latency p50, ms",
		"    p99, ms", "    p99.9, ms", "delivery errors",
	};
	for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
		fprintf(out, "  %-32s", rows[r]);
		for (int m = 0; m < REPORT_EOS_MODES; m++) {
			const struct workload_result *w = modes[m];
			if (!w)
				continue;
			switch (r) {
			case 0: fprintf(out, "%13.1f", w->tput_mbps); break;
			case 1: fprintf(out, "%13.0f", w->tput_rps); break;
			case 2: fprintf(out, "%13.3f", report_eos_ms(&w->produce, 50)); break;
			case 3: fprintf(out, "%13.3f", report_eos_ms(&w->produce, 99)); break;
			case 4: fprintf(out, "%13.3f", report_eos_ms(&w->produce, 99.9)); break;
			default:
				fprintf(out, "%13llu",
					(unsigned long long)(w->tput_errors + w->lat_errors));
			}
		}
		fprintf(out, "\n");
	}
	for (int m = 0; m < REPORT_EOS_MODES; m++)
		if (modes[m])
			fprintf(out, "  %s: %s%s\n", report_eos_names[m],
				modes[m]->ok ? "ok" : "FAILED: ", modes[m]->ok ? "" : modes[m]->error);
	if (txn) {
		fprintf(out, "  transactions of %d records, back to back, one producer:\n",
			o->txn_records);
		fprintf(out, "    committed %llu transactions, %llu records in %.1f s\n",
			(unsigned long long)txn->txns, (unsigned long long)txn->records, txn->secs);
		fprintf(out, "    %.0f transactions/s, %.0f records/s, %.1f MB/s\n",
			txn->txns_per_s, txn->records_per_s, txn->mbps);
		fprintf(out, "    commit p50 %.3f ms, p99 %.3f ms; whole transaction p50 %.3f ms, p99 %.3f ms\n",
			report_eos_ms(&txn->commit, 50), report_eos_ms(&txn->commit, 99),
			report_eos_ms(&txn->txn, 50), report_eos_ms(&txn->txn, 99));
		fprintf(out, "  transactions: %s%s\n", txn->ok ? "ok" : "FAILED: ",
			txn->ok ? "" : txn->error);
	}
	fprintf(out, "\n");
}

/* {p50, p99, p99.9, max} in ms of a histogram. */
static json_t *report_eos_json_lat(const struct hist *h)
{
	return json_pack("{s:I, s:f, s:f, s:f, s:f}", "count", (json_int_t)h->count,
			 "p50_ms", report_eos_ms(h, 50), "p99_ms", report_eos_ms(h, 99),
			 "p999_ms", report_eos_ms(h, 99.9), "max_ms", (double)h->max / NS_PER_MS);
}

json_t *report_eos_json(const struct bench_opts *o,
			const struct workload_result *const modes[REPORT_EOS_MODES],
			const struct txn_bench_result *txn)
{
	json_t *root = json_object();
	for (int m = 0; m < REPORT_EOS_MODES; m++) {
		const struct workload_result *w = modes[m];
		if (!w)
			continue;
		json_t *lat = report_eos_json_lat(&w->produce);
		json_object_set_new(root, report_eos_keys[m], json_pack(
			"{s:b, s:s, s:f, s:f, s:o, s:I}",
			"ok", w->ok, "error", w->error,
			"throughput_mbps", w->tput_mbps, "throughput_records_per_s", w->tput_rps,
			"produce_latency", lat,
			"delivery_errors", (json_int_t)(w->tput_errors + w->lat_errors)));
	}
	if (txn)
		json_object_set_new(root, "transactions", json_pack(
			"{s:b, s:s, s:i, s:I, s:I, s:f, s:f, s:f, s:f, s:o, s:o}",
			"ok", txn->ok, "error", txn->error,
			"records_per_transaction", o->txn_records,
			"transactions", (json_int_t)txn->txns,
			"records", (json_int_t)txn->records,
			"seconds", txn->secs,
			"transactions_per_s", txn->txns_per_s,
			"records_per_s", txn->records_per_s,
			"mbps", txn->mbps,
			"commit_latency", report_eos_json_lat(&txn->commit),
			"transaction_latency", report_eos_json_lat(&txn->txn)));
	return root;
}
