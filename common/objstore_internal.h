/*
 * What objstore.c shares with its backends (objstore_s3.c,
 * objstore_local.c): the store and operation structs, the backend table,
 * completion and error reporting, backoff, a growable buffer, and the
 * worker pool (objstore_pool.c).  Not for use outside common/objstore*.
 */
#ifndef SLUICE_OBJSTORE_INTERNAL_H
#define SLUICE_OBJSTORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/objstore.h"

struct event;

enum objstore_kind {
	OBJSTORE_PUT,
	OBJSTORE_GET,
	OBJSTORE_HEAD,
	OBJSTORE_LIST,
	OBJSTORE_DELETE,
};

/* A growable byte buffer, NUL-terminated; oom is sticky. */
struct objstore_buf {
	char *p;
	size_t len, cap;
	int oom;
};

/* Makes room for n more bytes; returns 0 or -1 (oom set). */
int objstore_buf_reserve(struct objstore_buf *b, size_t n);
void objstore_buf_add(struct objstore_buf *b, const void *data, size_t n);
void objstore_buf_cat(struct objstore_buf *b, const char *s);
void objstore_buf_printf(struct objstore_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void objstore_buf_free(struct objstore_buf *b);

/* One operation from its call to its callback. */
struct objstore_op {
	struct objstore *os;
	enum objstore_kind kind;
	objstore_cb cb;
	void *arg;
	char *key;	/* as the caller gave it (LIST: the prefix) */
	char *full_key; /* with the store's prefix (local: the path) */

	const uint8_t *data; /* PUT */
	size_t len;
	uint64_t max_send_rate; /* PUT: bytes per second, 0 = no limit */
	uint64_t max_recv_rate; /* GET: bytes per second, 0 = no limit */
	uint64_t offset, range_len; /* GET */
	char **keys;		    /* DELETE, relative, copied */
	size_t nkeys;

	struct objstore_result res;
	int attempts; /* of the request that decided the outcome; 0 = local */
	struct objstore_buf body; /* GET data */

	/* LIST: entries whose key is an offset into names until delivery. */
	struct objstore_entry *entries;
	size_t *name_off;
	size_t entry_count, entry_cap;
	struct objstore_buf names;

	int finished; /* result final, delivery scheduled */
	struct event *deliver_ev;
	void *impl;				   /* backend's state */
	void (*impl_free)(struct objstore_op *op); /* frees impl */
	struct objstore_op *prev, *next;	   /* os->ops */
};

struct objstore_backend {
	const char *name;
	int workers; /* threads in the store's worker pool */
	/* Sets os->impl up; returns 0 or an error with err filled. */
	int (*open)(struct objstore *os, char *err, size_t errlen);
	/* Frees os->impl and everything in flight, finishing nothing: the
	 * caller cancels the operations still listed.  The pool is already
	 * stopped. */
	void (*close)(struct objstore *os);
	/* Starts an operation; it ends with objstore_op_finish/_fail. */
	void (*start)(struct objstore_op *op);
};

extern const struct objstore_backend objstore_s3_backend;
extern const struct objstore_backend objstore_local_backend;

struct objstore_pool;

struct objstore {
	struct event_base *base;
	const struct objstore_backend *backend;
	void *impl;
	struct objstore_options opt; /* defaults applied, strings owned */
	char *bucket;		     /* s3 */
	char *prefix; /* s3: "" or "a/b" (no slashes at the ends) */
	char *root;   /* local: the directory */
	struct objstore_stats stats;
	char last_error[512];
	struct objstore_op *ops; /* started and not yet delivered */
	int closing;
	struct objstore_pool *pool;
	uint64_t rng;
};

/* "PUT", "GET", ... */
const char *objstore_kind_name(enum objstore_kind kind);

/* Marks op's result final and schedules its callback on the loop. */
void objstore_op_finish(struct objstore_op *op);

/*
 * Fails op: res.error becomes the formatted text followed by
 * " (<OP> <key>, after N attempts)", then as objstore_op_finish.
 */
void objstore_op_fail(struct objstore_op *op, int status, int http_status,
		      const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Adds a LIST entry (key relative to the store's prefix); returns 0 or
 * SL_ENOMEM. */
int objstore_op_list_add(struct objstore_op *op, const char *key, size_t keylen,
			 uint64_t size, int64_t mtime_ms);

/* A backoff delay before retry number `retry` (1 = first retry): uniform in
 * [0, min(retry_max_ms, retry_base_ms << (retry - 1))] ("full jitter"). */
int objstore_backoff_ms(struct objstore *os, int retry);

/* Worker pool: work runs on a worker thread, done then on the loop. */
struct objstore_pool *objstore_pool_new(struct event_base *base, int threads,
					char *err, size_t errlen);
/* Returns 0 or SL_ENOMEM. */
int objstore_pool_submit(struct objstore_pool *pool, void (*work)(void *arg),
			 void (*done)(void *arg), void *arg);
/* Drops queued jobs, waits for running ones; no further done runs. */
void objstore_pool_free(struct objstore_pool *pool);

#endif
