/*
 * fuzz_request: arbitrary bytes as one Kafka request frame to brokerd.
 *
 * The input is a frame without its size prefix; the harness adds the prefix
 * and writes it into one end of a socketpair whose other end is a brokerd
 * connection (conn_accept), so the bytes go through framing and
 * dispatch_request to the handlers exactly as a client's would.  Then it
 * runs the event loop until the request is finished: produces wait until
 * their WAL block is durable, long-polling fetches are made to time out at
 * once (their timers are fired), and every response is read and checked
 * for a sane size and the request's correlation id.  A connection the
 * broker closed is replaced by a new one.
 *
 * The broker runs in-process and is set up like broker_start() without the
 * listener, the control socket, the object store and readiness (nothing is
 * ever uploaded, so no read goes cold): a catalog in a temp dir holding
 * three topics, the partition table, an 8 MiB WAL, region sealing every
 * 1 MiB, a shm segment with a 1 MiB cache (so fetches also read the WAL).  Topics the input created are deleted after
 * it; when the WAL is half full the whole broker is torn down and set up
 * afresh, so produce keeps succeeding.
 *
 * Two builds (tests/fuzz/include.am):
 *   - `make fuzz`: clang -fsanitize=fuzzer,address,undefined with
 *     -DSLUICE_LIBFUZZER; libFuzzer calls LLVMFuzzerTestOneInput;
 *   - a check program (any compiler, ASan+UBSan with --enable-sanitizers)
 *     whose main() replays every file of the directories or files named on
 *     the command line, by default $top_srcdir/tests/fuzz/corpus, and tears
 *     the broker down at the end so that leaks are reported.
 *
 * Set FUZZ_DATA_DIR to put the broker's files elsewhere than $TMPDIR
 * (/dev/shm makes the fsyncs free).  Single-threaded apart from the WAL's
 * I/O thread; nothing survives the process.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/handlers/fetch.h"
#include "brokerd/partition/durable.h"
#include "brokerd/partition/partition.h"
#include "brokerd/server/conn.h"
#include "brokerd/shm/segment.h"
#include "brokerd/topics.h"
#include "brokerd/upload/regions.h"
#include "brokerd/wal/wal.h"
#include "common/bytes.h"
#include "common/config.h"
#include "common/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Topics every input can name (the corpus uses them). */
static const struct fuzz_topic {
	const char *name;
	int32_t partitions;
	const char *config_key, *config_value;
} fuzz_topics[] = {
	{"fz", 4, NULL, NULL},
	{"fz-lat", 2, "message.timestamp.type", "LogAppendTime"},
	{"fz-small", 1, "max.message.bytes", "200"},
};
#define FUZZ_TOPIC_COUNT (sizeof fuzz_topics / sizeof fuzz_topics[0])

static struct event_base *fuzz_base;
static struct broker_config fuzz_cfg;
static char fuzz_dir[4096];
static int fuzz_up;
static int fuzz_client = -1; /* our end of the current connection */
static unsigned long fuzz_responses, fuzz_closes, fuzz_resets;
/* Response bytes read but not yet parsed. */
static uint8_t *fuzz_in;
static size_t fuzz_in_len, fuzz_in_cap;

static void fuzz_topic_create(size_t i);

/* Aborts the process: setup failed, or brokerd broke a rule checked here. */
static void fuzz_die(const char *what)
{
	fprintf(stderr, "fuzz_request: %s\n", what);
	abort();
}

/* Recovery callback: a fresh WAL has nothing to replay. */
static void fuzz_replay(void *arg, const struct wal_batch *b)
{
	fuzz_die("WAL recovery found a batch in a fresh WAL");
}

/* nftw callback removing one entry. */
static int fuzz_rm_entry(const char *path, const struct stat *st, int flag,
			 struct FTW *ftw)
{
	remove(path);
	return 0;
}

/* Sets one config key or dies. */
static void fuzz_cfg_set(const char *key, const char *value)
{
	char err[256];
	if (config_set(broker_config_table, broker_config_count, &fuzz_cfg, key,
		       value, err, sizeof err) < 0)
		fuzz_die(err);
}

/* Starts the in-process broker on a fresh temp dir (broker_start's order,
 * without listener and readiness). */
static void fuzz_broker_up(void)
{
	char err[256], shm_name[64];
	const char *parent = getenv("FUZZ_DATA_DIR");
	if (!parent)
		parent = getenv("TMPDIR");
	snprintf(fuzz_dir, sizeof fuzz_dir, "%s/sluice-fuzz.XXXXXX",
		 parent ? parent : "/tmp");
	if (!mkdtemp(fuzz_dir))
		fuzz_die("mkdtemp failed");
	snprintf(shm_name, sizeof shm_name, "/sluice-fuzz-%ld", (long)getpid());

	if (config_set_defaults(broker_config_table, broker_config_count,
				&fuzz_cfg, err, sizeof err) < 0)
		fuzz_die(err);
	fuzz_cfg_set("data.dir", fuzz_dir);
	fuzz_cfg_set("wal.capacity.bytes", "8M");
	fuzz_cfg_set("cache.bytes", "1M");
	fuzz_cfg_set("region.bytes", "1M");
	fuzz_cfg_set("shm.name", shm_name);
	fuzz_cfg_set("log.level", "error");
	if (broker_config_finish(&fuzz_cfg, err, sizeof err) < 0)
		fuzz_die(err);

	memset(&broker, 0, sizeof broker);
	broker.cfg = &fuzz_cfg;
	broker.base = fuzz_base;
	if (catalog_open(fuzz_cfg.data_dir, &broker.catalog) < 0 ||
	    catalog_bump_generation(broker.catalog, &broker.generation) < 0)
		fuzz_die("catalog setup failed");
	if (shm_segment_create(fuzz_cfg.shm_name, (uint32_t)fuzz_cfg.node_id,
			       broker.generation, (uint64_t)fuzz_cfg.cache_bytes,
			       &broker.shm) < 0)
		fuzz_die("shm setup failed");
	broker.counters = shm_counters(broker.shm);
	broker.partitions = partition_table_new();
	if (!broker.partitions)
		fuzz_die("partition table");
	struct wal_options wo = {
		.path = fuzz_cfg.wal_path,
		.capacity = (uint64_t)fuzz_cfg.wal_capacity_bytes,
		.node_id = (uint32_t)fuzz_cfg.node_id,
		.epoch = broker.generation,
		.max_block_bytes = (size_t)fuzz_cfg.wal_block_max_bytes,
	};
	if (wal_open(&wo, &broker.wal) < 0 ||
	    wal_recover(broker.wal, fuzz_replay, NULL) < 0 ||
	    wal_start(broker.wal, fuzz_base, durable_on_wal, NULL) < 0 ||
	    regions_start(fuzz_base, wal_trim(broker.wal)) < 0)
		fuzz_die("WAL setup failed");
	fetch_init();
	for (size_t i = 0; i < FUZZ_TOPIC_COUNT; i++)
		fuzz_topic_create(i);
	fuzz_up = 1;
}

/* Tears the broker down (broker_finish) and removes its files. */
static void fuzz_broker_down(void)
{
	if (!fuzz_up)
		return;
	if (fuzz_client >= 0)
		close(fuzz_client);
	fuzz_client = -1;
	broker_finish();
	config_free(broker_config_table, broker_config_count, &fuzz_cfg);
	nftw(fuzz_dir, fuzz_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	fuzz_up = 0;
}

/* atexit: libFuzzer ends with exit(). */
static void fuzz_at_exit(void)
{
	fuzz_broker_down();
	if (fuzz_base)
		event_base_free(fuzz_base);
	fuzz_base = NULL;
	free(fuzz_in);
	fuzz_in = NULL;
	fuzz_in_len = fuzz_in_cap = 0;
}

/* Creates harness topic i or dies. */
static void fuzz_topic_create(size_t i)
{
	const struct fuzz_topic *ft = &fuzz_topics[i];
	struct topic_config_entry ce = {(char *)ft->config_key, (char *)ft->config_value};
	const struct topic *t;
	char err[256];
	if (topics_create(ft->name, ft->partitions, &ce, ft->config_key ? 1 : 0, 0,
			  err, sizeof err, &t) != 0)
		fuzz_die(err);
}

/* Whether name is one of the harness's topics. */
static int fuzz_topic_ours(const char *name)
{
	for (size_t k = 0; k < FUZZ_TOPIC_COUNT; k++)
		if (!strcmp(name, fuzz_topics[k].name))
			return 1;
	return 0;
}

/* Deletes the topics an input created and recreates the harness's topics
 * an input deleted, so every input starts from the same topics. */
static void fuzz_topics_reset(void)
{
	size_t i = 0;
	while (i < catalog_topic_count(broker.catalog)) {
		const struct topic *t = catalog_topic_at(broker.catalog, i);
		if (fuzz_topic_ours(t->name))
			i++;
		else if (topics_delete(t) != 0)
			fuzz_die("topic deletion failed");
	}
	for (size_t k = 0; k < FUZZ_TOPIC_COUNT; k++)
		if (!catalog_topic_by_name(broker.catalog, fuzz_topics[k].name))
			fuzz_topic_create(k);
}

/* Opens a fresh connection to the broker. */
static void fuzz_connect(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		fuzz_die("socketpair failed");
	if (conn_accept(fuzz_base, sv[0], "fuzz") < 0)
		fuzz_die("conn_accept failed");
	fuzz_client = sv[1];
}

/* Rounds of firing timers per input (a fetch woken by one timer may wait
 * again with a new one only through a new request, so few are needed). */
#define FUZZ_TIMER_ROUNDS 8

struct fuzz_timers {
	struct event *ev[256];
	int n;
};

/* event_base_foreach_event callback: collects pending one-shot pure
 * timers (the long-polling fetches' MaxWaitMs); periodic ones (EV_PERSIST)
 * are housekeeping that never ends. */
static int fuzz_collect_timer(const struct event_base *base,
			      const struct event *ev, void *arg)
{
	struct fuzz_timers *t = arg;
	if (event_get_fd(ev) == -1 && !(event_get_events(ev) & EV_PERSIST) &&
	    event_pending(ev, EV_TIMEOUT, NULL) &&
	    t->n < (int)(sizeof t->ev / sizeof t->ev[0]))
		t->ev[t->n++] = (struct event *)ev;
	return 0;
}

/* Makes every long-polling fetch time out now; returns how many. */
static int fuzz_fire_timers(void)
{
	struct fuzz_timers t = {.n = 0};
	event_base_foreach_event(fuzz_base, fuzz_collect_timer, &t);
	for (int i = 0; i < t.n; i++)
		event_active(t.ev[i], EV_TIMEOUT, 1);
	return t.n;
}

/* Reads what the broker sent; checks each complete response frame.
 * Returns the bytes read, or -1 when the broker closed the connection. */
static long fuzz_drain(int32_t corr, int corr_known)
{
	long total = 0;
	int eof = 0;
	for (;;) {
		if (fuzz_in_cap - fuzz_in_len < 65536) {
			fuzz_in_cap = fuzz_in_cap * 2 + 65536;
			fuzz_in = realloc(fuzz_in, fuzz_in_cap);
			if (!fuzz_in)
				fuzz_die("out of memory");
		}
		ssize_t n = read(fuzz_client, fuzz_in + fuzz_in_len,
				 fuzz_in_cap - fuzz_in_len);
		if (n > 0) {
			fuzz_in_len += (size_t)n;
			total += n;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			eof = 1;
			break;
		}
		if (errno == EAGAIN)
			break;
	}
	size_t off = 0;
	while (fuzz_in_len - off >= 4) {
		int32_t size = (int32_t)be32_get(fuzz_in + off);
		/* a response is at least a correlation id */
		if (size < 4)
			fuzz_die("response with a size below 4");
		if (fuzz_in_len - off - 4 < (size_t)size)
			break;
		int32_t got = (int32_t)be32_get(fuzz_in + off + 4);
		if (!corr_known || got != corr) {
			fprintf(stderr, "fuzz_request: response correlation id %d, request had %d\n",
				got, corr);
			abort();
		}
		off += 4 + (size_t)size;
		fuzz_responses++;
	}
	memmove(fuzz_in, fuzz_in + off, fuzz_in_len - off);
	fuzz_in_len -= off;
	return eof ? -1 : total;
}

/* Runs the loop until the request is answered, dropped or the connection
 * closed: WAL writes completed, long polls expired, output read. */
static void fuzz_settle(int32_t corr, int corr_known)
{
	int quiet = 0, fired = 0;
	while (quiet < 3) {
		event_base_loop(fuzz_base, EVLOOP_NONBLOCK);
		long got = fuzz_drain(corr, corr_known);
		if (got < 0) {
			fuzz_closes++;
			close(fuzz_client);
			fuzz_client = -1;
			fuzz_in_len = 0;
			event_base_loop(fuzz_base, EVLOOP_NONBLOCK);
		}
		int busy = got > 0;
		if (wal_durable(broker.wal) < wal_head(broker.wal)) {
			wal_flush(broker.wal);
			event_base_loop(fuzz_base, EVLOOP_ONCE);
			busy = 1;
		}
		/* a timer that re-arms itself must not keep us here forever */
		if (fired < FUZZ_TIMER_ROUNDS && fuzz_fire_timers()) {
			fired++;
			busy = 1;
		}
		if (fuzz_client < 0)
			break;
		quiet = busy ? 0 : quiet + 1;
	}
	/* A request orphaned by a closed connection still finishes: let its
	 * long poll expire and its WAL block complete before the next input. */
	if (fired < FUZZ_TIMER_ROUNDS && fuzz_fire_timers())
		event_base_loop(fuzz_base, EVLOOP_NONBLOCK);
	while (wal_durable(broker.wal) < wal_head(broker.wal))
		event_base_loop(fuzz_base, EVLOOP_ONCE);
}

/* Writes all of buf to the connection, running the loop while the socket
 * is full.  Returns 0, or -1 when the broker closed the connection. */
static int fuzz_write(const uint8_t *buf, size_t len, int32_t corr, int corr_known)
{
	while (len) {
		ssize_t n = write(fuzz_client, buf, len);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		event_base_loop(fuzz_base, EVLOOP_NONBLOCK);
		if (fuzz_drain(corr, corr_known) < 0)
			return -1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fuzz_base) {
		log_open("fuzz_request", 0);
		log_set_level(LOG_LEVEL_ERROR);
		fuzz_base = event_base_new();
		if (!fuzz_base)
			fuzz_die("event_base_new failed");
		atexit(fuzz_at_exit);
	}
	if (!fuzz_up)
		fuzz_broker_up();
	if (fuzz_client < 0)
		fuzz_connect();

	/* only a frame that fits socket.request.max.bytes reaches dispatch */
	uint8_t prefix[4];
	be32_put(prefix, (uint32_t)size);
	int corr_known = size >= 8;
	int32_t corr = corr_known ? (int32_t)be32_get(data + 4) : 0;
	if (fuzz_write(prefix, 4, corr, corr_known) == 0)
		fuzz_write(data, size, corr, corr_known);
	fuzz_settle(corr, corr_known);

	fuzz_topics_reset();
	if (wal_head(broker.wal) - wal_trim(broker.wal) > wal_ring_bytes(broker.wal) / 2) {
		fuzz_broker_down();
		fuzz_resets++;
	}
	return 0;
}

#ifndef SLUICE_LIBFUZZER
/* Replays one corpus file; returns 0 or -1 when it cannot be read. */
static int fuzz_replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "fuzz_request: %s: %s\n", path, strerror(errno));
		return -1;
	}
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap * 2 + 4096;
			uint8_t *n = realloc(buf, cap);
			if (!n)
				fuzz_die("out of memory");
			buf = n;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	/* an exact-size copy, so that ASan sees any read past the input */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact)
		fuzz_die("out of memory");
	memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

/* Compares names for a stable replay order. */
static int fuzz_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays a file, or every regular file of a directory in name order.
 * Returns the number of inputs replayed, or -1. */
static long fuzz_replay_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		fprintf(stderr, "fuzz_request: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return fuzz_replay_file(path) < 0 ? -1 : 1;
	DIR *d = opendir(path);
	if (!d) {
		fprintf(stderr, "fuzz_request: %s: %s\n", path, strerror(errno));
		return -1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap * 2 + 64;
			char **nn = realloc(names, cap * sizeof *names);
			if (!nn)
				fuzz_die("out of memory");
			names = nn;
		}
		if (asprintf(&names[n], "%s/%s", path, de->d_name) < 0)
			fuzz_die("out of memory");
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof *names, fuzz_name_cmp);
	long done = 0;
	for (size_t i = 0; i < n; i++) {
		if (done >= 0 && fuzz_replay_file(names[i]) == 0)
			done++;
		else
			done = -1;
		free(names[i]);
	}
	free(names);
	return done;
}

int main(int argc, char **argv)
{
	char def[4096];
	const char *srcdir = getenv("top_srcdir");
	snprintf(def, sizeof def, "%s/tests/fuzz/corpus", srcdir ? srcdir : ".");
	char *def_argv[] = {def};
	char **paths = argc > 1 ? argv + 1 : def_argv;
	int npaths = argc > 1 ? argc - 1 : 1;
	long total = 0;
	for (int i = 0; i < npaths; i++) {
		long n = fuzz_replay_path(paths[i]);
		if (n < 0)
			return 1;
		total += n;
	}
	fuzz_at_exit();
	if (total == 0) {
		fprintf(stderr, "fuzz_request: no inputs found\n");
		return 1;
	}
	printf("fuzz_request: replayed %ld inputs without a crash: %lu responses, "
	       "%lu connections closed by brokerd, %lu broker restarts\n",
	       total, fuzz_responses, fuzz_closes, fuzz_resets);
	return 0;
}
#endif
