/*
 * Reading the inputs of one rewrite from the bucket: one tail GET per
 * input object for its footer and index (the catalog does not keep what
 * object_block_verify needs, and the object's own index is the truth to
 * check the catalog against), then ranged GETs of whole blocks, adjacent
 * blocks of one object in one GET up to FETCH_RANGE_MAX bytes.  An object
 * of at most FETCH_RANGE_MAX bytes that is at least half live is read
 * whole in one GET instead (the common case: small uploads and per-stream
 * objects), which halves the requests.  Every
 * block is verified (object_block_verify) before the rewrite may use it.
 * Only live blocks that are not dead are read: what the rewrite drops
 * costs nothing.
 *
 * Asynchronous on the loop thread over common/objstore.h, paced by
 * compactd/pace.h, at most FETCH_INFLIGHT requests at once.  The fetch
 * owns the bytes until fetch_free.
 */
#ifndef SLUICE_COMPACTD_FETCH_H
#define SLUICE_COMPACTD_FETCH_H

#include <stddef.h>
#include <stdint.h>

struct catalog_view;
struct event_base;
struct objstore;
struct pace;
struct rewrite;
struct rewrite_block;

#define FETCH_RANGE_MAX ((uint64_t)8 << 20)
#define FETCH_INFLIGHT 4

struct fetch;

/* Called once: rc 0 with the verified blocks (valid until fetch_free), or
 * SL_EIO (the bucket failed; error says how), SL_ECORRUPT (an object or
 * block does not verify, or disagrees with the catalog), SL_ECANCELED
 * (fetch_abort), SL_ENOMEM. */
typedef void (*fetch_done_fn)(void *arg, int rc, const char *error,
			      struct rewrite_block *blocks, size_t n);

/* Starts reading r's inputs as v lists them; bytes read are added to
 * *bytes_read as they arrive.  Returns the fetch, or NULL when out of
 * memory (done is not called). */
struct fetch *fetch_start(struct event_base *base, struct objstore *os,
			  struct pace *pace, const struct catalog_view *v,
			  const struct rewrite *r, uint64_t *bytes_read,
			  fetch_done_fn done, void *arg);

/* Stops issuing requests; done follows with SL_ECANCELED once those in
 * flight have finished. */
void fetch_abort(struct fetch *f);

/* Frees the fetch and its bytes (after done). */
void fetch_free(struct fetch *f);

#endif
