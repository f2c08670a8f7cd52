/*
 * State shared by the WAL's files (wal.c, wal_device.c, wal_io.c,
 * wal_recover.c); not for use outside brokerd/wal/.
 *
 * Threading: fields marked [loop] belong to the event-loop thread; fields
 * marked [mu] are shared with the I/O thread under wal->mu; the rest are
 * fixed once wal_open returns.
 */
#ifndef SLUICE_WAL_INTERNAL_H
#define SLUICE_WAL_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "brokerd/wal/wal.h"
#include "common/wal_format.h"

/*
 * The I/O thread writes at most this many bytes between two fdatasyncs
 * (one "round"), so a crash can leave torn data only within this distance
 * of the first invalid record; recovery zeroes that window so torn records
 * of the current lap can never be revived behind newer writes.  Every block
 * is kept below it by bounding max_block_bytes and the record size.
 */
#define WAL_ROUND_BYTES (64u << 20)
/* Recovery and scrub read the device in chunks of this size. */
#define WAL_SCAN_CHUNK (4u << 20)
#define WAL_DEFAULT_BLOCK_BYTES (1u << 20)

/* A group-commit block: logical bytes [start, end) in an aligned buffer,
 * either the block's own or memory lent by the block-memory callback. */
struct wal_block {
	struct wal_block *next;   /* in the pending or done list */
	struct wal_block *lnext;  /* [loop] in the loop's in-flight list */
	uint64_t start;
	uint64_t end;        /* set when sealed */
	uint8_t *buf;        /* WAL_ALIGN-aligned, cap bytes: own or lent */
	size_t cap;
	uint8_t *own;        /* the block's own buffer (kept for reuse), or NULL */
	size_t own_cap;
	int err;             /* errno of a failed write or sync, 0 when durable */
};

struct wal {
	char *path;
	int fd_write;        /* O_DIRECT unless the filesystem refused it */
	int fd_read;         /* ordinary descriptor for unaligned preads */
	int direct;
	uint64_t capacity;
	uint64_t ring;       /* capacity - WAL_DATA_START */
	uint32_t node_id;
	uint64_t epoch;
	size_t max_block;    /* a block is queued at this size */
	uint32_t max_batch;  /* largest RecordBatch wal_append accepts */

	uint64_t seq;        /* [loop] sequence of the newest header slot */
	uint64_t trim;       /* [loop] */
	uint64_t head;       /* [loop] next logical offset to assign */
	uint64_t durable;    /* [loop] */
	int recovered;       /* [loop] */

	struct event_base *base;     /* [loop] set by wal_start */
	struct event *wake;          /* [loop] read side of efd */
	int efd;                     /* eventfd the I/O thread signals */
	wal_durable_fn durable_fn;   /* [loop] */
	void *durable_arg;           /* [loop] */
	wal_memory_fn memory_fn;     /* [loop] lends block memory, or NULL */
	void *memory_arg;            /* [loop] */
	struct wal_block *cur;       /* [loop] open block, or NULL */
	struct wal_block *spare;     /* [loop] free blocks for reuse */
	unsigned inflight;           /* [loop] queued, completion not delivered */
	struct wal_block *flight;    /* [loop] those blocks, oldest first, so */
	struct wal_block **flight_tail; /* wal_read can serve them from memory */

	pthread_t thread;
	int thread_started;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct wal_block *pending;   /* [mu] queued, not yet taken */
	struct wal_block **pending_tail;
	struct wal_block *done;      /* [mu] written, not yet delivered */
	struct wal_block **done_tail;
	int stop;                    /* [mu] */
};

static inline uint64_t wal_align_up(uint64_t x)
{
	return (x + WAL_ALIGN - 1) & ~(uint64_t)(WAL_ALIGN - 1);
}

/* Logical offset of the physical end of the lap holding pos. */
static inline uint64_t wal_lap_end(const struct wal *wal, uint64_t pos)
{
	return (pos / wal->ring + 1) * wal->ring;
}

/* Device offset of logical position pos. */
static inline uint64_t wal_phys(const struct wal *wal, uint64_t pos)
{
	return WAL_DATA_START + pos % wal->ring;
}

/* wal_device.c: the file or block device.  The I/O helpers return 0 or an
 * errno (not logged: the caller knows what failed); the others log and
 * return 0 or a negative SL_E* error. */
/* Creates path (via path.tmp + rename) preallocated to capacity, with both
 * header slots written (seq 0 in slot A, 1 in slot B). */
int wal_device_create(const char *path, uint64_t capacity, uint32_t node_id,
		      uint64_t epoch, uint64_t trim);
/* Opens wal->path into fd_write and fd_read; reports its size in bytes and
 * whether it is a block device. */
int wal_device_open(struct wal *wal, uint64_t *size, int *is_blk);
/* Reads all len bytes at device offset off through fd_read. */
int wal_device_pread(struct wal *wal, void *buf, size_t len, uint64_t off);
/* Writes all len bytes (aligned buffer, length and offset) via fd_write. */
int wal_device_pwrite(struct wal *wal, const void *buf, size_t len,
		      uint64_t off);
/* fdatasync of fd_write. */
int wal_device_sync(struct wal *wal);
/* Writes header slot seq % 2 with this trim and syncs it. */
int wal_device_header_write(struct wal *wal, uint64_t seq, uint64_t trim);
/* A WAL_ALIGN-aligned allocation (free with free()), or NULL. */
void *wal_device_alloc(size_t len);

/* wal_io.c: the I/O thread and completion delivery. */
/* Creates the eventfd and its event on wal->base and starts the thread. */
int wal_io_start(struct wal *wal);
/* Hands a sealed block to the I/O thread (loop thread). */
void wal_io_queue(struct wal *wal, struct wal_block *blk);
/* Lets the thread finish every queued block, joins it, delivers the
 * remaining completions and removes the event. */
void wal_io_stop(struct wal *wal);

/* wal.c */
/* Pads the open block to the boundary `to` and queues it; head = to. */
void wal_block_seal(struct wal *wal, uint64_t to);
/* Returns a delivered block to the spare list (or frees it). */
void wal_block_release(struct wal *wal, struct wal_block *blk);

#endif
