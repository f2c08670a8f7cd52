/*
 * sluice-bench: measures the machine's disk limits and a Kafka cluster's
 * produce throughput and latency (brokerd, and librdkafka's mock cluster as
 * the reference) in one run, and with --s3-config brokerd's path to and
 * from object storage (fill, catch-up read, raw GETs) and compaction (write
 * amplification, requests per GB, produce latency while compactd
 * rewrites); see --help and
 * BENCHMARKS.md.  main() parses options and runs the parts in order; each
 * part is its own file.  Nothing durable but the --json report.
 */
#include "autoconfig.h"

#include "tools/bench/bench.h"
#include "tools/bench/compactbench.h"
#include "tools/bench/disk.h"
#include "tools/bench/mock.h"
#include "tools/bench/procmem.h"
#include "tools/bench/report.h"
#include "tools/bench/report_compact.h"
#include "tools/bench/s3bench.h"
#include "tools/bench/s3target.h"
#include "tools/bench/txn_bench.h"
#include "tools/bench/workload.h"
#include "common/errors.h"
#include "common/log.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE 2

static void usage(FILE *out)
{
	fprintf(out,
"usage: sluice-bench [options]\n"
"Measures disk limits and produce throughput/latency (acks=all) against brokerd\n"
"and against librdkafka's in-process mock cluster, in one run; with --s3-config,\n"
"also brokerd's uploads to and catch-up reads from object storage.\n"
"\n"
"  --only LIST          parts to run, comma-separated: disk,broker,mock (default\n"
"                       all three); paced (broker and mock without phase (a));\n"
"                       fill,catchup (need --s3-config; run in that order);\n"
"                       rawget (only the raw GETs of catchup); eos (brokerd\n"
"                       with idempotence off and on, then transactions);\n"
"                       compact (needs --s3-config and the compactd commands:\n"
"                       paced phases with compactd stopped and running, write\n"
"                       amplification and S3 requests per GB)\n"
"  --bootstrap H:P      brokerd address (default 127.0.0.1:9092)\n"
"  --topic NAME         topic, created with 4 partitions if missing (default sluice-bench)\n"
"  --partitions N       partitions when creating the topic (default 4)\n"
"  --duration SEC       seconds per measured phase (default 10)\n"
"  --rate-mb MB         paced rate for the latency phases, MB/s (default 20)\n"
"  --record-size BYTES  record value size (default 1024, at least 24)\n"
"  --linger-ms MS       linger.ms of the paced producer (default 1)\n"
"  --fetch-wait-ms MS   fetch.wait.max.ms of the end-to-end consumer (default 100;\n"
"                       the mock answers an empty fetch only after this wait)\n"
"  --disk-dir DIR       directory on the WAL's filesystem (default .)\n"
"  --disk-mib MIB       bytes per sequential pass (default 256)\n"
"  --disk-iters N       pwrite+fdatasync samples per size (default 2000)\n"
"  --pid PID            brokerd's pid: VmRSS/VmHWM sampled after the broker run\n"
"  --pidfile FILE       read brokerd's pid from FILE\n"
"  --cache-bytes N      brokerd's cache size, printed beside its memory (K/M/G ok)\n"
"  --json FILE          also write the report as JSON\n"
"  --s3-config FILE     brokerd's sluice.conf: its object store and shm segment\n"
"  --fill-mb MB         fill: record value MB to produce (default 2000)\n"
"  --drain-timeout SEC  fill: longest wait for the uploads to drain (default 300)\n"
"  --restart-cmd CMD    run by sh between fill and catchup (restart brokerd\n"
"                       there, so the catch-up starts with cold caches); it must\n"
"                       exit 0 once brokerd accepts connections again\n"
"  --get-parallel N     raw GETs in flight (default 8)\n"
"  --get-range BYTES    size of the ranged raw GETs (default 1M)\n"
"  --txn-records N      eos: records per transaction (default 100)\n"
"  --compactd-start CMD compact: run by sh to start compactd (exit 0 once running)\n"
"  --compactd-stop CMD  compact: run by sh to stop compactd (exit 0 once gone)\n"
"  --compact-pairs N    compact: pairs of phases, stopped then running (default 3)\n"
"  --compact-wait SEC   compact: longest wait for compactd's first write after\n"
"                       its start (default 120)\n"
"  --settle-timeout SEC compact: longest wait, after the last phase, for\n"
"                       compactd to find nothing more to do (default 300)\n"
"  --serve-mock         only start a mock cluster (1 broker, --topic with\n"
"                       --partitions), print its bootstrap address on stdout\n"
"                       and serve until SIGINT or SIGTERM\n"
"  -V, --version        print the version\n"
"  -h, --help           this text\n"
"\n"
"Exit status: 0 when every part that ran succeeded, 1 when one failed\n"
"(delivery errors, records not read back, disk errors, brokerd gone), 2 on usage errors.\n");
}

/* Parses a positive number with an optional binary K/M/G suffix; 0 or -1. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || s[0] == '-')
		return -1;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* Parses a positive double; 0 or -1. */
static int parse_positive(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end != '\0' || !(v > 0))
		return -1;
	*out = v;
	return 0;
}

/* Parses --only; returns the part bits or 0 on an unknown name. */
static unsigned parse_only(const char *list)
{
	unsigned parts = 0;
	char buf[128];
	snprintf(buf, sizeof buf, "%s", list);
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "disk") == 0)
			parts |= BENCH_PART_DISK;
		else if (strcmp(tok, "broker") == 0)
			parts |= BENCH_PART_BROKER;
		else if (strcmp(tok, "mock") == 0)
			parts |= BENCH_PART_MOCK;
		else if (strcmp(tok, "paced") == 0)
			parts |= BENCH_PART_PACED;
		else if (strcmp(tok, "fill") == 0)
			parts |= BENCH_PART_FILL;
		else if (strcmp(tok, "catchup") == 0)
			parts |= BENCH_PART_CATCHUP;
		else if (strcmp(tok, "rawget") == 0)
			parts |= BENCH_PART_RAWGET;
		else if (strcmp(tok, "eos") == 0)
			parts |= BENCH_PART_EOS;
		else if (strcmp(tok, "compact") == 0)
			parts |= BENCH_PART_COMPACT;
		else
			return 0;
	}
	return parts;
}

/* --serve-mock: a mock cluster for scripts, until SIGINT or SIGTERM. */
static int serve_mock(const struct bench_opts *opts)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	/* Blocked before librdkafka starts threads, so they inherit the mask. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	struct mock mock;
	char err[512];
	if (mock_start(&mock, opts->topic, opts->partitions, err, sizeof err) != 0) {
		log_error("serve-mock: %s", err);
		return 1;
	}
	printf("%s\n", mock_bootstraps(&mock));
	fflush(stdout);
	int sig = 0;
	sigwait(&set, &sig);
	mock_stop(&mock);
	return 0;
}

/* Runs the workload on an in-process mock cluster. */
static int run_mock(const struct bench_opts *opts, struct workload_result *res)
{
	struct mock mock;
	char err[256];
	if (mock_start(&mock, opts->topic, opts->partitions, err, sizeof err) != 0) {
		memset(res, 0, sizeof *res);
		snprintf(res->error, sizeof res->error, "mock: %s", err);
		return SL_EIO;
	}
	int rc = workload_run(opts, mock_bootstraps(&mock), res);
	mock_stop(&mock);
	return rc;
}

int main(int argc, char **argv)
{
	struct bench_opts opts = {
		.parts = BENCH_PART_DISK | BENCH_PART_BROKER | BENCH_PART_MOCK,
		.bootstrap = "127.0.0.1:9092",
		.topic = "sluice-bench",
		.partitions = 4,
		.duration_s = 10,
		.rate_mb = 20,
		.record_size = 1024,
		.latency_linger_ms = 1,
		.fetch_wait_ms = 100,
		.disk_dir = ".",
		.disk_bytes = 256 * (uint64_t)BENCH_MIB,
		.disk_iters = 2000,
		.fill_bytes = 2000 * (uint64_t)BENCH_MB,
		.get_parallel = 8,
		.get_range = BENCH_MIB,
		.drain_timeout_s = 300,
		.txn_records = 100,
	};
	struct compactbench_opts copts = {
		.pairs = 3,
		.work_timeout_s = 120,
		.settle_timeout_s = 300,
	};
	enum {
		OPT_ONLY = 256, OPT_BOOTSTRAP, OPT_TOPIC, OPT_PARTITIONS, OPT_DURATION,
		OPT_RATE, OPT_RECORD, OPT_LINGER, OPT_FETCH_WAIT, OPT_DISK_DIR, OPT_DISK_MIB, OPT_DISK_ITERS,
		OPT_PID, OPT_PIDFILE, OPT_CACHE, OPT_JSON, OPT_SERVE, OPT_S3_CONFIG, OPT_FILL_MB,
		OPT_DRAIN_TIMEOUT, OPT_RESTART_CMD, OPT_GET_PARALLEL, OPT_GET_RANGE,
		OPT_TXN_RECORDS, OPT_COMPACTD_START, OPT_COMPACTD_STOP, OPT_COMPACT_PAIRS,
		OPT_COMPACT_WAIT, OPT_SETTLE_TIMEOUT,
	};
	static const struct option longopts[] = {
		{ "only", required_argument, NULL, OPT_ONLY },
		{ "bootstrap", required_argument, NULL, OPT_BOOTSTRAP },
		{ "topic", required_argument, NULL, OPT_TOPIC },
		{ "partitions", required_argument, NULL, OPT_PARTITIONS },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "rate-mb", required_argument, NULL, OPT_RATE },
		{ "record-size", required_argument, NULL, OPT_RECORD },
		{ "linger-ms", required_argument, NULL, OPT_LINGER },
		{ "fetch-wait-ms", required_argument, NULL, OPT_FETCH_WAIT },
		{ "disk-dir", required_argument, NULL, OPT_DISK_DIR },
		{ "disk-mib", required_argument, NULL, OPT_DISK_MIB },
		{ "disk-iters", required_argument, NULL, OPT_DISK_ITERS },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "pidfile", required_argument, NULL, OPT_PIDFILE },
		{ "cache-bytes", required_argument, NULL, OPT_CACHE },
		{ "json", required_argument, NULL, OPT_JSON },
		{ "serve-mock", no_argument, NULL, OPT_SERVE },
		{ "s3-config", required_argument, NULL, OPT_S3_CONFIG },
		{ "fill-mb", required_argument, NULL, OPT_FILL_MB },
		{ "drain-timeout", required_argument, NULL, OPT_DRAIN_TIMEOUT },
		{ "restart-cmd", required_argument, NULL, OPT_RESTART_CMD },
		{ "get-parallel", required_argument, NULL, OPT_GET_PARALLEL },
		{ "get-range", required_argument, NULL, OPT_GET_RANGE },
		{ "txn-records", required_argument, NULL, OPT_TXN_RECORDS },
		{ "compactd-start", required_argument, NULL, OPT_COMPACTD_START },
		{ "compactd-stop", required_argument, NULL, OPT_COMPACTD_STOP },
		{ "compact-pairs", required_argument, NULL, OPT_COMPACT_PAIRS },
		{ "compact-wait", required_argument, NULL, OPT_COMPACT_WAIT },
		{ "settle-timeout", required_argument, NULL, OPT_SETTLE_TIMEOUT },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int serve = 0;
	uint64_t u;

	log_open("sluice-bench", 0);
	for (;;) {
		int ch = getopt_long(argc, argv, "hV", longopts, NULL);
		if (ch == -1)
			break;
		int bad = 0;
		switch (ch) {
		case OPT_ONLY: bad = (opts.parts = parse_only(optarg)) == 0; break;
		case OPT_BOOTSTRAP: opts.bootstrap = optarg; break;
		case OPT_TOPIC: opts.topic = optarg; break;
		case OPT_PARTITIONS:
			bad = parse_size(optarg, &u) < 0 || u == 0 || u > 100000;
			opts.partitions = (int)u;
			break;
		case OPT_DURATION: bad = parse_positive(optarg, &opts.duration_s) < 0; break;
		case OPT_RATE: bad = parse_positive(optarg, &opts.rate_mb) < 0; break;
		case OPT_RECORD:
			bad = parse_size(optarg, &u) < 0 || u < 24 || u > 900000;
			opts.record_size = (size_t)u;
			break;
		case OPT_LINGER:
			bad = parse_size(optarg, &u) < 0 || u > 900000;
			opts.latency_linger_ms = (int)u;
			break;
		case OPT_FETCH_WAIT:
			bad = parse_size(optarg, &u) < 0 || u > 300000;
			opts.fetch_wait_ms = (int)u;
			break;
		case OPT_DISK_DIR: opts.disk_dir = optarg; break;
		case OPT_DISK_MIB:
			bad = parse_size(optarg, &u) < 0 || u == 0 || u > (1u << 20);
			opts.disk_bytes = u * BENCH_MIB;
			break;
		case OPT_DISK_ITERS:
			bad = parse_size(optarg, &u) < 0 || u == 0 || u > 10000000;
			opts.disk_iters = (int)u;
			break;
		case OPT_PID:
			bad = parse_size(optarg, &u) < 0 || u == 0 || u > 0x7fffffff;
			opts.pid = (pid_t)u;
			break;
		case OPT_PIDFILE: opts.pidfile = optarg; break;
		case OPT_CACHE: bad = parse_size(optarg, &opts.cache_bytes) < 0; break;
		case OPT_JSON: opts.json_path = optarg; break;
		case OPT_SERVE: serve = 1; break;
		case OPT_S3_CONFIG: opts.s3_config = optarg; break;
		case OPT_FILL_MB: {
			double mb;
			bad = parse_positive(optarg, &mb) < 0 || mb > 1e7;
			opts.fill_bytes = (uint64_t)(mb * BENCH_MB);
			break;
		}
		case OPT_DRAIN_TIMEOUT: bad = parse_positive(optarg, &opts.drain_timeout_s) < 0; break;
		case OPT_RESTART_CMD: opts.restart_cmd = optarg; break;
		case OPT_GET_PARALLEL:
			bad = parse_size(optarg, &u) < 0 || u == 0 || u > 1024;
			opts.get_parallel = (int)u;
			break;
		case OPT_GET_RANGE:
			bad = parse_size(optarg, &u) < 0 || u == 0 || u > (1ull << 32);
			opts.get_range = u;
			break;
		case OPT_TXN_RECORDS:
			bad = parse_size(optarg, &u) < 0 || u == 0 || u > 100000;
			opts.txn_records = (int)u;
			break;
		case OPT_COMPACTD_START: copts.start_cmd = optarg; break;
		case OPT_COMPACTD_STOP: copts.stop_cmd = optarg; break;
		case OPT_COMPACT_PAIRS:
			bad = parse_size(optarg, &u) < 0 || u == 0 || u > COMPACTBENCH_MAX_PAIRS;
			copts.pairs = (int)u;
			break;
		case OPT_COMPACT_WAIT: bad = parse_positive(optarg, &copts.work_timeout_s) < 0; break;
		case OPT_SETTLE_TIMEOUT:
			bad = parse_positive(optarg, &copts.settle_timeout_s) < 0;
			break;
		case 'V': printf("sluice-bench %s (librdkafka %s)\n", PACKAGE_VERSION,
				 rd_kafka_version_str()); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
		if (bad) {
			const struct option *o = longopts;
			while (o->name != NULL && o->val != ch)
				o++;
			fprintf(stderr, "sluice-bench: bad value for --%s: %s\n", o->name, optarg);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	if (serve)
		return serve_mock(&opts);
	if ((opts.parts & (BENCH_PART_FILL | BENCH_PART_CATCHUP | BENCH_PART_RAWGET |
			   BENCH_PART_COMPACT)) &&
	    opts.s3_config == NULL) {
		fprintf(stderr, "sluice-bench: fill, catchup, rawget and compact need --s3-config\n");
		return EXIT_USAGE;
	}
	if ((opts.parts & BENCH_PART_COMPACT) &&
	    (copts.start_cmd == NULL || copts.stop_cmd == NULL)) {
		fprintf(stderr, "sluice-bench: compact needs --compactd-start and --compactd-stop\n");
		return EXIT_USAGE;
	}
	/* paced is broker without phase (a); broker alone has it. */
	if ((opts.parts & BENCH_PART_PACED) && !(opts.parts & BENCH_PART_BROKER)) {
		opts.parts |= BENCH_PART_BROKER;
		opts.skip_throughput = 1;
	}
	struct s3target target;
	int have_target = 0;
	if (opts.s3_config != NULL) {
		char err[512];
		if (s3target_load(&target, opts.s3_config, err, sizeof err) != 0) {
			fprintf(stderr, "sluice-bench: %s\n", err);
			return EXIT_USAGE;
		}
		have_target = 1;
	}
	if (opts.pidfile != NULL) {
		int rc = procmem_pidfile(opts.pidfile, &opts.pid);
		if (rc != 0) {
			fprintf(stderr, "sluice-bench: %s: %s\n", opts.pidfile,
				rc == SL_ENOENT ? "cannot open" : "no pid on the first line");
			return EXIT_USAGE;
		}
	}

	struct report rep = { .opts = &opts, .ok = 1 };
	struct disk_result *disk = NULL;
	struct workload_result *broker = NULL, *mockres = NULL;
	struct s3bench_fill *fill = NULL;
	struct s3bench_catchup *catchup = NULL;
	struct workload_result *eos[REPORT_EOS_MODES] = {NULL};
	struct txn_bench_result *txn = NULL;
	struct compactbench_result *compact = NULL;
	if (opts.parts & BENCH_PART_DISK) {
		disk = malloc(sizeof *disk);
		if (disk == NULL)
			log_fatal("out of memory");
		log_info("disk: probing %s", opts.disk_dir);
		if (disk_probe(opts.disk_dir, opts.disk_bytes, opts.disk_iters, disk) != 0) {
			log_error("disk: %s", disk->error);
			rep.ok = 0;
		}
		rep.disk = disk;
	}
	if (opts.parts & BENCH_PART_BROKER) {
		broker = malloc(sizeof *broker);
		if (broker == NULL)
			log_fatal("out of memory");
		log_info("broker: %s, topic %s", opts.bootstrap, opts.topic);
		if (workload_run(&opts, opts.bootstrap, broker) != 0) {
			log_error("broker: %s", broker->error);
			rep.ok = 0;
		}
		rep.broker = broker;
	}
	if (opts.parts & BENCH_PART_EOS) {
		/* the same workload with the three producer set-ups, then
		 * transactions */
		for (int m = 0; m < REPORT_EOS_MODES; m++) {
			struct bench_opts mo = opts;
			mo.producer_mode = (enum bench_producer_mode)m;
			eos[m] = malloc(sizeof *eos[m]);
			if (eos[m] == NULL)
				log_fatal("out of memory");
			log_info("eos: %s, producer set-up %d", opts.bootstrap, m);
			if (workload_run(&mo, opts.bootstrap, eos[m]) != 0) {
				log_error("eos: %s", eos[m]->error);
				rep.ok = 0;
			}
			rep.eos[m] = eos[m];
		}
		txn = malloc(sizeof *txn);
		if (txn == NULL)
			log_fatal("out of memory");
		log_info("eos: transactions of %d records", opts.txn_records);
		if (txn_bench_run(&opts, opts.bootstrap, txn) != 0) {
			log_error("eos: transactions: %s", txn->error);
			rep.ok = 0;
		}
		rep.txn = txn;
	}
	/* Sampled after the parts that load brokerd (broker, eos) and before
	 * the mock run and the S3 parts (which may restart brokerd). */
	if (opts.pid > 0) {
		rep.pid = opts.pid;
		rep.mem_rc = procmem_read(opts.pid, &rep.mem);
		if (rep.mem_rc != 0) {
			log_error("brokerd pid %ld: cannot read its memory (gone?)", (long)opts.pid);
			rep.ok = 0;
		}
	}
	if (opts.parts & BENCH_PART_FILL) {
		fill = malloc(sizeof *fill);
		if (fill == NULL)
			log_fatal("out of memory");
		if (s3bench_fill_run(&opts, &target, fill) != 0) {
			log_error("fill: %s", fill->error);
			rep.ok = 0;
		}
		rep.fill = fill;
	}
	if ((opts.parts & BENCH_PART_CATCHUP) && opts.restart_cmd != NULL && rep.ok) {
		log_info("restart: %s", opts.restart_cmd);
		fflush(stdout);
		int st = system(opts.restart_cmd);
		if (st != 0) {
			log_error("restart command failed (status %d): %s", st, opts.restart_cmd);
			rep.ok = 0;
		}
	}
	if ((opts.parts & (BENCH_PART_CATCHUP | BENCH_PART_RAWGET)) && rep.ok) {
		catchup = malloc(sizeof *catchup);
		if (catchup == NULL)
			log_fatal("out of memory");
		if (s3bench_catchup_run(&opts, &target, !(opts.parts & BENCH_PART_CATCHUP),
					catchup) != 0) {
			log_error("catchup: %s", catchup->error);
			rep.ok = 0;
		}
		rep.catchup = catchup;
	}
	if (opts.parts & BENCH_PART_COMPACT) {
		compact = malloc(sizeof *compact);
		if (compact == NULL)
			log_fatal("out of memory");
		log_info("compact: %s, topic %s, %d pairs", opts.bootstrap, opts.topic, copts.pairs);
		if (compactbench_run(&opts, &copts, &target, compact) != 0) {
			log_error("compact: %s", compact->error);
			rep.ok = 0;
		}
	}
	if (opts.parts & BENCH_PART_MOCK) {
		mockres = malloc(sizeof *mockres);
		if (mockres == NULL)
			log_fatal("out of memory");
		log_info("mock: in-process mock cluster, topic %s", opts.topic);
		if (run_mock(&opts, mockres) != 0) {
			log_error("mock: %s", mockres->error);
			rep.ok = 0;
		}
		rep.mock = mockres;
	}

	report_print_sections(stdout, &rep);
	if (compact != NULL)
		report_compact_print(stdout, &opts, compact);
	report_print_verdict(stdout, &rep);
	if (opts.json_path != NULL &&
	    (compact != NULL ? report_compact_json_write(&rep, compact, opts.json_path)
			     : report_json_write(&rep, opts.json_path)) != 0) {
		log_error("cannot write %s", opts.json_path);
		rep.ok = 0;
	}
	free(disk);
	free(broker);
	free(mockres);
	free(fill);
	free(catchup);
	for (int m = 0; m < REPORT_EOS_MODES; m++)
		free(eos[m]);
	free(txn);
	free(compact);
	if (have_target)
		s3target_free(&target);
	return rep.ok ? 0 : 1;
}
