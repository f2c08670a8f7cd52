/*
 * Unit tests for the catalog's object storage state (brokerd/catalog/
 * catalog_objects.c and its journal and snapshot records): uploads in
 * order, every fencing refusal leaving state and journal untouched,
 * idempotent repeats, replace and forget, log start offsets, lookups at the
 * edges, reopen from journal and snapshot, snapshot bytes restored into an
 * empty directory, version 1 snapshots, torn and replayed journal records
 * of the new types, damaged snapshot content, and memory per block.
 */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "brokerd/catalog/catalog.h"
#include "brokerd/catalog/catalog_objects.h"
#include "brokerd/catalog/catalog_record.h"
#include "brokerd/catalog/catalog_snapshot.h"
#include "common/bytes.h"
#include "common/crc32c.h"
#include "common/errors.h"
#include "tests/unit/catalog_fixture.h"
#include "tests/unit/scratch_dir.h"
#include "tests/unit/stderr_capture.h"
#include "tests/unit/unit_main.h"

/* ---- fixture: a temporary directory per test (catalog_fixture.h) ---- */

/* Where a snapshot's bytes are restored: beside the catalog. */
static char other_dir[300];

static void setup(void)
{
	catalog_fixture_setup("catobj");
	snprintf(other_dir, sizeof other_dir, "%s/restored", tmp_root);
}

static void teardown(void)
{
	catalog_fixture_teardown();
}

/* ---- building proposals ---- */

struct span {
	uint64_t stream;
	int64_t start, end;
};

#define MAX_BLOCKS 16

/* An object and its blocks, built from spans. */
struct proposal {
	struct catalog_object obj;
	struct catalog_block blocks[MAX_BLOCKS];
	size_t n;
};

/* Fills p with object id holding spans (terminated by a zero stream), each
 * a 100-byte block at consecutive positions, with values derived from the
 * span so that any field mixed up shows in a dump. */
static void proposal_make(struct proposal *p, uint64_t id, uint64_t wal_start,
			  uint64_t wal_end, const struct span *spans)
{
	memset(p, 0, sizeof *p);
	for (p->n = 0; spans[p->n].stream; p->n++) {
		ck_assert_uint_lt(p->n, MAX_BLOCKS);
		const struct span *s = &spans[p->n];
		p->blocks[p->n] = (struct catalog_block){
			.stream_id = s->stream,
			.start_offset = s->start,
			.end_offset = s->end,
			.max_timestamp = 1700000000000 + s->end,
			.record_count = (uint64_t)(s->end - s->start),
			.object_id = id,
			.position = p->n * 100,
			.size = 100,
			.crc = (uint32_t)(id * 7919 + s->stream * 31 +
					  (uint64_t)s->start),
		};
	}
	p->obj = (struct catalog_object){
		.id = id,
		.size = p->n * 100 + 48,
		.wal_start = wal_start,
		.wal_end = wal_end,
		.created_ms = 1700000000000 + (int64_t)id,
		.block_count = (uint32_t)p->n,
		.flags = wal_end ? 1 : 0,
	};
}

static int upload_try(struct catalog *cat, uint64_t id, uint64_t wal_start,
		      uint64_t wal_end, const struct span *spans, int *already)
{
	struct proposal p;
	proposal_make(&p, id, wal_start, wal_end, spans);
	return catalog_commit_upload(cat, &p.obj, p.blocks, p.n, already);
}

/* Commits an upload that must succeed as new. */
static void upload(struct catalog *cat, uint64_t id, uint64_t wal_start,
		   uint64_t wal_end, const struct span *spans)
{
	int already = -1;
	ck_assert_int_eq(upload_try(cat, id, wal_start, wal_end, spans,
				    &already), 0);
	ck_assert_int_eq(already, 0);
	ck_assert_uint_eq(catalog_uploaded_end(cat), wal_end);
}

/* Outputs of a replace: up to 3 objects, blocks concatenated. */
struct outputs {
	struct catalog_object objs[3];
	struct catalog_block blocks[3 * MAX_BLOCKS];
	size_t n_objs, n_blocks;
};

static void outputs_add(struct outputs *o, uint64_t id,
			const struct span *spans)
{
	struct proposal p;
	proposal_make(&p, id, 0, 0, spans);
	o->objs[o->n_objs++] = p.obj;
	memcpy(o->blocks + o->n_blocks, p.blocks, p.n * sizeof *p.blocks);
	o->n_blocks += p.n;
}

static int replace(struct catalog *cat, const uint64_t *in, size_t n_in,
		   const struct outputs *o)
{
	return catalog_replace_objects(cat, in, n_in, o->objs, o->n_objs,
				       o->blocks, o->n_blocks);
}

/* ---- catalog helpers ---- */

static void topic(struct catalog *cat, const char *name, int32_t partitions)
{
	ck_assert_int_eq(catalog_topic_create(cat, name, partitions, NULL, 0,
					      NULL), 0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static void dump_block(FILE *f, const struct catalog_block *b)
{
	fprintf(f, "  [%" PRId64 ",%" PRId64 ") obj=%" PRIx64 " ts=%" PRId64
		   " rc=%" PRIu64 " pos=%" PRIu64 " size=%u crc=%08x\n",
		b->start_offset, b->end_offset, b->object_id, b->max_timestamp,
		b->record_count, b->position, b->size, b->crc);
}

/* A text rendering of the whole state (topics and object storage), for
 * before/after comparisons; also checks the lookups agree. */
static char *dump(const struct catalog *cat)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fprintf(f, "generation %" PRIu64 " uploaded %" PRIu64 "\n",
		catalog_generation(cat), catalog_uploaded_end(cat));
	for (size_t i = 0; i < catalog_topic_count(cat); i++) {
		const struct topic *t = catalog_topic_at(cat, i);
		fprintf(f, "topic %s first=%" PRIu64 " partitions=%d\n",
			t->name, topic_stream_id(t, 0), t->partition_count);
	}
	size_t n = catalog_object_count(cat);
	uint64_t *ids = malloc((n + 1) * sizeof *ids);
	for (size_t i = 0; i < n; i++)
		ids[i] = catalog_object_at(cat, i)->id;
	ck_assert_ptr_null(catalog_object_at(cat, n));
	qsort(ids, n, sizeof *ids, cmp_u64);
	for (size_t i = 0; i < n; i++) {
		const struct catalog_object *o = catalog_object_by_id(cat,
								      ids[i]);
		ck_assert_ptr_nonnull(o);
		ck_assert_uint_eq(o->id, ids[i]);
		if (i > 0)
			ck_assert_uint_ne(ids[i], ids[i - 1]);
		int64_t when = 0;
		int retired = catalog_object_is_retired(cat, ids[i], &when);
		ck_assert_int_ge(retired, 0);
		fprintf(f, "object %" PRIx64 " size=%" PRIu64 " wal=[%" PRIu64
			   ",%" PRIu64 ") created=%" PRId64 " blocks=%u "
			   "flags=%u retired=%d at %" PRId64 "\n",
			o->id, o->size, o->wal_start, o->wal_end,
			o->created_ms, o->block_count, o->flags, retired,
			retired ? when : 0);
	}
	free(ids);
	for (uint64_t s = 1; s < catalog_next_stream_id(cat); s++) {
		size_t nb;
		const struct catalog_block *b = catalog_stream_blocks(cat, s,
								      &nb);
		fprintf(f, "stream %" PRIu64 " end=%" PRId64 " start=%" PRId64
			   " deleted=%d blocks=%zu\n",
			s, catalog_stream_end(cat, s),
			catalog_stream_log_start(cat, s),
			catalog_stream_is_deleted(cat, s), nb);
		for (size_t i = 0; i < nb; i++) {
			dump_block(f, &b[i]);
			ck_assert_uint_eq(b[i].stream_id, s);
			if (i > 0)
				ck_assert_int_ge(b[i].start_offset,
						 b[i - 1].end_offset);
			/* Every live block belongs to a live object. */
			ck_assert_int_eq(catalog_object_is_retired(
						 cat, b[i].object_id, NULL),
					 0);
		}
	}
	for (uint64_t s = catalog_dead_stream_next(cat, 0); s;
	     s = catalog_dead_stream_next(cat, s))
		fprintf(f, "dead stream %" PRIu64 "\n", s);
	fclose(f);
	return buf;
}

static void assert_same(const char *want, const char *got)
{
	ck_assert_msg(!strcmp(want, got), "wanted:\n%.3000s\n--- got:\n%.3000s",
		      want, got);
}

/* Closes, reopens and checks that nothing changed; returns the new one. */
static struct catalog *reopen_same(struct catalog *cat)
{
	char *before = dump(cat);
	catalog_close(cat);
	cat = cat_open();
	char *after = dump(cat);
	assert_same(before, after);
	free(before);
	free(after);
	return cat;
}

/* Topics a (streams 1, 2) and b (stream 3); object 0x10 for WAL [0, 100)
 * holding stream 1 [0, 20) in two blocks and stream 3 [0, 5). */
static const struct span base_spans[] = {
	{ 1, 0, 10 }, { 1, 10, 20 }, { 3, 0, 5 }, { 0, 0, 0 },
};

static struct catalog *base_state(void)
{
	struct catalog *cat = cat_open();
	topic(cat, "a", 2);
	topic(cat, "b", 1);
	upload(cat, 0x10, 0, 100, base_spans);
	return cat;
}

/* ---- uploads ---- */

START_TEST(test_upload_in_order)
{
	struct catalog *cat = base_state();
	ck_assert_uint_eq(catalog_object_count(cat), 1);
	ck_assert_int_eq(catalog_stream_end(cat, 1), 20);
	ck_assert_int_eq(catalog_stream_end(cat, 2), 0);
	ck_assert_int_eq(catalog_stream_end(cat, 3), 5);
	ck_assert_int_eq(catalog_stream_end(cat, 99), 0);
	size_t n;
	const struct catalog_block *b = catalog_stream_blocks(cat, 1, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(b[1].start_offset, 10);
	ck_assert_uint_eq(b[1].position, 100);
	ck_assert_ptr_null(catalog_stream_blocks(cat, 2, &n));
	ck_assert_uint_eq(n, 0);
	const struct catalog_object *o = catalog_object_by_id(cat, 0x10);
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(o->wal_end, 100);
	ck_assert_uint_eq(o->block_count, 3);
	ck_assert_int_eq(catalog_object_is_retired(cat, 0x10, NULL), 0);
	ck_assert_int_eq(catalog_object_is_retired(cat, 0x11, NULL),
			 SL_ENOENT);
	ck_assert_ptr_null(catalog_object_by_id(cat, 0x11));

	static const struct span next[] = {
		{ 1, 20, 30 }, { 2, 0, 8 }, { 3, 5, 9 }, { 0, 0, 0 },
	};
	off_t before = file_size(journal_path);
	upload(cat, 0x11, 100, 250, next);
	/* One record per commit, synced before the call returned. */
	ck_assert_int_gt(file_size(journal_path), before);
	ck_assert_int_eq(catalog_stream_end(cat, 1), 30);
	ck_assert_int_eq(catalog_stream_end(cat, 2), 8);
	ck_assert_int_eq(catalog_stream_end(cat, 3), 9);
	b = catalog_stream_blocks(cat, 3, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(b[0].object_id, 0x10);
	ck_assert_uint_eq(b[1].object_id, 0x11);
	ck_assert_uint_eq(catalog_object_count(cat), 2);
	cat = reopen_same(cat);
	catalog_close(cat);
}
END_TEST

/* Mutations of a valid next upload (object 0x11 for WAL [100, 200):
 * stream 1 [20, 30), stream 2 [0, 8), stream 3 [5, 9)). */
enum upload_bad {
	UP_WAL_BEHIND, UP_WAL_GAP, UP_STREAM_GAP, UP_STREAM_OVERLAP,
	UP_NEW_STREAM_NOT_0, UP_ID_REUSED, UP_EMPTY_WAL, UP_OTHER_OBJECT,
	UP_OUTSIDE_OBJECT, UP_UNSORTED, UP_UNKNOWN_STREAM, UP_NO_RECORDS,
	UP_COUNT_MISMATCH, UP_EMPTY_BLOCK, UP_ID_ZERO, UP_INNER_GAP,
	UP_INNER_OVERLAP, UP_TOO_MANY_RECORDS, UP_N
};

static const struct {
	enum upload_bad what;
	int expect;
	const char *log;
} upload_bad_table[] = {
	{ UP_WAL_BEHIND, SL_ESTALE, "uploaded end is 100" },
	{ UP_WAL_GAP, SL_ESTALE, "WAL range starts at 101" },
	{ UP_STREAM_GAP, SL_ESTALE,
	  "stream 1 starts at 21, the stream ends at 20" },
	{ UP_STREAM_OVERLAP, SL_ESTALE, "starts at 19" },
	{ UP_NEW_STREAM_NOT_0, SL_ESTALE, "stream 2 starts at 1" },
	{ UP_ID_REUSED, SL_ESTALE, "already in the catalog" },
	{ UP_EMPTY_WAL, SL_EINVAL, "empty WAL range" },
	{ UP_OTHER_OBJECT, SL_EINVAL, "names another object" },
	{ UP_OUTSIDE_OBJECT, SL_EINVAL, "outside the object" },
	{ UP_UNSORTED, SL_EINVAL, "out of order" },
	{ UP_UNKNOWN_STREAM, SL_EINVAL, "never handed out" },
	{ UP_NO_RECORDS, SL_EINVAL, "record count" },
	{ UP_COUNT_MISMATCH, SL_EINVAL, "block count" },
	{ UP_EMPTY_BLOCK, SL_EINVAL, "empty or negative" },
	{ UP_ID_ZERO, SL_EINVAL, "object id 0" },
	{ UP_INNER_GAP, SL_ESTALE, "starts at 31, the stream ends at 30" },
	{ UP_INNER_OVERLAP, SL_EINVAL, "overlaps" },
	{ UP_TOO_MANY_RECORDS, SL_EINVAL, "record count" },
};

START_TEST(test_upload_refused)
{
	ck_assert_uint_eq(sizeof upload_bad_table / sizeof upload_bad_table[0],
			  UP_N);
	struct catalog *cat = base_state();
	static const struct span next[] = {
		{ 1, 20, 30 }, { 2, 0, 8 }, { 3, 5, 9 }, { 0, 0, 0 },
	};
	struct proposal p;
	proposal_make(&p, 0x11, 100, 200, next);
	switch (upload_bad_table[_i].what) {
	case UP_WAL_BEHIND: p.obj.wal_start = 99; break;
	case UP_WAL_GAP: p.obj.wal_start = 101; break;
	case UP_STREAM_GAP:
		p.blocks[0].start_offset = 21;
		p.blocks[0].record_count = 9;
		break;
	case UP_STREAM_OVERLAP: p.blocks[0].start_offset = 19; break;
	case UP_NEW_STREAM_NOT_0:
		p.blocks[1].start_offset = 1;
		p.blocks[1].record_count = 7;
		break;
	case UP_ID_REUSED:
		p.obj.id = 0x10;
		for (size_t i = 0; i < p.n; i++)
			p.blocks[i].object_id = 0x10;
		break;
	case UP_EMPTY_WAL: p.obj.wal_end = 100; break;
	case UP_OTHER_OBJECT: p.blocks[2].object_id = 0x10; break;
	case UP_OUTSIDE_OBJECT: p.blocks[2].position = p.obj.size - 99; break;
	case UP_UNSORTED: {
		struct catalog_block t = p.blocks[0];
		p.blocks[0] = p.blocks[1];
		p.blocks[1] = t;
		break;
	}
	case UP_UNKNOWN_STREAM: p.blocks[2].stream_id = 4; break;
	case UP_NO_RECORDS: p.blocks[1].record_count = 0; break;
	case UP_COUNT_MISMATCH: p.obj.block_count = 2; break;
	case UP_EMPTY_BLOCK: p.blocks[1].end_offset = 0; break;
	case UP_ID_ZERO:
		p.obj.id = 0;
		for (size_t i = 0; i < p.n; i++)
			p.blocks[i].object_id = 0;
		break;
	case UP_INNER_GAP:
	case UP_INNER_OVERLAP:
		/* A second block of stream 1 after [20, 30). */
		memmove(p.blocks + 2, p.blocks + 1, 2 * sizeof *p.blocks);
		p.blocks[1] = p.blocks[0];
		p.blocks[1].start_offset =
			upload_bad_table[_i].what == UP_INNER_GAP ? 31 : 25;
		p.blocks[1].end_offset = 40;
		p.blocks[1].record_count = 5;
		p.n++;
		p.obj.block_count++;
		break;
	case UP_TOO_MANY_RECORDS: p.blocks[0].record_count = 11; break;
	case UP_N: break;
	}
	char *before = dump(cat);
	off_t size = file_size(journal_path);
	int already = -1;
	stderr_capture_start();
	int rc = catalog_commit_upload(cat, &p.obj, p.blocks, p.n, &already);
	char *log = stderr_capture_stop();
	ck_assert_int_eq(rc, upload_bad_table[_i].expect);
	ck_assert_int_eq(already, 0);
	ck_assert_msg(strstr(log, upload_bad_table[_i].log), "log lacks '%s'",
		      upload_bad_table[_i].log);
	ck_assert_msg(strstr(log, "refused"), "refusal not logged");
	/* Nothing changed, nothing was journaled. */
	ck_assert_int_eq(file_size(journal_path), size);
	char *after = dump(cat);
	assert_same(before, after);
	free(after);
	/* Nor after a reopen. */
	cat = reopen_same(cat);
	after = dump(cat);
	assert_same(before, after);
	/* The valid proposal still goes through. */
	upload(cat, 0x11, 100, 200, next);
	free(before);
	free(after);
	free(log);
	catalog_close(cat);
}
END_TEST

/* More blocks than one journal record holds: refused up front. */
START_TEST(test_upload_too_big)
{
	struct catalog *cat = base_state();
	size_t n = CATALOG_RECORD_MAX_BODY / CATALOG_RECORD_BLOCK_BYTES;
	struct catalog_block *b = calloc(n, sizeof *b);
	for (size_t i = 0; i < n; i++)
		b[i] = (struct catalog_block){
			.stream_id = 2, .start_offset = (int64_t)i,
			.end_offset = (int64_t)i + 1, .record_count = 1,
			.object_id = 0x11, .position = i, .size = 1,
		};
	struct catalog_object o = {
		.id = 0x11, .size = n, .wal_start = 100, .wal_end = 200,
		.block_count = (uint32_t)n,
	};
	off_t size = file_size(journal_path);
	stderr_capture_start();
	int rc = catalog_commit_upload(cat, &o, b, n, NULL);
	char *log = stderr_capture_stop();
	ck_assert_int_eq(rc, SL_EINVAL);
	ck_assert_ptr_nonnull(strstr(log, "do not fit one journal record"));
	ck_assert_int_eq(file_size(journal_path), size);
	ck_assert_int_eq(catalog_stream_end(cat, 2), 0);
	/* One block fewer fits. */
	o.block_count--;
	ck_assert_int_eq(catalog_commit_upload(cat, &o, b, n - 1, NULL), 0);
	ck_assert_int_eq(catalog_stream_end(cat, 2), (int64_t)n - 1);
	cat = reopen_same(cat);
	free(b);
	free(log);
	catalog_close(cat);
}
END_TEST

START_TEST(test_upload_idempotent)
{
	struct catalog *cat = base_state();
	off_t size = file_size(journal_path);
	char *before = dump(cat);
	int already = 0;
	/* The answer was lost: uploaderd asks again. */
	ck_assert_int_eq(upload_try(cat, 0x10, 0, 100, base_spans, &already),
			 0);
	ck_assert_int_eq(already, 1);
	ck_assert_int_eq(file_size(journal_path), size);
	char *after = dump(cat);
	assert_same(before, after);
	free(after);
	/* A NULL already is fine. */
	ck_assert_int_eq(upload_try(cat, 0x10, 0, 100, base_spans, NULL), 0);
	/* Still so after a restart of brokerd. */
	cat = reopen_same(cat);
	already = 0;
	ck_assert_int_eq(upload_try(cat, 0x10, 0, 100, base_spans, &already),
			 0);
	ck_assert_int_eq(already, 1);
	/* The same object for another range is not a repeat. */
	already = -1;
	ck_assert_int_eq(upload_try(cat, 0x10, 100, 200, base_spans, &already),
			 SL_ESTALE);
	ck_assert_int_eq(already, 0);
	/* And once compaction retired it, a late repeat still holds. */
	struct outputs o = { 0 };
	static const struct span all[] = {
		{ 1, 0, 20 }, { 3, 0, 5 }, { 0, 0, 0 },
	};
	outputs_add(&o, 0x20, all);
	uint64_t in = 0x10;
	ck_assert_int_eq(replace(cat, &in, 1, &o), 0);
	already = 0;
	ck_assert_int_eq(upload_try(cat, 0x10, 0, 100, base_spans, &already),
			 0);
	ck_assert_int_eq(already, 1);
	free(before);
	catalog_close(cat);
}
END_TEST

/* ---- replace and forget ---- */

/* base_state, then 0x11 for WAL [100, 200) (stream 1 [20, 30), stream 2
 * [0, 8), stream 3 [5, 9)), 0x12 for [200, 300) (stream 1 [30, 40)), and
 * 0x12 already compacted into 0x13, so 0x12 is retired. */
static struct catalog *replace_base(void)
{
	struct catalog *cat = base_state();
	static const struct span s11[] = {
		{ 1, 20, 30 }, { 2, 0, 8 }, { 3, 5, 9 }, { 0, 0, 0 },
	};
	static const struct span s12[] = { { 1, 30, 40 }, { 0, 0, 0 } };
	upload(cat, 0x11, 100, 200, s11);
	upload(cat, 0x12, 200, 300, s12);
	struct outputs o = { 0 };
	outputs_add(&o, 0x13, s12);
	uint64_t in = 0x12;
	ck_assert_int_eq(replace(cat, &in, 1, &o), 0);
	return cat;
}

/* The valid replace of 0x10 and 0x11: a per-stream object for stream 1
 * and a stream-set object for streams 2 and 3. */
static const struct span out20[] = { { 1, 0, 10 }, { 1, 10, 30 }, { 0, 0, 0 } };
static const struct span out21[] = { { 2, 0, 8 }, { 3, 0, 9 }, { 0, 0, 0 } };

START_TEST(test_replace)
{
	struct catalog *cat = replace_base();
	int64_t t0;
	ck_assert_int_eq(catalog_object_is_retired(cat, 0x12, &t0), 1);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	ck_assert_int_le(t0, now);
	ck_assert_int_gt(t0, now - 60000);

	struct outputs o = { 0 };
	outputs_add(&o, 0x20, out20);
	outputs_add(&o, 0x21, out21);
	uint64_t in[] = { 0x11, 0x10 };
	ck_assert_int_eq(replace(cat, in, 2, &o), 0);

	ck_assert_int_eq(catalog_object_is_retired(cat, 0x10, NULL), 1);
	ck_assert_int_eq(catalog_object_is_retired(cat, 0x11, NULL), 1);
	ck_assert_int_eq(catalog_object_is_retired(cat, 0x20, NULL), 0);
	ck_assert_uint_eq(catalog_object_count(cat), 6);
	size_t n;
	const struct catalog_block *b = catalog_stream_blocks(cat, 1, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(b[0].object_id, 0x20);
	ck_assert_int_eq(b[1].start_offset, 10);
	ck_assert_int_eq(b[1].end_offset, 30);
	ck_assert_uint_eq(b[2].object_id, 0x13);
	b = catalog_stream_blocks(cat, 3, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(b[0].object_id, 0x21);
	ck_assert_int_eq(b[0].end_offset, 9);
	/* Ends and the uploaded end do not move. */
	ck_assert_int_eq(catalog_stream_end(cat, 1), 40);
	ck_assert_int_eq(catalog_stream_end(cat, 3), 9);
	ck_assert_uint_eq(catalog_uploaded_end(cat), 300);

	/* compactd lost the answer and asks again. */
	char *before = dump(cat);
	off_t size = file_size(journal_path);
	ck_assert_int_eq(replace(cat, in, 2, &o), 0);
	ck_assert_int_eq(file_size(journal_path), size);
	char *after = dump(cat);
	assert_same(before, after);
	free(before);
	free(after);

	/* Merge again across what the first replace produced. */
	struct outputs m = { 0 };
	static const struct span all1[] = { { 1, 0, 40 }, { 0, 0, 0 } };
	outputs_add(&m, 0x30, all1);
	uint64_t in2[] = { 0x20, 0x13 };
	ck_assert_int_eq(replace(cat, in2, 2, &m), 0);
	b = catalog_stream_blocks(cat, 1, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(b[0].object_id, 0x30);
	/* 0x20 also held nothing else: no stream list left behind. */
	ck_assert_uint_eq(catalog_stream_blocks(cat, 2, &n)->object_id, 0x21);
	cat = reopen_same(cat);
	catalog_close(cat);
}
END_TEST

enum replace_bad {
	RB_INPUT_UNKNOWN, RB_INPUT_RETIRED, RB_OUTPUT_KNOWN, RB_PAST_INPUTS,
	RB_PAST_STREAM_END, RB_OUTPUTS_OVERLAP, RB_OUTPUT_WAL, RB_COUNT,
	RB_NO_INPUTS, RB_INPUT_TWICE, RB_OUTPUT_TWICE, RB_STREAM_NOT_IN_INPUTS,
	RB_ACROSS_OTHER_OBJECT, RB_BLOCK_OTHER_OBJECT, RB_DROPS_STREAM,
	RB_DROPS_TAIL, RB_N
};

static const struct {
	enum replace_bad what;
	int expect;
	const char *log;
} replace_bad_table[] = {
	{ RB_INPUT_UNKNOWN, SL_ESTALE, "input 0000000000000099 is not a live" },
	{ RB_INPUT_RETIRED, SL_ESTALE, "input 0000000000000012 is not a live" },
	{ RB_OUTPUT_KNOWN, SL_ESTALE, "output 0000000000000013 is already" },
	{ RB_PAST_INPUTS, SL_ESTALE, "[10, 31) of stream 1 holds offsets" },
	{ RB_PAST_STREAM_END, SL_ESTALE, "[0, 9) of stream 2 holds offsets" },
	{ RB_OUTPUTS_OVERLAP, SL_EINVAL, "stream 1 overlap at offset 25" },
	{ RB_OUTPUT_WAL, SL_EINVAL, "claims a WAL range" },
	{ RB_COUNT, SL_EINVAL, "block count does not match" },
	{ RB_NO_INPUTS, SL_EINVAL, "no input objects" },
	{ RB_INPUT_TWICE, SL_EINVAL, "input 0000000000000010 named twice" },
	{ RB_OUTPUT_TWICE, SL_EINVAL, "output 0000000000000020 named twice" },
	{ RB_STREAM_NOT_IN_INPUTS, SL_ESTALE, "of stream 2 holds offsets" },
	{ RB_ACROSS_OTHER_OBJECT, SL_ESTALE, "[0, 40) of stream 1 holds" },
	{ RB_BLOCK_OTHER_OBJECT, SL_EINVAL, "names another object" },
	{ RB_DROPS_STREAM, SL_ESTALE, "leave out offsets of stream 3 from 0" },
	{ RB_DROPS_TAIL, SL_ESTALE, "leave out offsets of stream 1 from 20" },
};

START_TEST(test_replace_refused)
{
	ck_assert_uint_eq(sizeof replace_bad_table /
				  sizeof replace_bad_table[0], RB_N);
	struct catalog *cat = replace_base();
	struct outputs o = { 0 };
	uint64_t in[3] = { 0x10, 0x11, 0 };
	size_t n_in = 2;
	outputs_add(&o, 0x20, out20);
	outputs_add(&o, 0x21, out21);
	switch (replace_bad_table[_i].what) {
	case RB_INPUT_UNKNOWN: in[n_in++] = 0x99; break;
	case RB_INPUT_RETIRED: in[n_in++] = 0x12; break;
	case RB_OUTPUT_KNOWN: {
		o.objs[1].id = 0x13;
		for (size_t i = 2; i < 4; i++)
			o.blocks[i].object_id = 0x13;
		break;
	}
	case RB_PAST_INPUTS: o.blocks[1].end_offset = 31; break;
	case RB_PAST_STREAM_END: o.blocks[2].end_offset = 9; break;
	case RB_OUTPUTS_OVERLAP: {
		/* 0x21 also holds stream 1 [25, 28), inside 0x20's. */
		o = (struct outputs){ 0 };
		static const struct span bad21[] = {
			{ 1, 25, 28 }, { 2, 0, 8 }, { 3, 0, 9 }, { 0, 0, 0 },
		};
		outputs_add(&o, 0x20, out20);
		outputs_add(&o, 0x21, bad21);
		break;
	}
	case RB_OUTPUT_WAL: o.objs[0].wal_end = 100; break;
	case RB_COUNT: o.objs[1].block_count = 1; break;
	case RB_NO_INPUTS: n_in = 0; break;
	case RB_INPUT_TWICE: in[n_in++] = 0x10; break;
	case RB_OUTPUT_TWICE: {
		o.objs[1].id = 0x20;
		for (size_t i = 2; i < 4; i++)
			o.blocks[i].object_id = 0x20;
		break;
	}
	case RB_STREAM_NOT_IN_INPUTS: {
		/* Only 0x10 (streams 1 and 3) goes in. */
		n_in = 1;
		o = (struct outputs){ 0 };
		static const struct span s1[] = { { 1, 0, 20 }, { 0, 0, 0 } };
		static const struct span s23[] = {
			{ 2, 0, 8 }, { 3, 0, 5 }, { 0, 0, 0 },
		};
		outputs_add(&o, 0x20, s1);
		outputs_add(&o, 0x21, s23);
		break;
	}
	case RB_ACROSS_OTHER_OBJECT: {
		/* 0x10 and 0x13 hold stream 1 [0, 20) and [30, 40); 0x11
		 * (not an input) holds [20, 30) between them. */
		in[0] = 0x10;
		in[1] = 0x13;
		o = (struct outputs){ 0 };
		static const struct span s1[] = {
			{ 1, 0, 40 }, { 3, 0, 5 }, { 0, 0, 0 },
		};
		outputs_add(&o, 0x20, s1);
		break;
	}
	case RB_BLOCK_OTHER_OBJECT: o.blocks[3].object_id = 0x20; break;
	case RB_DROPS_STREAM:
		/* Topic b is live and not compacted: stream 3 must stay. */
		o.n_blocks--;
		o.objs[1].block_count--;
		break;
	case RB_DROPS_TAIL: {
		o = (struct outputs){ 0 };
		static const struct span s1[] = {
			{ 1, 0, 10 }, { 1, 10, 20 }, { 0, 0, 0 },
		};
		outputs_add(&o, 0x20, s1);
		outputs_add(&o, 0x21, out21);
		break;
	}
	case RB_N: break;
	}
	char *before = dump(cat);
	off_t size = file_size(journal_path);
	stderr_capture_start();
	int rc = replace(cat, in, n_in, &o);
	char *log = stderr_capture_stop();
	ck_assert_int_eq(rc, replace_bad_table[_i].expect);
	ck_assert_msg(strstr(log, replace_bad_table[_i].log), "log lacks '%s'",
		      replace_bad_table[_i].log);
	ck_assert_int_eq(file_size(journal_path), size);
	char *after = dump(cat);
	assert_same(before, after);
	free(after);
	cat = reopen_same(cat);
	/* The valid replace still goes through. */
	o = (struct outputs){ 0 };
	outputs_add(&o, 0x20, out20);
	outputs_add(&o, 0x21, out21);
	uint64_t good[] = { 0x10, 0x11 };
	ck_assert_int_eq(replace(cat, good, 2, &o), 0);
	free(before);
	free(log);
	catalog_close(cat);
}
END_TEST

/* Retention and a deleted topic: outputs drop what lies below the log
 * start and a deleted topic's whole stream. */
START_TEST(test_replace_drops)
{
	struct catalog *cat = replace_base();
	ck_assert_int_eq(catalog_set_log_start(cat, 1, 25), 0);
	ck_assert_int_eq(catalog_topic_delete(cat, "b"), 0); /* stream 3 */
	ck_assert_int_eq(catalog_stream_is_deleted(cat, 3), 1);
	ck_assert_int_eq(catalog_stream_is_deleted(cat, 1), 0);
	ck_assert_int_eq(catalog_stream_is_deleted(cat, 4), 0);
	/* The deleted topic's blocks stay until compactd drops them. */
	ck_assert_int_eq(catalog_stream_end(cat, 3), 9);
	ck_assert_uint_eq(catalog_dead_stream_next(cat, 0), 3);
	ck_assert_uint_eq(catalog_dead_stream_next(cat, 3), 0);
	ck_assert_uint_eq(catalog_dead_stream_next(cat, UINT64_MAX), 0);
	cat = reopen_same(cat);

	/* Stream 1 keeps only [20, 30) (the block holding 25), stream 2 all,
	 * stream 3 nothing. */
	struct outputs o = { 0 };
	static const struct span kept[] = {
		{ 1, 20, 30 }, { 2, 0, 8 }, { 0, 0, 0 },
	};
	outputs_add(&o, 0x20, kept);
	uint64_t in[] = { 0x10, 0x11 };
	ck_assert_int_eq(replace(cat, in, 2, &o), 0);
	size_t n;
	const struct catalog_block *b = catalog_stream_blocks(cat, 1, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(b[0].start_offset, 20);
	ck_assert_uint_eq(b[1].object_id, 0x13);
	ck_assert_ptr_null(catalog_stream_blocks(cat, 3, &n));
	ck_assert_uint_eq(catalog_dead_stream_next(cat, 0), 0);
	/* The emptied dead stream is gone; late WAL data of it is still
	 * accepted wherever it starts, and the live streams stay fenced. */
	ck_assert_int_eq(catalog_stream_end(cat, 3), 0);
	static const struct span late[] = {
		{ 1, 40, 45 }, { 3, 9, 12 }, { 0, 0, 0 },
	};
	upload(cat, 0x14, 300, 400, late);
	ck_assert_uint_eq(catalog_dead_stream_next(cat, 0), 3);
	cat = reopen_same(cat);
	/* Once stream 3 holds blocks again it is fenced like any other. */
	static const struct span later[] = { { 3, 13, 14 }, { 0, 0, 0 } };
	ck_assert_int_eq(upload_try(cat, 0x15, 400, 500, later, NULL),
			 SL_ESTALE);
	static const struct span later_ok[] = { { 3, 12, 14 }, { 0, 0, 0 } };
	upload(cat, 0x15, 400, 500, later_ok);
	/* Retention drops a whole object: no outputs at all, once nothing
	 * in it is at or above a log start. */
	uint64_t gone = 0x20;
	ck_assert_int_eq(catalog_set_log_start(cat, 2, 8), 0);
	ck_assert_int_eq(catalog_replace_objects(cat, &gone, 1, NULL, 0, NULL,
						 0), SL_ESTALE);
	ck_assert_int_eq(catalog_set_log_start(cat, 1, 30), 0);
	ck_assert_int_eq(catalog_replace_objects(cat, &gone, 1, NULL, 0, NULL,
						 0), 0);
	ck_assert_ptr_null(catalog_stream_blocks(cat, 2, &n));
	ck_assert_int_eq(catalog_stream_end(cat, 2), 8);
	/* A live stream emptied keeps its end: the next upload continues. */
	static const struct span s2[] = { { 2, 8, 10 }, { 0, 0, 0 } };
	upload(cat, 0x16, 500, 600, s2);
	cat = reopen_same(cat);
	catalog_close(cat);
}
END_TEST

START_TEST(test_forget)
{
	struct catalog *cat = replace_base();
	uint64_t live = 0x10, retired = 0x12, both[] = { 0x12, 0x10 };
	char *before = dump(cat);
	off_t size = file_size(journal_path);
	stderr_capture_start();
	ck_assert_int_eq(catalog_forget_objects(cat, &live, 1), SL_ESTALE);
	ck_assert_int_eq(catalog_forget_objects(cat, both, 2), SL_ESTALE);
	char *log = stderr_capture_stop();
	ck_assert_ptr_nonnull(strstr(log, "object 0000000000000010 is live"));
	ck_assert_int_eq(file_size(journal_path), size);
	char *after = dump(cat);
	assert_same(before, after);
	free(after);

	ck_assert_int_eq(catalog_forget_objects(cat, &retired, 1), 0);
	ck_assert_ptr_null(catalog_object_by_id(cat, 0x12));
	ck_assert_int_eq(catalog_object_is_retired(cat, 0x12, NULL),
			 SL_ENOENT);
	ck_assert_uint_eq(catalog_object_count(cat), 3);
	/* The others are all still found after the move in the array. */
	ck_assert_ptr_nonnull(catalog_object_by_id(cat, 0x10));
	ck_assert_ptr_nonnull(catalog_object_by_id(cat, 0x11));
	ck_assert_ptr_nonnull(catalog_object_by_id(cat, 0x13));
	/* A repeat is fine and journals nothing. */
	size = file_size(journal_path);
	ck_assert_int_eq(catalog_forget_objects(cat, &retired, 1), 0);
	ck_assert_int_eq(file_size(journal_path), size);
	cat = reopen_same(cat);
	ck_assert_ptr_null(catalog_object_by_id(cat, 0x12));
	free(before);
	free(log);
	catalog_close(cat);
}
END_TEST

/* Many objects through the hash: adds, retires and forgets in an order
 * that exercises backward-shift deletion, then every lookup checked. */
START_TEST(test_many_objects)
{
	struct catalog *cat = cat_open();
	topic(cat, "a", 1);
	catalog_set_snapshot_every(cat, 50);
	enum { N = 300 };
	for (int i = 0; i < N; i++) {
		struct span s[] = { { 1, i, i + 1 }, { 0, 0, 0 } };
		/* Ids that collide in low bits. */
		upload(cat, (uint64_t)(i + 1) << 20, (uint64_t)i * 10,
		       (uint64_t)i * 10 + 10, s);
	}
	/* Merge each run of 3 into one, then forget the odd inputs. */
	for (int i = 0; i + 3 <= N; i += 3) {
		uint64_t in[3];
		for (int k = 0; k < 3; k++)
			in[k] = (uint64_t)(i + k + 1) << 20;
		struct outputs o = { 0 };
		struct span s[] = { { 1, i, i + 3 }, { 0, 0, 0 } };
		outputs_add(&o, 0x1000000000ull + (uint64_t)i, s);
		ck_assert_int_eq(replace(cat, in, 3, &o), 0);
	}
	for (int i = 0; i < N; i += 2) {
		uint64_t id = (uint64_t)(i + 1) << 20;
		ck_assert_int_eq(catalog_forget_objects(cat, &id, 1), 0);
	}
	for (int i = 0; i < N; i++) {
		uint64_t id = (uint64_t)(i + 1) << 20;
		const struct catalog_object *o = catalog_object_by_id(cat, id);
		if (i % 2 == 0) {
			ck_assert_ptr_null(o);
			continue;
		}
		ck_assert_ptr_nonnull(o);
		ck_assert_uint_eq(o->wal_start, (uint64_t)i * 10);
		ck_assert_int_eq(catalog_object_is_retired(cat, id, NULL), 1);
	}
	ck_assert_uint_eq(catalog_object_count(cat), N / 2 + N / 3);
	size_t n;
	catalog_stream_blocks(cat, 1, &n);
	ck_assert_uint_eq(n, N / 3);
	for (int64_t off = 0; off < N; off++)
		ck_assert_int_eq(catalog_stream_find(cat, 1, off)->start_offset,
				 off - off % 3);
	cat = reopen_same(cat);
	catalog_close(cat);
}
END_TEST

/* ---- log start and lookups ---- */

START_TEST(test_log_start)
{
	struct catalog *cat = base_state();
	ck_assert_int_eq(catalog_stream_log_start(cat, 1), 0);
	ck_assert_int_eq(catalog_set_log_start(cat, 1, 7), 0);
	ck_assert_int_eq(catalog_stream_log_start(cat, 1), 7);
	off_t size = file_size(journal_path);
	/* Backwards or in place: nothing to do, nothing journaled. */
	ck_assert_int_eq(catalog_set_log_start(cat, 1, 3), 0);
	ck_assert_int_eq(catalog_set_log_start(cat, 1, 7), 0);
	ck_assert_int_eq(file_size(journal_path), size);
	ck_assert_int_eq(catalog_stream_log_start(cat, 1), 7);
	ck_assert_int_eq(catalog_set_log_start(cat, 1, -1), SL_EINVAL);
	/* Past the committed end: the data may still be in the WAL. */
	ck_assert_int_eq(catalog_set_log_start(cat, 2, 50), 0);
	ck_assert_int_eq(catalog_stream_log_start(cat, 2), 50);
	ck_assert_int_eq(catalog_stream_end(cat, 2), 0);
	ck_assert_int_eq(catalog_set_log_start(cat, 4, 1), SL_ENOENT);
	ck_assert_int_eq(catalog_set_log_start(cat, 0, 1), SL_ENOENT);
	ck_assert_int_eq(catalog_topic_delete(cat, "b"), 0);
	ck_assert_int_eq(catalog_set_log_start(cat, 3, 1), SL_ENOENT);
	cat = reopen_same(cat);
	ck_assert_int_eq(catalog_stream_log_start(cat, 1), 7);
	ck_assert_int_eq(catalog_stream_log_start(cat, 2), 50);
	/* Uploads of stream 2 still start at its end, not its log start. */
	static const struct span s2[] = { { 2, 0, 60 }, { 0, 0, 0 } };
	upload(cat, 0x11, 100, 200, s2);
	catalog_close(cat);
}
END_TEST

/* Stream 1 holds [0, 10) [10, 20) [30, 40) after compaction dropped
 * [20, 30); find answers each offset class. */
static const struct {
	int64_t log_start;
	int64_t offset;
	int64_t want_start; /* -1: NULL */
} find_table[] = {
	{ 0, 0, 0 },   { 0, 9, 0 },    { 0, 10, 10 },  { 0, 19, 10 },
	{ 0, 20, 30 }, /* in the gap: the first block after it */
	{ 0, 29, 30 }, { 0, 39, 30 },  { 0, 40, -1 }, /* past the end */
	{ 0, 1000, -1 }, { 0, -5, 0 }, { 0, INT64_MIN, 0 },
	/* below the log start: looked up at the log start */
	{ 15, 0, 10 }, { 15, 14, 10 }, { 15, 16, 10 }, { 25, 0, 30 },
	{ 35, 5, 30 }, { 40, 0, -1 },  { 45, 44, -1 }, { 45, 50, -1 },
};

START_TEST(test_stream_find)
{
	struct catalog *cat = cat_open();
	/* Compacted, so whole batches may vanish and leave gaps. */
	static const struct topic_config_entry compact[] = {
		{ "cleanup.policy", "compact" },
	};
	ck_assert_int_eq(catalog_topic_create(cat, "a", 1, compact, 1, NULL),
			 0);
	static const struct span s[] = {
		{ 1, 0, 10 }, { 1, 10, 20 }, { 1, 20, 30 }, { 1, 30, 40 },
		{ 0, 0, 0 },
	};
	upload(cat, 0x10, 0, 100, s);
	struct outputs o = { 0 };
	static const struct span kept[] = {
		{ 1, 0, 10 }, { 1, 10, 20 }, { 1, 30, 40 }, { 0, 0, 0 },
	};
	outputs_add(&o, 0x20, kept);
	uint64_t in = 0x10;
	ck_assert_int_eq(replace(cat, &in, 1, &o), 0);
	if (find_table[_i].log_start)
		ck_assert_int_eq(catalog_set_log_start(
					 cat, 1, find_table[_i].log_start),
				 0);
	for (int pass = 0; pass < 2; pass++) {
		const struct catalog_block *b =
			catalog_stream_find(cat, 1, find_table[_i].offset);
		if (find_table[_i].want_start < 0) {
			ck_assert_ptr_null(b);
		} else {
			ck_assert_ptr_nonnull(b);
			ck_assert_int_eq(b->start_offset,
					 find_table[_i].want_start);
			ck_assert_uint_eq(b->object_id, 0x20);
		}
		cat = reopen_same(cat);
	}
	ck_assert_ptr_null(catalog_stream_find(cat, 2, 0));
	ck_assert_ptr_null(catalog_stream_find(cat, 0, 0));
	catalog_close(cat);
}
END_TEST

/* ---- durability ---- */

/* A state with every kind of record: topics, uploads, log starts, a
 * replace with a retired input, a forget and a deleted topic. */
static struct catalog *rich_state(void)
{
	struct catalog *cat = replace_base();
	uint64_t gen;
	ck_assert_int_eq(catalog_bump_generation(cat, &gen), 0);
	ck_assert_int_eq(catalog_set_log_start(cat, 1, 12), 0);
	struct outputs o = { 0 };
	outputs_add(&o, 0x20, out20);
	outputs_add(&o, 0x21, out21);
	uint64_t in[] = { 0x10, 0x11 };
	ck_assert_int_eq(replace(cat, in, 2, &o), 0);
	uint64_t f = 0x12;
	ck_assert_int_eq(catalog_forget_objects(cat, &f, 1), 0);
	topic(cat, "c", 2); /* streams 4, 5 */
	ck_assert_int_eq(catalog_topic_delete(cat, "a"), 0);
	static const struct span s[] = {
		{ 1, 40, 41 }, { 4, 0, 3 }, { 5, 0, 1 }, { 0, 0, 0 },
	};
	upload(cat, 0x14, 300, 350, s);
	return cat;
}

START_TEST(test_reopen_restores)
{
	struct catalog *cat = rich_state();
	ck_assert_int_gt(file_size(journal_path), 0);
	/* From the journal, then from the snapshot it was folded into. */
	cat = reopen_same(cat);
	ck_assert_int_eq(file_size(journal_path), 0);
	cat = reopen_same(cat);
	ck_assert_uint_eq(catalog_uploaded_end(cat), 350);
	ck_assert_int_eq(catalog_stream_log_start(cat, 1), 12);
	ck_assert_uint_eq(catalog_dead_stream_next(cat, 0), 1);
	ck_assert_int_eq(catalog_object_is_retired(cat, 0x11, NULL), 1);
	ck_assert_ptr_null(catalog_object_by_id(cat, 0x12));
	/* The stream lists came back too: a replace after the reload finds
	 * the blocks to remove. */
	struct outputs o = { 0 };
	static const struct span s[] = { { 2, 0, 8 }, { 0, 0, 0 } };
	outputs_add(&o, 0x30, s);
	uint64_t in = 0x21; /* streams 2 and 3; 3 (topic b) stays live */
	ck_assert_int_eq(replace(cat, &in, 1, &o), SL_ESTALE);
	static const struct span s23[] = {
		{ 2, 0, 8 }, { 3, 0, 9 }, { 0, 0, 0 },
	};
	o = (struct outputs){ 0 };
	outputs_add(&o, 0x30, s23);
	ck_assert_int_eq(replace(cat, &in, 1, &o), 0);
	size_t n;
	ck_assert_uint_eq(catalog_stream_blocks(cat, 2, &n)->object_id, 0x30);
	cat = reopen_same(cat);
	catalog_close(cat);
}
END_TEST

/* Frequent snapshots between records: every state is the journal tail on
 * top of some snapshot. */
START_TEST(test_snapshot_and_journal)
{
	struct catalog *cat = cat_open();
	catalog_set_snapshot_every(cat, 3);
	topic(cat, "a", 4);
	uint64_t wal = 0;
	int64_t end[5] = { 0 };
	for (int i = 0; i < 40; i++) {
		struct span s[3] = { { 0 } };
		uint64_t s1 = 1 + (uint64_t)i % 4;
		uint64_t s2 = 1 + (uint64_t)(i + 1) % 4;
		if (s1 > s2) {
			uint64_t t = s1;
			s1 = s2;
			s2 = t;
		}
		s[0] = (struct span){ s1, end[s1], end[s1] + 1 + i % 5 };
		end[s1] = s[0].end;
		s[1] = (struct span){ s2, end[s2], end[s2] + 2 };
		end[s2] = s[1].end;
		upload(cat, 0x100 + (uint64_t)i, wal, wal + 64, s);
		wal += 64;
		if (i % 7 == 6)
			ck_assert_int_eq(catalog_set_log_start(cat, s1,
							       end[s1] - 1),
					 0);
		if (i % 5 == 4) {
			catalog_close(cat);
			cat = cat_open();
			catalog_set_snapshot_every(cat, 3);
		}
	}
	cat = reopen_same(cat);
	for (uint64_t s = 1; s <= 4; s++)
		ck_assert_int_eq(catalog_stream_end(cat, s), end[s]);
	catalog_close(cat);
}
END_TEST

/* The snapshot hook sees exactly the bytes written; catalog_snapshot_bytes
 * gives the same image; restoring it into an empty directory gives an
 * identical catalog. */
static const uint8_t *hook_seen;
static size_t hook_len;
static int hook_calls;

static void hook(void *arg, const uint8_t *buf, size_t len)
{
	ck_assert_ptr_eq(arg, &hook_calls);
	hook_calls++;
	free((void *)hook_seen);
	uint8_t *copy = malloc(len);
	memcpy(copy, buf, len);
	hook_seen = copy;
	hook_len = len;
}

START_TEST(test_snapshot_restore)
{
	struct catalog *cat = rich_state();
	catalog_set_snapshot_hook(cat, hook, &hook_calls);
	ck_assert_int_eq(catalog_snapshot(cat), 0);
	ck_assert_int_eq(hook_calls, 1);
	size_t file_len;
	uint8_t *file = file_read(snapshot_path, &file_len);
	ck_assert_uint_eq(hook_len, file_len);
	ck_assert_int_eq(memcmp(hook_seen, file, file_len), 0);
	uint8_t *bytes;
	size_t len;
	ck_assert_int_eq(catalog_snapshot_bytes(cat, &bytes, &len), 0);
	ck_assert_uint_eq(len, file_len);
	ck_assert_int_eq(memcmp(bytes, file, len), 0);
	/* Automatic snapshots call it too; a removed hook is not called. */
	catalog_set_snapshot_every(cat, 1);
	uint64_t gen;
	ck_assert_int_eq(catalog_bump_generation(cat, &gen), 0);
	ck_assert_int_eq(hook_calls, 2);
	catalog_set_snapshot_hook(cat, NULL, NULL);
	ck_assert_int_eq(catalog_bump_generation(cat, &gen), 0);
	ck_assert_int_eq(hook_calls, 2);
	free((void *)hook_seen);
	hook_seen = NULL;
	free(bytes);
	ck_assert_int_eq(catalog_snapshot_bytes(cat, &bytes, &len), 0);

	char *want = dump(cat);
	/* Into the catalog's own directory: refused, nothing touched. */
	stderr_capture_start();
	ck_assert_int_eq(catalog_restore_snapshot(cat_dir, bytes, len),
			 SL_EEXIST);
	char *log = stderr_capture_stop();
	ck_assert_ptr_nonnull(strstr(log, "already holds a catalog"));
	free(log);
	catalog_close(cat);

	/* A damaged copy: refused before anything is written. */
	bytes[len - 1] ^= 0x40;
	stderr_capture_start();
	ck_assert_int_eq(catalog_restore_snapshot(other_dir, bytes, len),
			 SL_ECORRUPT);
	log = stderr_capture_stop();
	ck_assert_ptr_nonnull(strstr(log, "bad content CRC"));
	free(log);
	bytes[len - 1] ^= 0x40;
	size_t short_len = CATALOG_SNAPSHOT_HEADER_BYTES - 1;
	ck_assert_int_eq(catalog_restore_snapshot(other_dir, bytes, short_len),
			 SL_ECORRUPT);
	char other_snapshot[400];
	snprintf(other_snapshot, sizeof other_snapshot, "%s/catalog.snapshot",
		 other_dir);
	ck_assert_int_eq(file_size(other_snapshot), -1);

	/* The good copy, into a directory that does not exist yet. */
	ck_assert_int_eq(catalog_restore_snapshot(other_dir, bytes, len), 0);
	struct catalog *restored = cat_open_dir(other_dir);
	char *got = dump(restored);
	assert_same(want, got);
	free(got);
	/* It carries on where the original stood. */
	static const struct span s[] = { { 4, 3, 5 }, { 0, 0, 0 } };
	upload(restored, 0x40, 350, 400, s);
	catalog_close(restored);
	/* A second restore over it is refused. */
	ck_assert_int_eq(catalog_restore_snapshot(other_dir, bytes, len),
			 SL_EEXIST);
	free(want);
	free(file);
	free(bytes);
}
END_TEST

/* Frames a record as version 1 (recomputing the header CRC). */
static void frame_as_v1(uint8_t *rec)
{
	be16_put(rec + 4, 1);
	be32_put(rec + 16, crc32c(rec, 16));
}

/* A version 1 snapshot (written by the topics-only catalog) still loads. */
START_TEST(test_v1_snapshot)
{
	/* STATE v1: seq 5, generation 3, next stream id 4, 1 topic. */
	uint8_t image[1024];
	size_t len = CATALOG_SNAPSHOT_HEADER_BYTES;
	uint8_t *state = image + len;
	uint8_t *body = state + CATALOG_RECORD_HEADER_BYTES;
	be64_put(body, 5);
	be64_put(body + 8, 3);
	be64_put(body + 16, 4);
	be32_put(body + 24, 1);
	be32_put(state, CATALOG_RECORD_MAGIC);
	be16_put(state + 6, CATALOG_RECORD_STATE);
	be32_put(state + 8, 28);
	be32_put(state + 12, crc32c(body, 28));
	frame_as_v1(state);
	len += CATALOG_RECORD_HEADER_BYTES + 28;
	/* TOPIC_CREATE v1 (as in v2): seq 5, id, first stream id 1,
	 * 3 partitions, name "old", no configs. */
	uint8_t *topic = image + len;
	body = topic + CATALOG_RECORD_HEADER_BYTES;
	memset(body, 0, 45);
	be64_put(body, 5);
	body[8] = 0x42;
	be64_put(body + 24, 1);
	be32_put(body + 32, 3);
	be16_put(body + 36, 3);
	memcpy(body + 38, "old", 3);
	be32_put(body + 41, 0);
	be32_put(topic, CATALOG_RECORD_MAGIC);
	be16_put(topic + 6, CATALOG_RECORD_TOPIC_CREATE);
	be32_put(topic + 8, 45);
	be32_put(topic + 12, crc32c(body, 45));
	frame_as_v1(topic);
	len += CATALOG_RECORD_HEADER_BYTES + 45;
	catalog_snapshot_seal(image, len);
	be16_put(image + 4, 1); /* the header says version 1 too */
	be32_put(image + 20, crc32c(image, 20));

	ck_assert_int_eq(catalog_restore_snapshot(cat_dir, image, len), 0);
	struct catalog *cat = cat_open();
	ck_assert_uint_eq(catalog_generation(cat), 3);
	const struct topic *t = catalog_topic_by_name(cat, "old");
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->partition_count, 3);
	for (int32_t p = 0; p < 3; p++)
		ck_assert_uint_eq(topic_stream_id(t, p), 1 + (uint64_t)p);
	ck_assert_uint_eq(catalog_uploaded_end(cat), 0);
	ck_assert_uint_eq(catalog_object_count(cat), 0);
	static const struct span s[] = { { 2, 0, 4 }, { 0, 0, 0 } };
	upload(cat, 0x10, 0, 10, s);
	cat = reopen_same(cat);
	ck_assert_int_eq(catalog_stream_end(cat, 2), 4);
	catalog_close(cat);

	/* Version 1 frames cannot carry the new record types. */
	uint8_t rec_v1[CATALOG_RECORD_HEADER_BYTES + 24];
	body = rec_v1 + CATALOG_RECORD_HEADER_BYTES;
	be64_put(body, 99);
	be64_put(body + 8, 1);
	be64_put(body + 16, 1);
	be32_put(rec_v1, CATALOG_RECORD_MAGIC);
	be16_put(rec_v1 + 6, CATALOG_RECORD_LOG_START);
	be32_put(rec_v1 + 8, 24);
	be32_put(rec_v1 + 12, crc32c(body, 24));
	frame_as_v1(rec_v1);
	struct catalog_record parsed;
	size_t used;
	const char *why = NULL;
	ck_assert_int_eq(catalog_record_parse(rec_v1, sizeof rec_v1, &parsed,
					      &used, &why),
			 CATALOG_RECORD_BAD);
	ck_assert_str_eq(why, "record type not in format version 1");
}
END_TEST

/* The journal after the open's snapshot holds, in this order: an upload,
 * a log start, a replace, a forget; each record is cut in turn.  ends[i]
 * is the journal size after record i; states[i] the dump before it. */
#define TORN_RECORDS 4

static void torn_make(off_t ends[TORN_RECORDS], char *states[TORN_RECORDS + 1])
{
	struct catalog *cat = replace_base();
	ck_assert_int_eq(catalog_snapshot(cat), 0);
	ck_assert_int_eq(file_size(journal_path), 0);
	states[0] = dump(cat);
	static const struct span s[] = { { 1, 40, 50 }, { 0, 0, 0 } };
	upload(cat, 0x14, 300, 400, s);
	ends[0] = file_size(journal_path);
	states[1] = dump(cat);
	ck_assert_int_eq(catalog_set_log_start(cat, 2, 3), 0);
	ends[1] = file_size(journal_path);
	states[2] = dump(cat);
	struct outputs o = { 0 };
	outputs_add(&o, 0x20, out20);
	outputs_add(&o, 0x21, out21);
	uint64_t in[] = { 0x10, 0x11 };
	ck_assert_int_eq(replace(cat, in, 2, &o), 0);
	ends[2] = file_size(journal_path);
	states[3] = dump(cat);
	uint64_t f[] = { 0x12, 0x11 };
	ck_assert_int_eq(catalog_forget_objects(cat, f, 2), 0);
	ends[3] = file_size(journal_path);
	states[4] = dump(cat);
	catalog_close(cat);
}

static const struct {
	int record;
	off_t keep; /* bytes of it kept; negative: all but that many */
	const char *log;
} torn_table[] = {
	{ 0, 10, "short header" },     { 0, 30, "runs past the end" },
	{ 0, -1, "runs past the end" }, { 1, 21, "runs past the end" },
	{ 1, -1, "runs past the end" }, { 2, 100, "runs past the end" },
	{ 2, -1, "runs past the end" }, { 3, 25, "runs past the end" },
	{ 3, -1, "runs past the end" },
};

START_TEST(test_torn_new_records)
{
	off_t ends[TORN_RECORDS];
	char *states[TORN_RECORDS + 1];
	torn_make(ends, states);
	int r = torn_table[_i].record;
	off_t start = r == 0 ? 0 : ends[r - 1];
	off_t keep = torn_table[_i].keep;
	ck_assert_int_eq(truncate(journal_path,
				  keep >= 0 ? start + keep : ends[r] + keep),
			 0);
	stderr_capture_start();
	struct catalog *cat = NULL;
	int rc = catalog_open(cat_dir, &cat);
	char *log = stderr_capture_stop();
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(strstr(log, torn_table[_i].log), "log lacks '%s'",
		      torn_table[_i].log);
	char offset[64];
	snprintf(offset, sizeof offset, "torn tail at offset %lld",
		 (long long)start);
	ck_assert_msg(strstr(log, offset), "log lacks '%s'", offset);
	/* Exactly the records before the torn one hold. */
	char *got = dump(cat);
	assert_same(states[r], got);
	free(got);
	/* The cut tail is gone for good: new records follow cleanly. */
	cat = reopen_same(cat);
	uint64_t gen;
	ck_assert_int_eq(catalog_bump_generation(cat, &gen), 0);
	cat = reopen_same(cat);
	catalog_close(cat);
	for (int i = 0; i <= TORN_RECORDS; i++)
		free(states[i]);
	free(log);
}
END_TEST

/* A crash after a snapshot's rename but before the journal's truncation:
 * the object records already in the snapshot must not apply twice (an
 * upload twice would fail its fence, a replace would find its inputs
 * retired). */
START_TEST(test_replay_skips_snapshot)
{
	off_t ends[TORN_RECORDS];
	char *states[TORN_RECORDS + 1];
	torn_make(ends, states);
	size_t journal_len;
	uint8_t *journal = file_read(journal_path, &journal_len);
	struct catalog *cat = cat_open(); /* folds the journal */
	ck_assert_int_eq(file_size(journal_path), 0);
	catalog_close(cat);
	file_write(journal_path, journal, journal_len);
	cat = cat_open();
	char *got = dump(cat);
	assert_same(states[TORN_RECORDS], got);
	free(got);
	catalog_close(cat);
	for (int i = 0; i <= TORN_RECORDS; i++)
		free(states[i]);
	free(journal);
}
END_TEST

/* A journal record whose CRCs hold but that contradicts the state cannot
 * have passed its checks when it was written: open refuses rather than
 * skipping it (and what may depend on it) or applying it. */
static const struct {
	enum catalog_record_type type;
	const char *log;
} replay_bad_table[] = {
	{ CATALOG_RECORD_UPLOAD,
	  "WAL range starts at 0, the uploaded end is 100" },
	{ CATALOG_RECORD_REPLACE, "input 0000000000000099 is not a live" },
	{ CATALOG_RECORD_FORGET, "object 0000000000000010 is live" },
	{ CATALOG_RECORD_LOG_START, "would move from 0 back to 0" },
};

/* The sequence number of the snapshot on disk. */
static uint64_t snapshot_seq(void)
{
	size_t len;
	uint8_t *file = file_read(snapshot_path, &len);
	struct catalog_record rec;
	size_t used;
	const char *why;
	ck_assert_int_eq(catalog_record_parse(
				 file + CATALOG_SNAPSHOT_HEADER_BYTES,
				 len - CATALOG_SNAPSHOT_HEADER_BYTES, &rec,
				 &used, &why),
			 CATALOG_RECORD_OK);
	ck_assert_int_eq(rec.type, CATALOG_RECORD_STATE);
	free(file);
	return rec.seq;
}

START_TEST(test_replay_refused)
{
	struct catalog *cat = base_state();
	ck_assert_int_eq(catalog_snapshot(cat), 0);
	catalog_close(cat);
	struct proposal p;
	static const struct span s[] = { { 2, 0, 5 }, { 0, 0, 0 } };
	proposal_make(&p, 0x11, 0, 50, s);
	uint64_t id = 0x99, live = 0x10;
	struct catalog_record rec = {
		.type = replay_bad_table[_i].type,
		.seq = snapshot_seq() + 1,
	};
	switch (rec.type) {
	case CATALOG_RECORD_UPLOAD:
		rec.objects = &p.obj;
		rec.object_count = 1;
		rec.blocks = p.blocks;
		rec.block_count = p.n;
		break;
	case CATALOG_RECORD_REPLACE:
		rec.ids = &id;
		rec.id_count = 1;
		break;
	case CATALOG_RECORD_FORGET:
		rec.ids = &live;
		rec.id_count = 1;
		break;
	default:
		rec.stream_id = 1;
		break;
	}
	struct byte_buf buf = { 0 };
	ck_assert_int_eq(catalog_record_encode(&buf, &rec), 0);
	file_write(journal_path, buf.data, buf.len);
	byte_buf_free(&buf);
	off_t size = file_size(journal_path);
	stderr_capture_start();
	cat = NULL;
	int rc = catalog_open(cat_dir, &cat);
	char *log = stderr_capture_stop();
	ck_assert_int_eq(rc, SL_ECORRUPT);
	ck_assert_ptr_null(cat);
	ck_assert_msg(strstr(log, replay_bad_table[_i].log), "log lacks '%s'",
		      replay_bad_table[_i].log);
	ck_assert_int_eq(file_size(journal_path), size);
	free(log);
}
END_TEST

/* ---- damaged snapshot content (CRCs intact) ---- */

enum snap_bad {
	SB_UNKNOWN_OBJECT, SB_MISSING_BLOCK, SB_TOTALS, SB_STREAM_ORDER,
	SB_UNKNOWN_STREAM, SB_PAST_END, SB_RETIRED_BLOCK, SB_N
};

static const struct {
	enum snap_bad what;
	const char *log;
} snap_bad_table[] = {
	{ SB_UNKNOWN_OBJECT, "unknown or retired object" },
	{ SB_MISSING_BLOCK, "do not match its block count" },
	{ SB_TOTALS, "count does not match" },
	{ SB_STREAM_ORDER, "streams out of order" },
	{ SB_UNKNOWN_STREAM, "never handed out" },
	{ SB_PAST_END, "past the stream's end" },
	{ SB_RETIRED_BLOCK, "unknown or retired object" },
};

/* Builds a snapshot image by hand: topic "a" (streams 1-2), object 0x10
 * with two blocks, then the damage; restore must refuse it. */
START_TEST(test_bad_snapshot_content)
{
	ck_assert_uint_eq(sizeof snap_bad_table / sizeof snap_bad_table[0],
			  SB_N);
	enum snap_bad what = snap_bad_table[_i].what;
	struct byte_buf buf = { 0 };
	static const uint8_t room[CATALOG_SNAPSHOT_HEADER_BYTES];
	buf.data = malloc(64);
	buf.cap = 64;
	memcpy(buf.data, room, sizeof room);
	buf.len = sizeof room;

	struct catalog_record state = {
		.type = CATALOG_RECORD_STATE, .seq = 9, .next_stream_id = 3,
		.topic_count = 1, .uploaded_end = 100, .object_total = 1,
		.stream_total = 1, .block_total = 2,
	};
	if (what == SB_TOTALS)
		state.block_total = 3;
	if (what == SB_STREAM_ORDER)
		state.stream_total = 2;
	ck_assert_int_eq(catalog_record_encode(&buf, &state), 0);
	uint64_t ids[] = { 1, 2 };
	struct topic t = { .partition_count = 2, .stream_ids = ids };
	strcpy(t.name, "a");
	t.id[6] = 0x40;
	struct catalog_record rec = {
		.type = CATALOG_RECORD_TOPIC_CREATE, .seq = 9, .topic = &t,
	};
	ck_assert_int_eq(catalog_record_encode(&buf, &rec), 0);

	struct catalog_object obj = {
		.id = 0x10, .size = 300, .wal_end = 100, .block_count = 2,
	};
	int64_t retired = what == SB_RETIRED_BLOCK ? 5 : CATALOG_LIVE;
	rec = (struct catalog_record){
		.type = CATALOG_RECORD_OBJECTS, .seq = 9, .objects = &obj,
		.retired_ms = &retired, .object_count = 1,
	};
	ck_assert_int_eq(catalog_record_encode(&buf, &rec), 0);

	struct catalog_block b[2] = {
		{ .stream_id = 2, .start_offset = 0, .end_offset = 5,
		  .record_count = 5, .object_id = 0x10, .size = 100 },
		{ .stream_id = 2, .start_offset = 5, .end_offset = 9,
		  .record_count = 4, .object_id = 0x10, .position = 100,
		  .size = 100 },
	};
	uint64_t stream = 2;
	size_t nb = 2;
	int64_t end = 9;
	switch (what) {
	case SB_UNKNOWN_OBJECT: b[1].object_id = 0x11; break;
	case SB_MISSING_BLOCK: nb = 1; state.block_total = 1; break;
	case SB_UNKNOWN_STREAM: stream = 3; break;
	case SB_PAST_END: end = 8; break;
	default: break;
	}
	if (what == SB_MISSING_BLOCK) {
		/* Rewrite the state with the matching total. */
		buf.len = sizeof room;
		ck_assert_int_eq(catalog_record_encode(&buf, &state), 0);
		rec = (struct catalog_record){
			.type = CATALOG_RECORD_TOPIC_CREATE, .seq = 9,
			.topic = &t,
		};
		ck_assert_int_eq(catalog_record_encode(&buf, &rec), 0);
		rec = (struct catalog_record){
			.type = CATALOG_RECORD_OBJECTS, .seq = 9,
			.objects = &obj, .retired_ms = &retired,
			.object_count = 1,
		};
		ck_assert_int_eq(catalog_record_encode(&buf, &rec), 0);
	}
	rec = (struct catalog_record){
		.type = CATALOG_RECORD_STREAM, .seq = 9, .stream_id = stream,
		.stream_end = end, .blocks = b, .block_count = nb,
	};
	ck_assert_int_eq(catalog_record_encode(&buf, &rec), 0);
	if (what == SB_STREAM_ORDER) {
		rec.stream_id = 1;
		rec.block_count = 0;
		ck_assert_int_eq(catalog_record_encode(&buf, &rec), 0);
	}
	catalog_snapshot_seal(buf.data, buf.len);

	stderr_capture_start();
	int rc = catalog_restore_snapshot(cat_dir, buf.data, buf.len);
	char *log = stderr_capture_stop();
	ck_assert_int_eq(rc, SL_ECORRUPT);
	ck_assert_msg(strstr(log, snap_bad_table[_i].log), "log lacks '%s'",
		      snap_bad_table[_i].log);
	ck_assert_int_eq(file_size(snapshot_path), -1);
	/* The same file put in place by hand: open refuses it too. */
	mkdir(cat_dir, 0750);
	file_write(snapshot_path, buf.data, buf.len);
	struct catalog *cat = NULL;
	stderr_capture_start();
	rc = catalog_open(cat_dir, &cat);
	free(stderr_capture_stop());
	ck_assert_int_eq(rc, SL_ECORRUPT);
	ck_assert_ptr_null(cat);
	free(log);
	byte_buf_free(&buf);
}
END_TEST

/* The hand-built image above without damage loads: the refusals come
 * from the damage, not from the way the image is built. */
START_TEST(test_handmade_snapshot_loads)
{
	struct catalog *cat = cat_open();
	topic(cat, "a", 2);
	static const struct span s[] = {
		{ 2, 0, 5 }, { 2, 5, 9 }, { 0, 0, 0 },
	};
	upload(cat, 0x10, 0, 100, s);
	uint8_t *bytes;
	size_t len;
	ck_assert_int_eq(catalog_snapshot_bytes(cat, &bytes, &len), 0);
	char *want = dump(cat);
	catalog_close(cat);
	ck_assert_int_eq(catalog_restore_snapshot(other_dir, bytes, len), 0);
	cat = cat_open_dir(other_dir);
	char *got = dump(cat);
	assert_same(want, got);
	free(want);
	free(got);
	free(bytes);
	catalog_close(cat);
}
END_TEST

/* ---- memory per block ---- */

/* 50 uploads of one block for each of 2000 streams: 100,000 blocks.  The
 * block itself is 64 bytes; what the state adds on top (stream lists,
 * growth slack, objects, hash) must stay small, and a reload packs it. */
START_TEST(test_memory_per_block)
{
	enum { STREAMS = 2000, UPLOADS = 50 };
	struct catalog *cat = cat_open();
	topic(cat, "wide", STREAMS);
	catalog_set_snapshot_every(cat, 1000000);
	struct catalog_block *b = malloc(STREAMS * sizeof *b);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int u = 0; u < UPLOADS; u++) {
		uint64_t id = 0x1000 + (uint64_t)u;
		for (int s = 0; s < STREAMS; s++)
			b[s] = (struct catalog_block){
				.stream_id = 1 + (uint64_t)s,
				.start_offset = u * 10,
				.end_offset = u * 10 + 10,
				.record_count = 10,
				.object_id = id,
				.position = (uint64_t)s * 1000,
				.size = 1000,
			};
		struct catalog_object o = {
			.id = id, .size = STREAMS * 1000 + 48,
			.wal_start = (uint64_t)u * 1000000,
			.wal_end = (uint64_t)(u + 1) * 1000000,
			.block_count = STREAMS,
		};
		ck_assert_int_eq(catalog_commit_upload(cat, &o, b, STREAMS,
						       NULL), 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	size_t blocks = (size_t)STREAMS * UPLOADS;
	double live = (double)catalog_objects_memory(catalog_objects_of(cat)) /
		      (double)blocks;
	catalog_close(cat);
	cat = cat_open();
	double loaded =
		(double)catalog_objects_memory(catalog_objects_of(cat)) /
		(double)blocks;
	fprintf(stderr, "memory per block: %.1f bytes live, %.1f after a "
			"reload; %d commits of %d blocks in %.1f ms\n",
		live, loaded, UPLOADS, STREAMS, ms);
	ck_assert_uint_eq(sizeof(struct catalog_block), 64);
	ck_assert_double_le(live, 64 * 1.5 + 8 + 2);
	ck_assert_double_le(loaded, 64 + 8 + 2);
	ck_assert_double_ge(loaded, 64 + 8);
	size_t n;
	catalog_stream_blocks(cat, STREAMS, &n);
	ck_assert_uint_eq(n, UPLOADS);
	free(b);
	catalog_close(cat);
}
END_TEST

/* ---- suite ---- */

Suite *unit_suite(void)
{
	Suite *s = suite_create("catalog_objects");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_upload_in_order);
	tcase_add_loop_test(tc, test_upload_refused, 0, UP_N);
	tcase_add_test(tc, test_upload_too_big);
	tcase_add_test(tc, test_upload_idempotent);
	tcase_add_test(tc, test_replace);
	tcase_add_loop_test(tc, test_replace_refused, 0, RB_N);
	tcase_add_test(tc, test_replace_drops);
	tcase_add_test(tc, test_forget);
	tcase_add_test(tc, test_many_objects);
	tcase_add_test(tc, test_log_start);
	tcase_add_loop_test(tc, test_stream_find, 0,
			    sizeof find_table / sizeof find_table[0]);
	tcase_add_test(tc, test_reopen_restores);
	tcase_add_test(tc, test_snapshot_and_journal);
	tcase_add_test(tc, test_snapshot_restore);
	tcase_add_test(tc, test_v1_snapshot);
	tcase_add_loop_test(tc, test_torn_new_records, 0,
			    sizeof torn_table / sizeof torn_table[0]);
	tcase_add_test(tc, test_replay_skips_snapshot);
	tcase_add_loop_test(tc, test_replay_refused, 0,
			    sizeof replay_bad_table /
				    sizeof replay_bad_table[0]);
	tcase_add_loop_test(tc, test_bad_snapshot_content, 0, SB_N);
	tcase_add_test(tc, test_handmade_snapshot_loads);
	tcase_add_test(tc, test_memory_per_block);
	suite_add_tcase(s, tc);
	return s;
}
