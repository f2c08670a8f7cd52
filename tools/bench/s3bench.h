/*
 * The S3 parts of the benchmark against brokerd and uploaderd:
 *   fill     produce --fill-mb of records as fast as the producer can,
 *            then wait until uploaderd has every byte in committed objects;
 *            brokerd's and uploaderd's counters give objects per GB;
 *   catchup  (after brokerd restarted with cold caches) read the topic back
 *            from offset 0 with a librdkafka consumer, then GET the same
 *            objects straight from the store through common/objstore.h,
 *            whole and in ranges, with --get-parallel GETs in flight.
 */
#ifndef SLUICE_BENCH_S3BENCH_H
#define SLUICE_BENCH_S3BENCH_H

#include "tools/bench/bench.h"
#include "tools/bench/catchup.h"
#include "tools/bench/rawget.h"
#include "tools/bench/s3target.h"
#include "tools/bench/shmstat.h"
#include "tools/bench/workload.h"

/* The key prefix of data objects under the store's prefix (ARCHITECTURE §4). */
#define S3BENCH_OBJECT_PREFIX "o/"

struct s3bench_fill {
	int ok;
	char error[512];
	struct workload_result produce;     /* tput_* hold the fill's figures */
	struct shmstat_sample before, after; /* after: when the uploads drained */
	double drain_secs;                  /* last acknowledgement to drained */
};

struct s3bench_catchup {
	int ok;
	char error[512];
	int read_ran;                       /* 0: raw GETs only */
	struct catchup_result read;
	struct shmstat_sample before, after; /* around the catch-up read */
	struct rawget_result whole;         /* raw GETs of whole objects */
	struct rawget_result ranged;        /* raw GETs of --get-range ranges */
};

/*
 * Runs the fill part against opts->bootstrap with the store and segment of
 * target.  Returns 0 when every record was acknowledged and the uploads
 * drained within opts->drain_timeout_s, else SL_EIO with r->error.
 */
int s3bench_fill_run(const struct bench_opts *opts, const struct s3target *target,
		     struct s3bench_fill *r);

/*
 * Runs the catch-up part (only its raw GETs when raw_only).  Returns 0
 * when every record came back intact, from S3 only (no shm cache or WAL
 * hits), and both raw GET passes read every byte; else SL_EIO with
 * r->error.
 */
int s3bench_catchup_run(const struct bench_opts *opts, const struct s3target *target,
			int raw_only, struct s3bench_catchup *r);

/* Derived figures, 0 when their denominator is. */
/* Objects committed per GB (10^9 bytes) of record batches produced. */
double s3bench_objects_per_gb(const struct s3bench_fill *r);
/* Record batch bytes sent by brokerd per second of the catch-up read, MB/s. */
double s3bench_catchup_batch_mbps(const struct s3bench_catchup *r);
/* Ranged GETs brokerd issued per GB of record batches it sent. */
double s3bench_gets_per_gb(const struct s3bench_catchup *r);
/* Catch-up batch MB/s over raw whole-object GET MB/s. */
double s3bench_ratio(const struct s3bench_catchup *r);

#endif
