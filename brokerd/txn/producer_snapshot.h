/*
 * Snapshots of every partition's producer state (producer_state.h), so
 * that sequence numbers, open transactions and aborted transactions
 * outlive the WAL bytes they were read from once those are uploaded to S3
 * and the WAL is trimmed.
 *
 * <data.dir>/producers.snapshot holds the state as of WAL position pos:
 * every batch appended before pos and none after.  It is written (temp
 * file, fsync, rename, directory fsync, on the transaction log's thread)
 * only once the WAL is durable up to pos, so it never claims a batch a
 * crash could lose.  It also names trim, the WAL's durable block boundary
 * when it was taken (trim <= pos): the WAL trim is never moved past the
 * trim of the snapshot on disk, so recovery always finds the WAL from
 * there: it loads the snapshot, then replays into the producer state only
 * the batches at or after pos.
 *
 * File: header (PRODUCER_SNAPSHOT_HEADER_BYTES) then content.  Header:
 * magic u32, format version u16, reserved u16, pos u64, trim u64, content
 * length u64, content CRC-32C u32, header CRC-32C u32 (over the 36 bytes
 * before it).  Content: partition count u32, then per partition: stream
 * id u64, producer count u32, aborted count u32, the producers (id i64,
 * epoch i16, open transaction's first offset i64, last write ms i64,
 * batch count u8, then per batch first and last sequence i32, first and
 * last offset i64, WAL end u64), the aborted transactions (producer id,
 * first offset, marker offset: i64 each).  All big-endian.
 *
 * Taking a snapshot is also when idle producers expire
 * (producer.id.expiration.ms) and aborted transactions below the log
 * start go.
 *
 * Threading: event loop only.
 */
#ifndef SLUICE_PRODUCER_SNAPSHOT_H
#define SLUICE_PRODUCER_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#define PRODUCER_SNAPSHOT_MAGIC 0x534c5053u /* "SLPS" */
#define PRODUCER_SNAPSHOT_VERSION 1u
#define PRODUCER_SNAPSHOT_HEADER_BYTES 40u

struct partition_table;
struct txn_log;

/* Encodes the state of every partition of pt as a snapshot file image as
 * of WAL position pos with trim point trim.  Returns 0 with *image (caller
 * frees) and *len, or SL_ENOMEM. */
int producer_snapshot_encode(struct partition_table *pt, uint64_t pos,
			     uint64_t trim, uint8_t **image, size_t *len);

/* Loads an image into the partitions of pt (their producer state must be
 * empty; streams no longer in pt are skipped).  Returns 0 with *pos and
 * *trim set, or SL_ECORRUPT (*why set) or SL_ENOMEM. */
int producer_snapshot_decode(struct partition_table *pt, const uint8_t *image,
			     size_t len, uint64_t *pos, uint64_t *trim,
			     const char **why);

/* Loads dir/producers.snapshot, if any, into broker.partitions (before
 * WAL recovery).  Returns 0, SL_ECORRUPT (logged: brokerd refuses to
 * start rather than forget producers) or SL_EIO. */
int producer_snapshot_load(const char *dir);

/* WAL position from which recovery applies batches to the producer state
 * (0 without a snapshot). */
uint64_t producer_snapshot_replay_from(void);

/* After WAL recovery: writes a snapshot of everything recovered, as of
 * wal_pos (the recovered head, all durable), synchronously.  Returns 0 or
 * SL_EIO / SL_ENOMEM. */
int producer_snapshot_write_now(const char *dir, uint64_t wal_pos);

/* Hands later snapshots to log's thread (NULL: none can be written). */
void producer_snapshot_set_log(struct txn_log *log);

/* Asks to move the WAL trim to want: calls trim_fn(want) at once when the
 * snapshot on disk allows it, else takes a snapshot and calls trim_fn
 * with as much as it allows once it is durable. */
void producer_snapshot_before_trim(uint64_t want, void (*trim_fn)(uint64_t limit));

/* Snapshots written since start (for tests). */
uint64_t producer_snapshot_count(void);

/* Forgets the module's state (shutdown, tests). */
void producer_snapshot_reset(void);

#endif
