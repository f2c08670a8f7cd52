/*
 * sluice-bench: the options of one run, and the clock and the first-error
 * record every part shares (bench.c).
 * Units: MB is 10^6 bytes, MiB is 2^20 bytes; times are nanoseconds on
 * CLOCK_MONOTONIC unless a name says otherwise.
 */
#ifndef SLUICE_BENCH_H
#define SLUICE_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define BENCH_MB 1000000.0
#define BENCH_MIB (1024u * 1024u)

/* Parts of a run, selected with --only. */
enum bench_part {
	BENCH_PART_DISK = 1 << 0,
	BENCH_PART_BROKER = 1 << 1,
	BENCH_PART_MOCK = 1 << 2,
	BENCH_PART_PACED = 1 << 3,     /* brokerd, paced phases (b) and (c) only */
	BENCH_PART_FILL = 1 << 4,      /* produce --fill-mb, wait for the uploads */
	BENCH_PART_CATCHUP = 1 << 5,   /* read it all back from S3, raw GETs */
	BENCH_PART_RAWGET = 1 << 6,    /* the raw GETs alone */
	BENCH_PART_EOS = 1 << 7,       /* idempotence on/off, transactions */
};

/* How the workload's producers are set up (the eos part compares them). */
enum bench_producer_mode {
	BENCH_PRODUCER_PLAIN,        /* idempotence off, unbounded in flight */
	BENCH_PRODUCER_PLAIN_5,      /* idempotence off, 5 requests in flight */
	BENCH_PRODUCER_IDEMPOTENT,   /* enable.idempotence (5 in flight at most) */
};

struct bench_opts {
	unsigned parts;             /* enum bench_part bits */
	const char *bootstrap;      /* brokerd's host:port */
	const char *topic;
	int partitions;             /* wanted when the topic is created */
	double duration_s;          /* per measured phase */
	double rate_mb;             /* paced phase, MB/s */
	size_t record_size;         /* bytes of value per record */
	int latency_linger_ms;      /* linger.ms of the paced producer */
	int fetch_wait_ms;          /* fetch.wait.max.ms of the e2e consumer */
	const char *disk_dir;
	uint64_t disk_bytes;        /* size of the bandwidth file */
	int disk_iters;             /* pwrite+fdatasync samples per size */
	pid_t pid;                  /* brokerd, 0 when not given */
	const char *pidfile;
	uint64_t cache_bytes;       /* as configured on brokerd, 0 if unknown */
	const char *json_path;
	int skip_throughput;        /* phase (a) left out (--only paced) */
	const char *s3_config;      /* brokerd's sluice.conf: object store, shm */
	uint64_t fill_bytes;        /* record value bytes the fill part produces */
	int get_parallel;           /* raw GETs in flight */
	uint64_t get_range;         /* bytes per ranged raw GET */
	const char *restart_cmd;    /* run between fill and catchup, may be NULL */
	double drain_timeout_s;     /* fill: waiting for the uploads */
	enum bench_producer_mode producer_mode; /* of workload_run */
	int txn_records;            /* records per transaction (eos part) */
};

/* Monotonic time in nanoseconds. */
static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Marks a part failed (*ok = 0) and keeps the first error message in
 * error: the first cause is the one to report, later errors tend to
 * follow from it. */
void bench_fail(int *ok, char *error, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* bench_fail for a result with members ok and char error[]. */
#define BENCH_FAIL(res, ...) \
	bench_fail(&(res)->ok, (res)->error, sizeof (res)->error, __VA_ARGS__)

#endif
