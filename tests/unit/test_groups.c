/*
 * Tests of the group coordinator and the committed-offsets store.
 *
 * Coordinator tests run brokerd's real code the way a client meets it:
 * each client is one end of a socketpair whose other end is a brokerd
 * connection (conn_accept), requests are whole frames, and the event loop
 * runs until the answer comes, so deferred JoinGroup and SyncGroup
 * answers, session and rebalance timers, and the offset store's thread
 * all take part.  Topics live in a real catalog in a temporary directory.
 * Golden vectors are written by hand from the Kafka 3.8 message
 * definitions, field by field.
 *
 * Vector notation: tests/unit/byte_vec.h (s{name} and c{name}: a string
 * remembered with vec_var_set, as member ids are random).  The clients:
 * tests/unit/wire_client.h.
 *
 * Offset store tests drive offset_store.c directly with hooks that keep
 * the applied records in a small table: reopening after commits, a torn
 * journal tail, a record that checks but does not decode, compaction.
 */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/groups/group.h"
#include "brokerd/groups/groups.h"
#include "brokerd/groups/offset_record.h"
#include "brokerd/groups/offset_store.h"
#include "brokerd/partition/partition.h"
#include "brokerd/protocol/api_table.h"
#include "brokerd/protocol/kreader.h"
#include "brokerd/server/conn.h"
#include "brokerd/server/dispatch.h"
#include "brokerd/topics.h"
#include "common/bytes.h"
#include "common/counters.h"
#include "common/crc32c.h"
#include "common/errors.h"
#include "common/log.h"
#include "tests/unit/broker_core.h"
#include "tests/unit/scratch_dir.h"
#include "tests/unit/unit_main.h"
#include "tests/unit/wire_client.h"

/* ---- the broker under test ---- */

static char tmp_root[256];
static char cluster_id[] = "test-cluster";
static struct broker_config cfg;

/* A catalog in a new temporary directory, the config, and brokerd's core
 * (tests/unit/broker_core.h). */
static void broker_up(void)
{
	scratch_dir_make(tmp_root, sizeof tmp_root, "groups");
	char dir[300];
	snprintf(dir, sizeof dir, "%s/catalog", tmp_root);
	memset(&broker, 0, sizeof broker);
	ck_assert_int_eq(catalog_open(dir, &broker.catalog), 0);

	memset(&cfg, 0, sizeof cfg);
	cfg.node_id = 1;
	cfg.cluster_id = cluster_id;
	cfg.num_partitions = 1;
	cfg.message_max_bytes = 1048588;
	cfg.socket_request_max_bytes = 100 << 20;
	cfg.queued_max_requests = 500;
	cfg.group_min_session_timeout_ms = 10;
	cfg.group_max_session_timeout_ms = 600000;
	cfg.group_initial_rebalance_delay_ms = 0;
	cfg.offsets_retention_minutes = 10080;
	broker.cfg = &cfg;
	broker_core_up("groups", 1);
}

/* The reverse of broker_up; removes the temporary directory. */
static void broker_down(void)
{
	broker_core_down();
	catalog_close(broker.catalog);
	memset(&broker, 0, sizeof broker);
	scratch_dir_remove(tmp_root);
}

/* The directory the offset store lives in. */
static const char *groups_dir(void)
{
	static char dir[300];
	snprintf(dir, sizeof dir, "%s/groups", tmp_root);
	mkdir(dir, 0750);
	return dir;
}

static void coordinator_up(void)
{
	ck_assert_int_eq(groups_start(broker.base, groups_dir()), 0);
}

static void setup(void)
{
	log_set_level(LOG_LEVEL_WARN);
	/* answers here have always had two seconds to come */
	client_answer_wait_ms = 2000;
	broker_up();
	coordinator_up();
	char err[256];
	const struct topic *t;
	ck_assert_int_eq(topics_create("t1", 4, NULL, 0, 0, err, sizeof err, &t), 0);
	ck_assert_int_eq(topics_create("t2", 2, NULL, 0, 0, err, sizeof err, &t), 0);
}

static void teardown(void)
{
	conn_close_all();
	groups_finish();
	broker_down();
	vec_vars_clear();
}

/* Restarts the coordinator over the same directory (a brokerd restart as
 * far as groups go: memberships are gone, offsets are read back). */
static void coordinator_restart(void)
{
	conn_close_all();
	groups_finish();
	coordinator_up();
}

/* ---- reading answers ---- */

/* Reads the JoinGroup answer fields tests look at. */
struct join_answer {
	int16_t error;
	int32_t generation;
	char leader[128], member_id[128];
	int32_t members;
};

static void read_str(struct kreader *r, char *out, size_t size)
{
	struct kslice s = kr_nullable_string(r);
	if (s.len < 0)
		s.len = 0;
	ck_assert_uint_lt((size_t)s.len, size);
	if (s.len > 0)
		memcpy(out, s.p, (size_t)s.len);
	out[s.len] = '\0';
}

static struct join_answer join_parse(const struct vec *body, int16_t ver)
{
	struct join_answer a;
	struct kreader r;
	kreader_init(&r, body->b, body->len, ver >= 6);
	if (ver >= 2)
		kr_i32(&r);
	a.error = kr_i16(&r);
	a.generation = kr_i32(&r);
	char skip[128];
	if (ver >= 7)
		read_str(&r, skip, sizeof skip);
	read_str(&r, skip, sizeof skip);
	read_str(&r, a.leader, sizeof a.leader);
	if (ver >= 9)
		kr_bool(&r);
	read_str(&r, a.member_id, sizeof a.member_id);
	a.members = kr_array(&r, 1000, 0);
	ck_assert(!kreader_failed(&r));
	return a;
}

static struct join_answer join_recv(struct client *c, int16_t ver)
{
	struct vec body;
	client_recv(c, &body);
	struct join_answer a = join_parse(&body, ver);
	vec_free(&body);
	return a;
}

/* A consumer's metadata for protocol tests (opaque to the coordinator). */
#define META "00000004 deadbeef"

/* JoinGroup v5 body: group, session/rebalance timeouts, member, instance
 * (vector text, "ffff" for null), protocols (vector text of the array). */
static char *join_v5(const char *group, int session, int rebalance,
		     const char *member, const char *instance, const char *protocols)
{
	char *s;
	ck_assert_int_ge(asprintf(&s, "s`%s` %08x %08x s`%s` %s s`consumer` %s",
				  group, session, rebalance, member, instance,
				  protocols), 0);
	return s;
}

/* Sends a JoinGroup v5 offering the range protocol with META. */
static void join_send_v5(struct client *c, const char *group, int session,
			 int rebalance, const char *member, const char *instance)
{
	char *body = join_v5(group, session, rebalance, member, instance,
			     "00000001 s`range` " META);
	client_send(c, API_JoinGroup, 5, body);
	free(body);
}

/* GroupInstanceId as vector text: s`instance`, or ffff for null. */
static void instance_field(char *out, size_t size, const char *instance)
{
	if (instance)
		snprintf(out, size, "s`%s`", instance);
	else
		snprintf(out, size, "ffff");
}

/* Joins with v5 (two round trips: MEMBER_ID_REQUIRED first for a dynamic
 * member) and leaves the JoinGroup waiting; returns nothing, the caller
 * collects the answer. */
static void join_start(struct client *c, const char *group, int session,
		       int rebalance, const char *instance, char *member_out)
{
	char inst[64];
	instance_field(inst, sizeof inst, instance);
	join_send_v5(c, group, session, rebalance, "", inst);
	if (instance) {
		member_out[0] = '\0';
		return;
	}
	struct join_answer a = join_recv(c, 5);
	ck_assert_int_eq(a.error, KERR_MEMBER_ID_REQUIRED);
	strcpy(member_out, a.member_id);
	join_send_v5(c, group, session, rebalance, member_out, inst);
}

/* SyncGroup v3: member's sync for generation; the leader passes
 * assignments (vector text of the array). */
static void sync_send(struct client *c, const char *group, int32_t generation,
		      const char *member, const char *instance,
		      const char *assignments)
{
	char *body, inst[64];
	instance_field(inst, sizeof inst, instance);
	ck_assert_int_ge(asprintf(&body, "s`%s` %08x s`%s` %s %s", group,
				  generation, member, inst,
				  assignments ? assignments : "00000000"), 0);
	client_send(c, API_SyncGroup, 3, body);
	free(body);
}

/* The SyncGroup v3 answer: error and assignment (as a string). */
static int16_t sync_recv(struct client *c, char *assignment, size_t size)
{
	struct vec body;
	client_recv(c, &body);
	struct kreader r;
	kreader_init(&r, body.b, body.len, 0);
	kr_i32(&r);
	int16_t err = kr_i16(&r);
	struct kslice a = kr_bytes(&r);
	ck_assert(!kreader_failed(&r));
	if (assignment) {
		ck_assert_uint_lt((size_t)a.len, size);
		memcpy(assignment, a.p, (size_t)a.len);
		assignment[a.len] = '\0';
	}
	vec_free(&body);
	return err;
}

/* Heartbeat v3; returns its error code. */
static int16_t heartbeat(struct client *c, const char *group, int32_t generation,
			 const char *member, const char *instance)
{
	char *body, inst[64];
	instance_field(inst, sizeof inst, instance);
	ck_assert_int_ge(asprintf(&body, "s`%s` %08x s`%s` %s", group, generation,
				  member, inst), 0);
	client_send(c, API_Heartbeat, 3, body);
	free(body);
	struct vec got;
	client_recv(c, &got);
	ck_assert_uint_eq(got.len, 6);
	int16_t err = (int16_t)be16_get(got.b + 4);
	vec_free(&got);
	return err;
}

/* The group's state as DescribeGroups v0 reports it. */
static const char *describe_state(struct client *c, const char *group, int *members)
{
	static char state[64];
	char *body;
	ck_assert_int_ge(asprintf(&body, "00000001 s`%s`", group), 0);
	client_send(c, API_DescribeGroups, 0, body);
	free(body);
	struct vec got;
	client_recv(c, &got);
	struct kreader r;
	kreader_init(&r, got.b, got.len, 0);
	ck_assert_int_eq(kr_array(&r, 10, 0), 1);
	ck_assert_int_eq(kr_i16(&r), 0);
	char skip[256];
	read_str(&r, skip, sizeof skip);
	read_str(&r, state, sizeof state);
	read_str(&r, skip, sizeof skip);
	read_str(&r, skip, sizeof skip);
	*members = kr_array(&r, 1000, 0);
	ck_assert(!kreader_failed(&r));
	vec_free(&got);
	return state;
}

/* Forms a one-member group with v5 and syncs; returns the generation. */
static int32_t group_form_one(struct client *c, const char *group, int session,
			      char *member)
{
	join_start(c, group, session, 30000, NULL, member);
	struct join_answer a = join_recv(c, 5);
	ck_assert_int_eq(a.error, 0);
	ck_assert_str_eq(a.leader, member);
	char assign[512];
	snprintf(assign, sizeof assign, "00000001 s`%s` 00000002 `A1`", member);
	sync_send(c, group, a.generation, member, NULL, assign);
	char got[64];
	ck_assert_int_eq(sync_recv(c, got, sizeof got), 0);
	ck_assert_str_eq(got, "A1");
	return a.generation;
}

/* a forms group alone (group_form_one, 30 s session), then b, with a
 * session of b_session ms, starts joining it and so a rebalance;
 * returns a's generation. */
static int32_t group_second_joins(struct client *a, char *ma, struct client *b,
				  char *mb, const char *group, int b_session)
{
	int32_t gen = group_form_one(a, group, 30000, ma);
	join_start(b, group, b_session, 30000, NULL, mb);
	return gen;
}

/* The leader a rejoins the rebalance b started; both JoinGroup answers. */
static void group_rejoin(struct client *a, const char *ma, struct client *b,
			 const char *group, struct join_answer *ja,
			 struct join_answer *jb)
{
	join_send_v5(a, group, 30000, 30000, ma, "ffff");
	*ja = join_recv(a, 5);
	*jb = join_recv(b, 5);
}

/* The follower syncs, then the leader with the assignments (vector
 * text); both answers must be success. */
static void sync_pair(const char *group, int32_t generation, struct client *leader,
		      const char *leader_id, const char *leader_instance,
		      const char *assignments, struct client *follower,
		      const char *follower_id)
{
	sync_send(follower, group, generation, follower_id, NULL, NULL);
	sync_send(leader, group, generation, leader_id, leader_instance, assignments);
	ck_assert_int_eq(sync_recv(leader, NULL, 0), 0);
	ck_assert_int_eq(sync_recv(follower, NULL, 0), 0);
}

/* Sends a JoinGroup v3 to v5 of a group with session and rebalance
 * timeouts of 30 s; rest is the vector text after MemberId. */
static void join_send(struct client *c, int16_t ver, const char *group,
		      const char *member, const char *rest)
{
	char *body;
	ck_assert_int_ge(asprintf(&body, "s`%s` 00007530 00007530 s`%s` %s", group,
				  member, rest), 0);
	client_send(c, API_JoinGroup, ver, body);
	free(body);
}

/* A new dynamic member's join (join_send): MEMBER_ID_REQUIRED must come
 * first; the second JoinGroup, with the id given, is left waiting. */
static void join_dynamic(struct client *c, int16_t ver, const char *group,
			 const char *rest, char *member_out)
{
	join_send(c, ver, group, "", rest);
	struct join_answer a = join_recv(c, ver);
	ck_assert_int_eq(a.error, KERR_MEMBER_ID_REQUIRED);
	strcpy(member_out, a.member_id);
	join_send(c, ver, group, member_out, rest);
}

/* ---- JoinGroup / SyncGroup golden vectors ---- */

START_TEST(test_join_group_v0)
{
	struct client *c = client_new();
	client_send(c, API_JoinGroup, 0,
		    "s`g1`"                        /* GroupId */
		    "00007530"                     /* SessionTimeoutMs 30000 */
		    "s``"                          /* MemberId */
		    "s`consumer`"                  /* ProtocolType */
		    "00000001 s`range` " META);    /* Protocols */
	struct vec got;
	client_recv(c, &got);
	struct join_answer a = join_parse(&got, 0);
	ck_assert_msg(!strncmp(a.member_id, "unit-test-", 10), "member id %s", a.member_id);
	ck_assert_uint_eq(strlen(a.member_id), 10 + 36);
	vec_var_set("m", a.member_id);
	struct vec want = {0};
	vec_add(&want, "0000"              /* ErrorCode */
		       "00000001"          /* GenerationId */
		       "s`range`"          /* ProtocolName */
		       "s{m}"               /* Leader */
		       "s{m}"               /* MemberId */
		       "00000001"          /* Members */
		       "  s{m} " META);     /* MemberId, Metadata */
	expect_bytes("JoinGroup v0", got.b, got.len, &want);
	vec_free(&got);
	vec_free(&want);

	/* the leader's assignment (SyncGroup v0), then a stable group */
	client_call(c, API_SyncGroup, 0,
	     "s`g1` 00000001 s{m}"                       /* GroupId, GenerationId, MemberId */
	     "00000001 s{m} 00000003 `abc`",             /* Assignments */
	     "0000 00000003 `abc`");                    /* ErrorCode, Assignment */
	/* v0 has no MEMBER_ID_REQUIRED: a second join is a new member */
	int n;
	ck_assert_str_eq(describe_state(c, "g1", &n), "Stable");
	ck_assert_int_eq(n, 1);
	client_free(c);
}
END_TEST

START_TEST(test_join_group_v9_sync_v5)
{
	struct client *c = client_new();
	const char *join =
		"c`g9`"                            /* GroupId */
		"00002710"                         /* SessionTimeoutMs 10000 */
		"0000ea60"                         /* RebalanceTimeoutMs 60000 */
		"c`%s`"                            /* MemberId */
		"00"                               /* GroupInstanceId: null */
		"c`consumer`"                      /* ProtocolType */
		"03"                               /* Protocols (2) */
		"  c`cooperative-sticky` 05 01020304 00"
		"  c`range` 03 aabb 00"
		"c`first`"                         /* Reason */
		"00";                              /* tags */
	char *body;
	ck_assert_int_ge(asprintf(&body, join, ""), 0);
	client_send(c, API_JoinGroup, 9, body);
	free(body);
	struct vec got;
	client_recv(c, &got);
	struct join_answer a = join_parse(&got, 9);
	vec_var_set("m", a.member_id);
	struct vec want = {0};
	vec_add(&want, "00000000"          /* ThrottleTimeMs */
		       "004f"              /* ErrorCode MEMBER_ID_REQUIRED */
		       "ffffffff"          /* GenerationId */
		       "00"                /* ProtocolType: null */
		       "00"                /* ProtocolName: null */
		       "c``"               /* Leader */
		       "00"                /* SkipAssignment */
		       "c{m}"               /* MemberId */
		       "01"                /* Members: none */
		       "00");              /* tags */
	expect_bytes("JoinGroup v9 MEMBER_ID_REQUIRED", got.b, got.len, &want);
	vec_free(&got);
	vec_free(&want);

	ck_assert_int_ge(asprintf(&body, join, a.member_id), 0);
	client_call(c, API_JoinGroup, 9, body,
	     "00000000"                            /* ThrottleTimeMs */
	     "0000"                                /* ErrorCode */
	     "00000001"                            /* GenerationId */
	     "c`consumer`"                         /* ProtocolType */
	     "c`cooperative-sticky`"               /* ProtocolName */
	     "c{m}"                                 /* Leader */
	     "00"                                  /* SkipAssignment */
	     "c{m}"                                 /* MemberId */
	     "02"                                  /* Members (1) */
	     "  c{m} 00 05 01020304 00"             /* MemberId, GroupInstanceId, Metadata */
	     "00");
	free(body);

	/* SyncGroup v5 from the leader */
	client_call(c, API_SyncGroup, 5,
	     "c`g9` 00000001 c{m}"                  /* GroupId, GenerationId, MemberId */
	     "00"                                  /* GroupInstanceId */
	     "c`consumer` c`cooperative-sticky`"   /* ProtocolType, ProtocolName */
	     "02 c{m} 04 `xyz` 00"                  /* Assignments */
	     "00",
	     "00000000"                            /* ThrottleTimeMs */
	     "0000"                                /* ErrorCode */
	     "c`consumer`"                         /* ProtocolType */
	     "c`cooperative-sticky`"               /* ProtocolName */
	     "04 `xyz`"                            /* Assignment */
	     "00");
	/* v5 with the wrong protocol name, and without one */
	client_call(c, API_SyncGroup, 5,
	     "c`g9` 00000001 c{m} 00 c`consumer` c`range` 01 00",
	     "00000000 0017 00 00 01 00");
	client_call(c, API_SyncGroup, 5,
	     "c`g9` 00000001 c{m} 00 c`consumer` 00 01 00",
	     "00000000 0017 00 00 01 00");
	/* a stable group answers again with the stored assignment */
	client_call(c, API_SyncGroup, 5,
	     "c`g9` 00000001 c{m} 00 c`consumer` c`cooperative-sticky` 01 00",
	     "00000000 0000 c`consumer` c`cooperative-sticky` 04 `xyz` 00");
	client_free(c);
}
END_TEST

/* ---- the rebalance state machine ---- */

START_TEST(test_rebalance_two_members)
{
	struct client *a = client_new(), *b = client_new();
	char ma[128], mb[128];
	int32_t gen = group_form_one(a, "g", 30000, ma);
	ck_assert_int_eq(gen, 1);
	ck_assert_int_eq(heartbeat(a, "g", gen, ma, NULL), 0);

	/* b joins: the group rebalances; a hears it from its heartbeat */
	join_start(b, "g", 30000, 30000, NULL, mb);
	client_expect_none(b, 50);
	ck_assert_int_eq(heartbeat(a, "g", gen, ma, NULL), KERR_REBALANCE_IN_PROGRESS);
	int n;
	ck_assert_str_eq(describe_state(a, "g", &n), "PreparingRebalance");
	ck_assert_int_eq(n, 2);
	/* a rejoins with its id: both answers come, a still leads */
	struct join_answer ja, jb;
	group_rejoin(a, ma, b, "g", &ja, &jb);
	ck_assert_int_eq(ja.error, 0);
	ck_assert_int_eq(jb.error, 0);
	ck_assert_int_eq(ja.generation, 2);
	ck_assert_int_eq(jb.generation, 2);
	ck_assert_str_eq(ja.leader, ma);
	ck_assert_str_eq(jb.leader, ma);
	ck_assert_int_eq(ja.members, 2);
	ck_assert_int_eq(jb.members, 0);
	/* an old generation is refused; a commit before syncing too */
	ck_assert_int_eq(heartbeat(b, "g", 1, mb, NULL), KERR_ILLEGAL_GENERATION);

	/* b syncs first and waits for the leader */
	sync_send(b, "g", 2, mb, NULL, NULL);
	client_expect_none(b, 50);
	char assign[512], got[64];
	snprintf(assign, sizeof assign, "00000002 s`%s` 00000002 `A2` s`%s` 00000002 `B2`",
		 ma, mb);
	sync_send(a, "g", 2, ma, NULL, assign);
	ck_assert_int_eq(sync_recv(a, got, sizeof got), 0);
	ck_assert_str_eq(got, "A2");
	ck_assert_int_eq(sync_recv(b, got, sizeof got), 0);
	ck_assert_str_eq(got, "B2");
	ck_assert_str_eq(describe_state(a, "g", &n), "Stable");
	ck_assert_int_eq(heartbeat(b, "g", 2, mb, NULL), 0);

	/* b leaves (LeaveGroup v3): a rebalances alone into generation 3 */
	char *leave;
	ck_assert_int_ge(asprintf(&leave, "s`g` 00000001 s`%s` ffff", mb), 0);
	vec_var_set("mb", mb);
	client_call(b, API_LeaveGroup, 3, leave,
	     "00000000 0000 00000001 s{mb} ffff 0000");
	free(leave);
	ck_assert_int_eq(heartbeat(a, "g", 2, ma, NULL), KERR_REBALANCE_IN_PROGRESS);
	join_send_v5(a, "g", 30000, 30000, ma, "ffff");
	ja = join_recv(a, 5);
	ck_assert_int_eq(ja.generation, 3);
	ck_assert_int_eq(ja.members, 1);
	/* leaving twice: UNKNOWN_MEMBER_ID (v0 carries it at the top) */
	ck_assert_int_ge(asprintf(&leave, "s`g` s`%s`", mb), 0);
	client_call(b, API_LeaveGroup, 0, leave, "0019");
	free(leave);
	client_free(a);
	client_free(b);
}
END_TEST

START_TEST(test_session_timeout)
{
	struct client *a = client_new(), *b = client_new();
	char ma[128], mb[128];
	/* b joins with a short session; a rejoins; both sync */
	group_second_joins(a, ma, b, mb, "g", 100);
	struct join_answer ja, jb;
	group_rejoin(a, ma, b, "g", &ja, &jb);
	char assign[512];
	snprintf(assign, sizeof assign, "00000001 s`%s` 00000002 `A2`", ma);
	sync_pair("g", ja.generation, a, ma, NULL, assign, b, mb);

	/* b stops heartbeating: after its 100 ms session it is removed and
	 * a is told to rejoin */
	loop_for(60);
	ck_assert_int_eq(heartbeat(a, "g", ja.generation, ma, NULL), 0);
	loop_for(150);
	ck_assert_int_eq(heartbeat(b, "g", ja.generation, mb, NULL), KERR_UNKNOWN_MEMBER_ID);
	ck_assert_int_eq(heartbeat(a, "g", ja.generation, ma, NULL),
			 KERR_REBALANCE_IN_PROGRESS);
	client_free(a);
	client_free(b);
}
END_TEST

START_TEST(test_rebalance_timeout)
{
	struct client *a = client_new(), *b = client_new();
	char ma[128], mb[128];
	/* a's rebalance timeout is 150 ms and it will not rejoin */
	join_start(a, "g", 30000, 150, NULL, ma);
	struct join_answer ja = join_recv(a, 5);
	char assign[512];
	snprintf(assign, sizeof assign, "00000001 s`%s` 00000002 `A1`", ma);
	sync_send(a, "g", ja.generation, ma, NULL, assign);
	ck_assert_int_eq(sync_recv(a, NULL, 0), 0);

	int64_t t0 = now_ms();
	join_start(b, "g", 30000, 150, NULL, mb);
	struct join_answer jb = join_recv(b, 5);
	int64_t waited = now_ms() - t0;
	ck_assert_msg(waited >= 140, "the join phase ended after %lld ms", (long long)waited);
	ck_assert_int_eq(jb.error, 0);
	ck_assert_int_eq(jb.generation, 2);
	ck_assert_str_eq(jb.leader, mb);
	ck_assert_int_eq(jb.members, 1);
	ck_assert_int_eq(heartbeat(a, "g", 1, ma, NULL), KERR_UNKNOWN_MEMBER_ID);
	client_free(a);
	client_free(b);
}
END_TEST

START_TEST(test_sync_timeout)
{
	struct client *a = client_new(), *b = client_new();
	char ma[128], mb[128];
	/* group.initial.rebalance.delay.ms lets b into the first generation:
	 * 100 ms, and 100 ms more since b came in the meantime */
	cfg.group_initial_rebalance_delay_ms = 100;
	int64_t t0 = now_ms();
	join_start(a, "g", 30000, 200, NULL, ma);
	join_start(b, "g", 30000, 200, NULL, mb);
	struct join_answer ja = join_recv(a, 5), jb = join_recv(b, 5);
	ck_assert_int_ge(now_ms() - t0, 190);
	ck_assert_int_eq(ja.generation, 1);
	ck_assert_int_eq(jb.generation, 1);
	ck_assert_int_eq(ja.members, 2);
	/* only the leader syncs; b never does and is removed after the
	 * rebalance timeout */
	struct client *leader = strcmp(ja.leader, ma) ? b : a;
	const char *lm = leader == a ? ma : mb, *other = leader == a ? mb : ma;
	char assign[512];
	snprintf(assign, sizeof assign, "00000001 s`%s` 00000002 `L1`", lm);
	sync_send(leader, "g", ja.generation, lm, NULL, assign);
	ck_assert_int_eq(sync_recv(leader, NULL, 0), 0);
	loop_for(300);
	ck_assert_int_eq(heartbeat(leader, "g", ja.generation, lm, NULL),
			 KERR_REBALANCE_IN_PROGRESS);
	ck_assert_int_eq(heartbeat(leader, "g", ja.generation, other, NULL),
			 KERR_UNKNOWN_MEMBER_ID);
	client_free(a);
	client_free(b);
}
END_TEST

START_TEST(test_static_member)
{
	struct client *a = client_new(), *b = client_new(), *a2 = client_new();
	char ma[128], mb[128];
	join_start(a, "gs", 30000, 30000, "inst-a", ma);
	struct join_answer ja = join_recv(a, 5);
	strcpy(ma, ja.member_id);
	ck_assert_msg(!strncmp(ma, "inst-a-", 7), "static member id %s", ma);
	join_start(b, "gs", 30000, 30000, NULL, mb);
	ck_assert_int_eq(heartbeat(a, "gs", 1, ma, "inst-a"), KERR_REBALANCE_IN_PROGRESS);
	join_send_v5(a, "gs", 30000, 30000, ma, "s`inst-a`");
	ja = join_recv(a, 5);
	struct join_answer jb = join_recv(b, 5);
	int32_t gen = ja.generation;
	ck_assert_str_eq(ja.leader, ma);
	char assign[512];
	snprintf(assign, sizeof assign, "00000002 s`%s` 00000002 `SA` s`%s` 00000002 `SB`",
		 ma, mb);
	sync_pair("gs", gen, a, ma, "inst-a", assign, b, mb);
	(void)jb;

	/* inst-a restarts (a new process: no member id): it gets a new id,
	 * the same generation and its old assignment, with no rebalance */
	join_send_v5(a2, "gs", 30000, 30000, "", "s`inst-a`");
	struct join_answer j2 = join_recv(a2, 5);
	ck_assert_int_eq(j2.error, 0);
	ck_assert_int_eq(j2.generation, gen);
	ck_assert_str_ne(j2.member_id, ma);
	/* before v9 the answer names the old leader id, so the returning
	 * leader does not assign */
	ck_assert_str_eq(j2.leader, ma);
	ck_assert_int_eq(heartbeat(b, "gs", gen, mb, NULL), 0);
	char got[64];
	sync_send(a2, "gs", gen, j2.member_id, "inst-a", NULL);
	ck_assert_int_eq(sync_recv(a2, got, sizeof got), 0);
	ck_assert_str_eq(got, "SA");
	/* the old incarnation is fenced */
	ck_assert_int_eq(heartbeat(a, "gs", gen, ma, "inst-a"), KERR_FENCED_INSTANCE_ID);
	ck_assert_int_eq(heartbeat(a2, "gs", gen, j2.member_id, "inst-a"), 0);
	int n;
	ck_assert_str_eq(describe_state(b, "gs", &n), "Stable");
	ck_assert_int_eq(n, 2);

	/* v9: a restarting static leader is told it leads but must skip
	 * the assignment */
	client_send(a, API_JoinGroup, 9,
		    "c`gs` 00007530 00007530 c`` c`inst-a` c`consumer`"
		    "02 c`range` 05 deadbeef 00 00 00");
	struct vec ans;
	client_recv(a, &ans);
	struct join_answer j3 = join_parse(&ans, 9);
	ck_assert_int_eq(j3.error, 0);
	ck_assert_int_eq(j3.generation, gen);
	ck_assert_str_eq(j3.leader, j3.member_id);
	ck_assert_int_eq(j3.members, 2);
	/* SkipAssignment sits right after Leader */
	struct kreader r;
	kreader_init(&r, ans.b, ans.len, 1);
	kr_i32(&r); kr_i16(&r); kr_i32(&r);
	kr_nullable_string(&r); kr_nullable_string(&r); kr_string(&r);
	ck_assert_int_eq(kr_bool(&r), 1);
	vec_free(&ans);
	/* the instance removed by instance id alone (LeaveGroup v4) */
	client_call(b, API_LeaveGroup, 4, "c`gs` 02 c`` c`inst-a` 00 00",
	     "00000000 0000 02 c`` c`inst-a` 0000 00 00");
	ck_assert_int_eq(heartbeat(b, "gs", gen, mb, NULL), KERR_REBALANCE_IN_PROGRESS);
	client_free(a);
	client_free(a2);
	client_free(b);
}
END_TEST

START_TEST(test_protocol_selection)
{
	struct client *a = client_new(), *b = client_new(), *c = client_new();
	/* the initial delay lets b into the first generation */
	cfg.group_initial_rebalance_delay_ms = 100;
	/* v4: v5's fields without GroupInstanceId */
	const char *rest_a = "s`consumer` 00000002 s`range` 00000001 01 s`roundrobin` 00000001 02";
	const char *rest_b = "s`consumer` 00000002 s`roundrobin` 00000001 03 s`range` 00000001 04";
	char ma[128], mb[128];
	join_dynamic(a, 4, "gp", rest_a, ma);
	join_dynamic(b, 4, "gp", rest_b, mb);
	/* one vote each: the tie goes to the first member's preference */
	struct join_answer ja = join_recv(a, 4);
	struct join_answer jb = join_recv(b, 4);
	ck_assert_int_eq(ja.generation, 1);
	vec_var_set("ma", ja.member_id);
	vec_var_set("mb", jb.member_id);
	/* a member with a protocol nobody else has, and a different type */
	client_call(c, API_JoinGroup, 4,
	     "s`gp` 00007530 00007530 s`` s`consumer` 00000001 s`sticky` 00000000",
	     "00000000 0017 ffffffff s`` s`` s`` 00000000");
	client_call(c, API_JoinGroup, 4,
	     "s`gp` 00007530 00007530 s`` s`connect` 00000001 s`range` 00000000",
	     "00000000 0017 ffffffff s`` s`` s`` 00000000");
	int n;
	ck_assert_str_eq(describe_state(c, "gp", &n), "CompletingRebalance");
	/* the protocol chosen, seen by DescribeGroups once stable */
	char assign[512];
	snprintf(assign, sizeof assign, "00000000");
	sync_pair("gp", 1, a, ja.member_id, NULL, assign, b, jb.member_id);
	client_call(c, API_DescribeGroups, 0, "00000001 s`gp`",
	     "00000001 0000 s`gp` s`Stable` s`consumer` s`range`"
	     " 00000002"
	     "  s{ma} s`unit-test` s`/127.0.0.1` 00000001 01 00000000"
	     "  s{mb} s`unit-test` s`/127.0.0.1` 00000001 04 00000000");
	/* a third member offering only roundrobin: roundrobin is all that
	 * is common, so it is chosen */
	join_send(c, 3, "gp", "", "s`consumer` 00000001 s`roundrobin` 00000001 05");
	ck_assert_int_eq(heartbeat(a, "gp", 1, ja.member_id, NULL), KERR_REBALANCE_IN_PROGRESS);
	join_send(a, 4, "gp", ja.member_id, rest_a);
	join_send(b, 4, "gp", jb.member_id, rest_b);
	struct vec got;
	client_recv(c, &got);
	struct kreader r;
	kreader_init(&r, got.b, got.len, 0);
	kr_i32(&r); kr_i16(&r);
	ck_assert_int_eq(kr_i32(&r), 2);
	struct kslice proto = kr_string(&r);
	ck_assert_int_eq(proto.len, 10);
	ck_assert(!memcmp(proto.p, "roundrobin", 10));
	vec_free(&got);
	join_recv(a, 4);
	join_recv(b, 4);
	client_free(a);
	client_free(b);
	client_free(c);
}
END_TEST

/* Joins refused, and SyncGroup and Heartbeat of unknown groups. */
static const struct wire_call join_errors_calls[] = {
	/* session timeout outside [group.min, group.max] */
	{API_JoinGroup, 5, "s`ge` 00000005 00007530 s`` ffff s`consumer` 00000001 s`range` 00000000",
	 "00000000 001a ffffffff s`` s`` s`` 00000000"},
	/* empty group id */
	{API_JoinGroup, 5, "s`` 00007530 00007530 s`` ffff s`consumer` 00000001 s`range` 00000000",
	 "00000000 0018 ffffffff s`` s`` s`` 00000000"},
	/* a member id the coordinator never gave, for a group it does not
	 * know: UNKNOWN_MEMBER_ID, echoing the id */
	{API_JoinGroup, 5, "s`ge` 00007530 00007530 s`nobody` ffff s`consumer` 00000001 s`range` 00000000",
	 "00000000 0019 ffffffff s`` s`` s`nobody` 00000000"},
	/* no protocol at all */
	{API_JoinGroup, 5, "s`ge` 00007530 00007530 s`` ffff s`consumer` 00000000",
	 "00000000 0017 ffffffff s`` s`` s`` 00000000"},
	/* SyncGroup and Heartbeat for a group that does not exist */
	{API_SyncGroup, 3, "s`none` 00000001 s`x` ffff 00000000",
	 "00000000 0019 00000000"},
	{API_Heartbeat, 0, "s`none` 00000001 s`x`",
	 "0019"},
	/* a group id with a NUL byte */
	{API_Heartbeat, 4, "05 `ab` 00 `c` 00000001 02 `x` 00 00",
	 "00000000 0018 00"},
};

START_TEST(test_join_errors)
{
	struct client *c = client_new();
	CLIENT_CALL_TABLE(c, join_errors_calls);
	/* a count beyond the bytes there is malformed: the connection closes */
	client_send(c, API_JoinGroup, 5,
		    "s`ge` 00007530 00007530 s`` ffff s`consumer` 7fffffff");
	struct vec got;
	ck_assert(!client_poll(c, &got, 50));
	char b;
	ck_assert_int_eq(read(c->fd, &b, 1), 0); /* EOF */
	client_free(c);
}
END_TEST

START_TEST(test_closed_while_joining)
{
	struct client *a = client_new(), *b = client_new();
	char ma[128], mb[128];
	/* b waits in the join phase, then its connection goes away */
	group_second_joins(a, ma, b, mb, "gc", 30000);
	client_expect_none(b, 20);
	close(b->fd);
	b->fd = -1;
	loop_for(20);
	/* the phase completes: b's answer has nowhere to go, nothing breaks */
	ck_assert_int_eq(heartbeat(a, "gc", 1, ma, NULL), KERR_REBALANCE_IN_PROGRESS);
	join_send_v5(a, "gc", 30000, 30000, ma, "ffff");
	struct join_answer ja = join_recv(a, 5);
	ck_assert_int_eq(ja.members, 2);
	client_free(a);
	client_free(b);

	/* the same with a SyncGroup waiting for the leader */
	struct client *l = client_new(), *d = client_new();
	char ml[128], md[128];
	group_second_joins(l, ml, d, md, "gd", 30000);
	ck_assert_int_eq(heartbeat(l, "gd", 1, ml, NULL), KERR_REBALANCE_IN_PROGRESS);
	struct join_answer jd;
	group_rejoin(l, ml, d, "gd", &ja, &jd);
	sync_send(d, "gd", jd.generation, jd.member_id, NULL, NULL);
	client_expect_none(d, 20);
	close(d->fd);
	d->fd = -1;
	loop_for(20);
	sync_send(l, "gd", ja.generation, ml, NULL, NULL);
	ck_assert_int_eq(sync_recv(l, NULL, 0), 0);

	/* and a JoinGroup still waiting at shutdown is finished by teardown */
	struct client *e = client_new();
	char me[128];
	join_start(e, "gd", 30000, 30000, NULL, me);
	client_expect_none(e, 20);
	client_free(l);
	client_free(d);
	client_free(e);
}
END_TEST

/* ---- offsets ---- */

/* Commits of two partitions and an unknown topic, then fetches. */
static const struct wire_call offset_commit_v2_fetch_v1_calls[] = {
	{API_OffsetCommit, 2,
	 "s`g2`"                                   /* GroupId */
	 "ffffffff"                                /* GenerationIdOrMemberEpoch */
	 "s``"                                     /* MemberId */
	 "ffffffffffffffff"                        /* RetentionTimeMs */
	 "00000002"                                /* Topics */
	 "  s`t1` 00000002"
	 "    00000000 000000000000000a s`meta`"  /* PartitionIndex, CommittedOffset, Metadata */
	 "    00000001 0000000000000014 ffff"
	 "  s`nope` 00000001"
	 "    00000000 0000000000000001 ffff",
	 "00000002"                                /* Topics */
	 "  s`t1` 00000002 00000000 0000 00000001 0000"
	 "  s`nope` 00000001 00000000 0003"},     /* UNKNOWN_TOPIC_OR_PARTITION */
	{API_OffsetFetch, 1, "s`g2` 00000001 s`t1` 00000003 00000000 00000001 00000002",
	 "00000001 s`t1` 00000003"
	 "  00000000 000000000000000a s`meta` 0000"
	 "  00000001 0000000000000014 s`` 0000"
	 "  00000002 ffffffffffffffff s`` 0000"},
	/* a group that does not exist: no offsets, no error */
	{API_OffsetFetch, 1, "s`other` 00000001 s`t1` 00000001 00000000",
	 "00000001 s`t1` 00000001 00000000 ffffffffffffffff s`` 0000"},
};

START_TEST(test_offset_commit_v2_fetch_v1)
{
	struct client *c = client_new();
	CLIENT_CALL_TABLE(c, offset_commit_v2_fetch_v1_calls);
	client_free(c);
}
END_TEST

/* Commits the v8 example that test_offset_commit_v8_fetch_v8 fetches. */
static void commit_v8_example(struct client *c)
{
	client_call(c, API_OffsetCommit, 8,
	     "c`g3`"                                   /* GroupId */
	     "ffffffff"                                /* GenerationIdOrMemberEpoch */
	     "c``"                                     /* MemberId */
	     "00"                                      /* GroupInstanceId */
	     "03"                                      /* Topics (2) */
	     "  c`t1` 03"
	     "    00000003 0000000000000063 00000007 c`m3` 00"
	     "    00000001 0000000000000005 ffffffff 00 00"
	     "  00"
	     "  c`t2` 02 00000004 0000000000000001 ffffffff c`` 00"
	     "  00"
	     "00",
	     "00000000"                                /* ThrottleTimeMs */
	     "03"
	     "  c`t1` 03 00000003 0000 00 00000001 0000 00 00"
	     "  c`t2` 02 00000004 0003 00 00"          /* t2 has 2 partitions */
	     "00");
}

START_TEST(test_offset_commit_v8_fetch_v8)
{
	struct client *c = client_new();
	client_call(c, API_OffsetCommit, 2,
	     "s`g2` ffffffff s`` ffffffffffffffff 00000001 s`t1` 00000001"
	     " 00000000 000000000000000a s`meta`",
	     "00000001 s`t1` 00000001 00000000 0000");
	commit_v8_example(c);
	client_call(c, API_OffsetFetch, 8,
	     "04"                                      /* Groups (3) */
	     "  c`g2` 00 00"                           /* all of g2's */
	     "  c`g3` 02 c`t1` 03 00000001 00000002 00 00"
	     "  c`none` 02 c`t2` 02 00000000 00 00"
	     "00"                                      /* RequireStable */
	     "00",
	     "00000000"                                /* ThrottleTimeMs */
	     "04"
	     "  c`g2` 02 c`t1` 02"
	     "    00000000 000000000000000a ffffffff c`meta` 0000 00"
	     "    00 0000 00"
	     "  c`g3` 02 c`t1` 03"
	     "    00000001 0000000000000005 ffffffff c`` 0000 00"
	     "    00000002 ffffffffffffffff ffffffff c`` 0000 00"
	     "    00 0000 00"
	     "  c`none` 02 c`t2` 02"
	     "    00000000 ffffffffffffffff ffffffff c`` 0000 00"
	     "    00 0000 00"
	     "00");
	/* v5 has the leader epoch, null Topics lists everything */
	client_call(c, API_OffsetFetch, 5, "s`g3` ffffffff",
	     "00000000 00000001 s`t1` 00000002"
	     "  00000001 0000000000000005 ffffffff s`` 0000"
	     "  00000003 0000000000000063 00000007 s`m3` 0000"
	     " 0000");
	client_free(c);
}
END_TEST

START_TEST(test_offsets_durable)
{
	struct client *c = client_new();
	commit_v8_example(c);
	client_free(c);
	/* brokerd restarts: the offsets are read back from the journal */
	coordinator_restart();
	c = client_new();
	client_call(c, API_OffsetFetch, 5, "s`g3` ffffffff",
	     "00000000 00000001 s`t1` 00000002"
	     "  00000001 0000000000000005 ffffffff s`` 0000"
	     "  00000003 0000000000000063 00000007 s`m3` 0000"
	     " 0000");
	/* the group exists (Empty) though no member joined since */
	client_call(c, API_ListGroups, 4, "01 00",
	     "00000000 0000 02 c`g3` c`` c`Empty` 00 00");
	/* a compaction, then another restart: the snapshot holds them */
	offset_store_set_compact_bytes(groups_store(), 1);
	client_call(c, API_OffsetCommit, 2,
	     "s`g4` ffffffff s`` ffffffffffffffff 00000001 s`t2` 00000001"
	     " 00000001 0000000000000042 s`x`",
	     "00000001 s`t2` 00000001 00000001 0000");
	for (int i = 0; i < 200 && offset_store_snapshots(groups_store()) == 0; i++)
		loop_for(5);
	ck_assert_uint_eq(offset_store_snapshots(groups_store()), 1);
	client_free(c);
	coordinator_restart();
	c = client_new();
	client_call(c, API_OffsetFetch, 2, "s`g4` ffffffff",
	     "00000001 s`t2` 00000001 00000001 0000000000000042 s`x` 0000 0000");
	client_call(c, API_OffsetFetch, 1, "s`g3` 00000001 s`t1` 00000001 00000003",
	     "00000001 s`t1` 00000001 00000003 0000000000000063 s`m3` 0000");
	client_free(c);
}
END_TEST

START_TEST(test_commit_by_members)
{
	struct client *a = client_new();
	char ma[128];
	int32_t gen = group_form_one(a, "gm", 30000, ma);
	vec_var_set("ma", ma);
	/* OffsetCommit v7 by the member with the right generation */
	char *body;
	ck_assert_int_ge(asprintf(&body, "s`gm` %08x s`%s` ffff 00000001 s`t1` 00000001"
					 " 00000002 0000000000000007 00000000 s`md`",
				  gen, ma), 0);
	client_call(a, API_OffsetCommit, 7, body,
	     "00000000 00000001 s`t1` 00000001 00000002 0000");
	free(body);
	/* a wrong generation, an unknown member, and no member at all in a
	 * group that has members */
	ck_assert_int_ge(asprintf(&body, "s`gm` %08x s`%s` ffff 00000001 s`t1` 00000001"
					 " 00000002 0000000000000009 00000000 ffff",
				  gen + 1, ma), 0);
	client_call(a, API_OffsetCommit, 7, body,
	     "00000000 00000001 s`t1` 00000001 00000002 0016");
	free(body);
	client_call(a, API_OffsetCommit, 7,
	     "s`gm` 00000001 s`who` ffff 00000001 s`t1` 00000001"
	     " 00000002 0000000000000009 00000000 ffff",
	     "00000000 00000001 s`t1` 00000001 00000002 0019");
	client_call(a, API_OffsetCommit, 7,
	     "s`gm` ffffffff s`` ffff 00000001 s`t1` 00000001"
	     " 00000002 0000000000000009 00000000 ffff",
	     "00000000 00000001 s`t1` 00000001 00000002 0019");
	/* a member id for a group that does not exist: ILLEGAL_GENERATION */
	client_call(a, API_OffsetCommit, 7,
	     "s`gone` 00000003 s`who` ffff 00000001 s`t1` 00000001"
	     " 00000002 0000000000000009 00000000 ffff",
	     "00000000 00000001 s`t1` 00000001 00000002 0016");
	client_call(a, API_OffsetFetch, 1, "s`gm` 00000001 s`t1` 00000001 00000002",
	     "00000001 s`t1` 00000001 00000002 0000000000000007 s`md` 0000");
	/* during a rebalance, members may still commit (the old generation
	 * is current until the join phase ends) */
	struct client *b = client_new();
	char mb[128];
	join_start(b, "gm", 30000, 30000, NULL, mb);
	ck_assert_int_ge(asprintf(&body, "s`gm` %08x s`%s` ffff 00000001 s`t1` 00000001"
					 " 00000002 000000000000000b 00000000 ffff",
				  gen, ma), 0);
	client_call(a, API_OffsetCommit, 7, body,
	     "00000000 00000001 s`t1` 00000001 00000002 0000");
	free(body);
	client_free(a);
	client_free(b);
}
END_TEST

START_TEST(test_metadata_too_large)
{
	struct client *c = client_new();
	struct vec body = {0};
	vec_add(&body, "s`gt` ffffffff s`` ffffffffffffffff 00000001 s`t1` 00000002"
		       " 00000000 0000000000000009 1001");
	for (int i = 0; i < 0x1001; i++)
		vec_u8(&body, 'x');
	vec_add(&body, " 00000001 0000000000000003 1000");
	for (int i = 0; i < 0x1000; i++)
		vec_u8(&body, 'y');
	/* client_send takes text: hex-encode the body */
	char *text = malloc(body.len * 2 + 1);
	for (size_t i = 0; i < body.len; i++)
		sprintf(text + 2 * i, "%02x", body.b[i]);
	client_call(c, API_OffsetCommit, 2, text,
	     "00000001 s`t1` 00000002 00000000 000c 00000001 0000");
	free(text);
	vec_free(&body);
	client_free(c);
}
END_TEST

/* With busy stable and g3 holding offsets only: g3 goes. */
static const struct wire_call delete_groups_calls[] = {
	{API_DeleteGroups, 2, "04 c`busy` c`g3` c`none` 00",
	 "00000000 04 c`busy` 0044 00 c`g3` 0000 00 c`none` 0045 00 00"},
	{API_OffsetFetch, 5, "s`g3` ffffffff",
	 "00000000 00000000 0000"},
	{API_DescribeGroups, 5, "02 c`g3` 00 00",
	 "00000000 02 0000 c`g3` c`Dead` c`` c`` 01 80000000 00 00"},
	{API_ListGroups, 0, "",
	 "0000 00000001 s`busy` s`consumer`"},
};

START_TEST(test_delete_groups)
{
	struct client *a = client_new(), *c = client_new();
	char ma[128];
	group_form_one(a, "busy", 30000, ma);
	commit_v8_example(c);
	CLIENT_CALL_TABLE(c, delete_groups_calls);
	client_free(a);
	client_free(c);
	/* the deletion is durable */
	coordinator_restart();
	c = client_new();
	client_call(c, API_OffsetFetch, 5, "s`g3` ffffffff", "00000000 00000000 0000");
	client_call(c, API_ListGroups, 0, "", "0000 00000000");
	client_free(c);
}
END_TEST

START_TEST(test_offset_delete)
{
	struct client *a = client_new(), *c = client_new();
	commit_v8_example(c);
	client_call(c, API_OffsetDelete, 0,
	     "s`g3` 00000002 s`t1` 00000001 00000003 s`zz` 00000001 00000000",
	     "0000 00000000 00000002 s`t1` 00000001 00000003 0000"
	     " s`zz` 00000001 00000000 0003");
	client_call(c, API_OffsetFetch, 1, "s`g3` 00000001 s`t1` 00000002 00000001 00000003",
	     "00000001 s`t1` 00000002"
	     "  00000001 0000000000000005 s`` 0000"
	     "  00000003 ffffffffffffffff s`` 0000");
	client_call(c, API_OffsetDelete, 0, "s`nogroup` 00000000", "0045 00000000 00000000");
	/* a consumer group with members keeps the topics it subscribes to:
	 * the subscription metadata names t1 (version 0, topics [t1]) */
	char ma[128];
	join_dynamic(a, 5, "g3", "ffff s`consumer` 00000001 s`range`"
		     " 0000000e 0000 00000001 0002 `t1` 00000000", ma);
	struct join_answer ja = join_recv(a, 5);
	ck_assert_int_eq(ja.error, 0);
	client_call(c, API_OffsetDelete, 0,
	     "s`g3` 00000002 s`t1` 00000001 00000001 s`t2` 00000001 00000000",
	     "0000 00000000 00000002 s`t1` 00000001 00000001 0056"
	     " s`t2` 00000001 00000000 0000");
	client_free(a);
	client_free(c);
}
END_TEST

START_TEST(test_deleted_topic_offsets)
{
	struct client *c = client_new();
	commit_v8_example(c);
	const struct topic *t = catalog_topic_by_name(broker.catalog, "t1");
	ck_assert_int_eq(topics_delete(t), 0);
	char err[256];
	ck_assert_int_eq(topics_create("t1", 4, NULL, 0, 0, err, sizeof err, &t), 0);
	/* the new t1 has no offsets: the old ones belonged to another topic */
	client_call(c, API_OffsetFetch, 1, "s`g3` 00000001 s`t1` 00000001 00000003",
	     "00000001 s`t1` 00000001 00000003 ffffffffffffffff s`` 0000");
	/* and the cleanup removes them for good */
	groups_cleanup();
	loop_for(50);
	/* g3 had offsets for t1 only: with them gone, so is the group */
	ck_assert_ptr_null(groups_find("g3"));
	client_free(c);
}
END_TEST

START_TEST(test_retention)
{
	struct client *c = client_new(), *a = client_new();
	commit_v8_example(c);
	char ma[128];
	group_form_one(a, "live", 30000, ma);
	char *body;
	ck_assert_int_ge(asprintf(&body, "s`live` 00000001 s`%s` ffff 00000001 s`t2` 00000001"
					 " 00000000 0000000000000001 00000000 ffff", ma), 0);
	client_call(a, API_OffsetCommit, 7, body, "00000000 00000001 s`t2` 00000001 00000000 0000");
	free(body);
	/* make everything look old: only the Empty group loses its offsets */
	cfg.offsets_retention_minutes = 1;
	for (size_t i = 0; i < groups_count(); i++) {
		struct group *g = groups_at(i);
		g->state_ms -= 120000;
		for (size_t k = 0; k < g->offsets.count; k++)
			for (size_t p = 0; p < g->offsets.topics[k].count; p++)
				g->offsets.topics[k].parts[p].commit_ms -= 120000;
	}
	groups_cleanup();
	loop_for(50);
	ck_assert_ptr_null(groups_find("g3")); /* nothing left: dropped */
	ck_assert_ptr_nonnull(groups_find("live"));
	ck_assert_uint_eq(groups_find("live")->offsets.total, 1);
	client_free(a);
	client_free(c);
	coordinator_restart();
	ck_assert_ptr_null(groups_find("g3"));
	ck_assert_uint_eq(groups_find("live")->offsets.total, 1);
}
END_TEST

/* ---- FindCoordinator, ListGroups, DescribeGroups ---- */

/* FindCoordinator v0 to v4: group and transaction keys, batched keys. */
static const struct wire_call find_coordinator_calls[] = {
	{API_FindCoordinator, 0, "s`g`",
	 "0000 00000001 s`127.0.0.1` 00002384"},
	{API_FindCoordinator, 2, "s`g` 00",
	 "00000000 0000 ffff 00000001 s`127.0.0.1` 00002384"},
	/* a transaction coordinator does not exist yet */
	{API_FindCoordinator, 3, "c`tx` 01 00",
	 "00000000 000f c`The coordinator is not available.` ffffffff c`` ffffffff 00"},
	{API_FindCoordinator, 4, "00 03 c`a` c`b` 00",
	 "00000000 03"
	 "  c`a` 00000001 c`127.0.0.1` 00002384 0000 00 00"
	 "  c`b` 00000001 c`127.0.0.1` 00002384 0000 00 00"
	 "00"},
	{API_FindCoordinator, 4, "05 02 c`x` 00",
	 "00000000 02 c`x` ffffffff c`` ffffffff 002a c`Unknown coordinator type.` 00 00"},
};

START_TEST(test_find_coordinator)
{
	struct client *c = client_new();
	CLIENT_CALL_TABLE(c, find_coordinator_calls);
	client_free(c);
}
END_TEST

/* With ga stable (member {ma}) and g3 holding offsets only. */
static const struct wire_call list_and_describe_calls[] = {
	{API_ListGroups, 4, "01 00",
	 "00000000 0000 03 c`g3` c`` c`Empty` 00 c`ga` c`consumer` c`Stable` 00 00"},
	{API_ListGroups, 4, "02 c`stable` 00",
	 "00000000 0000 02 c`ga` c`consumer` c`Stable` 00 00"},
	{API_ListGroups, 3, "00",
	 "00000000 0000 03 c`g3` c`` 00 c`ga` c`consumer` 00 00"},
	{API_DescribeGroups, 5, "03 c`ga` c`nope` 01 00",
	 "00000000 03"
	 "  0000 c`ga` c`Stable` c`consumer` c`range`"
	 "   02 c{ma} 00 c`unit-test` c`/127.0.0.1` 05 deadbeef 03 `A1` 00"
	 "   80000000 00"
	 "  0000 c`nope` c`Dead` c`` c`` 01 80000000 00"
	 "00"},
};

START_TEST(test_list_and_describe)
{
	struct client *a = client_new(), *c = client_new();
	char ma[128];
	group_form_one(a, "ga", 30000, ma);
	vec_var_set("ma", ma);
	commit_v8_example(c);
	CLIENT_CALL_TABLE(c, list_and_describe_calls);
	client_free(a);
	client_free(c);
}
END_TEST

/* ---- the offset store alone ---- */

/* The applied state of the store tests: (group, topic, partition) ->
 * offset, and the records seen. */
struct kept {
	char key[64];
	int64_t offset;
};
static struct kept kept[256];
static int kept_count;
static int applied_records;

static struct kept *kept_find(const char *key)
{
	for (int i = 0; i < kept_count; i++)
		if (!strcmp(kept[i].key, key))
			return &kept[i];
	return NULL;
}

static void store_apply(void *arg, const struct offset_record *rec)
{
	applied_records++;
	struct offset_record_iter it;
	offset_record_iter_init(&it, rec);
	ck_assert_int_ne(rec->type, OFFSET_RECORD_STATE);
	if (rec->type == OFFSET_RECORD_GROUP_DELETE) {
		for (int i = 0; i < kept_count; i++)
			if (!strncmp(kept[i].key, rec->group, rec->group_len) &&
			    kept[i].key[rec->group_len] == '/')
				kept[i].key[0] = '\0';
		return;
	}
	for (uint32_t i = 0; i < rec->topic_count; i++) {
		struct offset_record_topic t;
		offset_record_next_topic(&it, &t);
		for (uint32_t k = 0; k < t.part_count; k++) {
			struct offset_part p;
			offset_record_next_part(&it, &p);
			char key[64];
			snprintf(key, sizeof key, "%.*s/%.*s/%d", rec->group_len,
				 rec->group, t.name_len, t.name, p.partition);
			struct kept *e = kept_find(key);
			if (rec->type == OFFSET_RECORD_DELETE) {
				if (e)
					e->key[0] = '\0';
				continue;
			}
			if (!e) {
				ck_assert_int_lt(kept_count, 256);
				e = &kept[kept_count++];
				strcpy(e->key, key);
			}
			e->offset = p.offset;
		}
	}
}

static int store_snapshot(void *arg, struct offset_buf *buf, uint64_t seq,
			  uint32_t *groups)
{
	static const uint8_t id[16];
	*groups = 0;
	for (int i = 0; i < kept_count; i++) {
		if (!kept[i].key[0])
			continue;
		char g[64], t[64];
		int p;
		ck_assert_int_eq(sscanf(kept[i].key, "%63[^/]/%63[^/]/%d", g, t, &p), 3);
		offset_record_begin(buf, OFFSET_RECORD_COMMIT, seq, g, strlen(g));
		offset_record_topic(buf, t, strlen(t), id);
		struct offset_part part = {p, kept[i].offset, -1, 1, -1, "", 0};
		offset_record_part(buf, &part);
		int rc = offset_record_end(buf);
		if (rc)
			return rc;
		(*groups)++;
	}
	return 0;
}

static struct offset_store *store;
static int store_done, store_errors;

static void store_done_cb(void *arg, int err)
{
	store_done++;
	store_errors += err != 0;
}

static void store_open(void)
{
	kept_count = 0;
	applied_records = 0;
	struct offset_store_hooks hooks = {store_apply, store_snapshot, NULL};
	ck_assert_int_eq(offset_store_open(groups_dir(), &hooks, &store), 0);
	ck_assert_int_eq(offset_store_start(store, broker.base), 0);
}

/* Commits offset for group/topic/partition; waits for it unless nowait. */
static void store_commit(const char *group, const char *topic, int32_t part,
			 int64_t offset, int wait)
{
	static const uint8_t id[16];
	struct offset_buf buf = {0};
	offset_record_begin(&buf, OFFSET_RECORD_COMMIT, offset_store_next_seq(store),
			    group, strlen(group));
	offset_record_topic(&buf, topic, strlen(topic), id);
	struct offset_part p = {part, offset, -1, 1000, -1, "meta", 4};
	offset_record_part(&buf, &p);
	ck_assert_int_eq(offset_record_end(&buf), 0);
	int before = store_done;
	ck_assert_int_eq(offset_store_submit(store, &buf, store_done_cb, NULL), 0);
	offset_buf_free(&buf);
	while (wait && store_done == before)
		loop_for(1);
}

static int64_t kept_offset(const char *key)
{
	struct kept *e = kept_find(key);
	return e ? e->offset : -1;
}

static void store_setup(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	broker_up();
	store_done = store_errors = 0;
}

static void store_teardown(void)
{
	offset_store_close(store);
	store = NULL;
	broker_down();
}

static char *journal_path(void)
{
	static char p[400];
	snprintf(p, sizeof p, "%s/offsets.journal", groups_dir());
	return p;
}

START_TEST(test_store_reopen)
{
	store_open();
	/* many commits queued at once: one group-commit round or a few */
	for (int i = 0; i < 100; i++)
		store_commit("g", "t", i % 5, i, 0);
	while (store_done < 100)
		loop_for(1);
	ck_assert_int_eq(store_errors, 0);
	ck_assert_int_eq(applied_records, 100);
	ck_assert_int_eq(kept_offset("g/t/4"), 99);
	/* a tombstone for one partition */
	struct offset_buf buf = {0};
	static const uint8_t id[16];
	offset_record_begin(&buf, OFFSET_RECORD_DELETE, offset_store_next_seq(store), "g", 1);
	offset_record_topic(&buf, "t", 1, id);
	struct offset_part p = {.partition = 0};
	offset_record_part(&buf, &p);
	ck_assert_int_eq(offset_record_end(&buf), 0);
	ck_assert_int_eq(offset_store_submit(store, &buf, store_done_cb, NULL), 0);
	offset_buf_free(&buf);
	while (store_done < 101)
		loop_for(1);
	ck_assert_int_eq(kept_offset("g/t/0"), -1);
	offset_store_close(store);

	store_open();
	ck_assert_int_eq(applied_records, 101);
	ck_assert_int_eq(kept_offset("g/t/0"), -1);
	ck_assert_int_eq(kept_offset("g/t/1"), 96);
	ck_assert_int_eq(kept_offset("g/t/4"), 99);
	/* sequence numbers go on after the replayed ones */
	store_commit("g", "t", 1, 1000, 1);
	offset_store_close(store);
	store_open();
	ck_assert_int_eq(kept_offset("g/t/1"), 1000);
}
END_TEST

START_TEST(test_store_torn_tail)
{
	store_open();
	store_commit("g", "t", 0, 1, 1);
	store_commit("g", "t", 0, 2, 1);
	offset_store_close(store);
	store = NULL;
	/* the last record half written, as a crash mid-write leaves it */
	off_t size = file_size(journal_path());
	ck_assert_int_eq(truncate(journal_path(), size - 7), 0);
	store_open();
	ck_assert_int_eq(kept_offset("g/t/0"), 1);
	ck_assert_int_eq(applied_records, 1);
	/* the tail was cut: new records follow the last good one */
	ck_assert_int_eq(file_size(journal_path()), size - (size / 2));
	store_commit("g", "t", 0, 3, 1);
	offset_store_close(store);
	/* garbage after the records is a torn tail too */
	int fd = open(journal_path(), O_WRONLY | O_APPEND);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "garbage-garbage-garbage!", 24), 24);
	close(fd);
	store_open();
	ck_assert_int_eq(kept_offset("g/t/0"), 3);
	ck_assert_int_eq(applied_records, 2);
}
END_TEST

START_TEST(test_store_corrupt)
{
	store_open();
	store_commit("g", "t", 0, 1, 1);
	offset_store_close(store);
	store = NULL;
	/* a record whose CRCs hold but whose body does not decode: a valid
	 * frame around a COMMIT body that claims one topic and stops */
	struct offset_buf buf = {0};
	offset_record_begin(&buf, OFFSET_RECORD_COMMIT, 99, "g", 1);
	ck_assert_int_eq(offset_record_end(&buf), 0);
	uint8_t *hdr = buf.bytes.data;
	uint32_t body_len = be32_get(hdr + 8);
	be32_put(hdr + OFFSET_RECORD_HEADER_BYTES + body_len - 4, 1); /* topic count */
	be32_put(hdr + 12, crc32c(hdr + OFFSET_RECORD_HEADER_BYTES, body_len));
	be32_put(hdr + 16, crc32c(hdr, 16));
	int fd = open(journal_path(), O_WRONLY | O_APPEND);
	ck_assert_int_eq(write(fd, buf.bytes.data, buf.bytes.len), (ssize_t)buf.bytes.len);
	close(fd);
	offset_buf_free(&buf);
	struct offset_store_hooks hooks = {store_apply, store_snapshot, NULL};
	ck_assert_int_eq(offset_store_open(groups_dir(), &hooks, &store), SL_ECORRUPT);
	ck_assert_ptr_null(store);
}
END_TEST

/* Copies a file; returns 0 or -1. */
static int file_copy(const char *from, const char *to)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
	return system(cmd) == 0 ? 0 : -1;
}

START_TEST(test_store_compaction)
{
	store_open();
	for (int i = 0; i < 400; i++)
		store_commit(i % 2 ? "ga" : "gb", "t", i % 3, i, 1);
	offset_store_close(store);
	/* the journal as it was before any compaction */
	char old[400], snap[400];
	snprintf(old, sizeof old, "%s/journal.before", tmp_root);
	snprintf(snap, sizeof snap, "%s/offsets.snapshot", groups_dir());
	ck_assert_int_eq(file_copy(journal_path(), old), 0);
	off_t before = file_size(journal_path());

	store_open();
	offset_store_set_compact_bytes(store, 4096);
	store_commit("ga", "t", 0, 5000, 1);
	for (int i = 0; i < 200 && offset_store_snapshots(store) == 0; i++)
		loop_for(5);
	ck_assert_uint_eq(offset_store_snapshots(store), 1);
	ck_assert_int_gt(file_size(snap), 0);
	/* the journal restarted after the snapshot */
	ck_assert_int_lt(file_size(journal_path()), before / 10);
	store_commit("gb", "t", 1, 6000, 1);
	const char *keys[6] = {"ga/t/0", "ga/t/1", "ga/t/2", "gb/t/0", "gb/t/1", "gb/t/2"};
	int64_t want[6];
	for (int i = 0; i < 6; i++)
		want[i] = kept_offset(keys[i]);
	ck_assert_int_eq(want[0], 5000);
	ck_assert_int_eq(want[4], 6000);
	offset_store_close(store);

	/* reopened: the snapshot plus the journal after it */
	store_open();
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(kept_offset(keys[i]), want[i]);
	int replayed = applied_records;
	offset_store_close(store);

	/* a crash after the snapshot's rename but before the new journal's
	 * leaves the old journal beside the new snapshot: its records are
	 * all covered and must be skipped, or ga/t/0 would go back to 399 */
	ck_assert_int_eq(file_copy(old, journal_path()), 0);
	store_open();
	ck_assert_int_eq(kept_offset("ga/t/0"), 5000);
	/* gb/t/1 as the snapshot has it (the last even i with i % 3 == 1):
	 * the 6000 after it was in the journal the crash lost */
	ck_assert_int_eq(kept_offset("gb/t/1"), 394);
	ck_assert_int_lt(applied_records, replayed);
}
END_TEST

START_TEST(test_store_snapshot_corrupt)
{
	store_open();
	offset_store_set_compact_bytes(store, 1);
	store_commit("g", "t", 0, 7, 1);
	for (int i = 0; i < 200 && offset_store_snapshots(store) == 0; i++)
		loop_for(5);
	ck_assert_uint_eq(offset_store_snapshots(store), 1);
	offset_store_close(store);
	store = NULL;
	/* one flipped bit in the snapshot's content: refuse to start rather
	 * than come up without the committed offsets */
	char snap[400];
	snprintf(snap, sizeof snap, "%s/offsets.snapshot", groups_dir());
	int fd = open(snap, O_RDWR);
	ck_assert_int_ge(fd, 0);
	uint8_t b;
	ck_assert_int_eq(pread(fd, &b, 1, OFFSET_SNAPSHOT_HEADER_BYTES + 5), 1);
	b ^= 1;
	ck_assert_int_eq(pwrite(fd, &b, 1, OFFSET_SNAPSHOT_HEADER_BYTES + 5), 1);
	close(fd);
	struct offset_store_hooks hooks = {store_apply, store_snapshot, NULL};
	ck_assert_int_eq(offset_store_open(groups_dir(), &hooks, &store), SL_ECORRUPT);
	ck_assert_ptr_null(store);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("groups");
	TCase *tc = tcase_create("coordinator");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_join_group_v0);
	tcase_add_test(tc, test_join_group_v9_sync_v5);
	tcase_add_test(tc, test_rebalance_two_members);
	tcase_add_test(tc, test_session_timeout);
	tcase_add_test(tc, test_rebalance_timeout);
	tcase_add_test(tc, test_sync_timeout);
	tcase_add_test(tc, test_static_member);
	tcase_add_test(tc, test_protocol_selection);
	tcase_add_test(tc, test_join_errors);
	tcase_add_test(tc, test_closed_while_joining);
	tcase_add_test(tc, test_find_coordinator);
	tcase_add_test(tc, test_list_and_describe);
	suite_add_tcase(s, tc);

	tc = tcase_create("offsets");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_offset_commit_v2_fetch_v1);
	tcase_add_test(tc, test_offset_commit_v8_fetch_v8);
	tcase_add_test(tc, test_offsets_durable);
	tcase_add_test(tc, test_commit_by_members);
	tcase_add_test(tc, test_metadata_too_large);
	tcase_add_test(tc, test_delete_groups);
	tcase_add_test(tc, test_offset_delete);
	tcase_add_test(tc, test_deleted_topic_offsets);
	tcase_add_test(tc, test_retention);
	suite_add_tcase(s, tc);

	tc = tcase_create("store");
	tcase_add_checked_fixture(tc, store_setup, store_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_store_reopen);
	tcase_add_test(tc, test_store_torn_tail);
	tcase_add_test(tc, test_store_corrupt);
	tcase_add_test(tc, test_store_compaction);
	tcase_add_test(tc, test_store_snapshot_corrupt);
	suite_add_tcase(s, tc);
	return s;
}
