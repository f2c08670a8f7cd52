/*
 * The fill and catch-up parts (see s3bench.h).  Main thread; the producer,
 * the consumer and the raw GETs bring their own threads or loops.  brokerd
 * is only observed: counters through the read-only shm segment, data
 * through the Kafka protocol and the object store.  Nothing durable.
 */
#include "autoconfig.h"

#include "tools/bench/s3bench.h"
#include "common/errors.h"
#include "common/log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define S3BENCH_STALL_S 60.0   /* catch-up: longest wait for the next record */
#define S3BENCH_SETTLE_S 10.0  /* fill: uploaderd's count catching up */

/*
 * Waits up to S3BENCH_SETTLE_S for uploaderd's own count of committed
 * objects to reach brokerd's: brokerd counts a commit when it applies it,
 * uploaderd only when the answer arrives, after the catalog copy's PUT.
 * A count that never catches up (uploaderd restarted) is reported as is.
 */
static void s3bench_settle_uploader(const struct shmstat *st, struct s3bench_fill *r)
{
	uint64_t deadline = bench_now_ns() + (uint64_t)(S3BENCH_SETTLE_S * 1e9);
	while (r->after.uploader_objects - r->before.uploader_objects <
		       r->after.uploads_committed - r->before.uploads_committed &&
	       bench_now_ns() < deadline) {
		struct timespec ts = { 0, 50 * 1000000 };
		nanosleep(&ts, NULL);
		shmstat_sample(st, &r->after);
	}
}

int s3bench_fill_run(const struct bench_opts *opts, const struct s3target *target,
		     struct s3bench_fill *r)
{
	char err[512];
	struct shmstat st;
	memset(r, 0, sizeof *r);
	r->ok = 1;
	if (shmstat_open(&st, target->shm_name, err, sizeof err) != 0) {
		BENCH_FAIL(r, "brokerd's segment: %s", err);
		return SL_EIO;
	}
	shmstat_sample(&st, &r->before);
	log_info("fill: %.0f MB to %s", (double)opts->fill_bytes / BENCH_MB, opts->topic);
	if (workload_fill(opts, opts->bootstrap, &r->produce) != 0)
		BENCH_FAIL(r, "fill: %s", r->produce.error);
	uint64_t t0 = bench_now_ns();
	if (r->ok) {
		log_info("fill: waiting for the uploads");
		if (shmstat_wait_drained(&st, opts->drain_timeout_s, &r->after) != 0)
			BENCH_FAIL(r,
				   "uploads not drained after %.0f s: WAL durable %llu, "
				   "committed to %llu", opts->drain_timeout_s,
				   (unsigned long long)r->after.wal_durable,
				   (unsigned long long)r->after.uploaded_end);
		r->drain_secs = (double)(bench_now_ns() - t0) / 1e9;
		s3bench_settle_uploader(&st, r);
	} else {
		shmstat_sample(&st, &r->after);
	}
	if (r->after.generation != r->before.generation)
		BENCH_FAIL(r,
			   "brokerd restarted during the fill");
	shmstat_close(&st);
	return r->ok ? 0 : SL_EIO;
}

/* The catch-up read itself, with brokerd's counters around it. */
static void s3bench_catchup_read(const struct bench_opts *opts, const struct s3target *target,
				 struct s3bench_catchup *r)
{
	char err[512];
	struct shmstat st;
	r->read_ran = 1;
	if (shmstat_open(&st, target->shm_name, err, sizeof err) != 0) {
		BENCH_FAIL(r, "brokerd's segment: %s", err);
		return;
	}
	shmstat_sample(&st, &r->before);
	log_info("catchup: reading %s from offset 0", opts->topic);
	if (catchup_run(opts->bootstrap, opts->topic, opts->record_size, S3BENCH_STALL_S,
			&r->read) != 0)
		BENCH_FAIL(r, "catch-up: %s", r->read.error);
	shmstat_sample(&st, &r->after);
	shmstat_close(&st);
	if (r->after.generation != r->before.generation)
		BENCH_FAIL(r,
			   "brokerd restarted during the catch-up read");
	uint64_t local = (r->after.fetch_cache_hits - r->before.fetch_cache_hits) +
			 (r->after.fetch_wal_reads - r->before.fetch_wal_reads);
	if (local > 0)
		BENCH_FAIL(r,
			   "%llu batches came from the shm cache or the WAL, not S3: restart "
			   "brokerd after the uploads drain", (unsigned long long)local);
	if (r->after.cold_read_gets == r->before.cold_read_gets)
		BENCH_FAIL(r, "no GET from S3 during the catch-up");
}

int s3bench_catchup_run(const struct bench_opts *opts, const struct s3target *target,
			int raw_only, struct s3bench_catchup *r)
{
	memset(r, 0, sizeof *r);
	r->ok = 1;
	if (!raw_only)
		s3bench_catchup_read(opts, target, r);
	log_info("catchup: raw GETs of whole objects, %d in flight", opts->get_parallel);
	if (rawget_run(&target->store, S3BENCH_OBJECT_PREFIX, 0, opts->get_parallel,
		       &r->whole) != 0)
		BENCH_FAIL(r, "raw GET: %s", r->whole.error);
	log_info("catchup: raw GETs of %llu-byte ranges, %d in flight",
		 (unsigned long long)opts->get_range, opts->get_parallel);
	if (rawget_run(&target->store, S3BENCH_OBJECT_PREFIX, opts->get_range, opts->get_parallel,
		       &r->ranged) != 0)
		BENCH_FAIL(r, "raw ranged GET: %s",
			   r->ranged.error);
	return r->ok ? 0 : SL_EIO;
}

double s3bench_objects_per_gb(const struct s3bench_fill *r)
{
	uint64_t bytes = r->after.produce_bytes - r->before.produce_bytes;
	if (bytes == 0)
		return 0;
	return (double)(r->after.uploads_committed - r->before.uploads_committed) /
	       ((double)bytes / 1e9);
}

double s3bench_catchup_batch_mbps(const struct s3bench_catchup *r)
{
	if (r->read.secs <= 0)
		return 0;
	return (double)(r->after.fetch_bytes - r->before.fetch_bytes) / BENCH_MB / r->read.secs;
}

double s3bench_gets_per_gb(const struct s3bench_catchup *r)
{
	uint64_t bytes = r->after.fetch_bytes - r->before.fetch_bytes;
	if (bytes == 0)
		return 0;
	return (double)(r->after.cold_read_gets - r->before.cold_read_gets) / ((double)bytes / 1e9);
}

double s3bench_ratio(const struct s3bench_catchup *r)
{
	if (r->whole.mbps <= 0)
		return 0;
	return s3bench_catchup_batch_mbps(r) / r->whole.mbps;
}
