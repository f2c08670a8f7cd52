/*
 * The object store: S3 (s3://bucket/prefix) or a local directory
 * (file:///path) behind the same asynchronous calls on a libevent loop.
 *
 * Every call returns at once; its callback runs later on the loop thread,
 * never inside the call that started the operation.  Keys are relative to
 * the URL's prefix (the store prepends "<prefix>/").  A key is 1 to 900
 * bytes of '/'-separated non-empty segments, none of them "." or "..".
 *
 * Ownership: the caller owns the event_base; the store owns everything it
 * allocates.  PUT data is not copied and must stay valid until the callback;
 * every other argument is copied by the call.  Threading: call everything
 * from the loop thread (the local backend and payload hashing use worker
 * threads internally and complete on the loop).
 */
#ifndef SLUICE_OBJSTORE_H
#define SLUICE_OBJSTORE_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct objstore;

struct objstore_options {
	const char *url;      /* "s3://bucket/prefix" or "file:///path" */
	const char *endpoint; /* e.g. http://127.0.0.1:8080; NULL or "" =
				 https://s3.<region>.amazonaws.com */
	const char *region;   /* NULL or "" = us-east-1 */
	int path_style;	      /* 1 path-style, 0 virtual-hosted */
	const char *access_key, *secret_key; /* NULL or "": AWS_ACCESS_KEY_ID /
						AWS_SECRET_ACCESS_KEY */
	int max_attempts;		     /* per request; 0 = 8 */
	size_t multipart_threshold; /* PUTs above go multipart; 0 = 32 MiB */
	size_t part_size;	    /* 0 = 16 MiB (S3's minimum is 5 MiB) */
	int max_parallel_parts;	    /* 0 = 4 */
	int list_page_size; /* max-keys per ListObjectsV2 page; 0 = 1000 */
	int retry_base_ms;  /* first backoff cap; 0 = 100 ms */
	int retry_max_ms;   /* largest backoff cap; 0 = 20 s */
};

struct objstore_entry {
	const char *key; /* relative to the prefix */
	uint64_t size;
	int64_t last_modified_ms;
};

struct objstore_result {
	/* 0; SL_ENOENT (no such key: GET/HEAD 404); SL_EINVAL (bad key or
	 * argument); SL_ECANCELED (store closed first: the operation may or
	 * may not have taken effect); SL_EIO (gave up after retries, or an
	 * error that is not retried). */
	int status;
	int http_status; /* last HTTP status seen (0 for the local backend) */
	/* e.g. "SignatureDoesNotMatch: The request signature we calculated
	 * does not match ... (PUT o/ab/123, after 1 attempt)" */
	char error[512];
	const uint8_t *data; /* GET body, valid during the callback */
	size_t len;
	uint64_t object_size; /* HEAD/GET: total size of the object */
	const struct objstore_entry *entries; /* LIST, sorted by key, valid
						 during the callback */
	size_t entry_count;
};

typedef void (*objstore_cb)(void *arg, const struct objstore_result *res);

/*
 * Opens a store on base.  Returns 0, or SL_EINVAL (bad URL or options,
 * missing credentials) / SL_EIO (local root unusable) with a message in err.
 */
int objstore_open(struct event_base *base, const struct objstore_options *opt,
		  struct objstore **out, char *err, size_t errlen);

/*
 * Cancels what is in flight and frees the store.  The callback of every
 * unfinished operation runs before this returns, with SL_ECANCELED unless
 * its result was already known; operations those callbacks start get
 * SL_ECANCELED at once.  It may be called from an operation's callback, but
 * not from one that objstore_close itself is running.
 */
void objstore_close(struct objstore *os);

/* Stores data under key (multipart above the threshold: create, parts in
 * parallel, complete; abort on failure). */
void objstore_put(struct objstore *os, const char *key, const void *data,
		  size_t len, objstore_cb cb, void *arg);

/* objstore_put sending at most max_bytes_per_sec on average (0: no limit;
 * a multipart upload shares it among its parts in flight), so one large
 * object does not arrive at the store as a burst.  The local backend has
 * no network to pace and ignores it. */
void objstore_put_paced(struct objstore *os, const char *key, const void *data,
			size_t len, uint64_t max_bytes_per_sec, objstore_cb cb,
			void *arg);

/* Reads len bytes at offset (len 0: to the end).  An offset at or past the
 * end of a non-empty range fails with "InvalidRange". */
void objstore_get(struct objstore *os, const char *key, uint64_t offset,
		  uint64_t len, objstore_cb cb, void *arg);

/* objstore_get receiving at most max_bytes_per_sec on average (0: no
 * limit), for background readers that must not take the network or the
 * store from foreground ones.  The local backend ignores it. */
void objstore_get_paced(struct objstore *os, const char *key, uint64_t offset,
			uint64_t len, uint64_t max_bytes_per_sec, objstore_cb cb,
			void *arg);

/* Size of key (object_size).  A HEAD response has no body, so a missing
 * bucket also reads as SL_ENOENT here (GET and LIST name NoSuchBucket). */
void objstore_head(struct objstore *os, const char *key, objstore_cb cb,
		   void *arg);

/* Every key starting with prefix ("" for all), all pages, sorted. */
void objstore_list(struct objstore *os, const char *prefix, objstore_cb cb,
		   void *arg);

/* Deletes n keys (batches of 1000).  A missing key is not an error; keys
 * that could not be deleted are named in res.error, status SL_EIO. */
void objstore_delete(struct objstore *os, const char *const *keys, size_t n,
		     objstore_cb cb, void *arg);

/* Counters for metrics.  puts..deletes count operations started;
 * requests counts HTTP requests sent (every attempt, page, part, create,
 * complete and abort); errors counts operations that failed (not
 * SL_ENOENT, not SL_ECANCELED); bytes are payload moved by successful
 * requests. */
struct objstore_stats {
	uint64_t puts, gets, heads, lists, deletes;
	uint64_t multipart_parts, requests, retries, errors;
	uint64_t bytes_up, bytes_down;
};

void objstore_get_stats(const struct objstore *os, struct objstore_stats *st);

/* The last failure's text (not retried, or after the last retry), for
 * sluicectl status; "" if none yet. */
const char *objstore_last_error(const struct objstore *os);

/* "s3" or "local". */
const char *objstore_backend_name(const struct objstore *os);

/*
 * Synchronous wrappers for command-line tools (objstore_sync.c): each runs
 * a private event_base until the operation completes.  They return the
 * result's status and copy its error text into err (if given).
 */
struct objstore_sync;

/* Opens a store on a private loop; returns 0 or SL_EINVAL/SL_EIO/SL_ENOMEM. */
int objstore_sync_open(const struct objstore_options *opt,
		       struct objstore_sync **out, char *err, size_t errlen);
void objstore_sync_close(struct objstore_sync *sync);
/* The underlying store, for stats and last error. */
struct objstore *objstore_sync_store(struct objstore_sync *sync);

int objstore_sync_put(struct objstore_sync *sync, const char *key,
		      const void *data, size_t len, char *err, size_t errlen);
/* *data is malloc'd (free it); *object_size may be NULL. */
int objstore_sync_get(struct objstore_sync *sync, const char *key,
		      uint64_t offset, uint64_t len, uint8_t **data,
		      size_t *data_len, uint64_t *object_size, char *err,
		      size_t errlen);
int objstore_sync_head(struct objstore_sync *sync, const char *key,
		       uint64_t *object_size, char *err, size_t errlen);
/* *entries is one malloc'd block (keys inside it): free(*entries). */
int objstore_sync_list(struct objstore_sync *sync, const char *prefix,
		       struct objstore_entry **entries, size_t *count,
		       char *err, size_t errlen);
int objstore_sync_delete(struct objstore_sync *sync, const char *const *keys,
			 size_t n, char *err, size_t errlen);

#endif
