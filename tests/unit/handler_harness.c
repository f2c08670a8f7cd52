/*
 * The shared harness of the handler tests (see handler_harness.h): byte
 * vectors in a small notation, a fixture with a real catalog, partition
 * table and shared-memory segment, and running a request through
 * dispatch_request as a client would send it.
 */
#define _GNU_SOURCE
#include "tests/unit/handler_harness.h"

#include <check.h>
#include <ctype.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/partition/partition.h"
#include "brokerd/protocol/api_table.h"
#include "brokerd/server/dispatch.h"
#include "brokerd/shm/segment.h"
#include "brokerd/topics.h"
#include "common/bytes.h"
#include "common/config.h"

/* ---- byte vectors ---- */

/* Appends n bytes, growing the vector. */
void vec_put(struct vec *v, const void *p, size_t n)
{
	if (!v->b || v->len + n > v->cap) {
		size_t cap = v->cap ? v->cap : 256;
		while (cap < v->len + n)
			cap *= 2;
		v->b = realloc(v->b, cap);
		ck_assert_ptr_nonnull(v->b);
		v->cap = cap;
	}
	if (n)
		memcpy(v->b + v->len, p, n);
	v->len += n;
}

/* Appends one byte. */
void vec_u8(struct vec *v, uint8_t x)
{
	vec_put(v, &x, 1);
}

/* Appends an unsigned varint. */
void vec_uvarint(struct vec *v, uint64_t x)
{
	while (x >= 0x80) {
		vec_u8(v, (uint8_t)(x | 0x80));
		x >>= 7;
	}
	vec_u8(v, (uint8_t)x);
}

/* The value of a hex digit. */
static int hexval(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

/* Appends the bytes text describes (notation in handler_harness.h). */
void vec_add(struct vec *v, const char *text)
{
	const char *p = text;
	while (*p) {
		if (isspace((unsigned char)*p)) {
			p++;
		} else if (*p == '`' || ((*p == 's' || *p == 'c') && p[1] == '`')) {
			char kind = *p == '`' ? 0 : *p++;
			const char *s = ++p;
			const char *end = strchr(s, '`');
			ck_assert_msg(end != NULL, "unterminated text in vector");
			size_t n = (size_t)(end - s);
			if (kind == 's') {
				vec_u8(v, (uint8_t)(n >> 8));
				vec_u8(v, (uint8_t)n);
			} else if (kind == 'c') {
				vec_uvarint(v, n + 1);
			}
			vec_put(v, s, n);
			p = end + 1;
		} else if (*p == '{') {
			const char *end = strchr(p, '}');
			ck_assert_msg(end != NULL, "unterminated {name}");
			char name[TOPIC_NAME_MAX + 1];
			snprintf(name, sizeof name, "%.*s", (int)(end - p - 1), p + 1);
			const struct topic *t = catalog_topic_by_name(broker.catalog, name);
			ck_assert_msg(t != NULL, "no topic %s for {%s}", name, name);
			vec_put(v, t->id, 16);
			p = end + 1;
		} else {
			ck_assert_msg(isxdigit((unsigned char)p[0]) &&
					      isxdigit((unsigned char)p[1]),
				      "bad vector text at '%.10s'", p);
			vec_u8(v, (uint8_t)(hexval(p[0]) << 4 | hexval(p[1])));
			p += 2;
		}
	}
}

/* Frees the bytes and empties the vector. */
void vec_free(struct vec *v)
{
	free(v->b);
	memset(v, 0, sizeof *v);
}

/* Hex of up to 24 bytes, for failure messages. */
static const char *hex_of(const uint8_t *p, size_t n, char *buf)
{
	size_t k = n < 24 ? n : 24;
	for (size_t i = 0; i < k; i++)
		sprintf(buf + 2 * i, "%02x", p[i]);
	buf[2 * k] = '\0';
	return buf;
}

/* Fails with the first differing position unless got equals want. */
void expect_bytes(const char *what, const uint8_t *got, size_t got_len,
		  const struct vec *want)
{
	static const uint8_t none[1];
	if (!got)
		got = none; /* an empty evbuffer pulls up to NULL */
	size_t i = 0;
	while (i < got_len && i < want->len && got[i] == want->b[i])
		i++;
	char g[64], w[64];
	ck_assert_msg(i == got_len && i == want->len,
		      "%s: differs at byte %zu (got %zu bytes, want %zu): got %s... want %s...",
		      what, i, got_len, want->len,
		      hex_of(got + i, got_len - i, g),
		      hex_of(want->b + i, want->len - i, w));
}

/* ---- fixture: catalog, partition table and shm segment ---- */

struct broker_config harness_cfg;
struct shm_segment *harness_seg;
char harness_dir[256];

/* Checked fixture: catalog, config, partition table, shm segment. */
void harness_setup(void)
{
	const char *base = getenv("TMPDIR");
	snprintf(harness_dir, sizeof harness_dir, "%s/sluice-handlers-XXXXXX",
		 base && *base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(harness_dir));
	char dir[300];
	snprintf(dir, sizeof dir, "%s/catalog", harness_dir);
	ck_assert_int_eq(catalog_open(dir, &broker.catalog), 0);

	/* brokerd's defaults, derived paths under the temp dir */
	char err[256];
	memset(&harness_cfg, 0, sizeof harness_cfg);
	ck_assert_int_eq(config_set_defaults(broker_config_table,
					     broker_config_count, &harness_cfg,
					     err, sizeof err), 0);
	ck_assert_int_eq(config_set(broker_config_table, broker_config_count,
				    &harness_cfg, "data.dir", harness_dir, err,
				    sizeof err), 0);
	ck_assert_int_eq(config_set(broker_config_table, broker_config_count,
				    &harness_cfg, "cluster.id", "test-cluster",
				    err, sizeof err), 0);
	ck_assert_int_eq(sluice_config_finish(&harness_cfg, err, sizeof err),
			 0);
	harness_cfg.node_id = 1;
	harness_cfg.num_partitions = 1;
	harness_cfg.auto_create_topics_enable = 1;
	harness_cfg.message_max_bytes = 1048588;
	broker.cfg = &harness_cfg;

	broker.partitions = partition_table_new();
	ck_assert_ptr_nonnull(broker.partitions);
	char shm_name[64];
	snprintf(shm_name, sizeof shm_name, "/sluice-test-handlers-%d",
		 (int)getpid());
	ck_assert_int_eq(shm_segment_create(shm_name, 1, 1, 1 << 20,
					    &harness_seg), 0);
	/* the mapping is all the tests need; a failing test (which skips
	 * teardown) then leaves no segment behind */
	shm_unlink(shm_name);
	broker.shm = harness_seg;
	broker.counters = shm_counters(harness_seg);
}

/* nftw callback: removes one entry of the temporary directory. */
static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Undoes harness_setup and removes the temporary directory. */
void harness_teardown(void)
{
	shm_segment_destroy(harness_seg);
	broker.shm = NULL;
	broker.counters = NULL;
	partition_table_free(broker.partitions);
	broker.partitions = NULL;
	catalog_close(broker.catalog);
	broker.catalog = NULL;
	config_free(broker_config_table, broker_config_count, &harness_cfg);
	broker.cfg = NULL;
	nftw(harness_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Creates a topic through the lifecycle module. */
const struct topic *make_topic(const char *name, int32_t partitions)
{
	char err[256];
	const struct topic *t;
	int rc = topics_create(name, partitions, NULL, 0, 0, err, sizeof err, &t);
	ck_assert_msg(rc == 0, "create %s: %d %s", name, rc, err);
	return t;
}

/* ---- running a request ---- */

/* Sends body (vector text) as request key/ver with the v1 header, or the
 * v2 header (tagged fields) when flexible, through dispatch. */
void call_run(struct call *c, int16_t key, int16_t ver, int flexible,
	      const char *body)
{
	memset(c, 0, sizeof *c);
	uint8_t hdr[8];
	be16_put(hdr, (uint16_t)key);
	be16_put(hdr + 2, (uint16_t)ver);
	be32_put(hdr + 4, 0x11223344);          /* CorrelationId */
	vec_put(&c->frame, hdr, sizeof hdr);
	vec_add(&c->frame, "s`unit-test`");     /* ClientId */
	if (flexible)
		vec_add(&c->frame, "00");       /* header tagged fields */
	vec_add(&c->frame, body);
	c->req.body = evbuffer_new();
	ck_assert_ptr_nonnull(c->req.body);
	c->req.w.buf = c->req.body;
	c->state = dispatch_request(&c->req, c->frame.b, c->frame.len);
	ck_assert_int_eq(c->req.correlation_id, 0x11223344);
	c->resp_len = evbuffer_get_length(c->req.body);
	c->resp = evbuffer_pullup(c->req.body, -1);
}

/* Frees what call_run allocated. */
void call_free(struct call *c)
{
	evbuffer_free(c->req.body);
	vec_free(&c->frame);
}

/* Runs a request that must succeed and compares its response body with
 * want (vector text, built before the request runs, so {name} may name a
 * topic the request deletes). */
void call_expect(int16_t key, int16_t ver, int flexible, const char *body,
		 const char *want_text)
{
	struct vec want = {0};
	vec_add(&want, want_text);
	struct call c;
	call_run(&c, key, ver, flexible, body);
	ck_assert_int_eq(c.state, REQ_DONE);
	ck_assert_int_eq(c.req.flexible_response_header,
			 flexible && key != API_ApiVersions);
	char what[64];
	snprintf(what, sizeof what, "ApiKey %d v%d response", key, ver);
	expect_bytes(what, c.resp, c.resp_len, &want);
	call_free(&c);
	vec_free(&want);
}

/* Runs a request that must be refused as malformed. */
void call_malformed(int16_t key, int16_t ver, int flexible, const char *body)
{
	struct call c;
	call_run(&c, key, ver, flexible, body);
	ck_assert_msg(c.state == REQ_MALFORMED, "ApiKey %d v%d: state %d",
		      key, ver, c.state);
	call_free(&c);
}
