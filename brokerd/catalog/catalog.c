/*
 * The catalog: brokerd's topics, their ids, stream ids and configs, and the
 * brokerd generation, kept in memory and made durable by catalog_journal.c
 * and catalog_snapshot.c.  The object storage state lives beside them in
 * catalog_objects.c; this file journals its changes and snapshots it.
 *
 * A change is prepared in full (memory allocated, checks done), journaled
 * and synced, and only then applied, so a failed write leaves memory as it
 * was and applying cannot fail.  Every record carries a sequence number; the
 * snapshot records the last one it covers, and replay skips records at or
 * below it, so a crash between the snapshot's rename and the journal's
 * truncation replays nothing twice.
 *
 * Lookups: three sorted arrays of topic pointers (by name, by id, by first
 * stream id) searched by bisection.  Stream ids only grow, so a new topic
 * always goes to the end of the stream array.
 *
 * Ownership: the catalog owns every topic; pointers handed out stay valid
 * until that topic is deleted or the catalog closed.  Threading: event-loop
 * thread only.
 */
#include "brokerd/catalog/catalog.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "brokerd/catalog/catalog_journal.h"
#include "brokerd/catalog/catalog_objects.h"
#include "brokerd/catalog/catalog_record.h"
#include "brokerd/catalog/catalog_snapshot.h"
#include "brokerd/catalog/topic_config.h"
#include "common/errors.h"
#include "common/log.h"

#define CATALOG_SNAPSHOT_EVERY 1000u

struct catalog {
	char *dir;
	char *snapshot_path;
	char *snapshot_tmp_path;
	int dir_fd;
	struct catalog_journal journal;

	uint64_t seq;            /* last applied record */
	uint64_t generation;
	uint64_t next_stream_id; /* never handed out yet */

	struct topic **by_name;
	struct topic **by_id;
	struct topic **by_stream;
	size_t count, cap;

	unsigned snapshot_every;
	uint64_t snapshot_due; /* journal record count that triggers one */
	void (*snapshot_hook)(void *arg, const uint8_t *buf, size_t len);
	void *snapshot_hook_arg;
	void (*journal_hook)(void *arg, uint64_t seq, const uint8_t *buf, size_t len);
	void *journal_hook_arg;

	struct catalog_objects objects;
};

const struct catalog_objects *catalog_objects_of(const struct catalog *cat)
{
	return &cat->objects;
}

uint64_t catalog_next_stream_id(const struct catalog *cat)
{
	return cat->next_stream_id;
}

/* Position of name in by_name, or where it would go; *found says which. */
static size_t catalog_find_name(const struct catalog *cat, const char *name,
				int *found)
{
	size_t lo = 0, hi = cat->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(cat->by_name[mid]->name, name);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

/* Position of id in by_id, or where it would go; *found says which. */
static size_t catalog_find_id(const struct catalog *cat, const uint8_t id[16],
			      int *found)
{
	size_t lo = 0, hi = cat->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(cat->by_id[mid]->id, id, 16);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

/* Grows one index array to cap pointers; returns 0 or SL_ENOMEM. */
static int catalog_grow(struct topic ***array, size_t cap)
{
	struct topic **a = realloc(*array, cap * sizeof *a);
	if (!a)
		return SL_ENOMEM;
	*array = a;
	return 0;
}

/* Makes room for one more topic in every index; returns 0 or SL_ENOMEM. */
static int catalog_reserve(struct catalog *cat)
{
	if (cat->count < cat->cap)
		return 0;
	size_t cap = cat->cap ? cat->cap * 2 : 16;
	if (catalog_grow(&cat->by_name, cap) ||
	    catalog_grow(&cat->by_id, cap) ||
	    catalog_grow(&cat->by_stream, cap))
		return SL_ENOMEM;
	cat->cap = cap;
	return 0;
}

/* Inserts a at pos in an array of count pointers (room reserved). */
static void catalog_array_insert(struct topic **a, size_t count, size_t pos,
				 struct topic *t)
{
	memmove(a + pos + 1, a + pos, (count - pos) * sizeof *a);
	a[pos] = t;
}

/* Removes the pointer at pos from an array of count pointers. */
static void catalog_array_remove(struct topic **a, size_t count, size_t pos)
{
	memmove(a + pos, a + pos + 1, (count - pos - 1) * sizeof *a);
}

/* Position of t in by_stream (it must be there). */
static size_t catalog_find_stream_pos(const struct catalog *cat,
				      const struct topic *t)
{
	size_t lo = 0, hi = cat->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cat->by_stream[mid]->first_stream_id < t->first_stream_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	SL_ASSERT(lo < cat->count && cat->by_stream[lo] == t);
	return lo;
}

/* Why topic t cannot be added, or NULL if it can. */
static const char *catalog_create_conflict(const struct catalog *cat,
					   const struct topic *t)
{
	int found;
	catalog_find_name(cat, t->name, &found);
	if (found)
		return "topic name already exists";
	catalog_find_id(cat, t->id, &found);
	if (found)
		return "topic id already exists";
	if (t->first_stream_id < cat->next_stream_id)
		return "stream ids already handed out";
	return NULL;
}

/* Adds a checked topic (room reserved) and takes ownership of it. */
static void catalog_insert(struct catalog *cat, struct topic *t)
{
	int found;
	size_t pos = catalog_find_name(cat, t->name, &found);
	catalog_array_insert(cat->by_name, cat->count, pos, t);
	pos = catalog_find_id(cat, t->id, &found);
	catalog_array_insert(cat->by_id, cat->count, pos, t);
	cat->by_stream[cat->count] = t;
	cat->count++;
	cat->next_stream_id = t->first_stream_id + (uint64_t)t->partition_count;
}

/* Removes t from every index and frees it. */
static void catalog_remove(struct catalog *cat, struct topic *t)
{
	int found;
	size_t pos = catalog_find_name(cat, t->name, &found);
	SL_ASSERT(found && cat->by_name[pos] == t);
	catalog_array_remove(cat->by_name, cat->count, pos);
	pos = catalog_find_id(cat, t->id, &found);
	SL_ASSERT(found && cat->by_id[pos] == t);
	catalog_array_remove(cat->by_id, cat->count, pos);
	pos = catalog_find_stream_pos(cat, t);
	catalog_array_remove(cat->by_stream, cat->count, pos);
	cat->count--;
	catalog_record_topic_free(t);
}

/* Applies a record read back from disk.  Returns 0, SL_ENOMEM, or
 * SL_ECORRUPT with *why set when it contradicts the state. */
static int catalog_apply(struct catalog *cat, struct catalog_record *rec,
			 const char **why)
{
	struct topic *t = rec->topic;
	int found;
	size_t pos;

	switch (rec->type) {
	case CATALOG_RECORD_GENERATION:
		cat->generation = rec->generation;
		return 0;
	case CATALOG_RECORD_TOPIC_CREATE:
		*why = catalog_create_conflict(cat, t);
		if (*why)
			return SL_ECORRUPT;
		if (catalog_reserve(cat))
			return SL_ENOMEM;
		catalog_insert(cat, t);
		rec->topic = NULL;
		return 0;
	case CATALOG_RECORD_TOPIC_DELETE:
		pos = catalog_find_id(cat, t->id, &found);
		if (!found || strcmp(cat->by_id[pos]->name, t->name)) {
			*why = "deletes a topic that does not exist";
			return SL_ECORRUPT;
		}
		catalog_remove(cat, cat->by_id[pos]);
		return 0;
	case CATALOG_RECORD_UPLOAD:
	case CATALOG_RECORD_REPLACE:
	case CATALOG_RECORD_FORGET:
	case CATALOG_RECORD_LOG_START: {
		/* It passed these checks when it was journaled. */
		int rc = catalog_objects_prepare(&cat->objects, cat, rec, why);
		if (rc == SL_ESTALE || rc == SL_EINVAL)
			return SL_ECORRUPT;
		if (rc)
			return rc;
		catalog_objects_apply(&cat->objects, cat, rec);
		return 0;
	}
	case CATALOG_RECORD_STATE:
	case CATALOG_RECORD_OBJECTS:
	case CATALOG_RECORD_STREAM:
		break;
	}
	*why = "record type out of place";
	return SL_ECORRUPT;
}

/* Replay callback: applies journal records the snapshot does not cover. */
static int catalog_replay_record(void *arg, struct catalog_record *rec,
				 uint64_t offset)
{
	struct catalog *cat = arg;
	const char *why;

	if (rec->seq <= cat->seq)
		return 0; /* already in the snapshot */
	if (rec->seq != cat->seq + 1) {
		log_error("catalog: %s: record at offset %llu has sequence "
			  "%llu, expected %llu: journal and snapshot do not "
			  "belong together", cat->journal.path,
			  (unsigned long long)offset,
			  (unsigned long long)rec->seq,
			  (unsigned long long)(cat->seq + 1));
		return SL_ECORRUPT;
	}
	int rc = catalog_apply(cat, rec, &why);
	if (rc == SL_ECORRUPT)
		log_error("catalog: %s: record at offset %llu (sequence %llu): "
			  "%s", cat->journal.path, (unsigned long long)offset,
			  (unsigned long long)rec->seq, why);
	if (rc)
		return rc;
	cat->seq = rec->seq;
	return 0;
}

/* Loads a snapshot's content (its records) into an empty catalog; name
 * says where it came from in the log.  Returns 0, SL_ENOMEM, or
 * SL_ECORRUPT (logged). */
static int catalog_load_content(struct catalog *cat, const uint8_t *data,
				size_t len, const char *name)
{
	struct catalog_record state = { 0 };
	const char *why = NULL;
	size_t off = 0;
	uint64_t topics = 0;
	int rc = 0;
	while (off < len && !why && !rc) {
		struct catalog_record rec;
		size_t used;
		if (catalog_record_parse(data + off, len - off, &rec, &used,
					 &why) != CATALOG_RECORD_OK)
			break;
		if (off == 0) {
			if (rec.type == CATALOG_RECORD_STATE)
				state = rec;
			else
				why = "does not start with a state record";
		} else if (rec.type == CATALOG_RECORD_TOPIC_CREATE) {
			if (cat->objects.obj_count || cat->objects.stream_count)
				why = "holds a topic after objects";
			else
				rc = catalog_apply(cat, &rec, &why);
			topics++;
		} else if (state.version < 2) {
			why = "holds a record other than a topic";
		} else {
			rc = catalog_objects_load(&cat->objects, &rec, &why);
		}
		catalog_record_clear(&rec);
		off += used;
	}
	if (rc == SL_ENOMEM)
		return rc;
	if (!why && off == 0)
		why = "is empty";
	if (!why && topics != state.topic_count)
		why = "topic count does not match";
	if (!why && state.next_stream_id < cat->next_stream_id)
		why = "next stream id is below a topic's streams";
	if (!why) {
		cat->next_stream_id = state.next_stream_id;
		rc = catalog_objects_load_finish(&cat->objects, cat, &state,
						 &why);
		if (rc == SL_ENOMEM)
			return rc;
	}
	if (why) {
		log_error("catalog: snapshot %s at offset %zu: %s", name, off,
			  why);
		return SL_ECORRUPT;
	}
	cat->seq = state.seq;
	cat->generation = state.generation;
	return 0;
}

/* Loads the snapshot file into an empty catalog.  Returns 0 (also when
 * there is no snapshot, with *found 0), SL_ECORRUPT or SL_EIO (logged). */
static int catalog_load_snapshot(struct catalog *cat, int *found)
{
	uint8_t *data;
	size_t len;
	int rc = catalog_snapshot_read(cat->snapshot_path, &data, &len);
	*found = rc != SL_ENOENT;
	if (rc == SL_ENOENT)
		return 0;
	if (rc)
		return rc;
	rc = catalog_load_content(cat, data, len, cat->snapshot_path);
	free(data);
	return rc;
}

/* Encodes the whole state as a snapshot image (header and records) into
 * buf.  Returns 0, SL_ENOMEM or SL_EINVAL. */
static int catalog_snapshot_image(const struct catalog *cat,
				  struct catalog_record_buf *buf)
{
	/* Room for the header, filled in once the records are there. */
	buf->cap = 4096;
	buf->data = calloc(1, buf->cap);
	if (!buf->data)
		return SL_ENOMEM;
	buf->len = CATALOG_SNAPSHOT_HEADER_BYTES;

	struct catalog_record rec = {
		.type = CATALOG_RECORD_STATE,
		.seq = cat->seq,
		.generation = cat->generation,
		.next_stream_id = cat->next_stream_id,
		.topic_count = (uint32_t)cat->count,
	};
	catalog_objects_totals(&cat->objects, &rec);
	int rc = catalog_record_encode(buf, &rec);
	/* Stream order, so loading re-checks that stream ids only grow. */
	for (size_t i = 0; i < cat->count && !rc; i++) {
		rec = (struct catalog_record){
			.type = CATALOG_RECORD_TOPIC_CREATE,
			.seq = cat->seq,
			.topic = cat->by_stream[i],
		};
		rc = catalog_record_encode(buf, &rec);
	}
	if (!rc)
		rc = catalog_objects_encode(&cat->objects, cat->seq, buf);
	if (!rc)
		catalog_snapshot_seal(buf->data, buf->len);
	return rc;
}

int catalog_snapshot(struct catalog *cat)
{
	struct catalog_record_buf buf = { 0 };
	int rc = catalog_snapshot_image(cat, &buf);
	if (!rc)
		rc = catalog_snapshot_write(cat->dir_fd, cat->snapshot_path,
					    cat->snapshot_tmp_path, buf.data,
					    buf.len);
	if (rc) {
		catalog_record_buf_free(&buf);
		log_error("catalog: snapshot of %s at sequence %llu failed: %s",
			  cat->dir, (unsigned long long)cat->seq,
			  sl_error_name(rc));
		return SL_EIO;
	}
	if (cat->snapshot_hook)
		cat->snapshot_hook(cat->snapshot_hook_arg, buf.data, buf.len);
	catalog_record_buf_free(&buf);
	/* A crash before the truncation is harmless: replay skips what the
	 * snapshot covers. */
	rc = catalog_journal_reset(&cat->journal);
	cat->snapshot_due = cat->journal.records + cat->snapshot_every;
	return rc;
}

int catalog_snapshot_bytes(struct catalog *cat, uint8_t **buf, size_t *len)
{
	struct catalog_record_buf image = { 0 };
	int rc = catalog_snapshot_image(cat, &image);
	if (rc) {
		catalog_record_buf_free(&image);
		return rc;
	}
	*buf = image.data;
	*len = image.len;
	return 0;
}

void catalog_set_snapshot_hook(struct catalog *cat,
			       void (*fn)(void *arg, const uint8_t *buf,
					  size_t len),
			       void *arg)
{
	cat->snapshot_hook = fn;
	cat->snapshot_hook_arg = arg;
}

void catalog_set_journal_hook(struct catalog *cat,
			      void (*fn)(void *arg, uint64_t seq,
					 const uint8_t *buf, size_t len),
			      void *arg)
{
	cat->journal_hook = fn;
	cat->journal_hook_arg = arg;
}

uint64_t catalog_seq(const struct catalog *cat)
{
	return cat->seq;
}

int catalog_commit(struct catalog *cat, struct catalog_record *rec,
		   const char **why)
{
	struct catalog_record_buf buf = { 0 };
	int objects = catalog_objects_handles(rec->type);
	int rc;

	*why = NULL;
	/* Topic callers check and reserve before; object records are
	 * checked and reserved here.  Either way applying cannot fail. */
	if (objects) {
		rc = catalog_objects_prepare(&cat->objects, cat, rec, why);
		if (rc)
			return rc;
	}
	rec->seq = cat->seq + 1;
	rc = catalog_record_encode(&buf, rec);
	if (rc) {
		if (rc == SL_EINVAL)
			*why = "too large for one journal record";
		catalog_record_buf_free(&buf);
		return rc;
	}
	rc = catalog_journal_append(&cat->journal, buf.data, buf.len, 1);
	if (!rc && cat->journal_hook)
		cat->journal_hook(cat->journal_hook_arg, rec->seq, buf.data, buf.len);
	catalog_record_buf_free(&buf);
	if (rc)
		return rc;
	const char *bad = NULL;
	if (objects)
		catalog_objects_apply(&cat->objects, cat, rec);
	else
		rc = catalog_apply(cat, rec, &bad);
	if (rc)
		log_panic("catalog: applying journaled record %llu: %s",
			  (unsigned long long)rec->seq,
			  bad ? bad : sl_error_name(rc));
	cat->seq = rec->seq;
	if (cat->journal.records >= cat->snapshot_due &&
	    catalog_snapshot(cat) != 0) {
		/* The change is durable in the journal; try again later. */
		cat->snapshot_due = cat->journal.records + cat->snapshot_every;
	}
	return 0;
}

int catalog_bump_generation(struct catalog *cat, uint64_t *generation)
{
	struct catalog_record rec = {
		.type = CATALOG_RECORD_GENERATION,
		.generation = cat->generation + 1,
	};
	const char *why;
	int rc = catalog_commit(cat, &rec, &why);
	if (rc)
		return rc;
	*generation = cat->generation;
	return 0;
}

/* Fills id with a fresh random UUID v4 no topic has.  Returns 0 or SL_EIO. */
static int catalog_new_topic_id(const struct catalog *cat, uint8_t id[16])
{
	for (;;) {
		size_t got = 0;
		while (got < 16) {
			ssize_t r = getrandom(id + got, 16 - got, 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				log_error("catalog: getrandom: %s",
					  strerror(errno));
				return SL_EIO;
			}
			got += (size_t)r;
		}
		id[6] = (uint8_t)((id[6] & 0x0f) | 0x40); /* version 4 */
		id[8] = (uint8_t)((id[8] & 0x3f) | 0x80); /* RFC 4122 variant */
		/* The version bits already rule out the all-zero id Kafka
		 * reserves; a collision is astronomically unlikely but free
		 * to rule out. */
		int found;
		catalog_find_id(cat, id, &found);
		if (!found)
			return 0;
	}
}

/* Builds a new topic from the caller's arguments, with copies of configs.
 * Returns NULL (out of memory) or the topic. */
static struct topic *catalog_topic_new(const char *name, int32_t partitions,
				       const struct topic_config_entry *configs,
				       size_t config_count)
{
	struct topic *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	strcpy(t->name, name);
	t->partition_count = partitions;
	if (config_count) {
		t->configs = calloc(config_count, sizeof *t->configs);
		if (!t->configs)
			goto fail;
	}
	for (size_t i = 0; i < config_count; i++) {
		t->config_count = i + 1;
		t->configs[i].name = strdup(configs[i].name);
		t->configs[i].value = strdup(configs[i].value);
		if (!t->configs[i].name || !t->configs[i].value)
			goto fail;
	}
	return t;
fail:
	catalog_record_topic_free(t);
	return NULL;
}

/* Checks create arguments; returns 0 or SL_EINVAL. */
static int catalog_check_create(const char *name, int32_t partitions,
				const struct topic_config_entry *configs,
				size_t config_count)
{
	char err[256];
	size_t len = strlen(name);
	if (len == 0 || len > TOPIC_NAME_MAX || partitions < 1)
		return SL_EINVAL;
	for (size_t i = 0; i < config_count; i++) {
		if (!configs[i].name || !configs[i].value ||
		    topic_config_validate(configs[i].name, configs[i].value,
					  err, sizeof err))
			return SL_EINVAL;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(configs[i].name, configs[j].name))
				return SL_EINVAL;
	}
	return 0;
}

int catalog_topic_create(struct catalog *cat, const char *name,
			 int32_t partition_count,
			 const struct topic_config_entry *configs,
			 size_t config_count, const struct topic **out)
{
	int rc = catalog_check_create(name, partition_count, configs,
				      config_count);
	if (rc)
		return rc;
	if (catalog_topic_by_name(cat, name))
		return SL_EEXIST;
	if (cat->next_stream_id > UINT64_MAX - (uint64_t)partition_count)
		return SL_EFULL;
	if (catalog_reserve(cat))
		return SL_ENOMEM;
	struct topic *t = catalog_topic_new(name, partition_count, configs,
					    config_count);
	if (!t)
		return SL_ENOMEM;
	t->first_stream_id = cat->next_stream_id;
	rc = catalog_new_topic_id(cat, t->id);
	if (!rc) {
		struct catalog_record rec = {
			.type = CATALOG_RECORD_TOPIC_CREATE,
			.topic = t,
		};
		const char *why;
		rc = catalog_commit(cat, &rec, &why);
	}
	if (rc) {
		catalog_record_topic_free(t);
		return rc;
	}
	log_info("catalog: created topic %s, partitions %d, streams "
		 "%llu-%llu", t->name, t->partition_count,
		 (unsigned long long)t->first_stream_id,
		 (unsigned long long)(t->first_stream_id +
				      (uint64_t)t->partition_count - 1));
	if (out)
		*out = t;
	return 0;
}

int catalog_topic_delete(struct catalog *cat, const char *name)
{
	const struct topic *t = catalog_topic_by_name(cat, name);
	if (!t)
		return SL_ENOENT;
	/* The record names the topic by id and name; apply looks it up. */
	struct topic key = { 0 };
	strcpy(key.name, t->name);
	memcpy(key.id, t->id, 16);
	struct catalog_record rec = {
		.type = CATALOG_RECORD_TOPIC_DELETE,
		.topic = &key,
	};
	const char *why;
	int rc = catalog_commit(cat, &rec, &why);
	if (rc)
		return rc;
	/* name may have pointed into the topic just freed. */
	log_info("catalog: deleted topic %s", key.name);
	return 0;
}

const struct topic *catalog_topic_by_name(const struct catalog *cat,
					  const char *name)
{
	int found;
	size_t pos = catalog_find_name(cat, name, &found);
	return found ? cat->by_name[pos] : NULL;
}

const struct topic *catalog_topic_by_id(const struct catalog *cat,
					const uint8_t id[16])
{
	int found;
	size_t pos = catalog_find_id(cat, id, &found);
	return found ? cat->by_id[pos] : NULL;
}

const struct topic *catalog_topic_by_stream(const struct catalog *cat,
					    uint64_t stream_id)
{
	/* The last topic whose first stream id is <= stream_id. */
	size_t lo = 0, hi = cat->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cat->by_stream[mid]->first_stream_id <= stream_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const struct topic *t = cat->by_stream[lo - 1];
	if (stream_id - t->first_stream_id >= (uint64_t)t->partition_count)
		return NULL;
	return t;
}

size_t catalog_topic_count(const struct catalog *cat)
{
	return cat->count;
}

const struct topic *catalog_topic_at(const struct catalog *cat, size_t i)
{
	return i < cat->count ? cat->by_name[i] : NULL;
}

uint64_t catalog_generation(const struct catalog *cat)
{
	return cat->generation;
}

void catalog_set_snapshot_every(struct catalog *cat, unsigned records)
{
	cat->snapshot_every = records ? records : 1;
	cat->snapshot_due = cat->journal.records + cat->snapshot_every;
}

/* Returns dir/name in a new string, or NULL. */
static char *catalog_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + 1 + strlen(name) + 1;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* Fsyncs the directory holding dir, so a directory just made survives a
 * crash with the files in it.  Returns 0 or -1 with errno set. */
static int catalog_sync_parent(const char *dir)
{
	char *copy = strdup(dir);
	if (!copy) {
		errno = ENOMEM;
		return -1;
	}
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* Opens the directory (creating it if missing) and the files' paths;
 * returns 0, SL_ENOMEM or SL_EIO (logged). */
static int catalog_open_dir(struct catalog *cat, const char *dir)
{
	cat->dir = strdup(dir);
	cat->snapshot_path = catalog_path(dir, "catalog.snapshot");
	cat->snapshot_tmp_path = catalog_path(dir, "catalog.snapshot.tmp");
	if (!cat->dir || !cat->snapshot_path || !cat->snapshot_tmp_path)
		return SL_ENOMEM;
	if (mkdir(dir, 0750) == 0) {
		if (catalog_sync_parent(dir) < 0) {
			log_error("catalog: fsync of the parent of %s: %s", dir,
				  strerror(errno));
			return SL_EIO;
		}
	} else if (errno != EEXIST) {
		log_error("catalog: mkdir %s: %s", dir, strerror(errno));
		return SL_EIO;
	}
	cat->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cat->dir_fd < 0) {
		log_error("catalog: open %s: %s", dir, strerror(errno));
		return SL_EIO;
	}
	return 0;
}

int catalog_open(const char *dir, struct catalog **out)
{
	struct catalog *cat = calloc(1, sizeof *cat);
	if (!cat)
		return SL_ENOMEM;
	cat->dir_fd = -1;
	cat->journal.fd = -1;
	cat->next_stream_id = 1;
	cat->snapshot_every = CATALOG_SNAPSHOT_EVERY;

	int had_snapshot = 0;
	int rc = catalog_open_dir(cat, dir);
	if (!rc)
		rc = catalog_journal_open(&cat->journal, dir, cat->dir_fd);
	/* Left by a crash mid-snapshot; the real snapshot is intact. */
	if (!rc && unlink(cat->snapshot_tmp_path) < 0 && errno != ENOENT)
		log_warn("catalog: unlink %s: %s", cat->snapshot_tmp_path,
			 strerror(errno));
	if (!rc)
		rc = catalog_load_snapshot(cat, &had_snapshot);
	uint64_t snapshot_seq = cat->seq;
	if (!rc)
		rc = catalog_journal_replay(&cat->journal,
					    catalog_replay_record, cat);
	if (rc) {
		log_error("catalog: cannot open the catalog in %s: %s", dir,
			  sl_error_name(rc));
		catalog_close(cat);
		return rc;
	}
	catalog_objects_shrink(&cat->objects);
	uint64_t replayed = cat->seq - snapshot_seq;
	/* Fold the journal into a fresh snapshot so the next open starts
	 * from one file; if that fails the journal still holds it all. */
	if (cat->journal.size > 0 || !had_snapshot)
		(void)catalog_snapshot(cat);
	cat->snapshot_due = cat->journal.records + cat->snapshot_every;
	log_info("catalog: %s: %zu topics, generation %llu, next stream id "
		 "%llu, %zu objects, %llu blocks, uploaded to %llu, sequence "
		 "%llu (%llu replayed from the journal)", dir, cat->count,
		 (unsigned long long)cat->generation,
		 (unsigned long long)cat->next_stream_id,
		 cat->objects.obj_count,
		 (unsigned long long)cat->objects.block_count,
		 (unsigned long long)cat->objects.uploaded_end,
		 (unsigned long long)cat->seq, (unsigned long long)replayed);
	*out = cat;
	return 0;
}

/* Whether dir already holds a catalog: a snapshot, or a journal with
 * records.  Returns 0 (none), SL_EEXIST or SL_EIO (logged). */
static int catalog_dir_in_use(const struct catalog *cat)
{
	struct stat st;
	if (stat(cat->snapshot_path, &st) == 0)
		return SL_EEXIST;
	if (errno != ENOENT) {
		log_error("catalog: stat %s: %s", cat->snapshot_path,
			  strerror(errno));
		return SL_EIO;
	}
	char *journal = catalog_path(cat->dir, "catalog.journal");
	if (!journal)
		return SL_ENOMEM;
	int rc = 0;
	if (stat(journal, &st) == 0) {
		if (st.st_size > 0)
			rc = SL_EEXIST;
	} else if (errno != ENOENT) {
		log_error("catalog: stat %s: %s", journal, strerror(errno));
		rc = SL_EIO;
	}
	free(journal);
	return rc;
}

int catalog_restore_snapshot(const char *dir, const uint8_t *buf, size_t len)
{
	const char *why = catalog_snapshot_check(buf, len);
	if (why) {
		log_error("catalog: restoring %s: the snapshot copy: %s", dir,
			  why);
		return SL_ECORRUPT;
	}
	/* Load it first: a copy that does not load would only fail at the
	 * next open, with the directory no longer empty. */
	struct catalog *cat = calloc(1, sizeof *cat);
	if (!cat)
		return SL_ENOMEM;
	cat->dir_fd = -1;
	cat->journal.fd = -1;
	cat->next_stream_id = 1;
	int rc = catalog_load_content(cat, buf + CATALOG_SNAPSHOT_HEADER_BYTES,
				      len - CATALOG_SNAPSHOT_HEADER_BYTES,
				      "copy to restore");
	uint64_t seq = cat->seq;
	catalog_close(cat);
	if (rc)
		return rc;

	cat = calloc(1, sizeof *cat);
	if (!cat)
		return SL_ENOMEM;
	cat->dir_fd = -1;
	cat->journal.fd = -1;
	rc = catalog_open_dir(cat, dir);
	if (!rc)
		rc = catalog_dir_in_use(cat);
	if (rc == SL_EEXIST)
		log_error("catalog: restoring %s: it already holds a catalog",
			  dir);
	if (!rc)
		rc = catalog_snapshot_write(cat->dir_fd, cat->snapshot_path,
					    cat->snapshot_tmp_path, buf, len);
	if (!rc)
		log_info("catalog: restored %s from a snapshot copy (%zu "
			 "bytes, sequence %llu)", dir, len,
			 (unsigned long long)seq);
	catalog_close(cat);
	return rc;
}

int catalog_restore_journal(const char *dir, const uint8_t *buf, size_t len)
{
	struct catalog *cat = calloc(1, sizeof *cat);
	if (!cat)
		return SL_ENOMEM;
	cat->dir_fd = -1;
	cat->journal.fd = -1;
	int rc = catalog_open_dir(cat, dir);
	if (!rc)
		rc = catalog_journal_open(&cat->journal, dir, cat->dir_fd);
	/* records already in the file come first; replay skips duplicates
	 * and anything the snapshot covers by sequence number */
	if (!rc && len)
		rc = catalog_journal_append(&cat->journal, buf, len, 0);
	if (!rc)
		log_info("catalog: restored %zu journal bytes into %s", len, dir);
	catalog_close(cat);
	return rc;
}

void catalog_close(struct catalog *cat)
{
	if (!cat)
		return;
	for (size_t i = 0; i < cat->count; i++)
		catalog_record_topic_free(cat->by_name[i]);
	free(cat->by_name);
	free(cat->by_id);
	free(cat->by_stream);
	catalog_objects_free(&cat->objects);
	catalog_journal_close(&cat->journal);
	if (cat->dir_fd >= 0)
		close(cat->dir_fd);
	free(cat->dir);
	free(cat->snapshot_path);
	free(cat->snapshot_tmp_path);
	free(cat);
}
