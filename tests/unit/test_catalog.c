/*
 * Unit tests for brokerd/catalog: create, delete and lookups; reopen from
 * journal and snapshot; torn and corrupt journals; a crash between the
 * snapshot's rename and the journal's truncation; bad snapshots; a failed
 * journal write; topic config changes, partitions added to a topic (whose
 * stream ids then interleave with other topics'), broker config overrides,
 * and journals and snapshots of format version 2.  Every test works in its own temporary directory and
 * damages the files the way a crash or a bad disk would.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "brokerd/catalog/catalog.h"
#include "brokerd/catalog/catalog_record.h"
#include "brokerd/catalog/catalog_snapshot.h"
#include "brokerd/catalog/topic_config.h"
#include "common/bytes.h"
#include "common/crc32c.h"
#include "common/errors.h"
#include "tests/unit/catalog_fixture.h"
#include "tests/unit/scratch_dir.h"
#include "tests/unit/stderr_capture.h"
#include "tests/unit/unit_main.h"

/* ---- fixture: a temporary directory per test (catalog_fixture.h) ---- */

static void setup(void)
{
	catalog_fixture_setup("catalog");
}

static void teardown(void)
{
	catalog_fixture_teardown();
}

/* ---- catalog helpers ---- */

static const struct topic *create(struct catalog *cat, const char *name,
				  int32_t partitions)
{
	const struct topic *t = NULL;
	ck_assert_int_eq(catalog_topic_create(cat, name, partitions, NULL, 0,
					      &t), 0);
	ck_assert_ptr_nonnull(t);
	return t;
}

/* Every index agrees about every topic; returns the count. */
static size_t check_indexes(const struct catalog *cat)
{
	size_t n = catalog_topic_count(cat);
	for (size_t i = 0; i < n; i++) {
		const struct topic *t = catalog_topic_at(cat, i);
		ck_assert_ptr_nonnull(t);
		if (i > 0)
			ck_assert_int_lt(strcmp(catalog_topic_at(cat, i - 1)->name,
						t->name), 0);
		ck_assert_ptr_eq(catalog_topic_by_name(cat, t->name), t);
		ck_assert_ptr_eq(catalog_topic_by_id(cat, t->id), t);
		for (int32_t p = 0; p < t->partition_count; p++)
		{
			ck_assert_ptr_eq(catalog_topic_by_stream(
						 cat, topic_stream_id(t, p)),
					 t);
			ck_assert_int_eq(catalog_stream_partition(
						 cat, topic_stream_id(t, p)),
					 p);
		}
	}
	ck_assert_ptr_null(catalog_topic_at(cat, n));
	return n;
}

/* A text rendering of the whole state, for before/after comparisons. */
static char *dump(const struct catalog *cat)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	check_indexes(cat);
	fprintf(f, "generation %llu\n",
		(unsigned long long)catalog_generation(cat));
	for (size_t i = 0; i < catalog_broker_config_count(cat); i++) {
		const struct topic_config_entry *e =
			catalog_broker_config_at(cat, i);
		fprintf(f, "broker %s=%s\n", e->name, e->value);
	}
	ck_assert_ptr_null(catalog_broker_config_at(
		cat, catalog_broker_config_count(cat)));
	for (size_t i = 0; i < catalog_topic_count(cat); i++) {
		const struct topic *t = catalog_topic_at(cat, i);
		fprintf(f, "%s id=", t->name);
		for (int b = 0; b < 16; b++)
			fprintf(f, "%02x", t->id[b]);
		fprintf(f, " partitions=%d streams:", t->partition_count);
		for (int32_t p = 0; p < t->partition_count; p++)
			fprintf(f, " %llu",
				(unsigned long long)topic_stream_id(t, p));
		fprintf(f, " configs:");
		for (size_t c = 0; c < t->config_count; c++)
			fprintf(f, " %s=%s", t->configs[c].name,
				t->configs[c].value);
		fputc('\n', f);
	}
	fclose(f);
	return buf;
}

/* Closes, reopens and checks that nothing changed; returns the new one. */
static struct catalog *reopen_same(struct catalog *cat)
{
	char *before = dump(cat);
	catalog_close(cat);
	cat = cat_open();
	char *after = dump(cat);
	ck_assert_msg(!strcmp(after, before),
		      "state changed by reopen:\n%.1500s\n--- now:\n%.1500s",
		      before, after);
	free(before);
	free(after);
	return cat;
}

/* ---- create, delete, lookups ---- */

static const struct {
	const char *name;
	int32_t partitions;
} create_table[] = {
	{ "orders", 3 }, { "a", 1 }, { "zeta.events-v2", 8 },
	{ "Payments", 2 }, { "m_1", 1 },
};

#define N_CREATE (sizeof create_table / sizeof create_table[0])

START_TEST(test_create_lookup)
{
	struct catalog *cat = cat_open();
	const struct topic *made[N_CREATE];
	uint64_t next = 1;
	static const uint8_t zero[16];

	for (size_t i = 0; i < N_CREATE; i++) {
		made[i] = create(cat, create_table[i].name,
				 create_table[i].partitions);
		ck_assert_str_eq(made[i]->name, create_table[i].name);
		ck_assert_int_eq(made[i]->partition_count,
				 create_table[i].partitions);
		/* Consecutive stream ids from 1, in creation order. */
		ck_assert_uint_eq(topic_stream_id(made[i], 0), next);
		next += (uint64_t)create_table[i].partitions;
		/* UUID v4 with the RFC 4122 variant, never zero. */
		ck_assert_int_ne(memcmp(made[i]->id, zero, 16), 0);
		ck_assert_uint_eq(made[i]->id[6] >> 4, 4);
		ck_assert_uint_eq(made[i]->id[8] >> 6, 2);
		for (size_t j = 0; j < i; j++)
			ck_assert_int_ne(memcmp(made[i]->id, made[j]->id, 16),
					 0);
	}
	ck_assert_uint_eq(check_indexes(cat), N_CREATE);
	/* Name order: uppercase sorts first in byte order. */
	ck_assert_str_eq(catalog_topic_at(cat, 0)->name, "Payments");
	ck_assert_str_eq(catalog_topic_at(cat, N_CREATE - 1)->name,
			 "zeta.events-v2");

	/* Stream ids outside every topic. */
	ck_assert_ptr_null(catalog_topic_by_stream(cat, 0));
	ck_assert_ptr_null(catalog_topic_by_stream(cat, next));
	ck_assert_ptr_null(catalog_topic_by_stream(cat, UINT64_MAX));
	ck_assert_ptr_null(catalog_topic_by_name(cat, "nope"));
	ck_assert_ptr_null(catalog_topic_by_id(cat, zero));

	ck_assert_int_eq(catalog_topic_create(cat, "orders", 1, NULL, 0, NULL),
			 SL_EEXIST);
	ck_assert_int_eq(catalog_topic_delete(cat, "nope"), SL_ENOENT);

	/* Delete one in the middle of every index. */
	uint8_t id[16];
	memcpy(id, made[0]->id, 16);
	uint64_t first = topic_stream_id(made[0], 0);
	ck_assert_int_eq(catalog_topic_delete(cat, "orders"), 0);
	ck_assert_ptr_null(catalog_topic_by_name(cat, "orders"));
	ck_assert_ptr_null(catalog_topic_by_id(cat, id));
	for (uint64_t s = first; s < first + 3; s++)
		ck_assert_ptr_null(catalog_topic_by_stream(cat, s));
	ck_assert_uint_eq(check_indexes(cat), N_CREATE - 1);
	for (size_t i = 1; i < N_CREATE; i++)
		ck_assert_ptr_eq(catalog_topic_by_name(cat,
						       create_table[i].name),
				 made[i]);
	/* The name may be the topic's own (freed by the delete). */
	ck_assert_int_eq(catalog_topic_delete(cat,
					      catalog_topic_at(cat, 0)->name),
			 0);
	ck_assert_ptr_null(catalog_topic_by_name(cat, "Payments"));
	ck_assert_uint_eq(check_indexes(cat), N_CREATE - 2);
	catalog_close(cat);
}
END_TEST

static const struct topic_config_entry cfg_ok[] = {
	{ "retention.ms", "1000" }, { "cleanup.policy", "compact" },
};
static const struct topic_config_entry cfg_bad_value[] = {
	{ "retention.ms", "soon" },
};
static const struct topic_config_entry cfg_unknown[] = {
	{ "retention.hours", "1" },
};
static const struct topic_config_entry cfg_twice[] = {
	{ "retention.ms", "1000" }, { "retention.ms", "2000" },
};

static const char long_name[] =
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"; /* 248 */

static const struct {
	const char *name;
	int32_t partitions;
	const struct topic_config_entry *configs;
	size_t config_count;
	int expect;
} arg_table[] = {
	{ "ok", 1, cfg_ok, 2, 0 },
	{ long_name, 1, NULL, 0, 0 },
	{ "", 1, NULL, 0, SL_EINVAL },
	{ "p0", 0, NULL, 0, SL_EINVAL },
	{ "pneg", -4, NULL, 0, SL_EINVAL },
	{ "bad", 1, cfg_bad_value, 1, SL_EINVAL },
	{ "unknown", 1, cfg_unknown, 1, SL_EINVAL },
	{ "twice", 1, cfg_twice, 2, SL_EINVAL },
};

START_TEST(test_create_arguments)
{
	struct catalog *cat = cat_open();
	char name250[TOPIC_NAME_MAX + 2];
	memset(name250, 'b', sizeof name250 - 1);
	name250[sizeof name250 - 1] = '\0';

	ck_assert_int_eq(catalog_topic_create(cat, arg_table[_i].name,
					      arg_table[_i].partitions,
					      arg_table[_i].configs,
					      arg_table[_i].config_count, NULL),
			 arg_table[_i].expect);
	ck_assert_uint_eq(catalog_topic_count(cat),
			  arg_table[_i].expect == 0 ? 1 : 0);
	/* One past the limit never fits. */
	ck_assert_int_eq(catalog_topic_create(cat, name250, 1, NULL, 0, NULL),
			 SL_EINVAL);
	/* A refused create uses no stream ids. */
	const struct topic *t = create(cat, "after", 1);
	ck_assert_uint_eq(topic_stream_id(t, 0),
			  arg_table[_i].expect == 0 ? 2 : 1);
	catalog_close(cat);
}
END_TEST

START_TEST(test_configs_copied)
{
	struct catalog *cat = cat_open();
	char key[] = "retention.ms", value[] = "5000";
	struct topic_config_entry cfg[] = { { key, value } };
	const struct topic *t = NULL;
	ck_assert_int_eq(catalog_topic_create(cat, "c", 2, cfg, 1, &t), 0);
	/* The caller's strings may go away. */
	strcpy(value, "9999");
	ck_assert_uint_eq(t->config_count, 1);
	ck_assert_str_eq(topic_config_get(t, "retention.ms"), "5000");
	ck_assert_ptr_null(topic_config_get(t, "segment.ms"));
	catalog_close(cat);
}
END_TEST

/* ---- durability ---- */

static const struct topic_config_entry cfg_a[] = {
	{ "cleanup.policy", "compact,delete" },
	{ "max.message.bytes", "2097152" },
	{ "message.timestamp.type", "LogAppendTime" },
};

START_TEST(test_reopen_restores)
{
	struct catalog *cat = cat_open();
	uint64_t gen;
	ck_assert_uint_eq(catalog_generation(cat), 0);
	ck_assert_int_eq(catalog_bump_generation(cat, &gen), 0);
	ck_assert_uint_eq(gen, 1);
	ck_assert_int_eq(catalog_topic_create(cat, "a", 4, cfg_a, 3, NULL), 0);
	create(cat, "b", 2);
	create(cat, "c", 1);
	ck_assert_int_eq(catalog_topic_delete(cat, "b"), 0);
	ck_assert_int_eq(catalog_bump_generation(cat, &gen), 0);
	ck_assert_uint_eq(gen, 2);
	/* Everything is still only in the journal. */
	ck_assert_int_gt(file_size(journal_path), 0);

	/* First reopen replays the journal and folds it into a snapshot. */
	cat = reopen_same(cat);
	ck_assert_int_eq(file_size(journal_path), 0);
	ck_assert_int_gt(file_size(snapshot_path), 0);
	const struct topic *a = catalog_topic_by_name(cat, "a");
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->config_count, 3);
	ck_assert_str_eq(topic_config_get(a, "message.timestamp.type"),
			 "LogAppendTime");
	ck_assert_uint_eq(catalog_generation(cat), 2);

	/* Second reopen starts from the snapshot alone. */
	cat = reopen_same(cat);
	ck_assert_int_eq(catalog_bump_generation(cat, &gen), 0);
	ck_assert_uint_eq(gen, 3);
	/* Next stream id survived: a 4, b 2 (deleted), c 1 -> 8. */
	ck_assert_uint_eq(topic_stream_id(create(cat, "d", 1), 0), 8);
	cat = reopen_same(cat);
	catalog_close(cat);
}
END_TEST

START_TEST(test_stream_ids_never_reused)
{
	struct catalog *cat = cat_open();
	create(cat, "a", 3);                                 /* 1-3 */
	ck_assert_uint_eq(topic_stream_id(create(cat, "b", 2), 0), 4);
	ck_assert_int_eq(catalog_topic_delete(cat, "b"), 0); /* 4-5 gone */
	cat = reopen_same(cat);
	ck_assert_uint_eq(topic_stream_id(create(cat, "c", 1), 0), 6);
	/* Recreating a deleted name gets new ids and a new topic id. */
	ck_assert_uint_eq(topic_stream_id(create(cat, "b", 2), 0), 7);
	ck_assert_int_eq(catalog_topic_delete(cat, "a"), 0);
	ck_assert_int_eq(catalog_topic_delete(cat, "b"), 0);
	ck_assert_int_eq(catalog_topic_delete(cat, "c"), 0);
	/* No topic left: only the snapshot's state record remembers. */
	cat = reopen_same(cat);
	cat = reopen_same(cat);
	ck_assert_uint_eq(catalog_topic_count(cat), 0);
	ck_assert_uint_eq(topic_stream_id(create(cat, "d", 1), 0), 9);
	for (uint64_t s = 1; s < 9; s++)
		ck_assert_ptr_null(catalog_topic_by_stream(cat, s));
	catalog_close(cat);
}
END_TEST

/* Creates t0..t4 after the open's snapshot; ends[i] is the journal size
 * after t_i, so ends[i-1] is where t_i's record starts. */
static void five_topics(off_t ends[5])
{
	struct catalog *cat = cat_open();
	char name[8];
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof name, "t%d", i);
		create(cat, name, i + 1);
		ends[i] = file_size(journal_path);
	}
	catalog_close(cat);
}

/* Reopens (capturing the log) and checks that exactly t0..t(n-1) exist
 * with the stream ids they were created with and that the journal ends
 * by cut_at.  Returns the log. */
static char *reopen_expect(int n, off_t cut_at)
{
	stderr_capture_start();
	struct catalog *cat = NULL;
	int rc = catalog_open(cat_dir, &cat);
	char *log = stderr_capture_stop();
	ck_assert_int_eq(rc, 0);
	/* Cut (or folded into the snapshot): nothing past the damage. */
	ck_assert_int_le(file_size(journal_path), cut_at);
	ck_assert_uint_eq(check_indexes(cat), (size_t)n);
	uint64_t first = 1;
	for (int i = 0; i < 5; i++) {
		char name[8];
		snprintf(name, sizeof name, "t%d", i);
		const struct topic *t = catalog_topic_by_name(cat, name);
		if (i >= n) {
			ck_assert_ptr_null(t);
			continue;
		}
		ck_assert_ptr_nonnull(t);
		ck_assert_uint_eq(topic_stream_id(t, 0), first);
		first += (uint64_t)i + 1;
	}
	/* The cut tail is gone for good: new records follow cleanly. */
	create(cat, "after", 1);
	catalog_close(cat);
	cat = cat_open();
	ck_assert_ptr_nonnull(catalog_topic_by_name(cat, "after"));
	ck_assert_uint_eq(catalog_topic_count(cat), (size_t)n + 1);
	catalog_close(cat);
	return log;
}

enum damage { CUT, GARBAGE, FLIP };

static const struct {
	enum damage how;
	int record;  /* which record (0..4) the damage hits */
	off_t where; /* CUT: bytes of it kept; FLIP: byte within it */
	const char *garbage;
	size_t garbage_len;
	int survivors;
	const char *log; /* expected in the log */
} damage_table[] = {
	/* torn tails */
	{ CUT, 4, 1, NULL, 0, 4, "torn tail" },
	{ CUT, 4, 19, NULL, 0, 4, "short header" },
	{ CUT, 4, 21, NULL, 0, 4, "runs past the end" },
	{ CUT, 4, -1, NULL, 0, 4, "runs past the end" }, /* all but 1 */
	{ CUT, 2, 30, NULL, 0, 2, "runs past the end" },
	{ GARBAGE, 5, 0, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 22, 5,
	  "bad magic" },
	{ GARBAGE, 5, 0, "SLCJ garbage after the last record", 34, 5,
	  "bad header CRC" },
	{ GARBAGE, 5, 0, "x", 1, 5, "short header" },
	/* damage in the middle: replay stops there */
	{ FLIP, 1, 0, NULL, 0, 1, "bad magic" },
	{ FLIP, 2, 9, NULL, 0, 2, "bad header CRC" },
	{ FLIP, 2, 17, NULL, 0, 2, "bad header CRC" },
	{ FLIP, 3, 30, NULL, 0, 3, "bad body CRC" },
	{ FLIP, 0, 25, NULL, 0, 0, "bad body CRC" },
	{ FLIP, 4, 30, NULL, 0, 4, "bad body CRC" },
};

START_TEST(test_damaged_journal)
{
	off_t ends[5];
	five_topics(ends);
	int r = damage_table[_i].record;
	off_t start = r == 0 ? 0 : ends[r - 1];
	off_t where = damage_table[_i].where;

	switch (damage_table[_i].how) {
	case CUT:
		file_truncate(journal_path,
			      where >= 0 ? start + where : ends[r] + where);
		break;
	case GARBAGE:
		file_append(journal_path,
			    (const uint8_t *)damage_table[_i].garbage,
			    damage_table[_i].garbage_len);
		start = ends[4];
		break;
	case FLIP:
		file_flip(journal_path, start + where);
		break;
	}
	char *log = reopen_expect(damage_table[_i].survivors, start);
	char offset[64];
	snprintf(offset, sizeof offset, "offset %lld", (long long)start);
	ck_assert_msg(strstr(log, offset), "log lacks '%s'", offset);
	ck_assert_msg(strstr(log, damage_table[_i].log), "log lacks '%s'",
		      damage_table[_i].log);
	/* Damage before the last record is not a torn write: say so. */
	if (damage_table[_i].how == FLIP && r < 4)
		ck_assert_msg(strstr(log, "a valid record follows"),
			      "middle damage not reported as such");
	free(log);
}
END_TEST

/* Appends a record with valid CRCs; seq and type chosen by the test. */
static void append_record(uint16_t type, uint64_t seq, uint64_t value)
{
	uint8_t rec[CATALOG_RECORD_HEADER_BYTES + 16];
	uint8_t *body = rec + CATALOG_RECORD_HEADER_BYTES;
	be64_put(body, seq);
	be64_put(body + 8, value);
	be32_put(rec, CATALOG_RECORD_MAGIC);
	be16_put(rec + 4, CATALOG_RECORD_VERSION);
	be16_put(rec + 6, type);
	be32_put(rec + 8, 16);
	be32_put(rec + 12, crc32c(body, 16));
	be32_put(rec + 16, crc32c(rec, 16));
	file_append(journal_path, rec, sizeof rec);
}

/* A record whose CRCs hold but that makes no sense is not a torn write:
 * open refuses rather than dropping it and what follows. */
static const struct {
	uint16_t type;
	uint64_t seq; /* relative to the next expected sequence */
	const char *log;
} bad_record_table[] = {
	{ 99, 0, "unknown record type" },
	{ CATALOG_RECORD_GENERATION, 3, "expected" },
	{ CATALOG_RECORD_STATE, 0, "does not decode" },
};

START_TEST(test_bad_record_refused)
{
	off_t ends[5];
	five_topics(ends);
	/* Opens at sequence 0 after the first snapshot, then 5 records. */
	append_record(bad_record_table[_i].type, 6 + bad_record_table[_i].seq,
		      77);
	off_t size = file_size(journal_path);
	stderr_capture_start();
	struct catalog *cat = NULL;
	int rc = catalog_open(cat_dir, &cat);
	char *log = stderr_capture_stop();
	ck_assert_int_eq(rc, SL_ECORRUPT);
	ck_assert_ptr_null(cat);
	ck_assert_msg(strstr(log, bad_record_table[_i].log), "log lacks '%s'",
		      bad_record_table[_i].log);
	/* Nothing was cut. */
	ck_assert_int_eq(file_size(journal_path), size);
	free(log);
}
END_TEST

START_TEST(test_snapshot_every)
{
	struct catalog *cat = cat_open();
	catalog_set_snapshot_every(cat, 7);
	uint64_t gen;
	for (int i = 1; i <= 23; i++) {
		ck_assert_int_eq(catalog_bump_generation(cat, &gen), 0);
		/* A generation record is 20 + 16 bytes. */
		ck_assert_int_eq(file_size(journal_path), (i % 7) * 36);
	}
	cat = reopen_same(cat);
	ck_assert_uint_eq(catalog_generation(cat), 23);
	catalog_close(cat);
}
END_TEST

/* Many mixed changes across several automatic and one forced snapshot,
 * then reopen: the snapshot and the journal tail together give it all. */
START_TEST(test_snapshot_and_journal)
{
	struct catalog *cat = cat_open();
	catalog_set_snapshot_every(cat, 10);
	char name[32];
	uint64_t gen, next = 1;
	int alive = 0;
	for (int i = 0; i < 137; i++) {
		snprintf(name, sizeof name, "topic-%03d", i);
		ck_assert_uint_eq(topic_stream_id(create(cat, name, 1 + i % 4), 0),
				  next);
		next += 1 + (uint64_t)(i % 4);
		alive++;
		if (i % 3 == 2) {
			snprintf(name, sizeof name, "topic-%03d", i - 1);
			ck_assert_int_eq(catalog_topic_delete(cat, name), 0);
			alive--;
		}
		if (i % 11 == 0)
			ck_assert_int_eq(catalog_bump_generation(cat, &gen), 0);
		if (i == 70)
			ck_assert_int_eq(catalog_snapshot(cat), 0);
	}
	ck_assert_int_gt(file_size(journal_path), 0);
	ck_assert_uint_eq(catalog_topic_count(cat), (size_t)alive);
	cat = reopen_same(cat);
	ck_assert_uint_eq(topic_stream_id(create(cat, "last", 1), 0), next);
	catalog_close(cat);
}
END_TEST

/* Journal and snapshot as they stand after the sequence below: the
 * journal before the forced snapshot, the snapshot it wrote, the record of
 * the create that followed, and the state dumps at both points. */
struct crash_files {
	uint8_t *journal, *snapshot, *c_record;
	size_t journal_len, snapshot_len, c_len;
	char *state, *state_c;
};

static void crash_files_make(struct crash_files *cf)
{
	struct catalog *cat = cat_open();
	uint64_t gen;
	create(cat, "a", 2);                                 /* 1-2 */
	create(cat, "b", 3);                                 /* 3-5 */
	ck_assert_int_eq(catalog_topic_delete(cat, "a"), 0);
	create(cat, "a", 1);                                 /* 6 */
	ck_assert_int_eq(catalog_bump_generation(cat, &gen), 0);
	cf->journal = file_read(journal_path, &cf->journal_len);
	ck_assert_uint_gt(cf->journal_len, 0);
	cf->state = dump(cat);
	ck_assert_int_eq(catalog_snapshot(cat), 0);
	ck_assert_int_eq(file_size(journal_path), 0);
	cf->snapshot = file_read(snapshot_path, &cf->snapshot_len);
	create(cat, "c", 1);                                 /* 7 */
	cf->c_record = file_read(journal_path, &cf->c_len);
	cf->state_c = dump(cat);
	/* Closing writes no snapshot: the files stay as they are. */
	catalog_close(cat);
}

static void crash_files_free(struct crash_files *cf)
{
	free(cf->journal);
	free(cf->snapshot);
	free(cf->c_record);
	free(cf->state);
	free(cf->state_c);
}

/* Opens and checks the state equals want. */
static struct catalog *open_expect(const char *want)
{
	struct catalog *cat = cat_open();
	char *got = dump(cat);
	ck_assert_msg(!strcmp(got, want),
		      "wanted:\n%.1500s\n--- got:\n%.1500s", want, got);
	free(got);
	return cat;
}

/* The process died after the snapshot's rename, before the journal was
 * truncated: every journal record is already in the snapshot.  Replaying
 * any of them again would fail (topic "a" is created, deleted and created
 * again) or hand out stream ids twice. */
START_TEST(test_crash_before_truncation)
{
	struct crash_files cf;
	crash_files_make(&cf);
	file_write(snapshot_path, cf.snapshot, cf.snapshot_len);
	file_write(journal_path, cf.journal, cf.journal_len);
	struct catalog *cat = open_expect(cf.state);
	ck_assert_uint_eq(topic_stream_id(create(cat, "c", 1), 0), 7);
	ck_assert_uint_eq(catalog_generation(cat), 1);
	catalog_close(cat);
	crash_files_free(&cf);
}
END_TEST

/* The truncation failed at run time and brokerd went on: new records
 * follow the old ones in the journal.  Only the new ones apply. */
START_TEST(test_truncation_failed)
{
	struct crash_files cf;
	crash_files_make(&cf);
	file_write(snapshot_path, cf.snapshot, cf.snapshot_len);
	file_write(journal_path, cf.journal, cf.journal_len);
	file_append(journal_path, cf.c_record, cf.c_len);
	struct catalog *cat = open_expect(cf.state_c);
	ck_assert_uint_eq(topic_stream_id(create(cat, "d", 1), 0), 8);
	catalog_close(cat);
	crash_files_free(&cf);
}
END_TEST

enum snap_damage { SNAP_FLIP, SNAP_CUT, SNAP_APPEND, SNAP_REMOVE };

static const struct {
	enum snap_damage how;
	off_t where; /* FLIP: byte; CUT: new size (negative: from the end) */
	const char *log;
} snapshot_table[] = {
	{ SNAP_FLIP, 40, "bad content CRC" },
	{ SNAP_FLIP, -1, "bad content CRC" },
	{ SNAP_FLIP, 0, "bad magic" },
	{ SNAP_FLIP, 9, "bad header CRC" },
	{ SNAP_FLIP, 21, "bad header CRC" },
	{ SNAP_CUT, 0, "shorter than its header" },
	{ SNAP_CUT, 23, "shorter than its header" },
	{ SNAP_CUT, -1, "length does not match" },
	{ SNAP_APPEND, 0, "length does not match" },
	/* Without the snapshot the journal starts mid-history. */
	{ SNAP_REMOVE, 0, "do not belong together" },
};

START_TEST(test_bad_snapshot)
{
	struct catalog *cat = cat_open();
	create(cat, "a", 1);
	create(cat, "b", 2);
	ck_assert_int_eq(catalog_snapshot(cat), 0);
	create(cat, "c", 1);
	catalog_close(cat);
	off_t size = file_size(snapshot_path);
	off_t where = snapshot_table[_i].where;
	if (where < 0)
		where += size;
	switch (snapshot_table[_i].how) {
	case SNAP_FLIP:
		file_flip(snapshot_path, where);
		break;
	case SNAP_CUT:
		file_truncate(snapshot_path, where);
		break;
	case SNAP_APPEND:
		file_append(snapshot_path, (const uint8_t *)"x", 1);
		break;
	case SNAP_REMOVE:
		ck_assert_int_eq(unlink(snapshot_path), 0);
		break;
	}
	off_t journal = file_size(journal_path);
	stderr_capture_start();
	cat = NULL;
	int rc = catalog_open(cat_dir, &cat);
	char *log = stderr_capture_stop();
	/* Never silently start empty or from half the history. */
	ck_assert_int_eq(rc, SL_ECORRUPT);
	ck_assert_ptr_null(cat);
	ck_assert_msg(strstr(log, snapshot_table[_i].log), "log lacks '%s'",
		      snapshot_table[_i].log);
	ck_assert_int_eq(file_size(journal_path), journal);
	free(log);
}
END_TEST

/* A failed journal write (here: the file size limit) changes nothing in
 * memory, leaves no partial record, and the catalog recovers after. */
START_TEST(test_write_failure)
{
	struct catalog *cat = cat_open();
	create(cat, "a", 2);
	off_t size = file_size(journal_path);
	struct rlimit old, lim;
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_IGN);
	lim = old;
	/* Room for part of a record: a short write, then EFBIG. */
	lim.rlim_cur = (rlim_t)size + 10;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);

	uint64_t gen = 99;
	stderr_capture_start();
	int rc_create = catalog_topic_create(cat, "b", 1, NULL, 0, NULL);
	int rc_gen = catalog_bump_generation(cat, &gen);
	int rc_delete = catalog_topic_delete(cat, "a");
	char *log = stderr_capture_stop();
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);

	ck_assert_int_eq(rc_create, SL_EIO);
	ck_assert_int_eq(rc_gen, SL_EIO);
	ck_assert_int_eq(rc_delete, SL_EIO);
	ck_assert_uint_eq(gen, 99);
	ck_assert_uint_eq(catalog_generation(cat), 0);
	ck_assert_ptr_null(catalog_topic_by_name(cat, "b"));
	ck_assert_ptr_nonnull(catalog_topic_by_name(cat, "a"));
	ck_assert_uint_eq(check_indexes(cat), 1);
	ck_assert_int_eq(file_size(journal_path), size);
	ck_assert_msg(strstr(log, journal_path), "log lacks the path");
	ck_assert_msg(strstr(log, strerror(EFBIG)), "log lacks the errno");
	free(log);

	/* The failed create used no stream ids. */
	ck_assert_uint_eq(topic_stream_id(create(cat, "b", 1), 0), 3);
	ck_assert_int_eq(catalog_bump_generation(cat, &gen), 0);
	ck_assert_uint_eq(gen, 1);
	cat = reopen_same(cat);
	catalog_close(cat);
}
END_TEST

START_TEST(test_second_writer_refused)
{
	struct catalog *cat = cat_open();
	struct catalog *other = NULL;
	stderr_capture_start();
	int rc = catalog_open(cat_dir, &other);
	char *log = stderr_capture_stop();
	ck_assert_int_eq(rc, SL_EIO);
	ck_assert_ptr_null(other);
	ck_assert_ptr_nonnull(strstr(log, "another brokerd"));
	free(log);
	catalog_close(cat);
}
END_TEST

/* A temp file left by a crash mid-snapshot is ignored and removed. */
START_TEST(test_stale_temp_snapshot)
{
	struct catalog *cat = cat_open();
	create(cat, "a", 1);
	catalog_close(cat);
	char tmp[400];
	snprintf(tmp, sizeof tmp, "%s.tmp", snapshot_path);
	file_write(tmp, (const uint8_t *)"half a snapshot", 15);
	cat = cat_open();
	ck_assert_ptr_nonnull(catalog_topic_by_name(cat, "a"));
	ck_assert_int_eq(file_size(tmp), -1);
	catalog_close(cat);
}
END_TEST

/* ---- topic configs, added partitions, broker configs ---- */

static const struct topic_config_entry cfg_new[] = {
	{ "retention.ms", "60000" }, { "cleanup.policy", "compact,delete" },
};

START_TEST(test_set_configs)
{
	struct catalog *cat = cat_open();
	ck_assert_int_eq(catalog_topic_create(cat, "a", 2, cfg_a, 3, NULL), 0);
	create(cat, "b", 1);
	const struct topic *a = catalog_topic_by_name(cat, "a");
	ck_assert_int_eq(catalog_topic_set_configs(cat, "a", cfg_new, 2), 0);
	/* In force at once, on the same topic object. */
	ck_assert_ptr_eq(catalog_topic_by_name(cat, "a"), a);
	ck_assert_uint_eq(a->config_count, 2);
	ck_assert_str_eq(topic_config_get(a, "retention.ms"), "60000");
	ck_assert_ptr_null(topic_config_get(a, "max.message.bytes"));
	ck_assert(topic_config_list_contains(a, "cleanup.policy", "compact"));
	ck_assert_int_eq(topic_config_int(a, "retention.ms"), 60000);
	/* Refusals change nothing. */
	ck_assert_int_eq(catalog_topic_set_configs(cat, "nope", cfg_new, 2),
			 SL_ENOENT);
	ck_assert_int_eq(catalog_topic_set_configs(cat, "a", cfg_bad_value, 1),
			 SL_EINVAL);
	ck_assert_int_eq(catalog_topic_set_configs(cat, "a", cfg_unknown, 1),
			 SL_EINVAL);
	ck_assert_int_eq(catalog_topic_set_configs(cat, "a", cfg_twice, 2),
			 SL_EINVAL);
	ck_assert_str_eq(topic_config_get(a, "retention.ms"), "60000");
	/* Replayed from the journal, then from the snapshot. */
	cat = reopen_same(cat);
	a = catalog_topic_by_name(cat, "a");
	ck_assert_str_eq(topic_config_get(a, "cleanup.policy"),
			 "compact,delete");
	cat = reopen_same(cat);
	/* An empty set returns every key to its default. */
	ck_assert_int_eq(catalog_topic_set_configs(cat, "b", cfg_new, 1), 0);
	ck_assert_int_eq(catalog_topic_set_configs(cat, "a", NULL, 0), 0);
	a = catalog_topic_by_name(cat, "a");
	ck_assert_uint_eq(a->config_count, 0);
	ck_assert_int_eq(topic_config_int(a, "retention.ms"), 604800000);
	cat = reopen_same(cat);
	ck_assert_uint_eq(catalog_topic_by_name(cat, "a")->config_count, 0);
	ck_assert_str_eq(topic_config_get(catalog_topic_by_name(cat, "b"),
					  "retention.ms"),
			 "60000");
	catalog_close(cat);
}
END_TEST

/* Checks t's stream ids against want[0..n). */
static void expect_streams(const struct catalog *cat, const char *name,
			   const uint64_t *want, int32_t n)
{
	const struct topic *t = catalog_topic_by_name(cat, name);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->partition_count, n);
	for (int32_t p = 0; p < n; p++) {
		ck_assert_uint_eq(topic_stream_id(t, p), want[p]);
		ck_assert_ptr_eq(catalog_topic_by_stream(cat, want[p]), t);
		ck_assert_int_eq(catalog_stream_partition(cat, want[p]), p);
	}
}

START_TEST(test_add_partitions)
{
	struct catalog *cat = cat_open();
	create(cat, "a", 2);                                 /* 1-2 */
	create(cat, "b", 2);                                 /* 3-4 */
	const struct topic *a = catalog_topic_by_name(cat, "a");
	ck_assert_int_eq(catalog_topic_add_partitions(cat, "a", 4), 0);
	ck_assert_ptr_eq(catalog_topic_by_name(cat, "a"), a);
	static const uint64_t a4[] = { 1, 2, 5, 6 }, b2[] = { 3, 4 };
	expect_streams(cat, "a", a4, 4);
	expect_streams(cat, "b", b2, 2);
	ck_assert_int_eq(catalog_stream_partition(cat, 7), -1);
	ck_assert_ptr_null(catalog_topic_by_stream(cat, 7));
	/* Not an increase, or no such topic: nothing changes. */
	ck_assert_int_eq(catalog_topic_add_partitions(cat, "a", 4), SL_EINVAL);
	ck_assert_int_eq(catalog_topic_add_partitions(cat, "a", 1), SL_EINVAL);
	ck_assert_int_eq(catalog_topic_add_partitions(cat, "x", 9), SL_ENOENT);
	ck_assert_uint_eq(check_indexes(cat), 2);
	/* More for b: its ids interleave with a's. */
	ck_assert_int_eq(catalog_topic_add_partitions(cat, "b", 3), 0);
	static const uint64_t b3[] = { 3, 4, 7 };
	expect_streams(cat, "b", b3, 3);
	/* Journal replay, then the snapshot, whose topics' ids interleave. */
	cat = reopen_same(cat);
	cat = reopen_same(cat);
	expect_streams(cat, "a", a4, 4);
	expect_streams(cat, "b", b3, 3);
	ck_assert_uint_eq(topic_stream_id(create(cat, "c", 1), 0), 8);
	/* Deleting a topic forgets all its streams, wherever they are. */
	ck_assert_int_eq(catalog_topic_delete(cat, "a"), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_ptr_null(catalog_topic_by_stream(cat, a4[i]));
	expect_streams(cat, "b", b3, 3);
	ck_assert_uint_eq(check_indexes(cat), 2);
	cat = reopen_same(cat);
	ck_assert_int_eq(catalog_topic_add_partitions(cat, "c", 2), 0);
	static const uint64_t c2[] = { 8, 9 };
	expect_streams(cat, "c", c2, 2);
	cat = reopen_same(cat);
	catalog_close(cat);
}
END_TEST

/* A new partition's stream takes uploads like any other; the deleted
 * topic's partitions, added or not, count as deleted streams. */
START_TEST(test_add_partitions_objects)
{
	struct catalog *cat = cat_open();
	create(cat, "a", 1);                                 /* 1 */
	create(cat, "b", 1);                                 /* 2 */
	ck_assert_int_eq(catalog_topic_add_partitions(cat, "a", 2), 0); /* 3 */
	struct catalog_object obj = {
		.id = 0x77, .size = 200, .wal_start = 0, .wal_end = 4096,
		.block_count = 2,
	};
	struct catalog_block blocks[2] = {
		{ .stream_id = 1, .start_offset = 0, .end_offset = 3,
		  .record_count = 3, .object_id = 0x77, .size = 100 },
		{ .stream_id = 3, .start_offset = 0, .end_offset = 5,
		  .record_count = 5, .object_id = 0x77, .position = 100,
		  .size = 100 },
	};
	ck_assert_int_eq(catalog_commit_upload(cat, &obj, blocks, 2, NULL), 0);
	ck_assert_int_eq(catalog_stream_end(cat, 3), 5);
	ck_assert_int_eq(catalog_set_log_start(cat, 3, 2), 0);
	cat = reopen_same(cat);
	ck_assert_int_eq(catalog_stream_end(cat, 3), 5);
	ck_assert_int_eq(catalog_stream_log_start(cat, 3), 2);
	ck_assert_int_eq(catalog_topic_delete(cat, "a"), 0);
	ck_assert_int_eq(catalog_stream_is_deleted(cat, 3), 1);
	ck_assert_int_eq(catalog_stream_is_deleted(cat, 2), 0);
	ck_assert_uint_eq(catalog_dead_stream_next(cat, 1), 3);
	cat = reopen_same(cat);
	ck_assert_uint_eq(catalog_dead_stream_next(cat, 0), 1);
	catalog_close(cat);
}
END_TEST

static const struct topic_config_entry broker_a[] = {
	{ "log.level", "debug" }, { "message.max.bytes", "2097152" },
};

START_TEST(test_broker_configs)
{
	struct catalog *cat = cat_open();
	ck_assert_uint_eq(catalog_broker_config_count(cat), 0);
	ck_assert_ptr_null(catalog_broker_config_at(cat, 0));
	ck_assert_int_eq(catalog_broker_configs_set(cat, broker_a, 2), 0);
	ck_assert_uint_eq(catalog_broker_config_count(cat), 2);
	ck_assert_str_eq(catalog_broker_config_at(cat, 1)->value, "2097152");
	/* Refusals change nothing. */
	static const struct topic_config_entry twice[] = {
		{ "log.level", "debug" }, { "log.level", "info" },
	};
	static const struct topic_config_entry null_value[] = {
		{ "log.level", NULL },
	};
	static const struct topic_config_entry empty_key[] = { { "", "1" } };
	ck_assert_int_eq(catalog_broker_configs_set(cat, twice, 2), SL_EINVAL);
	ck_assert_int_eq(catalog_broker_configs_set(cat, null_value, 1),
			 SL_EINVAL);
	ck_assert_int_eq(catalog_broker_configs_set(cat, empty_key, 1),
			 SL_EINVAL);
	ck_assert_uint_eq(catalog_broker_config_count(cat), 2);
	/* The caller's strings may go away. */
	char key[] = "region.ms", value[] = "250";
	struct topic_config_entry mine[] = { { key, value } };
	cat = reopen_same(cat);
	cat = reopen_same(cat);
	ck_assert_int_eq(catalog_broker_configs_set(cat, mine, 1), 0);
	strcpy(value, "999");
	ck_assert_str_eq(catalog_broker_config_at(cat, 0)->value, "250");
	cat = reopen_same(cat);
	ck_assert_uint_eq(catalog_broker_config_count(cat), 1);
	ck_assert_int_eq(catalog_broker_configs_set(cat, NULL, 0), 0);
	cat = reopen_same(cat);
	cat = reopen_same(cat);
	ck_assert_uint_eq(catalog_broker_config_count(cat), 0);
	catalog_close(cat);
}
END_TEST

/* One change of each new kind after the open's snapshot; each is cut in
 * turn, as a crash mid-write would leave it: the ones before survive. */
enum admin_change { AC_CONFIGS, AC_PARTITIONS, AC_BROKER, AC_COUNT };

static void admin_change(struct catalog *cat, enum admin_change c)
{
	switch (c) {
	case AC_CONFIGS:
		ck_assert_int_eq(catalog_topic_set_configs(cat, "a", cfg_new, 2),
				 0);
		break;
	case AC_PARTITIONS:
		ck_assert_int_eq(catalog_topic_add_partitions(cat, "a", 3), 0);
		break;
	case AC_BROKER:
		ck_assert_int_eq(catalog_broker_configs_set(cat, broker_a, 2),
				 0);
		break;
	case AC_COUNT:
		break;
	}
}

START_TEST(test_admin_torn_tail)
{
	/* Reference states after 0..3 changes, and where each record ends. */
	char *states[AC_COUNT + 1];
	off_t ends[AC_COUNT];
	struct catalog *cat = cat_open();
	create(cat, "a", 1);
	create(cat, "b", 1);
	ck_assert_int_eq(catalog_snapshot(cat), 0);
	states[0] = dump(cat);
	for (int c = 0; c < AC_COUNT; c++) {
		admin_change(cat, (enum admin_change)c);
		ends[c] = file_size(journal_path);
		states[c + 1] = dump(cat);
	}
	catalog_close(cat);
	int victim = _i / 2;
	off_t start = victim ? ends[victim - 1] : 0;
	/* cut within the header, or within the body */
	file_truncate(journal_path, start + (_i % 2 ? 25 : 7));
	stderr_capture_start();
	cat = NULL;
	int rc = catalog_open(cat_dir, &cat);
	char *log = stderr_capture_stop();
	ck_assert_int_eq(rc, 0);
	char *got = dump(cat);
	ck_assert_msg(!strcmp(got, states[victim]),
		      "wanted:\n%.1500s\n--- got:\n%.1500s", states[victim],
		      got);
	ck_assert_msg(strstr(log, "torn"), "the cut is not logged");
	/* The change can be made again and stays. */
	admin_change(cat, (enum admin_change)victim);
	cat = reopen_same(cat);
	catalog_close(cat);
	free(got);
	free(log);
	for (int c = 0; c <= AC_COUNT; c++)
		free(states[c]);
}
END_TEST

/* A failed journal write of each new change leaves memory as it was. */
START_TEST(test_admin_write_failure)
{
	struct catalog *cat = cat_open();
	create(cat, "a", 1);
	create(cat, "b", 1);
	char *before = dump(cat);
	off_t size = file_size(journal_path);
	struct rlimit old, lim;
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = (rlim_t)size + 10;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	stderr_capture_start();
	int rc_cfg = catalog_topic_set_configs(cat, "a", cfg_new, 2);
	int rc_part = catalog_topic_add_partitions(cat, "a", 5);
	int rc_broker = catalog_broker_configs_set(cat, broker_a, 2);
	free(stderr_capture_stop());
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	ck_assert_int_eq(rc_cfg, SL_EIO);
	ck_assert_int_eq(rc_part, SL_EIO);
	ck_assert_int_eq(rc_broker, SL_EIO);
	char *after = dump(cat);
	ck_assert_str_eq(after, before);
	ck_assert_int_eq(file_size(journal_path), size);
	/* The failed add used no stream ids. */
	ck_assert_int_eq(catalog_topic_add_partitions(cat, "a", 2), 0);
	ck_assert_uint_eq(topic_stream_id(catalog_topic_by_name(cat, "a"), 1),
			  3);
	cat = reopen_same(cat);
	catalog_close(cat);
	free(before);
	free(after);
}
END_TEST

/* Frames body (len bytes) as a record of the given version and type. */
static size_t frame_record(uint8_t *rec, uint16_t version, uint16_t type,
			   size_t len)
{
	const uint8_t *body = rec + CATALOG_RECORD_HEADER_BYTES;
	be32_put(rec, CATALOG_RECORD_MAGIC);
	be16_put(rec + 4, version);
	be16_put(rec + 6, type);
	be32_put(rec + 8, (uint32_t)len);
	be32_put(rec + 12, crc32c(body, len));
	be32_put(rec + 16, crc32c(rec, 16));
	return CATALOG_RECORD_HEADER_BYTES + len;
}

/* A version 2 TOPIC_CREATE: consecutive stream ids from first. */
static size_t v2_topic_create(uint8_t *rec, uint64_t seq, uint8_t id0,
			      uint64_t first, int32_t partitions,
			      const char *name)
{
	uint8_t *body = rec + CATALOG_RECORD_HEADER_BYTES;
	size_t nlen = strlen(name);
	memset(body, 0, 16 + 8 + 8 + 4 + 2 + nlen + 4 + 1);
	be64_put(body, seq);
	body[8] = id0;
	body[8 + 6] = 0x40;
	be64_put(body + 24, first);
	be32_put(body + 32, (uint32_t)partitions);
	be16_put(body + 36, (uint16_t)nlen);
	memcpy(body + 38, name, nlen);
	be32_put(body + 38 + nlen, 1); /* one config */
	uint8_t *p = body + 42 + nlen;
	be16_put(p, 12);
	memcpy(p + 2, "retention.ms", 12);
	be32_put(p + 14, 4);
	memcpy(p + 18, "1000", 4);
	return frame_record(rec, 2, CATALOG_RECORD_TOPIC_CREATE,
			    (size_t)(p + 22 - body));
}

/* A journal written by the version 2 catalog replays into per-partition
 * stream ids, and new partitions continue after it. */
START_TEST(test_v2_journal)
{
	struct catalog *cat = cat_open(); /* seq 0, snapshot written */
	catalog_close(cat);
	uint8_t rec[512];
	size_t n = v2_topic_create(rec, 1, 0x11, 1, 3, "old");
	file_append(journal_path, rec, n);
	n = v2_topic_create(rec, 2, 0x22, 4, 2, "older");
	file_append(journal_path, rec, n);
	cat = cat_open();
	static const uint64_t old3[] = { 1, 2, 3 }, older2[] = { 4, 5 };
	expect_streams(cat, "old", old3, 3);
	expect_streams(cat, "older", older2, 2);
	ck_assert_str_eq(topic_config_get(catalog_topic_by_name(cat, "old"),
					  "retention.ms"),
			 "1000");
	ck_assert_int_eq(catalog_topic_add_partitions(cat, "old", 4), 0);
	static const uint64_t old4[] = { 1, 2, 3, 6 };
	expect_streams(cat, "old", old4, 4);
	cat = reopen_same(cat);
	catalog_close(cat);

	/* Version 2 frames cannot carry the version 3 record types. */
	static const uint16_t v3_types[] = {
		CATALOG_RECORD_TOPIC_CONFIG, CATALOG_RECORD_PARTITIONS,
		CATALOG_RECORD_BROKER_CONFIG,
	};
	for (size_t i = 0; i < 3; i++) {
		memset(rec, 0, sizeof rec);
		n = frame_record(rec, 2, v3_types[i], 64);
		struct catalog_record parsed;
		size_t used;
		const char *why = NULL;
		ck_assert_int_eq(catalog_record_parse(rec, n, &parsed, &used,
						      &why),
				 CATALOG_RECORD_BAD);
		ck_assert_str_eq(why,
				 "record type not in format versions 1 and 2");
	}
}
END_TEST

/* Version 3 records whose content contradicts itself are refused, not
 * taken for torn writes. */
START_TEST(test_v3_bad_content)
{
	struct topic_config_entry none[1];
	uint64_t ids[] = { 5, 5 };
	struct topic t = { .partition_count = 2, .stream_ids = ids };
	strcpy(t.name, "x");
	struct catalog_record rec = {
		.type = CATALOG_RECORD_TOPIC_CREATE, .seq = 1, .topic = &t,
	};
	struct byte_buf buf = { 0 };
	ck_assert_int_eq(catalog_record_encode(&buf, &rec), 0);
	/* stream ids that do not ascend */
	struct catalog_record parsed;
	size_t used;
	const char *why = NULL;
	ck_assert_int_eq(catalog_record_parse(buf.data, buf.len, &parsed,
					      &used, &why),
			 CATALOG_RECORD_BAD);
	byte_buf_free(&buf);
	/* partitions that do not grow */
	t.partition_count = 1;
	rec = (struct catalog_record){
		.type = CATALOG_RECORD_PARTITIONS, .seq = 1, .topic = &t,
		.partitions_before = 1, .first_new_stream = 9,
	};
	ck_assert_int_eq(catalog_record_encode(&buf, &rec), 0);
	ck_assert_int_eq(catalog_record_parse(buf.data, buf.len, &parsed,
					      &used, &why),
			 CATALOG_RECORD_BAD);
	byte_buf_free(&buf);
	/* a broker config with an empty key */
	none[0].name = (char *)"";
	none[0].value = (char *)"v";
	rec = (struct catalog_record){
		.type = CATALOG_RECORD_BROKER_CONFIG, .seq = 1,
		.entries = none, .entry_count = 1,
	};
	ck_assert_int_eq(catalog_record_encode(&buf, &rec), 0);
	ck_assert_int_eq(catalog_record_parse(buf.data, buf.len, &parsed,
					      &used, &why),
			 CATALOG_RECORD_BAD);
	byte_buf_free(&buf);
	/* and the well-formed ones parse back */
	t.partition_count = 3;
	rec = (struct catalog_record){
		.type = CATALOG_RECORD_PARTITIONS, .seq = 1, .topic = &t,
		.partitions_before = 1, .first_new_stream = 9,
	};
	ck_assert_int_eq(catalog_record_encode(&buf, &rec), 0);
	ck_assert_int_eq(catalog_record_parse(buf.data, buf.len, &parsed,
					      &used, &why),
			 CATALOG_RECORD_OK);
	ck_assert_uint_eq(used, buf.len);
	ck_assert_int_eq(parsed.partitions_before, 1);
	ck_assert_int_eq(parsed.topic->partition_count, 3);
	ck_assert_uint_eq(parsed.first_new_stream, 9);
	ck_assert_str_eq(parsed.topic->name, "x");
	catalog_record_clear(&parsed);
	byte_buf_free(&buf);
	rec = (struct catalog_record){
		.type = CATALOG_RECORD_BROKER_CONFIG, .seq = 1,
		.entries = (struct topic_config_entry *)broker_a,
		.entry_count = 2,
	};
	ck_assert_int_eq(catalog_record_encode(&buf, &rec), 0);
	ck_assert_int_eq(catalog_record_parse(buf.data, buf.len, &parsed,
					      &used, &why),
			 CATALOG_RECORD_OK);
	ck_assert_uint_eq(parsed.entry_count, 2);
	ck_assert_str_eq(parsed.entries[0].name, "log.level");
	ck_assert_str_eq(parsed.entries[1].value, "2097152");
	catalog_record_clear(&parsed);
	byte_buf_free(&buf);
}
END_TEST

/* ---- suite ---- */

Suite *unit_suite(void)
{
	Suite *s = suite_create("catalog");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_create_lookup);
	tcase_add_loop_test(tc, test_create_arguments, 0,
			    sizeof arg_table / sizeof arg_table[0]);
	tcase_add_test(tc, test_configs_copied);
	tcase_add_test(tc, test_reopen_restores);
	tcase_add_test(tc, test_stream_ids_never_reused);
	tcase_add_loop_test(tc, test_damaged_journal, 0,
			    sizeof damage_table / sizeof damage_table[0]);
	tcase_add_loop_test(tc, test_bad_record_refused, 0,
			    sizeof bad_record_table / sizeof bad_record_table[0]);
	tcase_add_test(tc, test_snapshot_every);
	tcase_add_test(tc, test_snapshot_and_journal);
	tcase_add_test(tc, test_crash_before_truncation);
	tcase_add_test(tc, test_truncation_failed);
	tcase_add_loop_test(tc, test_bad_snapshot, 0,
			    sizeof snapshot_table / sizeof snapshot_table[0]);
	tcase_add_test(tc, test_write_failure);
	tcase_add_test(tc, test_second_writer_refused);
	tcase_add_test(tc, test_stale_temp_snapshot);
	suite_add_tcase(s, tc);

	tc = tcase_create("admin");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_set_configs);
	tcase_add_test(tc, test_add_partitions);
	tcase_add_test(tc, test_add_partitions_objects);
	tcase_add_test(tc, test_broker_configs);
	tcase_add_loop_test(tc, test_admin_torn_tail, 0, 2 * AC_COUNT);
	tcase_add_test(tc, test_admin_write_failure);
	tcase_add_test(tc, test_v2_journal);
	tcase_add_test(tc, test_v3_bad_content);
	suite_add_tcase(s, tc);
	return s;
}
