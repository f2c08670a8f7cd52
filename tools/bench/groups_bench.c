/*
 * sluice-groups-bench: the group coordinator's figures for BENCHMARKS.md.
 *
 *  - Rebalance time of a group of --members (10) members: each member is a
 *    connection of its own speaking JoinGroup v5 (with KIP-394's second
 *    join), SyncGroup v3, Heartbeat v3 and LeaveGroup v3 directly, the
 *    leader assigning a partition range to each.  Members heartbeat every
 *    --heartbeat-ms (10 ms), so the figure is the coordinator's work plus
 *    round trips rather than a client's heartbeat interval (a Java or
 *    librdkafka client adds up to its heartbeat.interval.ms, 3 s by
 *    default, before it learns of a rebalance).  Measured: forming the
 *    group, then --rounds times a member joining a stable group and a
 *    member leaving it: from the JoinGroup or LeaveGroup until every
 *    member holds its SyncGroup answer for the new generation.
 *  - OffsetCommit throughput: --clients connections (each its own group,
 *    outside group management), each with --inflight commits of one
 *    partition outstanding, for --seconds; every commit counts once its
 *    answer (sent only after the offset store's fdatasync) says NONE.
 *
 * Plain blocking sockets and poll(2); the protocol encoding is written out
 * here so the bench needs nothing but a broker.  Nothing durable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/bytes.h"

#define API_OFFSET_COMMIT 8
#define API_JOIN_GROUP 11
#define API_HEARTBEAT 12
#define API_LEAVE_GROUP 13
#define API_SYNC_GROUP 14
#define API_CREATE_TOPICS 19

#define ERR_REBALANCE_IN_PROGRESS 27
#define ERR_MEMBER_ID_REQUIRED 79

static const char *opt_bootstrap = "127.0.0.1:9092";
static const char *opt_topic = "sluice-groups-bench";
static int opt_members = 10, opt_rounds = 20, opt_heartbeat_ms = 10;
static int opt_clients = 16, opt_inflight = 1, opt_seconds = 5;
static int opt_partitions = 12;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Prints an error and exits 1. */
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "sluice-groups-bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- requests ---- */

struct buf {
	uint8_t b[8192];
	size_t len;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > sizeof b->b)
		die("request too large");
	memcpy(b->b + b->len, p, n);
	b->len += n;
}

static void put16(struct buf *b, int v)
{
	uint8_t x[2];
	be16_put(x, (uint16_t)v);
	put(b, x, 2);
}

static void put32(struct buf *b, int32_t v)
{
	uint8_t x[4];
	be32_put(x, (uint32_t)v);
	put(b, x, 4);
}

static void put64(struct buf *b, int64_t v)
{
	uint8_t x[8];
	be64_put(x, (uint64_t)v);
	put(b, x, 8);
}

/* A classic STRING (NULL: null). */
static void putstr(struct buf *b, const char *s)
{
	if (!s) {
		put16(b, -1);
		return;
	}
	put16(b, (int)strlen(s));
	put(b, s, strlen(s));
}

static void putbytes(struct buf *b, const void *p, int32_t n)
{
	put32(b, n);
	put(b, p, (size_t)n);
}

/* Starts a request frame (size patched by finish). */
static void begin(struct buf *b, int16_t key, int16_t ver, int32_t corr)
{
	b->len = 0;
	put32(b, 0);
	put16(b, key);
	put16(b, ver);
	put32(b, corr);
	putstr(b, "groups-bench");
}

static void finish(struct buf *b)
{
	be32_put(b->b, (uint32_t)(b->len - 4));
}

/* ---- connections ---- */

struct conn {
	int fd;
	uint8_t in[65536];
	size_t in_len;
	int32_t corr;
};

static void conn_open(struct conn *c)
{
	char host[256];
	snprintf(host, sizeof host, "%s", opt_bootstrap);
	char *colon = strrchr(host, ':');
	if (!colon)
		die("--bootstrap %s is not host:port", opt_bootstrap);
	*colon = '\0';
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
	int rc = getaddrinfo(host, colon + 1, &hints, &ai);
	if (rc)
		die("%s: %s", opt_bootstrap, gai_strerror(rc));
	c->fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (c->fd < 0 || connect(c->fd, ai->ai_addr, ai->ai_addrlen) < 0)
		die("connect %s: %s", opt_bootstrap, strerror(errno));
	freeaddrinfo(ai);
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->in_len = 0;
}

static void conn_send(struct conn *c, struct buf *b)
{
	finish(b);
	size_t off = 0;
	while (off < b->len) {
		ssize_t n = write(c->fd, b->b + off, b->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write: %s", strerror(errno));
		off += (size_t)n;
	}
}

/* Reads what is there (or waits up to ms); returns 1 with a response body
 * (after the correlation id) copied to out when a whole frame is in. */
static int conn_recv(struct conn *c, uint8_t *out, size_t *out_len, int32_t *corr,
		     int ms)
{
	for (;;) {
		if (c->in_len >= 4) {
			size_t size = be32_get(c->in);
			if (size > sizeof c->in - 4)
				die("response of %zu bytes", size);
			if (c->in_len >= 4 + size) {
				*corr = (int32_t)be32_get(c->in + 4);
				*out_len = size - 4;
				memcpy(out, c->in + 8, size - 4);
				memmove(c->in, c->in + 4 + size, c->in_len - 4 - size);
				c->in_len -= 4 + size;
				return 1;
			}
		}
		struct pollfd p = {c->fd, POLLIN, 0};
		if (poll(&p, 1, ms) <= 0)
			return 0;
		ssize_t n = read(c->fd, c->in + c->in_len, sizeof c->in - c->in_len);
		if (n <= 0)
			die("the broker closed the connection");
		c->in_len += (size_t)n;
		ms = 0;
	}
}

/* ---- a group member ---- */

enum member_state { M_IDLE, M_JOINING, M_SYNCING, M_STABLE, M_GONE };

struct member {
	struct conn c;
	enum member_state state;
	char id[128];
	int32_t generation;
	int leader;
	int nmembers;
	char members[64][128]; /* the leader's list */
	double next_heartbeat;
	int heartbeat_out;
};

static struct member *members;
static int nmembers;
static const char *group_id = "sluice-groups-bench";

static void member_join(struct member *m)
{
	struct buf b;
	begin(&b, API_JOIN_GROUP, 5, ++m->c.corr);
	putstr(&b, group_id);
	put32(&b, 30000);  /* SessionTimeoutMs */
	put32(&b, 30000);  /* RebalanceTimeoutMs */
	putstr(&b, m->id); /* MemberId */
	putstr(&b, NULL);  /* GroupInstanceId */
	putstr(&b, "consumer");
	put32(&b, 1);
	putstr(&b, "range");
	struct buf sub = {.len = 0}; /* ConsumerProtocolSubscription v0 */
	put16(&sub, 0);
	put32(&sub, 1);
	putstr(&sub, opt_topic);
	put32(&sub, -1); /* UserData: null */
	putbytes(&b, sub.b, (int32_t)sub.len);
	conn_send(&m->c, &b);
	m->state = M_JOINING;
	m->heartbeat_out = 0;
}

static void member_sync(struct member *m)
{
	struct buf b;
	begin(&b, API_SYNC_GROUP, 3, ++m->c.corr);
	putstr(&b, group_id);
	put32(&b, m->generation);
	putstr(&b, m->id);
	putstr(&b, NULL);
	if (!m->leader) {
		put32(&b, 0);
	} else {
		/* ranges of partitions, as the range assignor would */
		put32(&b, m->nmembers);
		int per = opt_partitions / m->nmembers, extra = opt_partitions % m->nmembers;
		for (int i = 0, p = 0; i < m->nmembers; i++) {
			int n = per + (i < extra);
			struct buf a = {.len = 0};
			put16(&a, 1);
			put32(&a, 1);
			putstr(&a, opt_topic);
			put32(&a, n);
			for (int k = 0; k < n; k++)
				put32(&a, p++);
			put32(&a, -1);
			putstr(&b, m->members[i]);
			putbytes(&b, a.b, (int32_t)a.len);
		}
	}
	conn_send(&m->c, &b);
	m->state = M_SYNCING;
}

static void member_heartbeat(struct member *m)
{
	struct buf b;
	begin(&b, API_HEARTBEAT, 3, ++m->c.corr);
	putstr(&b, group_id);
	put32(&b, m->generation);
	putstr(&b, m->id);
	putstr(&b, NULL);
	conn_send(&m->c, &b);
	m->heartbeat_out = 1;
}

static void member_leave(struct member *m)
{
	struct buf b;
	begin(&b, API_LEAVE_GROUP, 3, ++m->c.corr);
	putstr(&b, group_id);
	put32(&b, 1);
	putstr(&b, m->id);
	putstr(&b, NULL);
	conn_send(&m->c, &b);
	uint8_t body[65536];
	size_t len;
	int32_t corr;
	while (!conn_recv(&m->c, body, &len, &corr, 1000))
		;
	m->state = M_GONE;
	close(m->c.fd);
}

/* Reads a classic string at *p into out. */
static void getstr(const uint8_t **p, char *out, size_t size)
{
	int16_t n = (int16_t)be16_get(*p);
	*p += 2;
	if (n < 0)
		n = 0;
	if ((size_t)n >= size)
		die("string too long in a response");
	memcpy(out, *p, (size_t)n);
	out[n] = '\0';
	*p += n;
}

/* Handles one response of member m. */
static void member_on_response(struct member *m, const uint8_t *p, size_t len)
{
	(void)len;
	int16_t err;
	char skip[256];
	switch (m->state) {
	case M_JOINING:
		p += 4; /* ThrottleTimeMs */
		err = (int16_t)be16_get(p);
		m->generation = (int32_t)be32_get(p + 2);
		p += 6;
		getstr(&p, skip, sizeof skip); /* ProtocolName */
		char leader[128];
		getstr(&p, leader, sizeof leader);
		getstr(&p, m->id, sizeof m->id);
		if (err == ERR_MEMBER_ID_REQUIRED) {
			member_join(m);
			return;
		}
		if (err)
			die("JoinGroup: error %d", err);
		m->leader = !strcmp(leader, m->id);
		m->nmembers = (int32_t)be32_get(p);
		p += 4;
		for (int i = 0; i < m->nmembers && i < 64; i++) {
			getstr(&p, m->members[i], sizeof m->members[i]);
			getstr(&p, skip, sizeof skip); /* GroupInstanceId */
			p += 4 + be32_get(p);           /* Metadata */
		}
		member_sync(m);
		return;
	case M_SYNCING:
		err = (int16_t)be16_get(p + 4);
		if (err == ERR_REBALANCE_IN_PROGRESS) {
			member_join(m);
			return;
		}
		if (err)
			die("SyncGroup: error %d", err);
		m->state = M_STABLE;
		m->next_heartbeat = now_s() + opt_heartbeat_ms / 1000.0;
		return;
	case M_STABLE:
		m->heartbeat_out = 0;
		err = (int16_t)be16_get(p + 4);
		if (err == ERR_REBALANCE_IN_PROGRESS)
			member_join(m);
		else if (err)
			die("Heartbeat: error %d", err);
		else
			m->next_heartbeat = now_s() + opt_heartbeat_ms / 1000.0;
		return;
	default:
		die("a response in state %d", m->state);
	}
}

/* Runs every member until all live ones are stable in one generation of
 * at least min_gen; returns the time that took from t0. */
static double members_settle(double t0, int32_t min_gen)
{
	uint8_t body[65536];
	for (;;) {
		int stable = 0, live = 0;
		int32_t gen = -1;
		int same = 1;
		for (int i = 0; i < nmembers; i++) {
			struct member *m = &members[i];
			if (m->state == M_GONE || m->state == M_IDLE)
				continue;
			live++;
			if (m->state == M_STABLE) {
				stable++;
				if (gen >= 0 && m->generation != gen)
					same = 0;
				gen = m->generation;
			}
		}
		if (stable == live && same && gen >= min_gen)
			return now_s() - t0;
		for (int i = 0; i < nmembers; i++) {
			struct member *m = &members[i];
			if (m->state == M_GONE || m->state == M_IDLE)
				continue;
			if (m->state == M_STABLE && !m->heartbeat_out &&
			    now_s() >= m->next_heartbeat)
				member_heartbeat(m);
			size_t len;
			int32_t corr;
			while (conn_recv(&m->c, body, &len, &corr, 0))
				member_on_response(m, body, len);
		}
		struct pollfd pfd[128];
		int n = 0;
		for (int i = 0; i < nmembers && n < 128; i++)
			if (members[i].state != M_GONE && members[i].state != M_IDLE)
				pfd[n++] = (struct pollfd){members[i].c.fd, POLLIN, 0};
		poll(pfd, (nfds_t)n, 1);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Prints the median, p90 and max of n samples in ms. */
static void report(const char *what, double *s, int n)
{
	qsort(s, (size_t)n, sizeof *s, cmp_double);
	printf("  %-44s median %7.2f ms  p90 %7.2f ms  max %7.2f ms  (%d runs)\n",
	       what, s[n / 2] * 1e3, s[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1] * 1e3,
	       s[n - 1] * 1e3, n);
}

static void bench_rebalance(void)
{
	nmembers = opt_members + 1;
	members = calloc((size_t)nmembers, sizeof *members);
	if (!members)
		die("out of memory");
	printf("rebalance, group of %d members (heartbeat every %d ms):\n",
	       opt_members, opt_heartbeat_ms);
	double t0 = now_s();
	for (int i = 0; i < opt_members; i++) {
		conn_open(&members[i].c);
		member_join(&members[i]);
	}
	double form = members_settle(t0, 0);
	printf("  %-44s %7.2f ms\n", "group formed from nothing", form * 1e3);
	double *joins = calloc((size_t)opt_rounds, sizeof *joins);
	double *leaves = calloc((size_t)opt_rounds, sizeof *leaves);
	struct member *extra = &members[opt_members];
	for (int r = 0; r < opt_rounds; r++) {
		memset(extra, 0, sizeof *extra);
		conn_open(&extra->c);
		t0 = now_s();
		member_join(extra);
		joins[r] = members_settle(t0, members[0].generation + 1);
		t0 = now_s();
		member_leave(extra);
		leaves[r] = members_settle(t0, members[0].generation + 1);
	}
	report("a member joins a stable group", joins, opt_rounds);
	report("a member leaves a stable group", leaves, opt_rounds);
	for (int i = 0; i < opt_members; i++)
		member_leave(&members[i]);
	free(joins);
	free(leaves);
	free(members);
}

/* ---- OffsetCommit throughput ---- */

static void commit_send(struct conn *c, int client, int64_t offset)
{
	char group[64];
	snprintf(group, sizeof group, "sluice-groups-bench-commit-%d", client);
	struct buf b;
	begin(&b, API_OFFSET_COMMIT, 7, ++c->corr);
	putstr(&b, group);
	put32(&b, -1);     /* GenerationIdOrMemberEpoch */
	putstr(&b, "");    /* MemberId */
	putstr(&b, NULL);  /* GroupInstanceId */
	put32(&b, 1);
	putstr(&b, opt_topic);
	put32(&b, 1);
	put32(&b, client % opt_partitions);
	put64(&b, offset);
	put32(&b, -1);     /* CommittedLeaderEpoch */
	putstr(&b, "bench");
	conn_send(c, &b);
}

static void bench_commits(void)
{
	struct conn *cs = calloc((size_t)opt_clients, sizeof *cs);
	double *sent_at = calloc((size_t)opt_clients * 1024, sizeof *sent_at);
	size_t lat_cap = 1 << 22, lat_n = 0;
	double *lat = malloc(lat_cap * sizeof *lat);
	if (!cs || !sent_at || !lat)
		die("out of memory");
	for (int i = 0; i < opt_clients; i++)
		conn_open(&cs[i]);
	double t0 = now_s(), end = t0 + opt_seconds;
	long acked = 0;
	int64_t offset = 0;
	for (int i = 0; i < opt_clients; i++)
		for (int k = 0; k < opt_inflight; k++) {
			commit_send(&cs[i], i, ++offset);
			sent_at[(size_t)i * 1024 + (size_t)(cs[i].corr % 1024)] = now_s();
		}
	uint8_t body[65536];
	struct pollfd *pfd = calloc((size_t)opt_clients, sizeof *pfd);
	int outstanding = opt_clients * opt_inflight;
	while (outstanding > 0) {
		for (int i = 0; i < opt_clients; i++)
			pfd[i] = (struct pollfd){cs[i].fd, POLLIN, 0};
		poll(pfd, (nfds_t)opt_clients, 100);
		double now = now_s();
		for (int i = 0; i < opt_clients; i++) {
			size_t len;
			int32_t corr;
			if (!(pfd[i].revents & POLLIN))
				continue;
			while (conn_recv(&cs[i], body, &len, &corr, 0)) {
				/* ThrottleTimeMs, Topics[1]{Name, Partitions[1]{Index, Error}} */
				const uint8_t *p = body + 4 + 4;
				p += 2 + be16_get(p) + 4 + 4;
				int16_t err = (int16_t)be16_get(p);
				if (err)
					die("OffsetCommit: error %d", err);
				acked++;
				outstanding--;
				if (lat_n < lat_cap)
					lat[lat_n++] = now - sent_at[(size_t)i * 1024 + (size_t)(corr % 1024)];
				if (now < end) {
					commit_send(&cs[i], i, ++offset);
					sent_at[(size_t)i * 1024 + (size_t)(cs[i].corr % 1024)] = now_s();
					outstanding++;
				}
			}
		}
	}
	double took = now_s() - t0;
	qsort(lat, lat_n, sizeof *lat, cmp_double);
	printf("  %3d connections x %2d in flight: %8.0f commits/s acknowledged  "
	       "latency p50 %6.2f ms  p99 %6.2f ms\n",
	       opt_clients, opt_inflight, acked / took, lat[lat_n / 2] * 1e3,
	       lat[(size_t)((double)lat_n * 0.99)] * 1e3);
	for (int i = 0; i < opt_clients; i++)
		close(cs[i].fd);
	free(pfd);
	free(cs);
	free(sent_at);
	free(lat);
}

/* Creates the topic the commits name (CreateTopics v0; an existing topic
 * is fine). */
static void topic_create(void)
{
	struct conn c;
	conn_open(&c);
	struct buf b;
	begin(&b, API_CREATE_TOPICS, 0, 1);
	put32(&b, 1);
	putstr(&b, opt_topic);
	put32(&b, opt_partitions);
	put16(&b, 1);
	put32(&b, 0);
	put32(&b, 0);
	put32(&b, 10000);
	conn_send(&c, &b);
	uint8_t body[65536];
	size_t len;
	int32_t corr;
	if (!conn_recv(&c, body, &len, &corr, 10000))
		die("no answer to CreateTopics");
	const uint8_t *p = body + 4;
	p += 2 + be16_get(p);
	int16_t err = (int16_t)be16_get(p);
	if (err && err != 36) /* TOPIC_ALREADY_EXISTS */
		die("CreateTopics %s: error %d", opt_topic, err);
	close(c.fd);
}

static void usage(FILE *out)
{
	fprintf(out,
"usage: sluice-groups-bench [options]\n"
"Measures the group coordinator: rebalance time of a group and OffsetCommit\n"
"throughput with every commit acknowledged (durable).\n"
"\n"
"  --bootstrap H:P     broker (default 127.0.0.1:9092)\n"
"  --topic NAME        topic the group and commits name (created, 12 partitions)\n"
"  --members N         group size for the rebalance part (default 10)\n"
"  --rounds N          join/leave rounds (default 20)\n"
"  --heartbeat-ms MS   members' heartbeat interval (default 10)\n"
"  --clients LIST      commit connections, comma-separated runs (default 1,16,64)\n"
"  --inflight N        commits outstanding per connection (default 1)\n"
"  --seconds S         seconds per commit run (default 5)\n"
"  --only PART         rebalance or commits\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"bootstrap", 1, 0, 'b'}, {"topic", 1, 0, 't'},
		{"members", 1, 0, 'm'},   {"rounds", 1, 0, 'r'},
		{"heartbeat-ms", 1, 0, 'H'}, {"clients", 1, 0, 'c'},
		{"inflight", 1, 0, 'i'},  {"seconds", 1, 0, 's'},
		{"only", 1, 0, 'o'},      {"help", 0, 0, 'h'},
		{0, 0, 0, 0},
	};
	const char *clients = "1,16,64", *only = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'b': opt_bootstrap = optarg; break;
		case 't': opt_topic = optarg; break;
		case 'm': opt_members = atoi(optarg); break;
		case 'r': opt_rounds = atoi(optarg); break;
		case 'H': opt_heartbeat_ms = atoi(optarg); break;
		case 'c': clients = optarg; break;
		case 'i': opt_inflight = atoi(optarg); break;
		case 's': opt_seconds = atoi(optarg); break;
		case 'o': only = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (opt_members < 1 || opt_members > 63 || opt_rounds < 1 ||
	    opt_inflight < 1 || opt_inflight > 1024 || opt_seconds < 1) {
		usage(stderr);
		return 2;
	}
	topic_create();
	if (!only || !strcmp(only, "rebalance"))
		bench_rebalance();
	if (!only || !strcmp(only, "commits")) {
		printf("OffsetCommit, 1 partition per commit, each acknowledged:\n");
		char *list = strdup(clients);
		for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
			opt_clients = atoi(tok);
			if (opt_clients < 1)
				die("--clients %s", clients);
			bench_commits();
		}
		free(list);
	}
	return 0;
}
