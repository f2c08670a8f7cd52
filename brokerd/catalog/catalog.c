/*
 * The catalog: brokerd's topics, their ids, stream ids and configs, the
 * broker config overrides and the brokerd generation, kept in memory and
 * made durable by catalog_journal.c and catalog_snapshot.c.  The object storage state lives beside them in
 * catalog_objects.c; this file journals its changes and snapshots it.
 *
 * A change is prepared in full (memory allocated, checks done), journaled
 * and synced, and only then applied, so a failed write leaves memory as it
 * was and applying cannot fail.  Every record carries a sequence number; the
 * snapshot records the last one it covers, and replay skips records at or
 * below it, so a crash between the snapshot's rename and the journal's
 * truncation replays nothing twice.
 *
 * Lookups: two sorted arrays of topic pointers (by name, by id) and one of
 * every live stream with its topic and partition (by stream id), searched
 * by bisection.  Stream ids only grow, so the streams of a new topic or of
 * partitions added to one always go to the end of the stream array; only a
 * snapshot, whose topics' ids interleave once partitions were added, is
 * loaded unsorted and sorted once.
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
#include "common/byte_buf.h"
#include "common/errors.h"
#include "common/log.h"

#define CATALOG_SNAPSHOT_EVERY 1000u

/* One live stream: partition `partition` of `topic`. */
struct catalog_owner {
	uint64_t stream_id;
	struct topic *topic;
	int32_t partition;
};

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
	size_t count, cap;
	struct catalog_owner *owners; /* by stream id */
	size_t owner_count, owner_cap;
	int owners_unsorted;          /* while a snapshot loads */

	struct topic_config_entry *broker_configs;
	size_t broker_config_count;

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
	    catalog_grow(&cat->by_id, cap))
		return SL_ENOMEM;
	cat->cap = cap;
	return 0;
}

/* Makes room for n more streams; returns 0 or SL_ENOMEM. */
static int catalog_reserve_owners(struct catalog *cat, size_t n)
{
	if (cat->owner_cap - cat->owner_count >= n)
		return 0;
	size_t cap = cat->owner_cap ? cat->owner_cap : 64;
	while (cap - cat->owner_count < n)
		cap *= 2;
	struct catalog_owner *o = realloc(cat->owners, cap * sizeof *o);
	if (!o)
		return SL_ENOMEM;
	cat->owners = o;
	cat->owner_cap = cap;
	return 0;
}

/* Appends the streams of partitions [from, t->partition_count) of t (room
 * reserved) and moves next_stream_id past them. */
static void catalog_owners_add(struct catalog *cat, struct topic *t,
			       int32_t from)
{
	for (int32_t p = from; p < t->partition_count; p++) {
		uint64_t id = topic_stream_id(t, p);
		if (cat->owner_count &&
		    id < cat->owners[cat->owner_count - 1].stream_id)
			cat->owners_unsorted = 1;
		cat->owners[cat->owner_count++] =
			(struct catalog_owner){ id, t, p };
		if (id >= cat->next_stream_id)
			cat->next_stream_id = id + 1;
	}
}

/* The entry of stream_id in owners, or NULL. */
static const struct catalog_owner *catalog_owner_find(const struct catalog *cat,
						      uint64_t stream_id)
{
	size_t lo = 0, hi = cat->owner_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cat->owners[mid].stream_id < stream_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < cat->owner_count && cat->owners[lo].stream_id == stream_id)
		return &cat->owners[lo];
	return NULL;
}

/* qsort comparator of owners by stream id. */
static int catalog_owner_cmp(const void *a, const void *b)
{
	const struct catalog_owner *x = a, *y = b;
	return x->stream_id < y->stream_id ? -1 : x->stream_id > y->stream_id;
}

/* Sorts the owners after a snapshot loaded; returns why two topics claim
 * the same stream, or NULL. */
static const char *catalog_owners_sort(struct catalog *cat)
{
	if (cat->owners_unsorted)
		qsort(cat->owners, cat->owner_count, sizeof *cat->owners,
		      catalog_owner_cmp);
	cat->owners_unsorted = 0;
	for (size_t i = 1; i < cat->owner_count; i++)
		if (cat->owners[i].stream_id == cat->owners[i - 1].stream_id)
			return "two partitions share a stream id";
	return NULL;
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

/* Why topic t cannot be added, or NULL if it can.  A topic journaled as
 * created must have fresh stream ids; one loaded from a snapshot (loading)
 * is checked against the other topics once all are in. */
static const char *catalog_create_conflict(const struct catalog *cat,
					   const struct topic *t, int loading)
{
	int found;
	catalog_find_name(cat, t->name, &found);
	if (found)
		return "topic name already exists";
	catalog_find_id(cat, t->id, &found);
	if (found)
		return "topic id already exists";
	/* ids within a topic ascend (the parser checks), so the first
	 * decides */
	if (!loading && topic_stream_id(t, 0) < cat->next_stream_id)
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
	cat->count++;
	catalog_owners_add(cat, t, 0);
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
	cat->count--;
	/* One pass: a topic's streams may be spread over the array. */
	size_t k = 0;
	for (size_t i = 0; i < cat->owner_count; i++)
		if (cat->owners[i].topic != t)
			cat->owners[k++] = cat->owners[i];
	SL_ASSERT(cat->owner_count - k == (size_t)t->partition_count);
	cat->owner_count = k;
	catalog_record_topic_free(t);
}

/* The live topic a record names by id and name, or NULL. */
static struct topic *catalog_named_topic(const struct catalog *cat,
					 const struct topic *key)
{
	int found;
	size_t pos = catalog_find_id(cat, key->id, &found);
	if (!found || strcmp(cat->by_id[pos]->name, key->name))
		return NULL;
	return cat->by_id[pos];
}

/* Applies a PARTITIONS record to t: checks it continues the topic, builds
 * the new stream id array unless the committer did, reserves and swaps.
 * Returns 0, SL_ENOMEM, or SL_ECORRUPT with *why set. */
static int catalog_apply_partitions(struct catalog *cat, struct topic *t,
				    struct catalog_record *rec,
				    const char **why)
{
	struct topic *nt = rec->topic;
	if (rec->partitions_before != t->partition_count) {
		*why = "adds partitions to a different partition count";
		return SL_ECORRUPT;
	}
	if (rec->first_new_stream < cat->next_stream_id) {
		*why = "stream ids already handed out";
		return SL_ECORRUPT;
	}
	size_t added = (size_t)(nt->partition_count - t->partition_count);
	if (catalog_reserve_owners(cat, added))
		return SL_ENOMEM;
	if (!nt->stream_ids) {
		nt->stream_ids = malloc((size_t)nt->partition_count *
					sizeof *nt->stream_ids);
		if (!nt->stream_ids)
			return SL_ENOMEM;
		memcpy(nt->stream_ids, t->stream_ids,
		       (size_t)t->partition_count * sizeof *t->stream_ids);
		for (size_t i = 0; i < added; i++)
			nt->stream_ids[(size_t)t->partition_count + i] =
				rec->first_new_stream + i;
	}
	uint64_t *old = t->stream_ids;
	int32_t from = t->partition_count;
	t->stream_ids = nt->stream_ids;
	t->partition_count = nt->partition_count;
	nt->stream_ids = old; /* freed with the record's topic */
	nt->partition_count = from;
	catalog_owners_add(cat, t, from);
	return 0;
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
		*why = catalog_create_conflict(cat, t, 0);
		if (*why)
			return SL_ECORRUPT;
		if (catalog_reserve(cat) ||
		    catalog_reserve_owners(cat, (size_t)t->partition_count))
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
	case CATALOG_RECORD_TOPIC_CONFIG: {
		struct topic *live = catalog_named_topic(cat, t);
		if (!live) {
			*why = "changes the configs of a topic that does not exist";
			return SL_ECORRUPT;
		}
		/* swap: the record's topic takes the old set to be freed */
		struct topic_config_entry *c = live->configs;
		size_t n = live->config_count;
		live->configs = t->configs;
		live->config_count = t->config_count;
		t->configs = c;
		t->config_count = n;
		return 0;
	}
	case CATALOG_RECORD_PARTITIONS: {
		struct topic *live = catalog_named_topic(cat, t);
		if (!live) {
			*why = "adds partitions to a topic that does not exist";
			return SL_ECORRUPT;
		}
		return catalog_apply_partitions(cat, live, rec, why);
	}
	case CATALOG_RECORD_BROKER_CONFIG: {
		/* swap: the record (which owns its entries) frees the old */
		struct topic_config_entry *c = cat->broker_configs;
		size_t n = cat->broker_config_count;
		cat->broker_configs = rec->entries;
		cat->broker_config_count = rec->entry_count;
		rec->entries = c;
		rec->entry_count = n;
		return 0;
	}
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

/* Adds a snapshot's topic (taking it from rec).  Its stream ids are
 * checked against the other topics' once all are in.  Returns 0,
 * SL_ENOMEM, or SL_ECORRUPT with *why set. */
static int catalog_load_topic(struct catalog *cat, struct catalog_record *rec,
			      const char **why)
{
	*why = catalog_create_conflict(cat, rec->topic, 1);
	if (*why)
		return SL_ECORRUPT;
	if (catalog_reserve(cat) ||
	    catalog_reserve_owners(cat, (size_t)rec->topic->partition_count))
		return SL_ENOMEM;
	catalog_insert(cat, rec->topic);
	rec->topic = NULL;
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
	int rc = 0, broker_configs = 0;
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
				rc = catalog_load_topic(cat, &rec, &why);
			topics++;
		} else if (rec.type == CATALOG_RECORD_BROKER_CONFIG) {
			if (broker_configs++)
				why = "holds two broker config records";
			else
				rc = catalog_apply(cat, &rec, &why);
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
	if (!why)
		why = catalog_owners_sort(cat);
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
				  struct byte_buf *buf)
{
	/* Room for the header, filled in once the records are there. */
	byte_buf_put_zeros(buf, CATALOG_SNAPSHOT_HEADER_BYTES);
	if (buf->err)
		return buf->err;

	struct catalog_record rec = {
		.type = CATALOG_RECORD_STATE,
		.seq = cat->seq,
		.generation = cat->generation,
		.next_stream_id = cat->next_stream_id,
		.topic_count = (uint32_t)cat->count,
	};
	catalog_objects_totals(&cat->objects, &rec);
	int rc = catalog_record_encode(buf, &rec);
	if (!rc && cat->broker_config_count) {
		rec = (struct catalog_record){
			.type = CATALOG_RECORD_BROKER_CONFIG,
			.seq = cat->seq,
			.entries = cat->broker_configs,
			.entry_count = cat->broker_config_count,
		};
		rc = catalog_record_encode(buf, &rec);
	}
	for (size_t i = 0; i < cat->count && !rc; i++) {
		rec = (struct catalog_record){
			.type = CATALOG_RECORD_TOPIC_CREATE,
			.seq = cat->seq,
			.topic = cat->by_name[i],
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
	struct byte_buf buf = { 0 };
	int rc = catalog_snapshot_image(cat, &buf);
	if (!rc)
		rc = catalog_snapshot_write(cat->dir_fd, cat->snapshot_path,
					    cat->snapshot_tmp_path, buf.data,
					    buf.len);
	if (rc) {
		byte_buf_free(&buf);
		log_error("catalog: snapshot of %s at sequence %llu failed: %s",
			  cat->dir, (unsigned long long)cat->seq,
			  sl_error_name(rc));
		return SL_EIO;
	}
	if (cat->snapshot_hook)
		cat->snapshot_hook(cat->snapshot_hook_arg, buf.data, buf.len);
	byte_buf_free(&buf);
	/* A crash before the truncation is harmless: replay skips what the
	 * snapshot covers. */
	rc = catalog_journal_reset(&cat->journal);
	cat->snapshot_due = cat->journal.records + cat->snapshot_every;
	return rc;
}

int catalog_snapshot_bytes(struct catalog *cat, uint8_t **buf, size_t *len)
{
	struct byte_buf image = { 0 };
	int rc = catalog_snapshot_image(cat, &image);
	if (rc) {
		byte_buf_free(&image);
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
	struct byte_buf buf = { 0 };
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
		byte_buf_free(&buf);
		return rc;
	}
	rc = catalog_journal_append(&cat->journal, buf.data, buf.len, 1);
	if (!rc && cat->journal_hook)
		cat->journal_hook(cat->journal_hook_arg, rec->seq, buf.data, buf.len);
	byte_buf_free(&buf);
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

/* Checks a set of config entries: every key and value present, no key
 * twice, and (topic) each valid for topic_config_validate.  Returns 0 or
 * SL_EINVAL. */
static int catalog_check_configs(const struct topic_config_entry *configs,
				 size_t config_count, int topic)
{
	char err[256];
	for (size_t i = 0; i < config_count; i++) {
		if (!configs[i].name || !configs[i].name[0] ||
		    !configs[i].value)
			return SL_EINVAL;
		if (topic && topic_config_validate(configs[i].name,
						   configs[i].value, err,
						   sizeof err))
			return SL_EINVAL;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(configs[i].name, configs[j].name))
				return SL_EINVAL;
	}
	return 0;
}

/* Checks create arguments; returns 0 or SL_EINVAL. */
static int catalog_check_create(const char *name, int32_t partitions,
				const struct topic_config_entry *configs,
				size_t config_count)
{
	size_t len = strlen(name);
	if (len == 0 || len > TOPIC_NAME_MAX || partitions < 1)
		return SL_EINVAL;
	return catalog_check_configs(configs, config_count, 1);
}

/* Deep copy of n config entries into *out (NULL for n 0).  Returns 0 or
 * SL_ENOMEM (nothing left allocated). */
static int catalog_configs_copy(const struct topic_config_entry *configs,
				size_t n, struct topic_config_entry **out)
{
	*out = NULL;
	if (!n)
		return 0;
	struct topic_config_entry *c = calloc(n, sizeof *c);
	if (!c)
		return SL_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		c[i].name = strdup(configs[i].name);
		c[i].value = strdup(configs[i].value);
		if (!c[i].name || !c[i].value) {
			for (size_t j = 0; j <= i; j++) {
				free(c[j].name);
				free(c[j].value);
			}
			free(c);
			return SL_ENOMEM;
		}
	}
	*out = c;
	return 0;
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
	t->stream_ids = malloc((size_t)partitions * sizeof *t->stream_ids);
	if (!t->stream_ids ||
	    catalog_configs_copy(configs, config_count, &t->configs))
		goto fail;
	t->config_count = config_count;
	return t;
fail:
	catalog_record_topic_free(t);
	return NULL;
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
	if (catalog_reserve(cat) ||
	    catalog_reserve_owners(cat, (size_t)partition_count))
		return SL_ENOMEM;
	struct topic *t = catalog_topic_new(name, partition_count, configs,
					    config_count);
	if (!t)
		return SL_ENOMEM;
	for (int32_t p = 0; p < partition_count; p++)
		t->stream_ids[p] = cat->next_stream_id + (uint64_t)p;
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
		 (unsigned long long)topic_stream_id(t, 0),
		 (unsigned long long)topic_stream_id(t, t->partition_count - 1));
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

/* A heap topic that names t (id and name) for a TOPIC_CONFIG or
 * PARTITIONS record, or NULL without memory. */
static struct topic *catalog_topic_key(const struct topic *t)
{
	struct topic *key = calloc(1, sizeof *key);
	if (key) {
		strcpy(key->name, t->name);
		memcpy(key->id, t->id, 16);
	}
	return key;
}

int catalog_topic_set_configs(struct catalog *cat, const char *name,
			      const struct topic_config_entry *configs,
			      size_t n)
{
	const struct topic *t = catalog_topic_by_name(cat, name);
	if (!t)
		return SL_ENOENT;
	int rc = catalog_check_configs(configs, n, 1);
	if (rc)
		return rc;
	struct topic *key = catalog_topic_key(t);
	if (!key || catalog_configs_copy(configs, n, &key->configs)) {
		catalog_record_topic_free(key);
		return SL_ENOMEM;
	}
	key->config_count = n;
	struct catalog_record rec = {
		.type = CATALOG_RECORD_TOPIC_CONFIG,
		.topic = key,
	};
	const char *why;
	rc = catalog_commit(cat, &rec, &why);
	/* applied, key holds the old set; else the new one: free either */
	catalog_record_topic_free(key);
	if (!rc)
		log_info("catalog: topic %s now has %zu explicit configs",
			 t->name, n);
	return rc;
}

int catalog_topic_add_partitions(struct catalog *cat, const char *name,
				 int32_t partition_count)
{
	const struct topic *t = catalog_topic_by_name(cat, name);
	if (!t)
		return SL_ENOENT;
	if (partition_count <= t->partition_count)
		return SL_EINVAL;
	size_t added = (size_t)(partition_count - t->partition_count);
	if (cat->next_stream_id > UINT64_MAX - (uint64_t)added)
		return SL_EFULL;
	/* Everything applying needs, so that it cannot fail once journaled. */
	if (catalog_reserve_owners(cat, added))
		return SL_ENOMEM;
	struct topic *key = catalog_topic_key(t);
	if (key)
		key->stream_ids = malloc((size_t)partition_count *
					 sizeof *key->stream_ids);
	if (!key || !key->stream_ids) {
		catalog_record_topic_free(key);
		return SL_ENOMEM;
	}
	key->partition_count = partition_count;
	memcpy(key->stream_ids, t->stream_ids,
	       (size_t)t->partition_count * sizeof *t->stream_ids);
	for (size_t i = 0; i < added; i++)
		key->stream_ids[(size_t)t->partition_count + i] =
			cat->next_stream_id + i;
	int32_t before = t->partition_count;
	struct catalog_record rec = {
		.type = CATALOG_RECORD_PARTITIONS,
		.topic = key,
		.partitions_before = before,
		.first_new_stream = cat->next_stream_id,
	};
	const char *why;
	int rc = catalog_commit(cat, &rec, &why);
	catalog_record_topic_free(key);
	if (!rc)
		log_info("catalog: topic %s grew from %d to %d partitions, "
			 "streams %llu-%llu", t->name, before, partition_count,
			 (unsigned long long)topic_stream_id(t, before),
			 (unsigned long long)topic_stream_id(
				 t, partition_count - 1));
	return rc;
}

int catalog_broker_configs_set(struct catalog *cat,
			       const struct topic_config_entry *configs,
			       size_t n)
{
	int rc = catalog_check_configs(configs, n, 0);
	if (rc)
		return rc;
	struct catalog_record rec = {
		.type = CATALOG_RECORD_BROKER_CONFIG,
		.entry_count = n,
		.owns_arrays = 1, /* applying swaps in the copy */
	};
	if (catalog_configs_copy(configs, n, &rec.entries))
		return SL_ENOMEM;
	const char *why;
	rc = catalog_commit(cat, &rec, &why);
	catalog_record_clear(&rec);
	if (!rc)
		log_info("catalog: %zu broker config overrides", n);
	return rc;
}

size_t catalog_broker_config_count(const struct catalog *cat)
{
	return cat->broker_config_count;
}

const struct topic_config_entry *catalog_broker_config_at(
	const struct catalog *cat, size_t i)
{
	return i < cat->broker_config_count ? &cat->broker_configs[i] : NULL;
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
	const struct catalog_owner *o = catalog_owner_find(cat, stream_id);
	return o ? o->topic : NULL;
}

int32_t catalog_stream_partition(const struct catalog *cat,
				 uint64_t stream_id)
{
	const struct catalog_owner *o = catalog_owner_find(cat, stream_id);
	return o ? o->partition : -1;
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
	free(cat->owners);
	for (size_t i = 0; i < cat->broker_config_count; i++) {
		free(cat->broker_configs[i].name);
		free(cat->broker_configs[i].value);
	}
	free(cat->broker_configs);
	catalog_objects_free(&cat->objects);
	catalog_journal_close(&cat->journal);
	if (cat->dir_fd >= 0)
		close(cat->dir_fd);
	free(cat->dir);
	free(cat->snapshot_path);
	free(cat->snapshot_tmp_path);
	free(cat);
}
