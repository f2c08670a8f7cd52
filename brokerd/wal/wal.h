/*
 * The write-ahead log: where a produced batch becomes durable.
 *
 * Device layout (ARCHITECTURE.md section 4; all integers big-endian):
 *   [0, 4096)      header slot A    } written alternately; the valid slot
 *   [4096, 8192)   header slot B    } with the higher sequence number wins
 *   [8192, cap)    the ring; logical offset L lives at 8192 + L % ring_size
 *
 * Logical offsets are unbounded u64.  The ring holds [trim, head).  A record
 * is a 32-byte header followed by its body; records never wrap: a padding
 * record (or, when fewer than 32 bytes remain, implicit padding) fills the
 * space before the physical end.  Group-commit blocks start 4 KiB-aligned.
 *
 * Threading: every function here is called from the event-loop thread.  One
 * I/O thread owned by this module does pwrite + fdatasync (or O_DSYNC) and
 * reports completions back to the loop, strictly in offset order.
 */
#ifndef SLUICE_WAL_H
#define SLUICE_WAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/wal_format.h"

struct event_base;
struct wal;

#define WAL_MIN_CAPACITY (WAL_DATA_START + 64u * WAL_ALIGN)

struct wal_options {
	const char *path;      /* file (created and preallocated if missing) or block device */
	uint64_t capacity;     /* bytes; for a new file; rounded down to WAL_ALIGN */
	uint32_t node_id;      /* written to the header, checked on open */
	uint64_t epoch;        /* brokerd generation, written to the header */
	size_t max_block_bytes; /* a group-commit block is queued at this size */
	uint64_t initial_trim; /* a new WAL starts its log here (after a
				  rebuild from the bucket, the catalog's
				  uploaded end); rounded down to WAL_ALIGN */
};


/* Called for every valid batch record found by wal_recover, in log order. */
typedef void (*wal_replay_fn)(void *arg, const struct wal_batch *batch);

/* Called on the loop thread when [start, end) has become durable, in
 * offset order.  bytes holds exactly the block's logical bytes (records and
 * padding) and stays valid only during the call. */
typedef void (*wal_durable_fn)(void *arg, uint64_t start, uint64_t end,
			       const uint8_t *bytes);

/* Lends the WAL memory for a block: len bytes that will hold logical
 * offsets [start, start + len), WAL_ALIGN-aligned, that the lender will not
 * touch until the block is delivered to the durable callback (which then
 * finds its bytes already in place), while keeping intact every byte at or
 * above keep (blocks still in flight).  Returns NULL to decline; the WAL
 * then uses a buffer of its own. */
typedef uint8_t *(*wal_memory_fn)(void *arg, uint64_t start, size_t len,
				  uint64_t keep);

/* Opens (creating and preallocating a missing file) the WAL and reads its
 * header.  Returns 0, or a negative SL_E* error after logging the cause
 * (e.g. node id mismatch, both header slots invalid on an existing file). */
int wal_open(const struct wal_options *opt, struct wal **out);

/* Replays every valid record from the trim offset and sets the head past the
 * last one.  Stops at the first invalid record at an aligned position and
 * logs what it dropped (position, and why).  Must be called once, before
 * wal_start (also on a new WAL); it zeroes the space just past the new head
 * so torn writes of a crashed run can never be revived.  Returns 0,
 * SL_EIO or SL_ENOMEM. */
int wal_recover(struct wal *wal, wal_replay_fn fn, void *arg);

/* Starts the I/O thread and attaches completions to the loop. */
int wal_start(struct wal *wal, struct event_base *base, wal_durable_fn fn,
	      void *arg);

/* Has new blocks built in memory lent by fn (e.g. the shm cache, so that
 * the durable callback need not copy them there); NULL fn stops it. */
void wal_set_memory(struct wal *wal, wal_memory_fn fn, void *arg);

/* Appends one batch record to the current group-commit block.  On success
 * sets *batch_pos to the logical offset the RecordBatch bytes will have.
 * Returns 0, or SL_EFULL when the ring has no room before the trim offset
 * (back-pressure: the caller answers with a retriable error), or SL_EINVAL
 * when len exceeds wal_max_batch_bytes (it could never fit).  wal_start
 * must have been called. */
int wal_append(struct wal *wal, uint64_t stream_id, int64_t base_offset,
	       uint32_t record_count, const uint8_t *batch, uint32_t len,
	       uint64_t *batch_pos);

/* wal_append for a batch whose CRC-32C over batch[crc_from, len) the
 * caller has already checked (crc_tail), e.g. a RecordBatch's own CRC:
 * the record's body CRC then hashes only the bytes before crc_from
 * (crc_from <= len).  A crc_tail that does not match the bytes makes the
 * record invalid on recovery, which drops it and everything after it. */
int wal_append_crc(struct wal *wal, uint64_t stream_id, int64_t base_offset,
		   uint32_t record_count, const uint8_t *batch, uint32_t len,
		   uint32_t crc_from, uint32_t crc_tail, uint64_t *batch_pos);

/* Hands the current block to the I/O thread if it is idle or the block is
 * large; otherwise the block keeps growing (group commit).  Call after each
 * burst of appends (e.g. once per loop iteration). */
void wal_flush(struct wal *wal);

/* Copies len bytes at logical offset pos (which must be in [trim, head))
 * into buf, reading the device (bytes not yet durable come from the blocks
 * in memory).  Returns 0, SL_EIO, or SL_EINVAL for a range outside
 * [trim, head). */
int wal_read(struct wal *wal, uint64_t pos, void *buf, size_t len);

/* Moves the trim offset forward and writes the next header slot durably.
 * trim must be a block boundary (an `end` passed to the durable callback,
 * or the head after wal_recover) in [wal_trim, wal_durable].  Returns 0,
 * SL_EIO, or SL_EINVAL for any other value. */
int wal_set_trim(struct wal *wal, uint64_t trim);

uint64_t wal_head(const struct wal *wal);     /* next logical offset to assign */
uint64_t wal_durable(const struct wal *wal);  /* everything below is durable */
uint64_t wal_trim(const struct wal *wal);
uint64_t wal_ring_bytes(const struct wal *wal); /* capacity - WAL_DATA_START */
/* Largest RecordBatch wal_append accepts: min(16 MiB, about half the ring)
 * minus record overhead, so that any record fits once the ring is trimmed
 * and every block stays within the recovery scrub window. */
uint32_t wal_max_batch_bytes(const struct wal *wal);

/* Writes the open block, waits for in-flight blocks and delivers their
 * completions (the callback must not append then), stops the I/O thread,
 * closes the device. */
void wal_close(struct wal *wal);

#endif
