/*
 * Copying the catalog into the bucket (see catalog_mirror.h).  Journal
 * records are PUT as they are journaled, several in flight; `copied` is the
 * highest sequence below which every record has arrived, and waiters fire
 * in sequence order as it advances.  Snapshots are PUT one at a time (a
 * newer one waiting replaces an older one that has not started).  A failed
 * PUT (after the object store's own retries) is tried again a second later:
 * the catalog copy must never have holes.
 */
#include "catalog_mirror.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/objstore.h"

#define MIRROR_JOURNAL_PREFIX "catalog/journal/"
#define MIRROR_SNAPSHOT_KEY "catalog/snapshot"

struct mirror_put {
	struct mirror_put *next;
	uint64_t seq;     /* journal record; 0 for a snapshot */
	uint8_t *bytes;
	size_t len;
	int done;
	int in_flight;    /* the object store holds bytes; its callback frees */
};

struct mirror_waiter {
	struct mirror_waiter *next;
	uint64_t seq;
	void (*fn)(void *arg);
	void *arg;
};

static struct objstore *mirror_os;
static struct mirror_put *puts_head, **puts_tail = &puts_head; /* journal, seq order */
static struct mirror_waiter *waiters;
static uint64_t mirror_copied;     /* every record <= this is in the bucket */
static struct mirror_put *snap_busy, *snap_next;
static uint64_t snap_busy_seq, snap_next_seq;
static uint64_t mirror_count_pending;
static int snap_retry_ms;          /* backoff after a failed snapshot PUT */
static int snap_retry_armed;       /* its timer is pending */

#define MIRROR_SNAPSHOT_RETRY_MIN_MS 1000
#define MIRROR_SNAPSHOT_RETRY_MAX_MS 30000

static void mirror_put_start(struct mirror_put *p);
static void mirror_snapshot_next(void);

/* Fires the waiters whose sequence is now copied. */
static void mirror_advance(void)
{
	while (puts_head && puts_head->done) {
		struct mirror_put *p = puts_head;
		mirror_copied = p->seq;
		puts_head = p->next;
		if (!puts_head)
			puts_tail = &puts_head;
		free(p->bytes);
		free(p);
		mirror_count_pending--;
	}
	struct mirror_waiter **w = &waiters;
	while (*w) {
		if ((*w)->seq <= mirror_copied) {
			struct mirror_waiter *ready = *w;
			*w = ready->next;
			ready->fn(ready->arg);
			free(ready);
		} else {
			w = &(*w)->next;
		}
	}
}

/* Timer: retries a PUT that failed. */
static void mirror_on_retry(evutil_socket_t fd, short what, void *arg)
{
	if (!mirror_os)
		return; /* stopped meanwhile: the put was freed */
	mirror_put_start(arg);
}

/* Object store callback of a journal record PUT. */
static void mirror_on_journal_put(void *arg, const struct objstore_result *res)
{
	struct mirror_put *p = arg;
	p->in_flight = 0;
	if (!mirror_os) { /* stopped: catalog_mirror_stop left it to us */
		free(p->bytes);
		free(p);
		return;
	}
	if (res->status) {
		log_error("catalog mirror: journal record %" PRIu64 ": %s; retrying",
			  p->seq, res->error);
		struct timeval tv = {1, 0};
		event_base_once(broker.base, -1, EV_TIMEOUT, mirror_on_retry, p, &tv);
		return;
	}
	p->done = 1;
	mirror_advance();
}

/* Starts (or restarts) a journal record PUT. */
static void mirror_put_start(struct mirror_put *p)
{
	char key[64];
	snprintf(key, sizeof key, MIRROR_JOURNAL_PREFIX "%016" PRIx64, p->seq);
	p->in_flight = 1;
	objstore_put(mirror_os, key, p->bytes, p->len, mirror_on_journal_put, p);
}

/* Catalog hook: a change was journaled. */
static void mirror_on_journal(void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
	struct mirror_put *p = calloc(1, sizeof *p);
	if (!p || !(p->bytes = malloc(len)))
		log_panic("catalog mirror: out of memory");
	memcpy(p->bytes, buf, len);
	p->len = len;
	p->seq = seq;
	*puts_tail = p;
	puts_tail = &p->next;
	mirror_count_pending++;
	mirror_put_start(p);
}

/* Object store callback: old journal copies deleted (best effort). */
static void mirror_on_deleted(void *arg, const struct objstore_result *res)
{
	if (res->status)
		log_warn("catalog mirror: deleting old journal copies: %s", res->error);
}

/* Object store callback: the journal copies listed; deletes those a
 * snapshot at sequence (uintptr_t)arg covers. */
static void mirror_on_listed(void *arg, const struct objstore_result *res)
{
	uint64_t upto = (uint64_t)(uintptr_t)arg;
	if (res->status || !mirror_os)
		return;
	const char **keys = calloc(res->entry_count + 1, sizeof *keys);
	size_t n = 0;
	for (size_t i = 0; keys && i < res->entry_count; i++) {
		const char *k = res->entries[i].key;
		if (strncmp(k, MIRROR_JOURNAL_PREFIX, strlen(MIRROR_JOURNAL_PREFIX)))
			continue;
		uint64_t seq = strtoull(k + strlen(MIRROR_JOURNAL_PREFIX), NULL, 16);
		if (seq && seq <= upto)
			keys[n++] = k;
	}
	if (n)
		objstore_delete(mirror_os, keys, n, mirror_on_deleted, NULL);
	free(keys);
}

/* Timer: tries the waiting snapshot again after a failure. */
static void mirror_on_snapshot_retry(evutil_socket_t fd, short what, void *arg)
{
	snap_retry_armed = 0;
	mirror_snapshot_next();
}

/* Object store callback of the snapshot PUT. */
static void mirror_on_snapshot_put(void *arg, const struct objstore_result *res)
{
	struct mirror_put *p = arg;
	if (!mirror_os) { /* stopping: nobody else owns it any more */
		free(p->bytes);
		free(p);
		return;
	}
	snap_busy = NULL;
	if (!res->status) {
		snap_retry_ms = 0;
		/* the snapshot covers the journal copies up to its sequence */
		objstore_list(mirror_os, MIRROR_JOURNAL_PREFIX, mirror_on_listed,
			      (void *)(uintptr_t)snap_busy_seq);
		free(p->bytes);
		free(p);
		mirror_snapshot_next();
		return;
	}
	/* the object store has already retried what it could: wait before
	 * trying again, longer each time, so a wrong key does not spin */
	snap_retry_ms = snap_retry_ms ? snap_retry_ms * 2 : MIRROR_SNAPSHOT_RETRY_MIN_MS;
	if (snap_retry_ms > MIRROR_SNAPSHOT_RETRY_MAX_MS)
		snap_retry_ms = MIRROR_SNAPSHOT_RETRY_MAX_MS;
	log_error("catalog mirror: snapshot at %" PRIu64 ": %s; retrying in %d ms",
		  snap_busy_seq, res->error, snap_retry_ms);
	if (!snap_next) { /* try the same one again */
		snap_next = p;
		snap_next_seq = snap_busy_seq;
	} else {
		free(p->bytes);
		free(p);
	}
	snap_retry_armed = 1;
	struct timeval tv = {snap_retry_ms / 1000, (snap_retry_ms % 1000) * 1000};
	event_base_once(broker.base, -1, EV_TIMEOUT, mirror_on_snapshot_retry, NULL, &tv);
}

/* Starts the waiting snapshot PUT if none is in flight. */
static void mirror_snapshot_next(void)
{
	if (snap_busy || snap_retry_armed || !snap_next || !mirror_os)
		return;
	snap_busy = snap_next;
	snap_busy_seq = snap_next_seq;
	snap_next = NULL;
	objstore_put(mirror_os, MIRROR_SNAPSHOT_KEY, snap_busy->bytes, snap_busy->len,
		     mirror_on_snapshot_put, snap_busy);
}

/* Queues snapshot bytes for upload (copied). */
static void mirror_queue_snapshot(const uint8_t *buf, size_t len, uint64_t seq)
{
	struct mirror_put *p = calloc(1, sizeof *p);
	if (!p || !(p->bytes = malloc(len)))
		log_panic("catalog mirror: out of memory");
	memcpy(p->bytes, buf, len);
	p->len = len;
	if (snap_next) {
		free(snap_next->bytes);
		free(snap_next);
	}
	snap_next = p;
	snap_next_seq = seq;
	mirror_snapshot_next();
}

/* Catalog hook: a snapshot was written. */
static void mirror_on_snapshot(void *arg, const uint8_t *buf, size_t len)
{
	mirror_queue_snapshot(buf, len, catalog_seq(arg));
}

int catalog_mirror_start(struct objstore *os, struct catalog *cat)
{
	mirror_os = os;
	mirror_copied = catalog_seq(cat);
	catalog_set_journal_hook(cat, mirror_on_journal, cat);
	catalog_set_snapshot_hook(cat, mirror_on_snapshot, cat);
	uint8_t *buf;
	size_t len;
	int rc = catalog_snapshot_bytes(cat, &buf, &len);
	if (rc)
		return rc;
	mirror_queue_snapshot(buf, len, catalog_seq(cat));
	free(buf);
	return 0;
}

void catalog_mirror_wait(uint64_t seq, void (*fn)(void *arg), void *arg)
{
	if (seq <= mirror_copied) {
		fn(arg);
		return;
	}
	struct mirror_waiter *w = malloc(sizeof *w);
	if (!w)
		log_panic("catalog mirror: out of memory");
	*w = (struct mirror_waiter){waiters, seq, fn, arg};
	waiters = w;
}

uint64_t catalog_mirror_pending(void)
{
	return mirror_count_pending + (snap_busy || snap_next);
}

void catalog_mirror_stop(void)
{
	mirror_os = NULL; /* callbacks that still arrive only free their put */
	while (puts_head) {
		struct mirror_put *p = puts_head;
		puts_head = p->next;
		if (p->in_flight)
			continue; /* the store still reads its bytes */
		free(p->bytes);
		free(p);
	}
	puts_tail = &puts_head;
	while (waiters) {
		struct mirror_waiter *w = waiters;
		waiters = w->next;
		free(w);
	}
	if (snap_next) {
		free(snap_next->bytes);
		free(snap_next);
	}
	snap_next = NULL;
	snap_busy = NULL; /* freed by its callback, which the store's close runs */
	snap_retry_armed = 0; /* the timer, if it fires, finds mirror_os unset */
}

/* Orders journal copies by sequence. */
static int mirror_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct objstore_entry *)a)->key,
		      ((const struct objstore_entry *)b)->key);
}

int catalog_mirror_restore(const struct objstore_options *opt, const char *dir)
{
	char err[512] = "";
	struct objstore_sync *sync;
	int rc = objstore_sync_open(opt, &sync, err, sizeof err);
	if (rc) {
		log_error("catalog: rebuild from the bucket: %s", err);
		return rc;
	}
	uint8_t *snap = NULL;
	size_t snap_len = 0;
	rc = objstore_sync_get(sync, MIRROR_SNAPSHOT_KEY, 0, 0, &snap, &snap_len,
			       NULL, err, sizeof err);
	if (rc) {
		if (rc == SL_ENOENT)
			log_info("catalog: the bucket has no catalog copy (%s): a new cluster",
				 MIRROR_SNAPSHOT_KEY);
		else
			log_error("catalog: rebuild from the bucket: %s: %s",
				  MIRROR_SNAPSHOT_KEY, err);
		objstore_sync_close(sync);
		return rc;
	}
	rc = catalog_restore_snapshot(dir, snap, snap_len);
	free(snap);
	struct objstore_entry *entries = NULL;
	size_t n = 0;
	if (!rc)
		rc = objstore_sync_list(sync, MIRROR_JOURNAL_PREFIX, &entries, &n, err,
					sizeof err);
	if (!rc && n)
		qsort(entries, n, sizeof *entries, mirror_entry_cmp);
	uint8_t *journal = NULL;
	size_t jlen = 0;
	uint64_t last_seq = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		uint8_t *rec;
		size_t len;
		const char *k = entries[i].key;
		if (strncmp(k, MIRROR_JOURNAL_PREFIX, strlen(MIRROR_JOURNAL_PREFIX)))
			continue;
		uint64_t seq = strtoull(k + strlen(MIRROR_JOURNAL_PREFIX), NULL, 16);
		/* copies travel in parallel: a hole means the ones after it
		 * were never acknowledged as committed; stop there */
		if (last_seq && seq != last_seq + 1) {
			log_warn("catalog: rebuild from the bucket: journal copy %" PRIu64
				 " missing; ignoring %zu later copies", last_seq + 1, n - i);
			break;
		}
		rc = objstore_sync_get(sync, entries[i].key, 0, 0, &rec, &len, NULL, err,
				       sizeof err);
		if (rc == SL_ENOENT) { /* deleted by a newer snapshot meanwhile */
			rc = 0;
			continue;
		}
		if (rc)
			break;
		uint8_t *grown = realloc(journal, jlen + len);
		if (!grown) {
			free(rec);
			rc = SL_ENOMEM;
			break;
		}
		journal = grown;
		memcpy(journal + jlen, rec, len);
		jlen += len;
		free(rec);
		last_seq = seq;
	}
	if (rc && rc != SL_ENOMEM && !*err)
		snprintf(err, sizeof err, "%s", sl_error_name(rc));
	if (!rc)
		rc = catalog_restore_journal(dir, journal, jlen);
	else
		log_error("catalog: rebuild from the bucket: journal copies: %s", err);
	free(journal);
	free(entries);
	objstore_sync_close(sync);
	if (!rc)
		log_info("catalog: rebuilt %s from the bucket (snapshot and %zu journal records)",
			 dir, n);
	return rc;
}
