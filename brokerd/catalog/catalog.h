/*
 * The catalog: brokerd's durable metadata (topics, their partitions' stream
 * ids, topic ids and configs, broker config overrides, the brokerd
 * generation) and the state of
 * object storage, the system of record (which objects hold which offsets of
 * which stream, how far the WAL has been uploaded, each stream's log start
 * offset).  brokerd is its only writer; uploaderd and compactd propose
 * changes that it checks (fencing) before journaling them.
 *
 * Durability: every change is appended to <dir>/catalog.journal as one
 * record (magic, version, type, length, CRC-32C) and fdatasync'ed before the
 * call returns.  Every snapshot_every changes (and at open) the whole state
 * is written to catalog.snapshot by temp file, fsync, rename, fsync of the
 * directory, and the journal restarts empty.  Opening loads the snapshot,
 * then replays the journal up to the first invalid record (a torn tail is
 * logged and cut off).
 *
 * Threading: event-loop thread only.  Changes block on fdatasync; they are
 * rare (topic changes, one upload per region, one per compaction).
 */
#ifndef SLUICE_CATALOG_H
#define SLUICE_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#define TOPIC_NAME_MAX 249

struct topic_config_entry {
	char *name;
	char *value;
};

struct topic {
	char name[TOPIC_NAME_MAX + 1];
	uint8_t id[16];            /* topic id (UUID v4 bytes) */
	int32_t partition_count;
	/* partition p has stream id stream_ids[p]: consecutive at creation,
	 * but partitions added later get ids handed out after other topics' */
	uint64_t *stream_ids;
	size_t config_count;       /* only keys set explicitly */
	struct topic_config_entry *configs;
};

/* The stream id of partition p of topic t; p must be in
 * [0, t->partition_count). */
static inline uint64_t topic_stream_id(const struct topic *t, int32_t p)
{
	return t->stream_ids[p];
}

struct catalog;

/* Opens or creates the catalog under dir.  Returns 0 or a negative SL_E*
 * after logging the cause. */
int catalog_open(const char *dir, struct catalog **out);

/* Increments and journals the brokerd generation; returns the new value
 * through *generation.  Called once per brokerd start. */
int catalog_bump_generation(struct catalog *cat, uint64_t *generation);

/* Creates a topic with fresh stream ids and a random topic id.  configs are
 * copied.  Returns 0 (with *out set), SL_EEXIST, SL_EINVAL (empty or too
 * long name, partition_count < 1, a config that topic_config_validate
 * rejects or that is given twice), or SL_EIO. */
int catalog_topic_create(struct catalog *cat, const char *name,
			 int32_t partition_count,
			 const struct topic_config_entry *configs,
			 size_t config_count, const struct topic **out);

/* Deletes a topic by name.  Returns 0, SL_ENOENT or SL_EIO.  Stream ids are
 * never reused; the streams' blocks stay until compactd drops them
 * (catalog_dead_stream_next). */
int catalog_topic_delete(struct catalog *cat, const char *name);

const struct topic *catalog_topic_by_name(const struct catalog *cat,
					  const char *name);
const struct topic *catalog_topic_by_id(const struct catalog *cat,
					const uint8_t id[16]);
/* The topic owning a stream id, or NULL (deleted or unknown). */
const struct topic *catalog_topic_by_stream(const struct catalog *cat,
					    uint64_t stream_id);
/* The partition index of a live topic's stream, or -1. */
int32_t catalog_stream_partition(const struct catalog *cat,
				 uint64_t stream_id);

/* Replaces the explicitly set configs of a topic with configs (copied; n 0
 * returns every key to its default).  Journaled before it applies; the new
 * values are in force as soon as the call returns (readers look them up at
 * use time).  Returns 0, SL_ENOENT, SL_EINVAL (a config that
 * topic_config_validate rejects, a null value, or a key given twice),
 * SL_ENOMEM or SL_EIO. */
int catalog_topic_set_configs(struct catalog *cat, const char *name,
			      const struct topic_config_entry *configs,
			      size_t n);

/* Grows a topic to partition_count partitions; the new ones get fresh
 * stream ids.  The topic pointer stays valid; its stream_ids array moves.
 * Returns 0, SL_ENOENT, SL_EINVAL (not an increase), SL_EFULL (stream ids
 * exhausted), SL_ENOMEM or SL_EIO. */
int catalog_topic_add_partitions(struct catalog *cat, const char *name,
				 int32_t partition_count);

/* Broker config overrides made at run time (AlterConfigs on a broker
 * resource): the complete set replaces the previous one.  Values are
 * stored as given; brokerd (dynconfig.c) checks them first.  Returns 0,
 * SL_EINVAL (empty key, null value, a key twice), SL_ENOMEM or SL_EIO. */
int catalog_broker_configs_set(struct catalog *cat,
			       const struct topic_config_entry *configs,
			       size_t n);

/* The broker config overrides: how many, and the i-th (NULL past the end)
 * in the order they were set. */
size_t catalog_broker_config_count(const struct catalog *cat);
const struct topic_config_entry *catalog_broker_config_at(
	const struct catalog *cat, size_t i);

/* Number of topics, and the i-th in name order (for Metadata). */
size_t catalog_topic_count(const struct catalog *cat);
const struct topic *catalog_topic_at(const struct catalog *cat, size_t i);

/* The brokerd generation (0 until the first catalog_bump_generation). */
uint64_t catalog_generation(const struct catalog *cat);

/* Snapshots after every records journal records instead of the default
 * 1000 (tests use small values). */
void catalog_set_snapshot_every(struct catalog *cat, unsigned records);

/* Value of a config key explicitly set on a topic, or NULL. */
const char *topic_config_get(const struct topic *topic, const char *name);

/* Writes a snapshot now (temp, fsync, rename, fsync dir) and truncates the
 * journal.  Returns 0 or SL_EIO. */
int catalog_snapshot(struct catalog *cat);

void catalog_close(struct catalog *cat);

/* ---- object storage (catalog_objects.c) ----
 *
 * Pointers to blocks and objects returned below stay valid until the next
 * change to the catalog (any call that journals). */

/* One index entry of an object, as committed. */
struct catalog_block {
	uint64_t stream_id;
	int64_t start_offset;  /* first Kafka offset in the block */
	int64_t end_offset;    /* exclusive */
	int64_t max_timestamp;
	uint64_t record_count;
	uint64_t object_id;
	uint64_t position;     /* byte offset of the block in the object */
	uint32_t size;
	uint32_t crc;          /* the block's CRC-32C */
};

struct catalog_object {
	uint64_t id;
	uint64_t size;
	uint64_t wal_start, wal_end; /* WAL range of an uploaded region; 0,0
				      * for compaction outputs */
	int64_t created_ms;
	uint32_t block_count;
	uint32_t flags;              /* OBJECT_FLAG_*, common/object_format.h */
};

/* Commits the uploaded WAL region [obj->wal_start, obj->wal_end) as object
 * obj with its n blocks (obj->block_count), sorted by stream and offset.
 * Fenced: wal_start must equal catalog_uploaded_end() and the blocks of each
 * stream must continue that stream exactly from catalog_stream_end() with
 * no gap or overlap (a deleted topic's stream that holds no block accepts
 * any start).  Returns 0 once journaled and fdatasync'ed; 0 with *already
 * set when this object id was committed before for the same range; SL_ESTALE
 * (logged) when the proposal does not match the catalog; SL_EINVAL for a
 * malformed one (unsorted blocks, a block outside the object, a stream id
 * never handed out, too many blocks for one record); SL_ENOMEM or SL_EIO.
 * already may be NULL. */
int catalog_commit_upload(struct catalog *cat, const struct catalog_object *obj,
			  const struct catalog_block *blocks, size_t n,
			  int *already);

/* WAL offset up to which regions are committed: the trim point. */
uint64_t catalog_uploaded_end(const struct catalog *cat);

/* Replaces live input objects with output objects atomically (compaction)
 * and retires the inputs with the current time.  blocks holds each output's
 * index in turn (outputs[i].block_count entries, sorted by stream and
 * offset).  Fenced: every input must be live, every output id new, and per
 * stream the output blocks must not overlap and must lie within the ranges
 * the inputs' blocks cover.  They must also cover every input offset at or
 * above the stream's log start offset, except in streams of topics whose
 * cleanup.policy has compact (superseded keys go) and of deleted topics
 * (everything may go).  A repeat of a replace already applied (no input
 * live, every output known) returns 0 and changes nothing.  Returns 0,
 * SL_ESTALE (logged), SL_EINVAL, SL_ENOMEM or SL_EIO. */
int catalog_replace_objects(struct catalog *cat, const uint64_t *inputs,
			    size_t n_in, const struct catalog_object *outputs,
			    size_t n_out, const struct catalog_block *blocks,
			    size_t n_blocks);

/* Removes retired objects, once deleted from S3, from the catalog.  Ids the
 * catalog no longer knows are skipped (a repeat).  Returns 0, SL_ESTALE
 * (logged) if one is still live, SL_ENOMEM or SL_EIO. */
int catalog_forget_objects(struct catalog *cat, const uint64_t *ids,
			   size_t n);

/* End offset of the stream's last committed block, 0 if none. */
int64_t catalog_stream_end(const struct catalog *cat, uint64_t stream_id);

/* The stream's log start offset, 0 until moved. */
int64_t catalog_stream_log_start(const struct catalog *cat,
				 uint64_t stream_id);

/* Moves the log start offset of a live topic's stream forward (DeleteRecords,
 * retention); it may pass the stream's end (data still in the WAL).  An
 * offset at or below the current one changes nothing.  Returns 0, SL_ENOENT
 * (no live topic owns the stream), SL_EINVAL (negative offset), SL_ENOMEM
 * or SL_EIO. */
int catalog_set_log_start(struct catalog *cat, uint64_t stream_id,
			  int64_t offset);

/* The stream's live blocks in offset order (*n of them), or NULL with *n 0.
 * Blocks below the log start offset stay until compactd rewrites them. */
const struct catalog_block *catalog_stream_blocks(const struct catalog *cat,
						  uint64_t stream_id,
						  size_t *n);

/* The live block holding offset, else the first after it, else NULL.  An
 * offset below the log start offset is looked up as the log start offset:
 * what lies below it is deleted even while its blocks remain. */
const struct catalog_block *catalog_stream_find(const struct catalog *cat,
						uint64_t stream_id,
						int64_t offset);

/* 1 if the stream belonged to a topic since deleted, else 0. */
int catalog_stream_is_deleted(const struct catalog *cat, uint64_t stream_id);

/* The smallest deleted topic's stream id above after that still has live
 * blocks (compactd drops them), or 0 when there is none.  Start with 0. */
uint64_t catalog_dead_stream_next(const struct catalog *cat, uint64_t after);

/* The object with this id (live or retired), or NULL. */
const struct catalog_object *catalog_object_by_id(const struct catalog *cat,
						  uint64_t id);

/* Number of objects (live and retired), and the i-th in no particular
 * order, or NULL past the end. */
size_t catalog_object_count(const struct catalog *cat);
const struct catalog_object *catalog_object_at(const struct catalog *cat,
					       size_t i);

/* 1 if the object is retired (*retired_ms, if not NULL, gets when), 0 if
 * live, SL_ENOENT if unknown. */
int catalog_object_is_retired(const struct catalog *cat, uint64_t id,
			      int64_t *retired_ms);

/* The bytes of a snapshot of the current state (what catalog.snapshot would
 * hold if written now), for the copy in the bucket.  Returns 0 with *buf
 * (caller frees) and *len set, or SL_ENOMEM / SL_EINVAL. */
int catalog_snapshot_bytes(struct catalog *cat, uint8_t **buf, size_t *len);

/* Writes such bytes as <dir>/catalog.snapshot (temp, fsync, rename, fsync
 * of the directory, which is created if missing) after checking that they
 * load.  Returns 0, SL_EEXIST if dir already holds a catalog (a snapshot
 * or a non-empty journal), SL_ECORRUPT (logged) if the bytes do not load,
 * SL_ENOMEM or SL_EIO. */
int catalog_restore_snapshot(const char *dir, const uint8_t *buf, size_t len);

/* Calls fn with the bytes of every snapshot written from now on, after its
 * rename is durable (brokerd copies it to the bucket).  fn must copy what
 * it keeps; fn NULL removes the hook. */
/* A hook called after every journaled change with the record's sequence
 * number and encoded bytes (brokerd copies them to the bucket). */
void catalog_set_journal_hook(struct catalog *cat,
			      void (*fn)(void *arg, uint64_t seq,
					 const uint8_t *buf, size_t len),
			      void *arg);

/* Sequence number of the last change applied. */
uint64_t catalog_seq(const struct catalog *cat);

/* Appends encoded journal records (copies from the bucket, in sequence
 * order) to dir's journal, for a rebuild after catalog_restore_snapshot.
 * Returns 0 or SL_EIO. */
int catalog_restore_journal(const char *dir, const uint8_t *buf, size_t len);

void catalog_set_snapshot_hook(struct catalog *cat,
			       void (*fn)(void *arg, const uint8_t *buf,
					  size_t len),
			       void *arg);

#endif
