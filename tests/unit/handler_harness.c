/*
 * The shared harness of the handler tests (see handler_harness.h): a
 * fixture with a real catalog, partition table and shared-memory segment,
 * and running a request through dispatch_request as a client would send
 * it.
 */
#define _GNU_SOURCE
#include "tests/unit/handler_harness.h"

#include <check.h>
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
#include "tests/unit/scratch_dir.h"

/* ---- fixture: catalog, partition table and shm segment ---- */

struct broker_config harness_cfg;
struct shm_segment *harness_seg;
char harness_dir[256];

/* Checked fixture: catalog, config, partition table, shm segment. */
void harness_setup(void)
{
	scratch_dir_make(harness_dir, sizeof harness_dir, "handlers");
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
	scratch_dir_remove(harness_dir);
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
