/*
 * The object store's front: options and URL parsing, key checks, the life
 * of an operation (start, finish, deferred callback, cancel at close),
 * counters, the last error, and backoff with full jitter.  The backends
 * (objstore_s3.c, objstore_local.c) do the work behind one table.
 *
 * An operation's callback always runs from its own zero-delay event on the
 * loop, so no callback runs inside the call that started the operation and
 * a backend may finish an operation from anywhere on the loop thread.
 *
 * Ownership: the store owns its operations until their callbacks return.
 * Threading: loop thread only (workers hand results back through the pool).
 * Nothing here is durable.
 */
#include "autoconfig.h"

#include "common/objstore.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include <event2/event.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/objstore_internal.h"

#define OBJSTORE_KEY_MAX 900 /* leaves room for a prefix in S3's 1024 */

int objstore_buf_reserve(struct objstore_buf *b, size_t n)
{
	if (b->oom)
		return -1;
	if (b->len + n + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + n + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	b->p[b->len] = '\0';
	return 0;
}

void objstore_buf_add(struct objstore_buf *b, const void *data, size_t n)
{
	if (objstore_buf_reserve(b, n) < 0)
		return;
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void objstore_buf_cat(struct objstore_buf *b, const char *s)
{
	objstore_buf_add(b, s, strlen(s));
}

void objstore_buf_printf(struct objstore_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || objstore_buf_reserve(b, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void objstore_buf_free(struct objstore_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

const char *objstore_kind_name(enum objstore_kind kind)
{
	switch (kind) {
	case OBJSTORE_PUT: return "PUT";
	case OBJSTORE_GET: return "GET";
	case OBJSTORE_HEAD: return "HEAD";
	case OBJSTORE_LIST: return "LIST";
	case OBJSTORE_DELETE: return "DELETE";
	}
	return "?";
}

/* Copies s, or "" for NULL; NULL only when out of memory. */
static char *objstore_strdup(const char *s)
{
	return strdup(s ? s : "");
}

/* Whether s is NULL or empty. */
static int objstore_blank(const char *s)
{
	return !s || !*s;
}

/*
 * Checks a key (whole segments) or, with is_prefix, a LIST prefix (the last
 * segment may be partial or empty).  Returns NULL or why it is refused.
 */
static const char *objstore_key_problem(const char *key, int is_prefix)
{
	size_t n = strlen(key);
	if (!is_prefix && n == 0)
		return "empty key";
	if (n > OBJSTORE_KEY_MAX)
		return "key longer than 900 bytes";
	if (key[0] == '/')
		return "key starts with '/'";
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return "control character in key";
	const char *seg = key;
	for (;;) {
		const char *slash = strchr(seg, '/');
		size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
		int last = !slash;
		if (!(is_prefix && last)) {
			if (len == 0)
				return "empty segment in key";
			if ((len == 1 && seg[0] == '.') ||
			    (len == 2 && seg[0] == '.' && seg[1] == '.'))
				return "'.' or '..' segment in key";
		}
		if (last)
			return NULL;
		seg = slash + 1;
	}
}

/* Parses opt->url into the store; returns 0 or SL_EINVAL with err set. */
static int objstore_parse_url(struct objstore *os, const char *url, char *err,
			      size_t errlen)
{
	if (!strncmp(url, "s3://", 5)) {
		const char *b = url + 5;
		const char *slash = strchr(b, '/');
		size_t blen = slash ? (size_t)(slash - b) : strlen(b);
		if (blen == 0) {
			snprintf(err, errlen, "object store URL %s: no bucket",
				 url);
			return SL_EINVAL;
		}
		os->backend = &objstore_s3_backend;
		os->bucket = strndup(b, blen);
		const char *p = slash ? slash : "";
		while (*p == '/')
			p++;
		size_t plen = strlen(p);
		while (plen && p[plen - 1] == '/')
			plen--;
		os->prefix = strndup(p, plen);
		if (!os->bucket || !os->prefix)
			return SL_ENOMEM;
		if (os->prefix[0] && objstore_key_problem(os->prefix, 0)) {
			snprintf(err, errlen,
				 "object store URL %s: bad prefix: %s", url,
				 objstore_key_problem(os->prefix, 0));
			return SL_EINVAL;
		}
		return 0;
	}
	if (!strncmp(url, "file://", 7)) {
		const char *p = url + 7;
		if (p[0] != '/') {
			snprintf(err, errlen,
				 "object store URL %s: want "
				 "file:///absolute/path",
				 url);
			return SL_EINVAL;
		}
		size_t plen = strlen(p);
		while (plen > 1 && p[plen - 1] == '/')
			plen--;
		os->backend = &objstore_local_backend;
		os->root = strndup(p, plen);
		os->prefix = strdup("");
		return os->root && os->prefix ? 0 : SL_ENOMEM;
	}
	snprintf(err, errlen,
		 "object store URL %s: want s3://bucket/prefix or file:///path",
		 url);
	return SL_EINVAL;
}

/* Frees the store's own fields (not ops, pool or backend). */
static void objstore_free_fields(struct objstore *os)
{
	free((char *)os->opt.url);
	free((char *)os->opt.endpoint);
	free((char *)os->opt.region);
	free((char *)os->opt.access_key);
	free((char *)os->opt.secret_key);
	free(os->bucket);
	free(os->prefix);
	free(os->root);
	free(os);
}

int objstore_open(struct event_base *base, const struct objstore_options *opt,
		  struct objstore **out, char *err, size_t errlen)
{
	*out = NULL;
	if (objstore_blank(opt->url)) {
		snprintf(err, errlen, "no object store URL");
		return SL_EINVAL;
	}
	struct objstore *os = calloc(1, sizeof *os);
	if (!os) {
		snprintf(err, errlen, "out of memory");
		return SL_ENOMEM;
	}
	os->base = base;
	os->opt = *opt;
	const char *ak = opt->access_key, *sk = opt->secret_key;
	if (objstore_blank(ak) && objstore_blank(sk)) {
		ak = getenv("AWS_ACCESS_KEY_ID");
		sk = getenv("AWS_SECRET_ACCESS_KEY");
	}
	os->opt.url = objstore_strdup(opt->url);
	os->opt.endpoint = objstore_strdup(opt->endpoint);
	os->opt.region = objstore_strdup(
		objstore_blank(opt->region) ? "us-east-1" : opt->region);
	os->opt.access_key = objstore_strdup(ak);
	os->opt.secret_key = objstore_strdup(sk);
	if (!os->opt.url || !os->opt.endpoint || !os->opt.region ||
	    !os->opt.access_key || !os->opt.secret_key) {
		objstore_free_fields(os);
		snprintf(err, errlen, "out of memory");
		return SL_ENOMEM;
	}
	if (os->opt.max_attempts <= 0)
		os->opt.max_attempts = 8;
	if (os->opt.multipart_threshold == 0)
		os->opt.multipart_threshold = 32u << 20;
	if (os->opt.part_size == 0)
		os->opt.part_size = 16u << 20;
	if (os->opt.max_parallel_parts <= 0)
		os->opt.max_parallel_parts = 4;
	if (os->opt.list_page_size <= 0 || os->opt.list_page_size > 1000)
		os->opt.list_page_size = 1000;
	if (os->opt.retry_base_ms <= 0)
		os->opt.retry_base_ms = 100;
	if (os->opt.retry_max_ms <= 0)
		os->opt.retry_max_ms = 20000;
	if (os->opt.retry_max_ms < os->opt.retry_base_ms)
		os->opt.retry_max_ms = os->opt.retry_base_ms;
	if (getrandom(&os->rng, sizeof os->rng, 0) != sizeof os->rng)
		os->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	os->rng |= 1;

	int rc = objstore_parse_url(os, os->opt.url, err, errlen);
	if (rc == SL_ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (rc == 0) {
		os->pool = objstore_pool_new(base, os->backend->workers, err,
					     errlen);
		if (!os->pool)
			rc = SL_EIO;
	}
	if (rc == 0)
		rc = os->backend->open(os, err, errlen);
	if (rc != 0) {
		if (os->pool)
			objstore_pool_free(os->pool);
		objstore_free_fields(os);
		return rc;
	}
	*out = os;
	return 0;
}

/* Frees an operation and everything it holds. */
static void objstore_op_free(struct objstore_op *op)
{
	if (op->impl_free)
		op->impl_free(op);
	if (op->deliver_ev)
		event_free(op->deliver_ev);
	free(op->key);
	free(op->full_key);
	for (size_t i = 0; i < op->nkeys; i++)
		free(op->keys[i]);
	free(op->keys);
	objstore_buf_free(&op->body);
	free(op->entries);
	free(op->name_off);
	objstore_buf_free(&op->names);
	free(op);
}

/* Orders LIST entries by key, bytewise like S3. */
static int objstore_entry_cmp(const void *a, const void *b)
{
	const struct objstore_entry *x = a, *y = b;
	return strcmp(x->key, y->key);
}

/* Counts, logs and remembers the outcome, then runs the callback and
 * frees op.  op must already be off the store's list. */
static void objstore_op_complete(struct objstore *os, struct objstore_op *op)
{
	struct objstore_result *res = &op->res;
	if (res->status != 0 && res->status != SL_ENOENT &&
	    res->status != SL_ECANCELED) {
		os->stats.errors++;
		snprintf(os->last_error, sizeof os->last_error, "%s",
			 res->error);
		log_error("objstore: %s", res->error);
	}
	if (res->status == 0 && op->kind == OBJSTORE_GET) {
		res->data = (const uint8_t *)op->body.p;
		res->len = op->body.len;
	}
	if (res->status == 0 && op->kind == OBJSTORE_LIST) {
		for (size_t i = 0; i < op->entry_count; i++)
			op->entries[i].key = op->names.p + op->name_off[i];
		if (op->entry_count > 1)
			qsort(op->entries, op->entry_count, sizeof *op->entries,
			      objstore_entry_cmp);
		res->entries = op->entries;
		res->entry_count = op->entry_count;
	}
	op->cb(op->arg, res);
	objstore_op_free(op);
}

/* Takes op off the store's list. */
static void objstore_op_unlink(struct objstore *os, struct objstore_op *op)
{
	if (op->prev)
		op->prev->next = op->next;
	else
		os->ops = op->next;
	if (op->next)
		op->next->prev = op->prev;
	op->prev = op->next = NULL;
}

/* The delivery event: the operation's callback, on the loop. */
static void objstore_op_deliver(evutil_socket_t fd, short what, void *arg)
{
	struct objstore_op *op = arg;
	struct objstore *os = op->os;
	objstore_op_unlink(os, op);
	objstore_op_complete(os, op);
}

void objstore_op_finish(struct objstore_op *op)
{
	SL_ASSERT(!op->finished);
	op->finished = 1;
	event_active(op->deliver_ev, EV_TIMEOUT, 1);
}

void objstore_op_fail(struct objstore_op *op, int status, int http_status,
		      const char *fmt, ...)
{
	char msg[sizeof op->res.error];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	op->res.status = status;
	op->res.http_status = http_status;
	/* The suffix names what failed: cut the message, never the suffix. */
	char suffix[200], what[140];
	if (op->kind == OBJSTORE_LIST)
		snprintf(what, sizeof what, "prefix \"%.120s\"", op->key);
	else
		snprintf(what, sizeof what, "%.120s", op->key);
	if (op->attempts > 0)
		snprintf(suffix, sizeof suffix, " (%s %s, after %d attempt%s)",
			 objstore_kind_name(op->kind), what, op->attempts,
			 op->attempts == 1 ? "" : "s");
	else
		snprintf(suffix, sizeof suffix, " (%s %s)",
			 objstore_kind_name(op->kind), what);
	int room = (int)(sizeof op->res.error - 1 - strlen(suffix));
	snprintf(op->res.error, sizeof op->res.error, "%.*s%s", room, msg,
		 suffix);
	objstore_op_finish(op);
}

int objstore_op_list_add(struct objstore_op *op, const char *key, size_t keylen,
			 uint64_t size, int64_t mtime_ms)
{
	if (op->entry_count == op->entry_cap) {
		size_t cap = op->entry_cap ? 2 * op->entry_cap : 64;
		struct objstore_entry *e =
			realloc(op->entries, cap * sizeof *e);
		if (!e)
			return SL_ENOMEM;
		op->entries = e;
		size_t *off = realloc(op->name_off, cap * sizeof *off);
		if (!off)
			return SL_ENOMEM;
		op->name_off = off;
		op->entry_cap = cap;
	}
	size_t at = op->names.len;
	objstore_buf_add(&op->names, key, keylen);
	objstore_buf_add(&op->names, "", 1); /* each key ends with a NUL */
	if (op->names.oom)
		return SL_ENOMEM;
	struct objstore_entry *e = &op->entries[op->entry_count];
	e->key = NULL;
	e->size = size;
	e->last_modified_ms = mtime_ms;
	op->name_off[op->entry_count++] = at;
	return 0;
}

int objstore_backoff_ms(struct objstore *os, int retry)
{
	uint64_t cap = (uint64_t)os->opt.retry_base_ms;
	for (int i = 1; i < retry && cap < (uint64_t)os->opt.retry_max_ms; i++)
		cap *= 2;
	if (cap > (uint64_t)os->opt.retry_max_ms)
		cap = (uint64_t)os->opt.retry_max_ms;
	/* xorshift64*: a fresh spread per store, no shared state. */
	os->rng ^= os->rng >> 12;
	os->rng ^= os->rng << 25;
	os->rng ^= os->rng >> 27;
	uint64_t r = os->rng * 2685821657736338717ull;
	return (int)(r % (cap + 1));
}

/* Makes an operation, lists it and counts it; NULL when out of memory. */
static struct objstore_op *objstore_op_new(struct objstore *os,
					   enum objstore_kind kind,
					   const char *key, objstore_cb cb,
					   void *arg)
{
	struct objstore_op *op = calloc(1, sizeof *op);
	if (!op)
		return NULL;
	op->os = os;
	op->kind = kind;
	op->cb = cb;
	op->arg = arg;
	op->key = strdup(key);
	op->deliver_ev = event_new(os->base, -1, 0, objstore_op_deliver, op);
	if (!op->key || !op->deliver_ev) {
		objstore_op_free(op);
		return NULL;
	}
	op->next = os->ops;
	if (os->ops)
		os->ops->prev = op;
	os->ops = op;
	switch (kind) {
	case OBJSTORE_PUT: os->stats.puts++; break;
	case OBJSTORE_GET: os->stats.gets++; break;
	case OBJSTORE_HEAD: os->stats.heads++; break;
	case OBJSTORE_LIST: os->stats.lists++; break;
	case OBJSTORE_DELETE: os->stats.deletes++; break;
	}
	return op;
}

/* Reports a failure to allocate the operation itself: there is nothing to
 * defer the callback with, so it runs now (only under memory exhaustion). */
static void objstore_op_oom(enum objstore_kind kind, const char *key,
			    objstore_cb cb, void *arg)
{
	struct objstore_result res;
	memset(&res, 0, sizeof res);
	res.status = SL_ENOMEM;
	snprintf(res.error, sizeof res.error, "out of memory (%s %s)",
		 objstore_kind_name(kind), key);
	cb(arg, &res);
}

/* Builds the prefixed key of op (or its local path). */
static int objstore_op_full_key(struct objstore_op *op, const char *key)
{
	struct objstore *os = op->os;
	struct objstore_buf b = { 0 };
	if (os->root)
		objstore_buf_printf(&b, "%s/%s", os->root, key);
	else if (os->prefix[0])
		objstore_buf_printf(&b, "%s/%s", os->prefix, key);
	else
		objstore_buf_cat(&b, key);
	if (b.oom) {
		objstore_buf_free(&b);
		return SL_ENOMEM;
	}
	op->full_key = b.p;
	return 0;
}

/*
 * Common start of every call: makes the operation, refuses it on a closing
 * store or a bad key, else hands it to the backend.  key_kind: 0 key, 1
 * LIST prefix, 2 none (DELETE, checked by the caller).
 */
static struct objstore_op *objstore_op_begin(struct objstore *os,
					     enum objstore_kind kind,
					     const char *key, int key_kind,
					     objstore_cb cb, void *arg)
{
	struct objstore_op *op = objstore_op_new(os, kind, key, cb, arg);
	if (!op) {
		objstore_op_oom(kind, key, cb, arg);
		return NULL;
	}
	if (os->closing) {
		/* No loop turn is left to defer to: the store is going. */
		objstore_op_unlink(os, op);
		op->res.status = SL_ECANCELED;
		snprintf(op->res.error, sizeof op->res.error,
			 "canceled: the object store is closing (%s %s)",
			 objstore_kind_name(kind), key);
		objstore_op_complete(os, op);
		return NULL;
	}
	if (key_kind != 2) {
		const char *why = objstore_key_problem(key, key_kind == 1);
		if (why) {
			objstore_op_fail(op, SL_EINVAL, 0, "%s", why);
			return NULL;
		}
		if (objstore_op_full_key(op, key) != 0) {
			objstore_op_fail(op, SL_ENOMEM, 0, "out of memory");
			return NULL;
		}
	}
	return op;
}

void objstore_put_paced(struct objstore *os, const char *key, const void *data,
			size_t len, uint64_t max_bytes_per_sec, objstore_cb cb,
			void *arg)
{
	struct objstore_op *op =
		objstore_op_begin(os, OBJSTORE_PUT, key, 0, cb, arg);
	if (!op)
		return;
	op->data = data;
	op->len = len;
	op->max_send_rate = max_bytes_per_sec;
	os->backend->start(op);
}

void objstore_put(struct objstore *os, const char *key, const void *data,
		  size_t len, objstore_cb cb, void *arg)
{
	objstore_put_paced(os, key, data, len, 0, cb, arg);
}

void objstore_get(struct objstore *os, const char *key, uint64_t offset,
		  uint64_t len, objstore_cb cb, void *arg)
{
	objstore_get_paced(os, key, offset, len, 0, cb, arg);
}

void objstore_get_paced(struct objstore *os, const char *key, uint64_t offset,
			uint64_t len, uint64_t max_bytes_per_sec, objstore_cb cb,
			void *arg)
{
	struct objstore_op *op =
		objstore_op_begin(os, OBJSTORE_GET, key, 0, cb, arg);
	if (!op)
		return;
	if (len && offset + len < offset) {
		objstore_op_fail(op, SL_EINVAL, 0, "range overflows");
		return;
	}
	op->offset = offset;
	op->range_len = len;
	op->max_recv_rate = max_bytes_per_sec;
	os->backend->start(op);
}

void objstore_head(struct objstore *os, const char *key, objstore_cb cb,
		   void *arg)
{
	struct objstore_op *op =
		objstore_op_begin(os, OBJSTORE_HEAD, key, 0, cb, arg);
	if (op)
		os->backend->start(op);
}

void objstore_list(struct objstore *os, const char *prefix, objstore_cb cb,
		   void *arg)
{
	struct objstore_op *op = objstore_op_begin(
		os, OBJSTORE_LIST, prefix ? prefix : "", 1, cb, arg);
	if (op)
		os->backend->start(op);
}

void objstore_delete(struct objstore *os, const char *const *keys, size_t n,
		     objstore_cb cb, void *arg)
{
	char what[96];
	if (n == 0)
		snprintf(what, sizeof what, "(no keys)");
	else if (n == 1)
		snprintf(what, sizeof what, "%.80s", keys[0]);
	else
		snprintf(what, sizeof what, "%.60s and %zu more", keys[0],
			 n - 1);
	struct objstore_op *op =
		objstore_op_begin(os, OBJSTORE_DELETE, what, 2, cb, arg);
	if (!op)
		return;
	op->keys = calloc(n ? n : 1, sizeof *op->keys);
	if (!op->keys) {
		objstore_op_fail(op, SL_ENOMEM, 0, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const char *why = objstore_key_problem(keys[i], 0);
		if (why) {
			objstore_op_fail(op, SL_EINVAL, 0, "key %.100s: %s",
					 keys[i], why);
			return;
		}
		op->keys[i] = strdup(keys[i]);
		if (!op->keys[i]) {
			objstore_op_fail(op, SL_ENOMEM, 0, "out of memory");
			return;
		}
		op->nkeys++;
	}
	if (n == 0) {
		objstore_op_finish(op); /* nothing to do, but never inline */
		return;
	}
	os->backend->start(op);
}

void objstore_close(struct objstore *os)
{
	if (!os)
		return;
	os->closing = 1;
	objstore_pool_free(os->pool);
	os->pool = NULL;
	os->backend->close(os);
	while (os->ops) {
		struct objstore_op *op = os->ops;
		objstore_op_unlink(os, op);
		if (!op->finished) {
			op->res.status = SL_ECANCELED;
			snprintf(
				op->res.error, sizeof op->res.error,
				"canceled: the object store was closed (%s %s)",
				objstore_kind_name(op->kind), op->key);
		}
		objstore_op_complete(os, op);
	}
	objstore_free_fields(os);
}

void objstore_get_stats(const struct objstore *os, struct objstore_stats *st)
{
	*st = os->stats;
}

const char *objstore_last_error(const struct objstore *os)
{
	return os->last_error;
}

const char *objstore_backend_name(const struct objstore *os)
{
	return os->backend->name;
}
