/*
 * Synchronous object-store calls for command-line tools: a private
 * event_base that each call runs until its callback has fired, so a tool
 * can write "get, then print" without an event loop of its own.
 *
 * Ownership: the wrapper owns its base and store; results are copied out
 * (GET data and LIST entries into malloc'd memory the caller frees).
 * Threading: one thread at a time per wrapper.  Never use these from a
 * daemon's loop thread: they block.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/errors.h"
#include "common/objstore.h"

struct objstore_sync {
	struct event_base *base;
	struct objstore *os;
};

/* What a callback hands back to the waiting call. */
struct objstore_sync_wait {
	int done;
	int status;
	char error[512];
	uint8_t *data;
	size_t len;
	uint64_t object_size;
	struct objstore_entry *entries;
	size_t entry_count;
	int oom;
};

/* Copies the LIST entries and their keys into one block. */
static void objstore_sync_copy_entries(struct objstore_sync_wait *w,
				       const struct objstore_result *res)
{
	size_t n = res->entry_count, bytes = n * sizeof *w->entries;
	for (size_t i = 0; i < n; i++)
		bytes += strlen(res->entries[i].key) + 1;
	w->entries = malloc(bytes ? bytes : 1);
	if (!w->entries) {
		w->oom = 1;
		return;
	}
	char *names = (char *)(w->entries + n);
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(res->entries[i].key) + 1;
		memcpy(names, res->entries[i].key, k);
		w->entries[i] = res->entries[i];
		w->entries[i].key = names;
		names += k;
	}
	w->entry_count = n;
}

/* The callback of every synchronous call: copies what the caller wants. */
static void objstore_sync_cb(void *arg, const struct objstore_result *res)
{
	struct objstore_sync_wait *w = arg;
	w->done = 1;
	w->status = res->status;
	w->object_size = res->object_size;
	snprintf(w->error, sizeof w->error, "%s", res->error);
	if (res->status == 0 && res->data) {
		w->data = malloc(res->len ? res->len : 1);
		if (w->data) {
			memcpy(w->data, res->data, res->len);
			w->len = res->len;
		} else {
			w->oom = 1;
		}
	}
	if (res->status == 0 && res->entries)
		objstore_sync_copy_entries(w, res);
	if (w->oom) {
		w->status = SL_ENOMEM;
		snprintf(w->error, sizeof w->error, "out of memory");
	}
}

/* Runs the loop until the callback fired; returns its status. */
static int objstore_sync_run(struct objstore_sync *sync,
			     struct objstore_sync_wait *w, char *err,
			     size_t errlen)
{
	while (!w->done)
		event_base_loop(sync->base, EVLOOP_ONCE);
	if (err && errlen)
		snprintf(err, errlen, "%s", w->error);
	return w->status;
}

int objstore_sync_open(const struct objstore_options *opt,
		       struct objstore_sync **out, char *err, size_t errlen)
{
	*out = NULL;
	struct objstore_sync *sync = calloc(1, sizeof *sync);
	if (!sync || !(sync->base = event_base_new())) {
		free(sync);
		snprintf(err, errlen, "out of memory");
		return SL_ENOMEM;
	}
	int rc = objstore_open(sync->base, opt, &sync->os, err, errlen);
	if (rc) {
		event_base_free(sync->base);
		free(sync);
		return rc;
	}
	*out = sync;
	return 0;
}

void objstore_sync_close(struct objstore_sync *sync)
{
	if (!sync)
		return;
	objstore_close(sync->os);
	event_base_free(sync->base);
	free(sync);
}

struct objstore *objstore_sync_store(struct objstore_sync *sync)
{
	return sync->os;
}

int objstore_sync_put(struct objstore_sync *sync, const char *key,
		      const void *data, size_t len, char *err, size_t errlen)
{
	struct objstore_sync_wait w = { 0 };
	objstore_put(sync->os, key, data, len, objstore_sync_cb, &w);
	return objstore_sync_run(sync, &w, err, errlen);
}

int objstore_sync_get(struct objstore_sync *sync, const char *key,
		      uint64_t offset, uint64_t len, uint8_t **data,
		      size_t *data_len, uint64_t *object_size, char *err,
		      size_t errlen)
{
	struct objstore_sync_wait w = { 0 };
	objstore_get(sync->os, key, offset, len, objstore_sync_cb, &w);
	int rc = objstore_sync_run(sync, &w, err, errlen);
	if (rc == 0 && !w.data) {
		/* An empty body: still hand back a buffer to free. */
		w.data = malloc(1);
		if (!w.data) {
			snprintf(err, errlen, "out of memory");
			return SL_ENOMEM;
		}
	}
	*data = w.data;
	*data_len = w.len;
	if (object_size)
		*object_size = w.object_size;
	return rc;
}

int objstore_sync_head(struct objstore_sync *sync, const char *key,
		       uint64_t *object_size, char *err, size_t errlen)
{
	struct objstore_sync_wait w = { 0 };
	objstore_head(sync->os, key, objstore_sync_cb, &w);
	int rc = objstore_sync_run(sync, &w, err, errlen);
	if (object_size)
		*object_size = w.object_size;
	return rc;
}

int objstore_sync_list(struct objstore_sync *sync, const char *prefix,
		       struct objstore_entry **entries, size_t *count,
		       char *err, size_t errlen)
{
	struct objstore_sync_wait w = { 0 };
	objstore_list(sync->os, prefix, objstore_sync_cb, &w);
	int rc = objstore_sync_run(sync, &w, err, errlen);
	if (rc == 0 && !w.entries) {
		w.entries = malloc(1);
		if (!w.entries) {
			snprintf(err, errlen, "out of memory");
			return SL_ENOMEM;
		}
	}
	*entries = w.entries;
	*count = w.entry_count;
	return rc;
}

int objstore_sync_delete(struct objstore_sync *sync, const char *const *keys,
			 size_t n, char *err, size_t errlen)
{
	struct objstore_sync_wait w = { 0 };
	objstore_delete(sync->os, keys, n, objstore_sync_cb, &w);
	return objstore_sync_run(sync, &w, err, errlen);
}
