/*
 * The catalog: brokerd's durable metadata (topics, their partitions' stream
 * ids, topic ids and configs, the brokerd generation).  brokerd is its only
 * writer.
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
 * rare (topic creation and deletion).
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
	uint64_t first_stream_id;  /* partition p has stream id first_stream_id + p */
	size_t config_count;       /* only keys set explicitly at creation */
	struct topic_config_entry *configs;
};

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
 * never reused. */
int catalog_topic_delete(struct catalog *cat, const char *name);

const struct topic *catalog_topic_by_name(const struct catalog *cat,
					  const char *name);
const struct topic *catalog_topic_by_id(const struct catalog *cat,
					const uint8_t id[16]);
/* The topic owning a stream id, or NULL (deleted or unknown). */
const struct topic *catalog_topic_by_stream(const struct catalog *cat,
					    uint64_t stream_id);

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

#endif
