/*
 * The compaction part (see compactbench.h).  Main thread; the paced
 * producer and the consumer bring their own threads.  brokerd is only
 * observed (its segment read-only, its control socket's status); compactd
 * only through its report and the start and stop commands.  Nothing
 * durable.
 */
#include "autoconfig.h"

#include "tools/bench/compactbench.h"
#include "common/errors.h"
#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define COMPACTBENCH_POLL_MS 250
#define COMPACTBENCH_CTL_TIMEOUT_MS 5000

/* Sleeps one poll interval. */
static void compactbench_nap(void)
{
	struct timespec ts = { 0, COMPACTBENCH_POLL_MS * 1000000L };
	nanosleep(&ts, NULL);
}

/* Samples both sources (compactd's counters summed over its processes);
 * 0, or SL_EIO with the part failed. */
static int compactbench_sample(const struct shmstat *st, const char *sock,
			       struct compactbench_result *r, struct shmstat_sample *shm,
			       struct compactstat_sample *cs)
{
	char err[512];
	struct compactstat_sample raw;
	shmstat_sample(st, shm);
	if (compactstat_read(sock, COMPACTBENCH_CTL_TIMEOUT_MS, &raw, err, sizeof err) != 0) {
		BENCH_FAIL(r, "brokerd's status: %s", err);
		return SL_EIO;
	}
	compactstat_accumulate(&r->acc, &raw, cs);
	return 0;
}

/* Runs one of the caller's commands; 0, or SL_EIO with the part failed. */
static int compactbench_cmd(struct compactbench_result *r, const char *what, const char *cmd)
{
	log_info("compact: %s: %s", what, cmd);
	fflush(stdout);
	int st = system(cmd);
	if (st != 0) {
		BENCH_FAIL(r, "%s command failed (status %d): %s", what, st, cmd);
		return SL_EIO;
	}
	return 0;
}

/* After the start command: waits until compactd has written something
 * (its report shows bytes_written grow past from); 0 or SL_EIO. */
static int compactbench_wait_work(const struct shmstat *st, const char *sock, double timeout_s,
				  const struct compactstat_sample *from,
				  struct compactbench_result *r, struct compactbench_phase *ph)
{
	uint64_t t0 = bench_now_ns(), deadline = t0 + (uint64_t)(timeout_s * 1e9);
	struct shmstat_sample shm;
	struct compactstat_sample cs;
	for (;;) {
		if (compactbench_sample(st, sock, r, &shm, &cs) != 0)
			return SL_EIO;
		if (cs.reported && cs.bytes_written > from->bytes_written)
			break;
		if (bench_now_ns() >= deadline) {
			BENCH_FAIL(r, "compactd wrote nothing within %.0f s of its start: "
				   "nothing to compact? (lower compaction.split.bytes, "
				   "compaction.small.object.bytes, region.bytes)", timeout_s);
			return SL_EIO;
		}
		compactbench_nap();
	}
	ph->wait_s = (double)(bench_now_ns() - t0) / 1e9;
	return 0;
}

/* One paced phase with the samples around it. */
static int compactbench_phase_run(const struct bench_opts *opts, const struct shmstat *st,
				  const char *sock, struct compactbench_result *r,
				  struct compactbench_phase *ph)
{
	struct bench_opts po = *opts;
	po.skip_throughput = 1;
	ph->ran = 1;
	if (compactbench_sample(st, sock, r, &ph->shm[0], &ph->cs[0]) != 0)
		return SL_EIO;
	uint64_t t0 = bench_now_ns();
	log_info("compact: paced phase, compactd %s, %.0f s at %.1f MB/s",
		 ph->compacting ? "running" : "stopped", opts->duration_s, opts->rate_mb);
	int rc = workload_run(&po, opts->bootstrap, &ph->lat);
	if (compactbench_sample(st, sock, r, &ph->shm[1], &ph->cs[1]) != 0)
		return SL_EIO;
	ph->secs = (double)(bench_now_ns() - t0) / 1e9;
	if (rc != 0) {
		BENCH_FAIL(r, "paced phase (compactd %s): %s",
			   ph->compacting ? "running" : "stopped", ph->lat.error);
		return SL_EIO;
	}
	if (ph->compacting && ph->cs[1].bytes_written == ph->cs[0].bytes_written) {
		BENCH_FAIL(r, "compactd wrote nothing during a compacting phase: the "
			   "phase measured an idle compactd");
		return SL_EIO;
	}
	return 0;
}

/*
 * Waits, with compactd running and nothing produced, until the uploads
 * have drained and one whole run (started after a run that ended with
 * the uploads drained) changed nothing in the bucket.
 */
static void compactbench_settle(const struct shmstat *st, const char *sock, double timeout_s,
				struct compactbench_result *r)
{
	uint64_t t0 = bench_now_ns(), deadline = t0 + (uint64_t)(timeout_s * 1e9);
	struct shmstat_sample shm;
	struct compactstat_sample prev, cur;
	int boundary = 0;   /* prev is a run's end with the uploads drained */
	log_info("compact: waiting for compactd to settle (at most %.0f s)", timeout_s);
	if (compactbench_sample(st, sock, r, &shm, &prev) != 0)
		return;
	while (bench_now_ns() < deadline) {
		compactbench_nap();
		if (compactbench_sample(st, sock, r, &shm, &cur) != 0)
			return;
		if (!compactstat_runs_ended(&prev, &cur))
			continue;
		if (boundary && !compactstat_worked(&prev, &cur) && shmstat_drained(&shm)) {
			r->settled = 1;
			break;
		}
		prev = cur;
		boundary = shmstat_drained(&shm);
	}
	r->settle_s = (double)(bench_now_ns() - t0) / 1e9;
	if (!r->settled)
		log_warn("compact: compactd still busy after %.0f s; whole-run figures are a "
			 "lower bound", timeout_s);
}

/* Echoes the node's settings. */
static void compactbench_settings_copy(const struct sluice_config *c,
				       struct compactbench_settings *s)
{
	s->region_bytes = c->region_bytes;
	s->region_ms = c->region_ms;
	s->interval_ms = c->compaction_interval_ms;
	s->target_bytes = c->compaction_target_bytes;
	s->split_bytes = c->compaction_split_bytes;
	s->small_bytes = c->compaction_small_object_bytes;
	s->bytes_per_sec = c->compaction_bytes_per_sec;
	s->max_objects_per_run = c->compaction_max_objects_per_run;
	s->retired_grace_ms = c->retired_grace_ms;
}

int compactbench_run(const struct bench_opts *opts, const struct compactbench_opts *co,
		     const struct s3target *target, struct compactbench_result *r)
{
	char err[512];
	struct shmstat st;
	const char *sock = target->cfg.control_socket;
	memset(r, 0, sizeof *r);
	r->ok = 1;
	compactbench_settings_copy(&target->cfg, &r->set);
	if (co->pairs < 1 || co->pairs > COMPACTBENCH_MAX_PAIRS) {
		BENCH_FAIL(r, "pairs %d outside 1..%d", co->pairs, COMPACTBENCH_MAX_PAIRS);
		return SL_EINVAL;
	}
	if (shmstat_open(&st, target->shm_name, err, sizeof err) != 0) {
		BENCH_FAIL(r, "brokerd's segment: %s", err);
		return SL_EIO;
	}
	if (compactbench_sample(&st, sock, r, &r->shm_start, &r->cs_start) != 0)
		goto out;
	for (int i = 0; i < co->pairs && r->ok; i++) {
		struct compactbench_phase *idle = &r->phase[2 * i], *busy = &r->phase[2 * i + 1];
		r->pairs = i + 1;
		if (compactbench_cmd(r, "stop compactd", co->stop_cmd) != 0 ||
		    compactbench_phase_run(opts, &st, sock, r, idle) != 0)
			break;
		busy->compacting = 1;
		if (compactbench_cmd(r, "start compactd", co->start_cmd) != 0 ||
		    compactbench_wait_work(&st, sock, co->work_timeout_s, &idle->cs[1], r,
					   busy) != 0 ||
		    compactbench_phase_run(opts, &st, sock, r, busy) != 0)
			break;
	}
	if (r->ok)
		compactbench_settle(&st, sock, co->settle_timeout_s, r);
	compactbench_sample(&st, sock, r, &r->shm_end, &r->cs_end);
	if (r->shm_end.generation != r->shm_start.generation)
		BENCH_FAIL(r, "brokerd restarted during the run");
out:
	shmstat_close(&st);
	return r->ok ? 0 : SL_EIO;
}

uint64_t compactbench_ingested(const struct shmstat_sample *a, const struct shmstat_sample *b)
{
	return b->produce_bytes - a->produce_bytes;
}

double compactbench_write_amp(const struct shmstat_sample *sa, const struct shmstat_sample *sb,
			      const struct compactstat_sample *ca,
			      const struct compactstat_sample *cb)
{
	uint64_t in = compactbench_ingested(sa, sb);
	return in ? (double)(cb->bytes_written - ca->bytes_written) / (double)in : 0;
}

double compactbench_write_amp_uploaded(const struct shmstat_sample *sa,
				       const struct shmstat_sample *sb,
				       const struct compactstat_sample *ca,
				       const struct compactstat_sample *cb)
{
	uint64_t up = sb->uploader_bytes - sa->uploader_bytes;
	return up ? (double)(cb->bytes_written - ca->bytes_written) / (double)up : 0;
}

double compactbench_per_gb(uint64_t count, const struct shmstat_sample *sa,
			   const struct shmstat_sample *sb)
{
	uint64_t in = compactbench_ingested(sa, sb);
	return in ? (double)count / ((double)in / 1e9) : 0;
}

/* Produce p99 of a phase, ms. */
static double compactbench_p99(const struct compactbench_phase *ph)
{
	return (double)hist_percentile(&ph->lat.produce, 99) / 1e6;
}

/* Orders doubles for qsort. */
static int compactbench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double compactbench_median_p99(const struct compactbench_result *r, int compacting)
{
	double v[COMPACTBENCH_MAX_PAIRS];
	int n = 0;
	for (int i = 0; i < r->pairs; i++) {
		const struct compactbench_phase *ph = &r->phase[2 * i + (compacting ? 1 : 0)];
		if (ph->ran && ph->lat.produce.count > 0)
			v[n++] = compactbench_p99(ph);
	}
	if (n == 0)
		return 0;
	qsort(v, (size_t)n, sizeof v[0], compactbench_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double compactbench_p99_ratio(const struct compactbench_result *r)
{
	double idle = compactbench_median_p99(r, 0);
	return idle > 0 ? compactbench_median_p99(r, 1) / idle : 0;
}

double compactbench_pair_ratio(const struct compactbench_result *r, int i)
{
	if (i < 0 || i >= r->pairs)
		return 0;
	const struct compactbench_phase *idle = &r->phase[2 * i], *busy = &r->phase[2 * i + 1];
	if (!idle->ran || !busy->ran || idle->lat.produce.count == 0 ||
	    busy->lat.produce.count == 0)
		return 0;
	return compactbench_p99(busy) / compactbench_p99(idle);
}
