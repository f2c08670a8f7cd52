/*
 * What the Kafka handler tests share (test_protocol.c, test_admin_apis.c).
 * Requests and expected answers are byte vectors (tests/unit/byte_vec.h).
 *
 * The fixture (harness_setup/harness_teardown, a Check checked fixture)
 * gives every test a real catalog in a temporary directory (harness_dir),
 * a real partition table, a real shared-memory segment and brokerd's
 * default config (harness_cfg: node.id 1, cluster.id "test-cluster",
 * num.partitions 1, data.dir the temporary directory).  Requests go
 * through dispatch_request as a client would send them.
 */
#ifndef SLUICE_TEST_HANDLER_HARNESS_H
#define SLUICE_TEST_HANDLER_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "brokerd/broker_config.h"
#include "brokerd/server/request.h"
#include "tests/unit/byte_vec.h"

struct topic;
struct shm_segment;

/* ---- fixture ---- */

extern struct broker_config harness_cfg;
extern struct shm_segment *harness_seg;
extern char harness_dir[256];

void harness_setup(void);
void harness_teardown(void);

/* Creates a topic through the lifecycle module (fails the test if it
 * cannot). */
const struct topic *make_topic(const char *name, int32_t partitions);

/* ---- running a request ---- */

struct call {
	struct request req;
	struct vec frame;
	int state;
	const uint8_t *resp;
	size_t resp_len;
};

/* Sends body (vector text) as request key/ver with the v1 header, or the
 * v2 header (tagged fields) when flexible, through dispatch. */
void call_run(struct call *c, int16_t key, int16_t ver, int flexible,
	      const char *body);
void call_free(struct call *c);

/* Runs a request that must succeed and compares its response body with
 * want (vector text, built before the request runs, so {name} may name a
 * topic the request deletes). */
void call_expect(int16_t key, int16_t ver, int flexible, const char *body,
		 const char *want_text);

/* Runs a request that must be refused as malformed. */
void call_malformed(int16_t key, int16_t ver, int flexible, const char *body);

#endif
