/*
 * Unit tests for brokerd/wal/: append, group commit and durability
 * callbacks driven by a real event loop and I/O thread; recovery after
 * reopening (round trip, torn blocks, bad CRCs, revival of torn records);
 * a small ring wrapped over many laps with every padding case; back-pressure
 * when full; header slot alternation; node id check; blocks built in lent
 * memory with record CRCs joined from a CRC the caller holds.  Each test
 * works on a file in a fresh directory under $TMPDIR (or /tmp) and parses
 * what the WAL delivers and stores with its own reader of the documented
 * layout.
 */
#include "autoconfig.h"

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <event2/event.h>

#include "brokerd/wal/wal.h"
#include "common/wal_format.h"
#include "common/bytes.h"
#include "common/crc32c.h"
#include "common/errors.h"
#include "common/log.h"
#include "tests/unit/unit_main.h"

#define NODE 7u
#define SMALL_CAP WAL_MIN_CAPACITY /* a 256 KiB ring */
#define REC_OVERHEAD (WAL_RECORD_HEADER_BYTES + WAL_BODY_PREFIX_BYTES)

/* One batch as appended, replayed or found in a delivered block. */
struct rec {
	uint64_t stream;
	int64_t base;
	uint32_t count;
	uint64_t pos; /* batch_pos */
	uint32_t len;
	uint8_t *bytes;
};

struct recs {
	struct rec *v;
	size_t n, cap;
};

/* A block as the durable callback delivered it. */
struct blk {
	uint64_t start, end;
	uint8_t *bytes;
};

/* Test harness: one WAL file, its loop, and what it delivered. */
struct h {
	char dir[PATH_MAX], path[PATH_MAX + 8];
	struct event_base *base;
	struct event *tick;
	struct wal *wal;
	uint64_t capacity;
	size_t max_block;
	uint32_t node;
	uint64_t epoch;
	struct blk *blocks; /* delivered since the last open */
	size_t nblocks, blocks_cap;
	uint64_t next_start;
	int order_bad;
	struct recs replayed; /* from the last wal_recover */
	struct recs model;    /* what the log must hold in [trim, head) */
	struct recs appended; /* appended since the last open */
	uint32_t seed;
	const uint8_t *lent_lo, *lent_hi; /* a lender's memory, if any */
	unsigned lent_delivered; /* blocks delivered from it */
};

/* Appends a copy of one batch to r. */
static void recs_push(struct recs *r, uint64_t stream, int64_t base,
		      uint32_t count, uint64_t pos, const uint8_t *bytes,
		      uint32_t len)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->v = realloc(r->v, r->cap * sizeof *r->v);
		ck_assert_ptr_nonnull(r->v);
	}
	struct rec *e = &r->v[r->n++];
	e->stream = stream;
	e->base = base;
	e->count = count;
	e->pos = pos;
	e->len = len;
	e->bytes = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(e->bytes);
	memcpy(e->bytes, bytes, len);
}

/* Keeps the first n records. */
static void recs_truncate(struct recs *r, size_t n)
{
	for (size_t i = n; i < r->n; i++)
		free(r->v[i].bytes);
	if (n < r->n)
		r->n = n;
}

/* Frees r and everything it holds. */
static void recs_free(struct recs *r)
{
	recs_truncate(r, 0);
	free(r->v);
	memset(r, 0, sizeof *r);
}

/* Drops the records below a new trim offset. */
static void recs_drop_below(struct recs *r, uint64_t trim)
{
	size_t k = 0;
	for (size_t i = 0; i < r->n; i++) {
		if (r->v[i].pos < trim)
			free(r->v[i].bytes);
		else
			r->v[k++] = r->v[i];
	}
	r->n = k;
}

/* got must hold exactly the first nwant records of want. */
static void recs_assert_eq(const struct recs *got, const struct recs *want,
			   size_t nwant, const char *what)
{
	ck_assert_msg(got->n == nwant, "%s: %zu records, want %zu", what,
		      got->n, nwant);
	for (size_t i = 0; i < nwant; i++) {
		const struct rec *a = &got->v[i], *b = &want->v[i];
		ck_assert_msg(a->stream == b->stream && a->base == b->base &&
				      a->count == b->count && a->pos == b->pos &&
				      a->len == b->len,
			      "%s: record %zu differs (pos %llu vs %llu)", what,
			      i, (unsigned long long)a->pos,
			      (unsigned long long)b->pos);
		ck_assert_msg(!memcmp(a->bytes, b->bytes, a->len),
			      "%s: record %zu bytes differ", what, i);
	}
}

/* Deterministic pseudo-random bytes (xorshift32). */
static void fill_bytes(uint32_t *seed, uint8_t *p, size_t len)
{
	uint32_t x = *seed ? *seed : 1;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
	*seed = x;
}

/* Durable callback: checks order and contiguity, keeps a copy. */
static void on_durable(void *arg, uint64_t start, uint64_t end,
		       const uint8_t *bytes)
{
	struct h *h = arg;
	if (start != h->next_start || end <= start)
		h->order_bad = 1;
	h->next_start = end;
	if (bytes >= h->lent_lo && bytes < h->lent_hi) {
		ck_assert(bytes + (end - start) <= h->lent_hi);
		h->lent_delivered++;
	}
	if (h->nblocks == h->blocks_cap) {
		h->blocks_cap = h->blocks_cap ? h->blocks_cap * 2 : 64;
		h->blocks = realloc(h->blocks, h->blocks_cap * sizeof *h->blocks);
		ck_assert_ptr_nonnull(h->blocks);
	}
	struct blk *b = &h->blocks[h->nblocks++];
	b->start = start;
	b->end = end;
	b->bytes = malloc(end - start);
	ck_assert_ptr_nonnull(b->bytes);
	memcpy(b->bytes, bytes, end - start);
}

/* Replay callback: keeps a copy of every recovered batch. */
static void on_replay(void *arg, const struct wal_batch *b)
{
	struct h *h = arg;
	recs_push(&h->replayed, b->stream_id, b->base_offset, b->record_count,
		  b->batch_pos, b->bytes, b->batch_len);
}

/* Does nothing; its timer only wakes the loop. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/* Forgets the delivered blocks. */
static void blocks_free(struct h *h)
{
	for (size_t i = 0; i < h->nblocks; i++)
		free(h->blocks[i].bytes);
	h->nblocks = 0;
}

/* Prepares a fresh directory, loop and options (the WAL is not open). */
static void h_setup(struct h *h, uint64_t capacity, size_t max_block)
{
	memset(h, 0, sizeof *h);
	const char *tmp = getenv("TMPDIR");
	snprintf(h->dir, sizeof h->dir, "%s/test_wal.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(h->dir));
	snprintf(h->path, sizeof h->path, "%s/wal", h->dir);
	h->capacity = capacity;
	h->max_block = max_block;
	h->node = NODE;
	h->epoch = 1;
	h->seed = 12345;
	h->base = event_base_new();
	ck_assert_ptr_nonnull(h->base);
	/* A tick bounds each EVLOOP_ONCE so waits can time out. */
	h->tick = event_new(h->base, -1, EV_PERSIST, on_tick, NULL);
	struct timeval tv = { 0, 20000 };
	event_add(h->tick, &tv);
}

/* Opens, recovers into h->replayed and starts; returns wal_open's result. */
static int h_open(struct h *h)
{
	struct wal_options opt = { .path = h->path, .capacity = h->capacity,
				   .node_id = h->node, .epoch = h->epoch,
				   .max_block_bytes = h->max_block };
	int rc = wal_open(&opt, &h->wal);
	if (rc)
		return rc;
	recs_truncate(&h->replayed, 0);
	recs_truncate(&h->appended, 0);
	blocks_free(h);
	ck_assert_int_eq(wal_recover(h->wal, on_replay, h), 0);
	ck_assert_uint_eq(wal_head(h->wal) % WAL_ALIGN, 0);
	ck_assert_uint_eq(wal_durable(h->wal), wal_head(h->wal));
	h->next_start = wal_durable(h->wal);
	h->order_bad = 0;
	ck_assert_int_eq(wal_start(h->wal, h->base, on_durable, h), 0);
	return 0;
}

/* Closes the WAL (delivering what is in flight). */
static void h_close(struct h *h)
{
	if (h->wal)
		wal_close(h->wal);
	h->wal = NULL;
	ck_assert_msg(!h->order_bad, "completions out of order");
}

/* Closes and reopens; the replay must equal the model. */
static void h_reopen_check(struct h *h, const char *what)
{
	h_close(h);
	ck_assert_int_eq(h_open(h), 0);
	recs_assert_eq(&h->replayed, &h->model, h->model.n, what);
}

/* Closes and removes everything h_setup made. */
static void h_teardown(struct h *h)
{
	h_close(h);
	blocks_free(h);
	free(h->blocks);
	recs_free(&h->replayed);
	recs_free(&h->model);
	recs_free(&h->appended);
	event_free(h->tick);
	event_base_free(h->base);
	char tmp[PATH_MAX + 16];
	snprintf(tmp, sizeof tmp, "%s.tmp", h->path);
	unlink(tmp);
	unlink(h->path);
	rmdir(h->dir);
}

/* Appends one batch of len pseudo-random bytes; on success the model and
 * the session list get it.  Returns wal_append's result. */
static int h_append(struct h *h, uint64_t stream, uint32_t len)
{
	static uint8_t buf[1 << 20];
	ck_assert_uint_le(len, sizeof buf);
	fill_bytes(&h->seed, buf, len);
	int64_t base = (int64_t)h->appended.n * 10 + 3;
	uint32_t count = len % 50 + 1;
	uint64_t pos = 0;
	uint64_t head = wal_head(h->wal);
	int rc = wal_append(h->wal, stream, base, count, buf, len, &pos);
	if (rc) {
		ck_assert_uint_eq(wal_head(h->wal), head);
		return rc;
	}
	ck_assert_uint_ge(pos, head + REC_OVERHEAD);
	ck_assert_uint_eq(wal_head(h->wal), pos + len);
	recs_push(&h->model, stream, base, count, pos, buf, len);
	recs_push(&h->appended, stream, base, count, pos, buf, len);
	return 0;
}

/* Runs the loop until everything appended is durable (no flush). */
static void h_settle(struct h *h)
{
	time_t deadline = time(NULL) + 20;
	while (wal_durable(h->wal) != wal_head(h->wal)) {
		ck_assert_msg(time(NULL) < deadline, "durability timed out");
		event_base_loop(h->base, EVLOOP_ONCE);
	}
}

/* Flushes and waits until everything appended is durable. */
static void h_wait(struct h *h)
{
	wal_flush(h->wal);
	h_settle(h);
}

/* Trims to the durable head when fewer than `room` bytes are free. */
static void h_ensure_room(struct h *h, uint64_t room)
{
	struct wal *w = h->wal;
	if (wal_trim(w) + wal_ring_bytes(w) - wal_head(w) >= room)
		return;
	h_wait(h);
	ck_assert_int_eq(wal_set_trim(w, wal_durable(w)), 0);
	recs_drop_below(&h->model, wal_durable(w));
}

/* Appends, trimming everything durable first if the WAL is full. */
static void h_append_room(struct h *h, uint64_t stream, uint32_t len)
{
	int rc = h_append(h, stream, len);
	if (rc == SL_EFULL) {
		h_ensure_room(h, wal_ring_bytes(h->wal));
		rc = h_append(h, stream, len);
	}
	ck_assert_int_eq(rc, 0);
}

/* Parses one delivered block with the documented layout: records back to
 * back, every byte accounted for, an implicit gap only at the block end. */
static void parse_block(const struct h *h, const struct blk *b,
			struct recs *out)
{
	uint64_t ring = wal_ring_bytes(h->wal);
	ck_assert_uint_eq(b->start % WAL_ALIGN, 0);
	ck_assert_uint_eq(b->end % WAL_ALIGN, 0);
	ck_assert_uint_eq(b->start / ring, (b->end - 1) / ring);
	uint64_t pos = b->start;
	while (pos < b->end) {
		const uint8_t *r = b->bytes + (pos - b->start);
		uint64_t left = b->end - pos;
		if (left < WAL_RECORD_HEADER_BYTES) {
			for (uint64_t i = 0; i < left; i++)
				ck_assert_uint_eq(r[i], 0);
			pos = b->end;
			break;
		}
		ck_assert_uint_eq(be32_get(r), WAL_RECORD_MAGIC);
		ck_assert_uint_eq(be32_get(r + 28), crc32c(r, 28));
		ck_assert_uint_eq(be64_get(r + 12), pos + 32);
		ck_assert_uint_eq(be32_get(r + 24), 0);
		uint32_t blen = be32_get(r + 8);
		ck_assert_uint_le(32 + (uint64_t)blen, left);
		ck_assert_uint_eq(be32_get(r + 20), crc32c(r + 32, blen));
		uint16_t type = be16_get(r + 4);
		if (type == 1) {
			recs_push(out, be64_get(r + 32), (int64_t)be64_get(r + 40),
				  be32_get(r + 48), pos + REC_OVERHEAD,
				  r + REC_OVERHEAD, blen - WAL_BODY_PREFIX_BYTES);
		} else {
			ck_assert_uint_eq(type, 2);
			for (uint32_t i = 0; i < blen; i++)
				ck_assert_uint_eq(r[32 + i], 0);
		}
		pos += 32 + (uint64_t)blen;
	}
	ck_assert_uint_eq(pos, b->end);
}

/* Every block delivered this session parses to what was appended. */
static void h_check_blocks(struct h *h)
{
	struct recs found = { 0 };
	for (size_t i = 0; i < h->nblocks; i++)
		parse_block(h, &h->blocks[i], &found);
	recs_assert_eq(&found, &h->appended, h->appended.n, "delivered blocks");
	recs_free(&found);
}

/* Reads the WAL file directly. */
static void file_read(const struct h *h, uint64_t off, void *buf, size_t len)
{
	int fd = open(h->path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

/* Writes the WAL file directly (damage for recovery tests). */
static void file_write(const struct h *h, uint64_t off, const void *buf,
		       size_t len)
{
	int fd = open(h->path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

/* Device offset of a logical position (the test's own formula). */
static uint64_t phys(const struct h *h, uint64_t pos)
{
	return WAL_DATA_START + pos % (h->capacity - WAL_DATA_START);
}

/* Appends batches of the given sizes, waits, checks the delivered blocks
 * against the device and wal_read, reopens and compares the replay. */
START_TEST(test_roundtrip)
{
	static const uint32_t sizes[] = { 1, 100, 4096 - REC_OVERHEAD, 4000,
					  10000, 70000, 0, 5, 3000, 200000 };
	struct h h;
	h_setup(&h, 8u << 20, 64 << 10);
	ck_assert_int_eq(h_open(&h), 0);
	struct stat st;
	ck_assert_int_eq(stat(h.path, &st), 0);
	ck_assert_uint_eq((uint64_t)st.st_size, 8u << 20);
	ck_assert_uint_ge((uint64_t)st.st_blocks * 512, 8u << 20);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		ck_assert_int_eq(h_append(&h, 100 + i % 3, sizes[i]), 0);
		if (i % 4 == 3)
			h_wait(&h);
	}
	h_wait(&h);
	ck_assert_uint_eq(h.blocks[h.nblocks - 1].end, wal_head(h.wal));
	h_check_blocks(&h);
	for (size_t i = 0; i < h.nblocks; i++) {
		const struct blk *b = &h.blocks[i];
		uint8_t *disk = malloc(b->end - b->start);
		file_read(&h, phys(&h, b->start), disk, b->end - b->start);
		ck_assert(!memcmp(disk, b->bytes, b->end - b->start));
		free(disk);
	}
	for (size_t i = 0; i < h.model.n; i++) {
		const struct rec *r = &h.model.v[i];
		uint8_t *got = malloc(r->len + 1);
		ck_assert_int_eq(wal_read(h.wal, r->pos, got, r->len), 0);
		ck_assert(!memcmp(got, r->bytes, r->len));
		free(got);
	}
	uint8_t one;
	ck_assert_int_eq(wal_read(h.wal, wal_head(h.wal), &one, 1), SL_EINVAL);
	uint64_t head = wal_head(h.wal);
	h_reopen_check(&h, "after reopen");
	ck_assert_uint_eq(wal_head(h.wal), head);
	/* The capacity option does not resize an existing WAL. */
	h.capacity = 4u << 20;
	h_close(&h);
	ck_assert_int_eq(h_open(&h), 0);
	ck_assert_uint_eq(wal_ring_bytes(h.wal), (8u << 20) - WAL_DATA_START);
	h.capacity = 8u << 20;
	ck_assert_int_eq(wal_append(h.wal, 1, 0, 1, &one,
				    wal_max_batch_bytes(h.wal) + 1, &head),
			 SL_EINVAL);
	h_teardown(&h);
}
END_TEST

/* Group commit: while a block is in flight, appends grow the next block
 * until max_block_bytes; the completion handler queues a waiting partial
 * block by itself; bytes in memory are readable. */
static const struct {
	size_t max_block;
	unsigned n;
	uint32_t len;
	unsigned want_blocks;
	uint64_t want_size; /* size of every block after the first */
} group_cases[] = {
	{ 8192, 20, 3000, 11, 8192 },   /* two records per 8 KiB block */
	{ 1 << 20, 50, 100, 2, 8192 },  /* all grow into one block */
	{ 4096, 6, 4096 - REC_OVERHEAD, 7, 4096 }, /* one page each */
};

START_TEST(test_group_commit)
{
	struct h h;
	h_setup(&h, 4u << 20, group_cases[_i].max_block);
	ck_assert_int_eq(h_open(&h), 0);
	ck_assert_int_eq(h_append(&h, 1, 100), 0);
	wal_flush(h.wal); /* the thread is idle: queued at once */
	for (unsigned i = 0; i < group_cases[_i].n; i++) {
		ck_assert_int_eq(h_append(&h, 2, group_cases[_i].len), 0);
		wal_flush(h.wal);
	}
	/* Not yet durable: served from the blocks in memory. */
	for (size_t i = 0; i < h.model.n; i++) {
		const struct rec *r = &h.model.v[i];
		uint8_t *got = malloc(r->len + 1);
		ck_assert_int_eq(wal_read(h.wal, r->pos, got, r->len), 0);
		ck_assert(!memcmp(got, r->bytes, r->len));
		free(got);
	}
	h_settle(&h); /* no further flush */
	ck_assert_uint_eq(h.nblocks, group_cases[_i].want_blocks);
	ck_assert_uint_eq(h.blocks[0].end - h.blocks[0].start, 4096);
	for (size_t i = 1; i < h.nblocks; i++)
		ck_assert_uint_eq(h.blocks[i].end - h.blocks[i].start,
				  group_cases[_i].want_size);
	h_check_blocks(&h);
	h_reopen_check(&h, "group commit");
	h_teardown(&h);
}
END_TEST

/* wal_close writes the open block and delivers every completion. */
START_TEST(test_close_delivers)
{
	struct h h;
	h_setup(&h, 4u << 20, 64 << 10);
	ck_assert_int_eq(h_open(&h), 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(h_append(&h, 9, 2000), 0);
		wal_flush(h.wal);
	}
	ck_assert_int_eq(h_append(&h, 9, 50), 0); /* not flushed */
	uint64_t head = wal_head(h.wal);
	h_close(&h);
	ck_assert_uint_ge(h.nblocks, 2);
	ck_assert_uint_eq(h.blocks[h.nblocks - 1].end, (head + 4095) & ~4095ull);
	ck_assert_int_eq(h_open(&h), 0);
	recs_assert_eq(&h.replayed, &h.model, h.model.n, "after close");
	h_teardown(&h);
}
END_TEST

/* Damage inside the last block: everything before the damaged record is
 * kept, nothing after; new appends then survive another reopen and no
 * damaged record comes back. */
enum damage { GARBAGE_BODY, GARBAGE_HEADER, ZERO_REST, GARBAGE_REST };
static const struct {
	enum damage how;
	unsigned rec; /* index in the last block */
} torn_cases[] = {
	{ GARBAGE_BODY, 2 }, { GARBAGE_HEADER, 3 }, { ZERO_REST, 1 },
	{ GARBAGE_REST, 0 }, { GARBAGE_BODY, 4 },   { ZERO_REST, 4 },
};

START_TEST(test_torn_block)
{
	struct h h;
	h_setup(&h, 4u << 20, 64 << 10);
	ck_assert_int_eq(h_open(&h), 0);
	for (int g = 0; g < 2; g++) {
		for (int i = 0; i < 3; i++)
			ck_assert_int_eq(h_append(&h, 1, 2500 + 10 * i), 0);
		h_wait(&h);
	}
	size_t first_last = h.model.n;
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(h_append(&h, 2, 1500 + 7 * i), 0);
	h_wait(&h);
	const struct blk *last = &h.blocks[h.nblocks - 1];
	uint64_t blk_end = last->end;
	h_close(&h);

	size_t k = first_last + torn_cases[_i].rec;
	const struct rec *r = &h.model.v[k];
	uint64_t rec_start = r->pos - REC_OVERHEAD;
	uint8_t junk[16384];
	uint32_t seed = 99;
	fill_bytes(&seed, junk, sizeof junk);
	switch (torn_cases[_i].how) {
	case GARBAGE_BODY:
		file_write(&h, phys(&h, r->pos + r->len / 2), junk, 64);
		break;
	case GARBAGE_HEADER:
		file_write(&h, phys(&h, rec_start), junk, 32);
		break;
	case ZERO_REST:
	case GARBAGE_REST: {
		if (torn_cases[_i].how == ZERO_REST)
			memset(junk, 0, sizeof junk);
		ck_assert_uint_le(blk_end - rec_start, sizeof junk);
		file_write(&h, phys(&h, rec_start), junk, blk_end - rec_start);
		break;
	}
	}
	recs_truncate(&h.model, k);
	ck_assert_int_eq(h_open(&h), 0);
	recs_assert_eq(&h.replayed, &h.model, k, "torn");
	ck_assert_uint_le(wal_head(h.wal), blk_end);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(h_append(&h, 3, 700), 0);
	h_wait(&h);
	h_check_blocks(&h);
	h_reopen_check(&h, "after torn + appends");
	h_teardown(&h);
}
END_TEST

/* A flipped byte in record k of n: recovery returns records 0..k-1. */
static const struct {
	unsigned k;
	int in_header;
} crc_cases[] = { { 0, 0 }, { 3, 0 }, { 7, 0 }, { 5, 1 }, { 1, 1 } };

START_TEST(test_bad_crc_middle)
{
	struct h h;
	h_setup(&h, 4u << 20, 64 << 10);
	ck_assert_int_eq(h_open(&h), 0);
	for (int i = 0; i < 8; i++) /* 752-byte records straddle pages */
		ck_assert_int_eq(h_append(&h, 5, 700), 0);
	h_wait(&h);
	h_close(&h);
	const struct rec *r = &h.model.v[crc_cases[_i].k];
	uint64_t at = crc_cases[_i].in_header ? r->pos - REC_OVERHEAD + 9
					      : r->pos + 123;
	uint8_t b;
	file_read(&h, phys(&h, at), &b, 1);
	b ^= 0x40;
	file_write(&h, phys(&h, at), &b, 1);
	recs_truncate(&h.model, crc_cases[_i].k);
	ck_assert_int_eq(h_open(&h), 0);
	recs_assert_eq(&h.replayed, &h.model, crc_cases[_i].k, "bad crc");
	ck_assert_int_eq(h_append(&h, 6, 300), 0);
	h_wait(&h);
	h_reopen_check(&h, "bad crc + append");
	h_teardown(&h);
}
END_TEST

/* Records of later blocks, intact but behind a torn one, must not come
 * back once newer blocks end right in front of them. */
START_TEST(test_no_revival)
{
	struct h h;
	h_setup(&h, 4u << 20, 64 << 10);
	ck_assert_int_eq(h_open(&h), 0);
	for (int i = 0; i < 6; i++) /* one page each, pages 0..5 */
		ck_assert_int_eq(h_append(&h, 1, 4096 - REC_OVERHEAD), 0);
	h_wait(&h);
	h_close(&h);
	uint8_t junk[32];
	memset(junk, 0xa5, sizeof junk);
	file_write(&h, phys(&h, 2 * 4096 + 100), junk, sizeof junk);
	recs_truncate(&h.model, 2);
	ck_assert_int_eq(h_open(&h), 0);
	recs_assert_eq(&h.replayed, &h.model, 2, "torn page 2");
	ck_assert_uint_eq(wal_head(h.wal), 2 * 4096);
	/* The new block is page 2; old pages 3..5 held valid records. */
	ck_assert_int_eq(h_append(&h, 2, 4096 - REC_OVERHEAD), 0);
	h_wait(&h);
	ck_assert_uint_eq(wal_head(h.wal), 3 * 4096);
	h_reopen_check(&h, "no revival");
	ck_assert_uint_eq(h.replayed.n, 3);
	h_teardown(&h);
}
END_TEST

/* Appends a record so that it ends exactly gap bytes before the physical
 * end (appending and waiting on fillers first); leaves it unflushed. */
static void fill_to(struct h *h, uint64_t gap)
{
	struct wal *w = h->wal;
	for (;;) {
		h_wait(h);
		uint64_t ring = wal_ring_bytes(w);
		uint64_t to_end = ring - wal_head(w) % ring;
		uint64_t len = to_end - gap - REC_OVERHEAD;
		if (len <= wal_max_batch_bytes(w)) {
			h_ensure_room(h, to_end + 3 * 4096);
			ck_assert_int_eq(h_append(h, 77, (uint32_t)len), 0);
			ck_assert_uint_eq((wal_head(w) + gap) % ring, 0);
			return;
		}
		uint64_t chunk = to_end - 2 * 4096 - REC_OVERHEAD;
		if (chunk > wal_max_batch_bytes(w))
			chunk = wal_max_batch_bytes(w);
		h_append_room(h, 76, (uint32_t)chunk);
	}
}

/* Page edges inside one block: a record ending 10 bytes before a boundary,
 * one straddling it, one ending 10 bytes before the next boundary, then a
 * flush (an implicit 10-byte gap ends the block). */
static void page_edges(struct h *h)
{
	struct wal *w = h->wal;
	h_wait(h);
	uint64_t ring = wal_ring_bytes(w);
	if (ring - wal_head(w) % ring < 4 * 4096) {
		fill_to(h, 0);
		h_wait(h);
	}
	h_ensure_room(h, 4 * 4096);
	uint64_t start = wal_head(w);
	ck_assert_int_eq(h_append(h, 50, 4096 - 10 - REC_OVERHEAD), 0);
	ck_assert_int_eq(h_append(h, 51, 200), 0);
	uint64_t left = start + 2 * 4096 - 10 - wal_head(w);
	ck_assert_int_eq(h_append(h, 52, (uint32_t)(left - REC_OVERHEAD)), 0);
	ck_assert_uint_eq(wal_head(w), start + 2 * 4096 - 10);
	h_wait(h);
	ck_assert_uint_eq(wal_head(w), start + 2 * 4096);
}

/* Keeps about half a ring of history: trims to the newest delivered block
 * end at least half a ring behind the head. */
static void trim_half(struct h *h)
{
	struct wal *w = h->wal;
	uint64_t target = 0;
	for (size_t i = 0; i < h->nblocks; i++) {
		uint64_t e = h->blocks[i].end;
		if (e + wal_ring_bytes(w) / 2 <= wal_head(w) && e > target)
			target = e;
	}
	if (target > wal_trim(w)) {
		ck_assert_int_eq(wal_set_trim(w, target), 0);
		recs_drop_below(&h->model, target);
	}
}

/* A 256 KiB ring over many laps with every padding case; reopening
 * returns exactly the records in [trim, head), none from earlier laps. */
START_TEST(test_wrap_laps)
{
	static const uint32_t sizes[] = { 1, 9000, 300, 4044, 17, 12000, 2500 };
	struct h h;
	h_setup(&h, SMALL_CAP, 16384);
	ck_assert_int_eq(h_open(&h), 0);
	uint64_t ring = wal_ring_bytes(h.wal);
	ck_assert_uint_eq(ring, SMALL_CAP - WAL_DATA_START);
	for (int it = 0; it < 60; it++) {
		switch (it % 5) {
		case 0:
			for (int i = 0; i < 25; i++) {
				h_append_room(&h, (uint64_t)i % 4,
					      sizes[(it + i) % 7]);
				if (i % 6 == 5)
					wal_flush(h.wal);
			}
			break;
		case 1: /* < 32 bytes left at the end: implicit padding */
			fill_to(&h, 20);
			ck_assert_int_eq(h_append(&h, 78, 1000), 0);
			ck_assert_uint_eq(wal_head(h.wal) % ring,
					  REC_OVERHEAD + 1000);
			break;
		case 2: /* a padding record fills the end */
			fill_to(&h, 100);
			ck_assert_int_eq(h_append(&h, 79, 1000), 0);
			ck_assert_uint_eq(wal_head(h.wal) % ring,
					  REC_OVERHEAD + 1000);
			break;
		case 3: /* a record ends exactly at the physical end */
			fill_to(&h, 0);
			ck_assert_int_eq(h_append(&h, 80, 500), 0);
			break;
		case 4:
			page_edges(&h);
			break;
		}
		h_wait(&h);
		trim_half(&h);
		if (it % 4 == 3) {
			h_check_blocks(&h);
			h_reopen_check(&h, "wrap");
		}
	}
	ck_assert_uint_ge(wal_head(h.wal) / ring, 5);
	h_check_blocks(&h);
	h_reopen_check(&h, "wrap end");
	h_teardown(&h);
}
END_TEST

/* A full WAL refuses appends without writing anything until trimmed. */
START_TEST(test_full)
{
	struct h h;
	h_setup(&h, SMALL_CAP, 16384);
	ck_assert_int_eq(h_open(&h), 0);
	struct wal *w = h.wal;
	uint64_t ring = wal_ring_bytes(w);
	for (int round = 0; round < 3; round++) {
		int rc, i = 0;
		while ((rc = h_append(&h, 4, 5000)) == 0)
			if (++i % 3 == 0)
				wal_flush(w);
		ck_assert_int_eq(rc, SL_EFULL);
		/* Not premature: the record plus its alignment, or plus the
		 * padding to the physical end, did not fit. */
		ck_assert_uint_lt(wal_trim(w) + ring - wal_head(w),
				  2 * (5000 + REC_OVERHEAD) + 4096);
		h_wait(&h);
		size_t nblocks = h.nblocks;
		uint64_t head = wal_head(w);
		uint8_t *before = malloc(SMALL_CAP), *after = malloc(SMALL_CAP);
		file_read(&h, 0, before, SMALL_CAP);
		ck_assert_int_eq(h_append(&h, 4, 5000), SL_EFULL);
		wal_flush(w);
		for (int t = 0; t < 3; t++)
			event_base_loop(h.base, EVLOOP_ONCE);
		file_read(&h, 0, after, SMALL_CAP);
		ck_assert(!memcmp(before, after, SMALL_CAP));
		ck_assert_uint_eq(h.nblocks, nblocks);
		ck_assert_uint_eq(wal_head(w), head);
		free(before);
		free(after);
		/* Trimming part of the ring makes room again. */
		uint64_t t = h.blocks[nblocks / 2].end;
		ck_assert_int_eq(wal_set_trim(w, t), 0);
		recs_drop_below(&h.model, t);
		ck_assert_int_eq(h_append(&h, 4, 5000), 0);
		h_wait(&h);
		h_reopen_check(&h, "full");
		w = h.wal;
	}
	ck_assert_int_eq(wal_set_trim(w, wal_trim(w) + 1), SL_EINVAL);
	ck_assert_int_eq(wal_set_trim(w, wal_durable(w) + 4096), SL_EINVAL);
	h_teardown(&h);
}
END_TEST

/* Sequence number stored in a header slot. */
static uint64_t slot_seq(const struct h *h, int slot)
{
	uint8_t buf[64];
	file_read(h, (uint64_t)slot * WAL_HEADER_SLOT_BYTES, buf, sizeof buf);
	return be64_get(buf + WAL_HDR_OFF_SEQ);
}

/* Flips one bit of a header slot. */
static void slot_flip(const struct h *h, int slot, unsigned off)
{
	uint8_t b;
	uint64_t at = (uint64_t)slot * WAL_HEADER_SLOT_BYTES + off;
	file_read(h, at, &b, 1);
	b ^= 1;
	file_write(h, at, &b, 1);
}

/* Slots alternate; a damaged newer slot falls back to the older one; both
 * damaged is an error; another node's WAL is refused. */
START_TEST(test_header_slots)
{
	struct h h;
	h_setup(&h, 4u << 20, 64 << 10);
	ck_assert_int_eq(h_open(&h), 0);
	ck_assert_uint_eq(slot_seq(&h, 0), 0);
	ck_assert_uint_eq(slot_seq(&h, 1), 1);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(h_append(&h, 1, 3000), 0);
		h_wait(&h);
	}
	uint64_t t1 = h.blocks[0].end, t2 = h.blocks[h.nblocks - 1].end;
	ck_assert_int_eq(wal_set_trim(h.wal, t1), 0);
	ck_assert_uint_eq(slot_seq(&h, 0), 2);
	ck_assert_int_eq(wal_set_trim(h.wal, t2), 0);
	ck_assert_uint_eq(slot_seq(&h, 1), 3);
	h_close(&h);

	/* Newer slot (1, trim t2) damaged: slot 0 (trim t1) is used. */
	slot_flip(&h, 1, WAL_HDR_OFF_TRIM + 7);
	ck_assert_int_eq(h_open(&h), 0);
	ck_assert_uint_eq(wal_trim(h.wal), t1);
	recs_drop_below(&h.model, t1);
	recs_assert_eq(&h.replayed, &h.model, h.model.n, "older slot");
	ck_assert_int_eq(wal_set_trim(h.wal, t2), 0); /* rewrites slot 1 */
	ck_assert_uint_eq(slot_seq(&h, 1), 3);
	h_close(&h);

	/* Older slot damaged: the newer one still wins. */
	slot_flip(&h, 0, WAL_HDR_OFF_EPOCH);
	ck_assert_int_eq(h_open(&h), 0);
	ck_assert_uint_eq(wal_trim(h.wal), t2);
	h_close(&h);

	/* A new epoch is recorded in the next slot. */
	h.epoch = 2;
	ck_assert_int_eq(h_open(&h), 0);
	ck_assert_uint_eq(slot_seq(&h, 0), 4);
	h_close(&h);

	h.node = NODE + 1;
	ck_assert_int_eq(h_open(&h), SL_EINVAL);
	ck_assert_ptr_null(h.wal);
	h.node = NODE;
	ck_assert_int_eq(h_open(&h), 0); /* the file was left as it was */
	h_close(&h);

	slot_flip(&h, 0, WAL_HDR_OFF_CAPACITY + 3);
	slot_flip(&h, 1, WAL_HDR_OFF_MAGIC);
	ck_assert_int_eq(h_open(&h), SL_ECORRUPT);
	ck_assert_ptr_null(h.wal);
	h_teardown(&h);
}
END_TEST

/* All WAL tests in one case. */
/* A lender like brokerd's shm cache: a ring of lend_size bytes indexed
 * by logical offset that declines a range wrapping its end or reaching
 * back to keep. */
struct lender {
	uint8_t *ring;
	uint64_t size;
	unsigned lent, declined;
};

/* wal_memory_fn over struct lender. */
static uint8_t *lender_lend(void *arg, uint64_t start, size_t len,
			    uint64_t keep)
{
	struct lender *l = arg;
	uint64_t at = start % l->size;
	ck_assert_uint_le(keep, start);
	ck_assert_uint_eq(start % WAL_ALIGN, 0);
	if (len > l->size - at || start + len - keep > l->size) {
		l->declined++;
		return NULL;
	}
	l->lent++;
	return l->ring + at;
}

/* Blocks built in lent memory and records whose body CRC is joined from a
 * CRC the caller holds: delivered blocks, the device (via recovery) and
 * wal_read must all hold what was appended, with valid CRCs. */
START_TEST(test_lent_memory_known_crc)
{
	static uint8_t buf[300000];
	static const uint32_t sizes[] = { 61, 1000, 5000, 20000, 65000,
					  200000, 3, 300000, 4000, 100 };
	struct lender l = { .size = 1u << 20 };
	l.ring = aligned_alloc(WAL_ALIGN, l.size);
	ck_assert_ptr_nonnull(l.ring);
	struct h h;
	h_setup(&h, 16u << 20, 64 << 10);
	ck_assert_int_eq(h_open(&h), 0);
	wal_set_memory(h.wal, lender_lend, &l);
	h.lent_lo = l.ring;
	h.lent_hi = l.ring + l.size;
	for (unsigned i = 0; i < 120; i++) {
		uint32_t len = sizes[i % 10];
		fill_bytes(&h.seed, buf, len);
		/* the known CRC covers all, part or none of the batch */
		uint32_t from = (uint32_t[]){ 0, 21, len / 2, len }[i % 4];
		if (from > len)
			from = len;
		uint64_t pos;
		h_ensure_room(&h, 2 * sizeof buf);
		ck_assert_int_eq(wal_append_crc(h.wal, 9, i, 1, buf, len, from,
						crc32c(buf + from, len - from),
						&pos), 0);
		recs_push(&h.model, 9, i, 1, pos, buf, len);
		recs_push(&h.appended, 9, i, 1, pos, buf, len);
		uint8_t *got = malloc(len);
		ck_assert_int_eq(wal_read(h.wal, pos, got, len), 0);
		ck_assert(!memcmp(got, buf, len));
		free(got);
		if (i % 3 == 0)
			wal_flush(h.wal); /* several blocks in flight */
		if (i % 7 == 0)
			h_wait(&h);
	}
	h_wait(&h);
	ck_assert_uint_gt(l.lent, 0);
	ck_assert_uint_gt(l.declined, 0);
	/* blocks came back in the lent memory: h_check_blocks reads them */
	ck_assert_uint_gt(h.lent_delivered, 0);
	ck_assert_uint_gt(h.nblocks, h.lent_delivered);
	h_check_blocks(&h);
	h_reopen_check(&h, "lent memory");
	h_teardown(&h);
	free(l.ring);
}
END_TEST

Suite *unit_suite(void)
{
	/* Process-wide, before any test runs (see unit_main.h). */
	log_set_level(LOG_LEVEL_WARN);
	Suite *s = suite_create("wal");
	TCase *tc = tcase_create("wal");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_loop_test(tc, test_group_commit, 0,
			    sizeof group_cases / sizeof group_cases[0]);
	tcase_add_test(tc, test_close_delivers);
	tcase_add_loop_test(tc, test_torn_block, 0,
			    sizeof torn_cases / sizeof torn_cases[0]);
	tcase_add_loop_test(tc, test_bad_crc_middle, 0,
			    sizeof crc_cases / sizeof crc_cases[0]);
	tcase_add_test(tc, test_no_revival);
	tcase_add_test(tc, test_wrap_laps);
	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_header_slots);
	tcase_add_test(tc, test_lent_memory_known_crc);
	suite_add_tcase(s, tc);
	return s;
}
