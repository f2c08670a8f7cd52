/*
 * Unit tests for the object store (common/objstore*.c, common/s3_xml.c).
 *
 * The local backend end to end: PUT, ranged GET, HEAD, LIST across nested
 * directories with prefixes cutting segments, DELETE with directory
 * pruning, key checks, cancellation at close, the synchronous wrappers,
 * and crash safety of PUT (a child killed with SIGKILL while rewriting an
 * object leaves the old or the new bytes, whole, and no visible temp file).
 *
 * The S3 backend against an S3 stand-in served by libevent's evhttp on the
 * same loop: it checks every request's SigV4 signature and payload hash
 * (with the signer's canonical forms, so what it proves is that the client
 * sends what it signed; the canonical forms themselves are pinned by
 * test_sigv4 and the wire format by the Swift integration test), keeps
 * objects and multipart uploads in memory, pages ListObjectsV2, checks
 * DeleteObjects' Content-MD5 and batch size, and injects faults: 503
 * SlowDown, dropped connections, a failing part, an <Error> inside a 200.
 */
#include "autoconfig.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/evp.h>

#include "common/errors.h"
#include "common/objstore.h"
#include "common/objstore_internal.h"
#include "common/s3_xml.h"
#include "common/sigv4.h"
#include "tests/unit/unit_main.h"

#define AK "AKIDTEST"
#define SK "test-secret-0123456789"
#define BUCKET "bkt"

/* ---- helpers ------------------------------------------------------------ */

/* A copy of one result, and whether it came. */
struct wait {
	int done;
	int inline_call; /* the callback ran inside the starting call */
	int status, http_status;
	char error[512];
	uint8_t *data;
	size_t len;
	uint64_t object_size;
	char **keys;
	uint64_t *sizes;
	int64_t *mtimes;
	size_t count;
};

static int in_call; /* set around each starting call */

/* Frees what a wait holds. */
static void wait_reset(struct wait *w)
{
	free(w->data);
	for (size_t i = 0; i < w->count; i++)
		free(w->keys[i]);
	free(w->keys);
	free(w->sizes);
	free(w->mtimes);
	memset(w, 0, sizeof *w);
}

/* The callback of every test operation: copies the result. */
static void wait_cb(void *arg, const struct objstore_result *res)
{
	struct wait *w = arg;
	ck_assert(!w->done);
	w->done = 1;
	w->inline_call = in_call;
	w->status = res->status;
	w->http_status = res->http_status;
	snprintf(w->error, sizeof w->error, "%s", res->error);
	w->object_size = res->object_size;
	if (res->data) {
		w->data = malloc(res->len + 1);
		memcpy(w->data, res->data, res->len);
		w->len = res->len;
	}
	if (res->entry_count) {
		w->keys = calloc(res->entry_count, sizeof *w->keys);
		w->sizes = calloc(res->entry_count, sizeof *w->sizes);
		w->mtimes = calloc(res->entry_count, sizeof *w->mtimes);
		for (size_t i = 0; i < res->entry_count; i++) {
			w->keys[i] = strdup(res->entries[i].key);
			w->sizes[i] = res->entries[i].size;
			w->mtimes[i] = res->entries[i].last_modified_ms;
		}
		w->count = res->entry_count;
	}
}

/* Runs base until w's callback fired (bounded). */
static void wait_run(struct event_base *base, struct wait *w)
{
	time_t deadline = time(NULL) + 60;
	while (!w->done) {
		ck_assert_msg(time(NULL) < deadline, "operation never ended");
		event_base_loop(base, EVLOOP_ONCE);
	}
	ck_assert_msg(!w->inline_call, "callback ran inside the call");
}

/* Synchronous helpers over the async calls, for the tests' own loop. */
static void do_put(struct event_base *base, struct objstore *os,
		   const char *key, const void *data, size_t len,
		   struct wait *w)
{
	wait_reset(w);
	in_call = 1;
	objstore_put(os, key, data, len, wait_cb, w);
	in_call = 0;
	wait_run(base, w);
}

static void do_get(struct event_base *base, struct objstore *os,
		   const char *key, uint64_t off, uint64_t len, struct wait *w)
{
	wait_reset(w);
	in_call = 1;
	objstore_get(os, key, off, len, wait_cb, w);
	in_call = 0;
	wait_run(base, w);
}

static void do_head(struct event_base *base, struct objstore *os,
		    const char *key, struct wait *w)
{
	wait_reset(w);
	in_call = 1;
	objstore_head(os, key, wait_cb, w);
	in_call = 0;
	wait_run(base, w);
}

static void do_list(struct event_base *base, struct objstore *os,
		    const char *prefix, struct wait *w)
{
	wait_reset(w);
	in_call = 1;
	objstore_list(os, prefix, wait_cb, w);
	in_call = 0;
	wait_run(base, w);
}

static void do_delete(struct event_base *base, struct objstore *os,
		      const char *const *keys, size_t n, struct wait *w)
{
	wait_reset(w);
	in_call = 1;
	objstore_delete(os, keys, n, wait_cb, w);
	in_call = 0;
	wait_run(base, w);
}

/* Deterministic bytes for object number seed. */
static uint8_t *make_data(size_t len, uint32_t seed)
{
	uint8_t *p = malloc(len ? len : 1);
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
	return p;
}

/* A fresh directory under $TMPDIR. */
static void make_tmpdir(char *dir, size_t len)
{
	const char *t = getenv("TMPDIR");
	snprintf(dir, len, "%s/objstore-XXXXXX", t && *t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* rm -r of dir. */
static void remove_tree(const char *dir)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Opens a local store at dir on base. */
static struct objstore *open_local(struct event_base *base, const char *dir)
{
	char url[PATH_MAX + 16], err[256];
	snprintf(url, sizeof url, "file://%s", dir);
	struct objstore_options opt = { .url = url };
	struct objstore *os;
	int rc = objstore_open(base, &opt, &os, err, sizeof err);
	ck_assert_msg(rc == 0, "open %s: %s", url, err);
	ck_assert_str_eq(objstore_backend_name(os), "local");
	return os;
}

/* ---- local backend ---------------------------------------------------- */

/* Counts callbacks by status. */
struct tally {
	int ok, canceled, other, total;
};

static void tally_cb(void *arg, const struct objstore_result *res)
{
	struct tally *t = arg;
	t->total++;
	if (res->status == 0)
		t->ok++;
	else if (res->status == SL_ECANCELED)
		t->canceled++;
	else
		t->other++;
}

START_TEST(test_local_roundtrip)
{
	char dir[PATH_MAX];
	make_tmpdir(dir, sizeof dir);
	struct event_base *base = event_base_new();
	struct objstore *os = open_local(base, dir);
	struct wait w = { 0 };
	uint8_t *data = make_data(100000, 1);

	do_put(base, os, "o/ab/123", data, 100000, &w);
	ck_assert_msg(w.status == 0, "%s", w.error);
	ck_assert_uint_eq(w.object_size, 100000);

	do_get(base, os, "o/ab/123", 0, 0, &w);
	ck_assert_int_eq(w.status, 0);
	ck_assert_uint_eq(w.len, 100000);
	ck_assert_uint_eq(w.object_size, 100000);
	ck_assert(!memcmp(w.data, data, 100000));

	do_get(base, os, "o/ab/123", 99990, 100, &w); /* short at the end */
	ck_assert_int_eq(w.status, 0);
	ck_assert_uint_eq(w.len, 10);
	ck_assert(!memcmp(w.data, data + 99990, 10));

	do_get(base, os, "o/ab/123", 5000, 777, &w);
	ck_assert_uint_eq(w.len, 777);
	ck_assert(!memcmp(w.data, data + 5000, 777));

	do_get(base, os, "o/ab/123", 40000, 0, &w); /* to the end */
	ck_assert_uint_eq(w.len, 60000);
	ck_assert(!memcmp(w.data, data + 40000, 60000));

	do_get(base, os, "o/ab/123", 100000, 1, &w);
	ck_assert_int_eq(w.status, SL_EIO);
	ck_assert_msg(strstr(w.error, "InvalidRange") &&
			      strstr(w.error, "(GET o/ab/123)"),
		      "%s", w.error);

	do_head(base, os, "o/ab/123", &w);
	ck_assert_int_eq(w.status, 0);
	ck_assert_uint_eq(w.object_size, 100000);

	do_get(base, os, "o/ab/124", 0, 0, &w);
	ck_assert_int_eq(w.status, SL_ENOENT);
	ck_assert_msg(strstr(w.error, "NoSuchKey"), "%s", w.error);
	do_head(base, os, "o/ab", &w); /* a directory is no object */
	ck_assert_int_eq(w.status, SL_ENOENT);
	do_get(base, os, "o/ab/123/x", 0, 0, &w); /* ENOTDIR */
	ck_assert_int_eq(w.status, SL_ENOENT);

	/* Overwrite, and an empty object. */
	do_put(base, os, "o/ab/123", data + 1, 10, &w);
	do_get(base, os, "o/ab/123", 0, 0, &w);
	ck_assert_uint_eq(w.len, 10);
	ck_assert(!memcmp(w.data, data + 1, 10));
	do_put(base, os, "empty", "", 0, &w);
	ck_assert_int_eq(w.status, 0);
	do_get(base, os, "empty", 0, 0, &w);
	ck_assert_int_eq(w.status, 0);
	ck_assert_uint_eq(w.len, 0);
	do_get(base, os, "empty", 0, 5, &w);
	ck_assert_int_eq(w.status, SL_EIO);

	struct objstore_stats st;
	objstore_get_stats(os, &st);
	ck_assert_uint_eq(st.puts, 3);
	ck_assert_uint_eq(st.gets, 10);
	ck_assert_uint_eq(st.heads, 2);
	ck_assert_uint_eq(st.bytes_up, 100010);
	ck_assert_uint_eq(st.bytes_down, 100000 + 10 + 777 + 60000 + 10 + 0);
	ck_assert_uint_eq(st.errors, 2); /* the two InvalidRange */
	ck_assert_msg(strstr(objstore_last_error(os), "InvalidRange"), "%s",
		      objstore_last_error(os));

	wait_reset(&w);
	free(data);
	objstore_close(os);
	event_base_free(base);
	remove_tree(dir);
}
END_TEST

START_TEST(test_local_list_and_delete)
{
	char dir[PATH_MAX];
	make_tmpdir(dir, sizeof dir);
	struct event_base *base = event_base_new();
	struct objstore *os = open_local(base, dir);
	struct wait w = { 0 };
	enum { N = 1500 };
	static char keys[N][32];
	const char *kp[N];
	uint8_t *data = make_data(64, 2);
	struct tally t = { 0 };
	for (int i = 0; i < N; i++) {
		snprintf(keys[i], sizeof keys[i], "o/%02x/%05d", i % 37, i);
		kp[i] = keys[i];
		objstore_put(os, keys[i], data, (size_t)(i % 64), tally_cb, &t);
	}
	/* Many PUTs in flight at once; a LIST after they all end. */
	while (t.total < N)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(t.ok, N);
	do_put(base, os, "catalog/snap-1", data, 64, &w);
	do_put(base, os, "o.txt", data, 3, &w);

	do_list(base, os, "", &w);
	ck_assert_int_eq(w.status, 0);
	ck_assert_uint_eq(w.count, N + 2);
	for (size_t i = 1; i < w.count; i++)
		ck_assert_msg(strcmp(w.keys[i - 1], w.keys[i]) < 0,
			      "unsorted: %s %s", w.keys[i - 1], w.keys[i]);
	/* Bytewise order: '.' sorts before '/'. */
	ck_assert_str_eq(w.keys[0], "catalog/snap-1");
	ck_assert_str_eq(w.keys[1], "o.txt");
	ck_assert_str_eq(w.keys[2], "o/00/00000");
	ck_assert(w.mtimes[0] > 1600000000000LL);

	/* A prefix ending inside a segment: "o/1" is o/10..o/1f. */
	do_list(base, os, "o/1", &w);
	size_t want = 0;
	for (int i = 0; i < N; i++)
		want += !strncmp(keys[i], "o/1", 3);
	ck_assert_uint_eq(w.count, want);
	for (size_t i = 0; i < w.count; i++) {
		ck_assert(!strncmp(w.keys[i], "o/1", 3));
		int n = atoi(w.keys[i] + 6);
		ck_assert_uint_eq(w.sizes[i], (uint64_t)(n % 64));
	}
	do_list(base, os, "o", &w); /* o/... and o.txt */
	ck_assert_uint_eq(w.count, N + 1);
	do_list(base, os, "o/0a/", &w);
	ck_assert_uint_eq(w.count, (N + 36 - 10) / 37);
	do_list(base, os, "nothing/here", &w);
	ck_assert_int_eq(w.status, 0);
	ck_assert_uint_eq(w.count, 0);

	/* A temp file, as a crashed PUT leaves it, is not listed. */
	char tmp[PATH_MAX + 64];
	snprintf(tmp, sizeof tmp, "%s/o/00/.objstore-tmp.00000.1.1", dir);
	int fd = open(tmp, O_CREAT | O_WRONLY, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	do_list(base, os, "o/00/", &w);
	ck_assert_uint_eq(w.count, (N + 36) / 37);
	do_put(base, os, "o/.objstore-tmp.x", data, 1, &w);
	ck_assert_int_eq(w.status, SL_EINVAL);

	/* Delete all but the first o/ key, plus keys that do not exist. */
	const char *gone[] = { "never/was", "o/00/99999" };
	do_delete(base, os, kp + 1, N - 1, &w);
	ck_assert_msg(w.status == 0, "%s", w.error);
	do_delete(base, os, gone, 2, &w);
	ck_assert_int_eq(w.status, 0);
	do_list(base, os, "o/", &w);
	ck_assert_uint_eq(w.count, 1);
	ck_assert_str_eq(w.keys[0], keys[0]);
	/* Emptied directories went with their objects. */
	char sub[PATH_MAX + 16];
	snprintf(sub, sizeof sub, "%s/o/01", dir);
	struct stat sst;
	ck_assert_int_eq(stat(sub, &sst), -1);
	do_delete(base, os, NULL, 0, &w);
	ck_assert_int_eq(w.status, 0);

	wait_reset(&w);
	free(data);
	objstore_close(os);
	event_base_free(base);
	remove_tree(dir);
}
END_TEST

/* Bad keys, as (key, LIST prefix allowed). */
static const char *const bad_keys[] = {
	"", "/abs", "a//b", "a/./b", "a/../b", "..", "a/", "tab\there",
};

START_TEST(test_key_checks)
{
	char dir[PATH_MAX];
	make_tmpdir(dir, sizeof dir);
	struct event_base *base = event_base_new();
	struct objstore *os = open_local(base, dir);
	struct wait w = { 0 };
	for (size_t i = 0; i < sizeof bad_keys / sizeof bad_keys[0]; i++) {
		do_put(base, os, bad_keys[i], "x", 1, &w);
		ck_assert_msg(w.status == SL_EINVAL, "PUT '%s': %d",
			      bad_keys[i], w.status);
		do_get(base, os, bad_keys[i], 0, 0, &w);
		ck_assert_int_eq(w.status, SL_EINVAL);
		do_delete(base, os, &bad_keys[i], 1, &w);
		ck_assert_int_eq(w.status, SL_EINVAL);
	}
	do_list(base, os, "../", &w);
	ck_assert_int_eq(w.status, SL_EINVAL);
	do_list(base, os, "a/", &w); /* a trailing '/' is a fine prefix */
	ck_assert_int_eq(w.status, 0);
	char big[1000];
	memset(big, 'k', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	do_put(base, os, big, "x", 1, &w);
	ck_assert_int_eq(w.status, SL_EINVAL);
	wait_reset(&w);
	objstore_close(os);

	/* Bad URLs and options fail at open with a message. */
	const char *urls[] = { "", "s3://", "ftp://x", "file://relative" };
	for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		struct objstore_options opt = { .url = urls[i] };
		char err[256] = "";
		ck_assert_int_eq(
			objstore_open(base, &opt, &os, err, sizeof err),
			SL_EINVAL);
		ck_assert(err[0]);
	}
	event_base_free(base);
	remove_tree(dir);
}
END_TEST

START_TEST(test_local_close_cancels)
{
	char dir[PATH_MAX];
	make_tmpdir(dir, sizeof dir);
	struct event_base *base = event_base_new();
	struct objstore *os = open_local(base, dir);
	struct tally t = { 0 };
	size_t len = 1 << 20;
	uint8_t *data = make_data(len, 3);
	char key[32];
	for (int i = 0; i < 64; i++) {
		snprintf(key, sizeof key, "c/%d", i);
		objstore_put(os, key, data, len, tally_cb, &t);
	}
	ck_assert_int_eq(t.total, 0); /* nothing inline */
	objstore_close(os); /* every callback runs before it returns */
	ck_assert_int_eq(t.total, 64);
	ck_assert_int_eq(t.other, 0);
	/* At most one job per worker started; the rest never ran. */
	ck_assert_int_ge(t.canceled, 64 - 4);
	/* Nothing is delivered after close. */
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(t.total, 64);
	free(data);
	event_base_free(base);
	remove_tree(dir);
}
END_TEST

START_TEST(test_local_sync)
{
	char dir[PATH_MAX], url[PATH_MAX + 16], err[512];
	make_tmpdir(dir, sizeof dir);
	snprintf(url, sizeof url, "file://%s/sub/dir", dir); /* created */
	struct objstore_options opt = { .url = url };
	struct objstore_sync *s;
	ck_assert_int_eq(objstore_sync_open(&opt, &s, err, sizeof err), 0);
	ck_assert_int_eq(
		objstore_sync_put(s, "a/b", "hello world", 11, err, sizeof err),
		0);
	uint8_t *data;
	size_t len;
	uint64_t size;
	ck_assert_int_eq(objstore_sync_get(s, "a/b", 6, 5, &data, &len, &size,
					   err, sizeof err),
			 0);
	ck_assert_uint_eq(len, 5);
	ck_assert_uint_eq(size, 11);
	ck_assert(!memcmp(data, "world", 5));
	free(data);
	ck_assert_int_eq(objstore_sync_head(s, "a/b", &size, err, sizeof err),
			 0);
	ck_assert_uint_eq(size, 11);
	ck_assert_int_eq(objstore_sync_head(s, "a/c", &size, err, sizeof err),
			 SL_ENOENT);
	ck_assert(strstr(err, "NoSuchKey: ") && strstr(err, " (HEAD a/c)"));
	struct objstore_entry *e;
	size_t n;
	ck_assert_int_eq(objstore_sync_list(s, "", &e, &n, err, sizeof err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(e[0].key, "a/b");
	ck_assert_uint_eq(e[0].size, 11);
	free(e);
	const char *k = "a/b";
	ck_assert_int_eq(objstore_sync_delete(s, &k, 1, err, sizeof err), 0);
	ck_assert_int_eq(objstore_sync_list(s, "", &e, &n, err, sizeof err), 0);
	ck_assert_uint_eq(n, 0);
	free(e);
	objstore_sync_close(s);
	remove_tree(dir);
}
END_TEST

/* The child of the crash test: rewrites key with A or B until killed. */
static void crash_child(const char *dir, const uint8_t *a, const uint8_t *b,
			size_t len)
{
	struct event_base *base = event_base_new();
	struct objstore *os = open_local(base, dir);
	for (unsigned i = 0;; i++) {
		struct wait w = { 0 };
		do_put(base, os, "crash/obj", i & 1 ? b : a, len, &w);
		if (w.status)
			_exit(3);
	}
}

START_TEST(test_local_put_crash_safety)
{
	char dir[PATH_MAX];
	make_tmpdir(dir, sizeof dir);
	size_t len = 4u << 20;
	uint8_t *a = make_data(len, 10), *b = make_data(len, 11);
	struct event_base *base = event_base_new();
	struct objstore *os = open_local(base, dir);
	struct wait w = { 0 };
	do_put(base, os, "crash/obj", a, len, &w);
	ck_assert_int_eq(w.status, 0);
	srand((unsigned)getpid());
	for (int round = 0; round < 6; round++) {
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0)
			crash_child(dir, a, b, len);
		/* Somewhere inside a write, rename or fsync. */
		usleep(20000 + (useconds_t)(rand() % 150000));
		kill(pid, SIGKILL);
		int st;
		waitpid(pid, &st, 0);
		ck_assert_msg(WIFSIGNALED(st), "child ended by itself: %d", st);
		do_get(base, os, "crash/obj", 0, 0, &w);
		ck_assert_int_eq(w.status, 0);
		ck_assert_uint_eq(w.len, len);
		ck_assert_msg(!memcmp(w.data, a, len) ||
				      !memcmp(w.data, b, len),
			      "round %d: torn object", round);
		do_list(base, os, "crash/", &w);
		ck_assert_uint_eq(w.count, 1); /* temp files stay hidden */
		ck_assert_str_eq(w.keys[0], "crash/obj");
	}
	wait_reset(&w);
	objstore_close(os);
	event_base_free(base);
	free(a);
	free(b);
	remove_tree(dir);
}
END_TEST

/* ---- s3_xml ------------------------------------------------------------- */

/* Collects list entries. */
struct xml_list {
	char keys[8][64];
	uint64_t sizes[8];
	int64_t mtimes[8];
	int n;
};

static int xml_list_cb(void *arg, const char *key, size_t keylen, uint64_t size,
		       int64_t mtime_ms)
{
	struct xml_list *l = arg;
	ck_assert_int_lt(l->n, 8);
	ck_assert_uint_eq(strlen(key), keylen);
	snprintf(l->keys[l->n], sizeof l->keys[l->n], "%s", key);
	l->sizes[l->n] = size;
	l->mtimes[l->n++] = mtime_ms;
	return 0;
}

/* Collects delete errors into one string. */
static void xml_delete_cb(void *arg, const char *key, const char *code,
			  const char *message)
{
	char *out = arg;
	size_t n = strlen(out);
	snprintf(out + n, 256 - n, "[%s|%s|%s]", key, code, message);
}

START_TEST(test_xml)
{
	char code[64], msg[256];
	const char *err = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			  "<Error><Code>SignatureDoesNotMatch</Code>"
			  "<Message>The request signature we calculated does "
			  "not match the signature you provided. Check your "
			  "key &amp; signing method.</Message>"
			  "<RequestId>4442587FB7D0A2F9</RequestId></Error>";
	ck_assert_int_eq(s3_xml_error(err, strlen(err), code, sizeof code, msg,
				      sizeof msg),
			 0);
	ck_assert_str_eq(code, "SignatureDoesNotMatch");
	ck_assert(strstr(msg, "key & signing method."));
	const char *notanerror =
		"<ListBucketResult><Name>b</Name></ListBucketResult>";
	ck_assert_int_eq(s3_xml_error(notanerror, strlen(notanerror), code,
				      sizeof code, msg, sizeof msg),
			 SL_ENOENT);

	const char *list =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<ListBucketResult "
		"xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		"<Name>bucket</Name><Prefix>p/</Prefix><KeyCount>3</KeyCount>"
		"<MaxKeys>3</MaxKeys><IsTruncated>true</IsTruncated>"
		"<Contents><Key>p/a&lt;1&gt;&#x41;&#66;</Key>"
		"<LastModified>2009-10-12T17:50:30.000Z</LastModified>"
		"<ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>"
		"<Size>434234</Size><StorageClass>STANDARD</StorageClass>"
		"</Contents>\n  <Contents><Key><![CDATA[p/b&c]]></Key>"
		"<Size>0</Size><LastModified>2024-02-29T23:59:59.5Z</"
		"LastModified>"
		"<Owner><ID>x</ID></Owner></Contents>"
		"<Contents><Key>p/\xe2\x82\xac</"
		"Key><Size>18446744073709551615</Size>"
		"</Contents>"
		"<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/"
		"wm36Hy4vbOwM=</NextContinuationToken>"
		"<!-- a comment --></ListBucketResult>";
	struct xml_list l = { 0 };
	int truncated = 0;
	char *token = NULL;
	ck_assert_int_eq(s3_xml_list(list, strlen(list), xml_list_cb, &l,
				     &truncated, &token),
			 0);
	ck_assert_int_eq(l.n, 3);
	ck_assert_str_eq(l.keys[0], "p/a<1>AB");
	ck_assert_uint_eq(l.sizes[0], 434234);
	ck_assert_int_eq(l.mtimes[0], 1255369830000LL);
	ck_assert_str_eq(l.keys[1], "p/b&c");
	ck_assert_int_eq(l.mtimes[1], 1709251199500LL);
	ck_assert_str_eq(l.keys[2], "p/\xe2\x82\xac");
	ck_assert_uint_eq(l.sizes[2], UINT64_MAX);
	ck_assert_int_eq(truncated, 1);
	ck_assert_str_eq(token,
			 "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
	free(token);

	/* Malformed or foreign documents are refused, not guessed at. */
	const char *bad[] = {
		"<ListBucketResult><Contents><Key>a</Key></ListBucketResult>",
		"<ListBucketResult><Contents><Key>a&bogus;</Key></Contents></"
		"ListBucketResult>",
		"<ListBucketResult><Contents><Size>1x</Size><Key>a</Key></"
		"Contents></ListBucketResult>",
		"<ListBucketResult>",
		"<Error><Code>AccessDenied</Code></Error>",
		"<!DOCTYPE x [<!ENTITY e \"boom\">]><ListBucketResult/>",
		"<ListBucketResult/><ListBucketResult/>",
		"junk<ListBucketResult/>",
		"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		l.n = 0;
		token = NULL;
		ck_assert_msg(s3_xml_list(bad[i], strlen(bad[i]), xml_list_cb,
					  &l, &truncated, &token) != 0,
			      "accepted: %s", bad[i]);
		ck_assert_ptr_null(token);
	}
	const char *empty =
		"<ListBucketResult><Name>b</Name>"
		"<IsTruncated>false</IsTruncated></ListBucketResult>";
	l.n = 0;
	ck_assert_int_eq(s3_xml_list(empty, strlen(empty), xml_list_cb, &l,
				     &truncated, &token),
			 0);
	ck_assert_int_eq(l.n, 0);
	ck_assert_int_eq(truncated, 0);
	ck_assert_ptr_null(token);

	char id[128];
	const char *init =
		"<InitiateMultipartUploadResult xmlns=\"x\"><Bucket>b"
		"</Bucket><Key>k</Key><UploadId>VXBsb2FkIElE</UploadId>"
		"</InitiateMultipartUploadResult>";
	ck_assert_int_eq(s3_xml_text(init, strlen(init),
				     "InitiateMultipartUploadResult/UploadId",
				     id, sizeof id),
			 0);
	ck_assert_str_eq(id, "VXBsb2FkIElE");
	ck_assert_int_eq(
		s3_xml_text(init, strlen(init), "X/UploadId", id, sizeof id),
		SL_ENOENT);

	char out[256] = "";
	const char *del =
		"<DeleteResult><Deleted><Key>a</Key></Deleted>"
		"<Error><Key>b</Key><Code>AccessDenied</Code>"
		"<Message>Access Denied</Message></Error></DeleteResult>";
	ck_assert_int_eq(
		s3_xml_delete_result(del, strlen(del), xml_delete_cb, out), 0);
	ck_assert_str_eq(out, "[b|AccessDenied|Access Denied]");
	const char *quiet = "<DeleteResult xmlns=\"x\"/>";
	out[0] = '\0';
	ck_assert_int_eq(
		s3_xml_delete_result(quiet, strlen(quiet), xml_delete_cb, out),
		0);
	ck_assert_str_eq(out, "");

	struct objstore_buf b = { 0 };
	s3_xml_escape(&b, "a&b<c>\"d'");
	ck_assert_str_eq(b.p, "a&amp;b&lt;c&gt;&quot;d&apos;");
	objstore_buf_free(&b);
	ck_assert_int_eq(s3_xml_time_ms("2013-05-24T00:00:00Z"),
			 1369353600000LL);
	ck_assert_int_eq(s3_xml_time_ms("yesterday"), -1);
}
END_TEST

START_TEST(test_backoff)
{
	/* Full jitter: uniform in [0, min(max, base << (retry - 1))]. */
	char dir[PATH_MAX], url[PATH_MAX + 16], err[256];
	make_tmpdir(dir, sizeof dir);
	snprintf(url, sizeof url, "file://%s", dir);
	struct event_base *base = event_base_new();
	struct objstore_options opt = { .url = url,
					.retry_base_ms = 100,
					.retry_max_ms = 1000 };
	struct objstore *os;
	ck_assert_int_eq(objstore_open(base, &opt, &os, err, sizeof err), 0);
	for (int retry = 1; retry <= 12; retry++) {
		int cap = retry >= 5 ? 1000 : 100 << (retry - 1);
		int lo = cap, hi = 0;
		for (int i = 0; i < 2000; i++) {
			int ms = objstore_backoff_ms(os, retry);
			ck_assert_int_ge(ms, 0);
			ck_assert_int_le(ms, cap);
			lo = ms < lo ? ms : lo;
			hi = ms > hi ? ms : hi;
		}
		/* Spread over the whole range, not a fixed delay. */
		ck_assert_int_lt(lo, cap / 10);
		ck_assert_int_gt(hi, cap - cap / 10);
	}
	objstore_close(os);
	event_base_free(base);
	remove_tree(dir);
}
END_TEST

/* ---- an S3 stand-in on evhttp ------------------------------------------ */

struct mock_obj {
	char *key;
	uint8_t *data;
	size_t len;
	char etag[48];
};

struct mock_upload {
	char id[32];
	char *key;
	uint8_t *parts[64];
	size_t part_len[64];
	char part_etag[64][48];
	int live;
};

struct mock {
	struct evhttp *http;
	int port;
	char secret[64];
	struct mock_obj objs[4096];
	size_t nobjs;
	struct mock_upload uploads[32];
	int nuploads;
	/* faults */
	int fail_next; /* this many requests get fail_status */
	int fail_status;
	const char *fail_code;
	int drop_next;		 /* this many connections dropped unanswered */
	int fail_part;		 /* this part number always gets 500 */
	int complete_error_once; /* one CompleteMultipartUpload: 200+Error */
	/* what it saw */
	int hold; /* leave every request unanswered */
	int requests, bad_sigs, aborts, completes, delete_posts, list_pages;
	int parts_put;
	int virtual_hosted;
	char last_host[128];
};

/* Sends an S3 error document. */
static void mock_error(struct evhttp_request *r, int status, const char *code,
		       const char *message)
{
	struct evbuffer *b = evbuffer_new();
	if (evhttp_request_get_command(r) != EVHTTP_REQ_HEAD)
		evbuffer_add_printf(
			b,
			"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			"<Error><Code>%s</Code><Message>%s</Message>"
			"<RequestId>1</RequestId></Error>",
			code, message);
	evhttp_add_header(evhttp_request_get_output_headers(r), "Content-Type",
			  "application/xml");
	evhttp_send_reply(r, status, code, b);
	evbuffer_free(b);
}

/* Sends 200 with an XML body. */
static void mock_xml(struct evhttp_request *r, struct evbuffer *b)
{
	evhttp_add_header(evhttp_request_get_output_headers(r), "Content-Type",
			  "application/xml");
	evhttp_send_reply(r, 200, "OK", b);
}

/* The method's name. */
static const char *mock_method(struct evhttp_request *r)
{
	switch (evhttp_request_get_command(r)) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_DELETE: return "DELETE";
	default: return "?";
	}
}

/* A parsed request: decoded path segments and query. */
struct mock_req {
	char *path; /* decoded */
	struct sigv4_pair q[8];
	char *qbuf[16];
	size_t nq;
};

/* The decoded value of query parameter name, or NULL. */
static const char *mock_q(const struct mock_req *m, const char *name)
{
	for (size_t i = 0; i < m->nq; i++)
		if (!strcmp(m->q[i].name, name))
			return m->q[i].value;
	return NULL;
}

/* Checks the request's signature and payload hash; 0 if good. */
static int mock_check_sig(struct mock *mk, struct evhttp_request *r,
			  struct mock_req *m, const uint8_t *body, size_t len)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(r);
	const char *auth = evhttp_find_header(in, "Authorization");
	const char *date = evhttp_find_header(in, "x-amz-date");
	const char *hash = evhttp_find_header(in, "x-amz-content-sha256");
	if (!auth || !date || !hash)
		return -1;
	char got[SIGV4_HEX_SIZE];
	sigv4_sha256_hex(body, len, got);
	if (strcmp(got, hash)) {
		mock_error(r, 400, "XAmzContentSHA256Mismatch",
			   "The provided 'x-amz-content-sha256' header does "
			   "not match what was computed.");
		return 1;
	}
	const char *sh = strstr(auth, "SignedHeaders=");
	if (!sh)
		return -1;
	char names[256];
	snprintf(names, sizeof names, "%s", sh + 14);
	char *comma = strchr(names, ',');
	if (comma)
		*comma = '\0';
	struct sigv4_pair h[8];
	size_t nh = 0;
	for (char *save, *n = strtok_r(names, ";", &save); n && nh < 8;
	     n = strtok_r(NULL, ";", &save)) {
		const char *v = evhttp_find_header(in, n);
		if (!v)
			return -1;
		h[nh].name = n;
		h[nh++].value = v;
	}
	struct sigv4_credentials cred = { AK, mk->secret, "us-east-1", "s3" };
	struct sigv4_request sr = {
		mock_method(r), m->path, m->q, m->nq, h, nh, hash
	};
	char want[1024];
	if (sigv4_authorization(&cred, &sr, date, want, sizeof want))
		return -1;
	return strcmp(want, auth) ? -1 : 0;
}

/* Index of the object key, or -1. */
static int mock_find(struct mock *mk, const char *key)
{
	for (size_t i = 0; i < mk->nobjs; i++)
		if (!strcmp(mk->objs[i].key, key))
			return (int)i;
	return -1;
}

/* Stores an object (replacing). */
static void mock_store(struct mock *mk, const char *key, uint8_t *data,
		       size_t len)
{
	int i = mock_find(mk, key);
	if (i < 0) {
		ck_assert_uint_lt(mk->nobjs, 4096);
		i = (int)mk->nobjs++;
		mk->objs[i].key = strdup(key);
	} else {
		free(mk->objs[i].data);
	}
	mk->objs[i].data = data;
	mk->objs[i].len = len;
	char hex[SIGV4_HEX_SIZE];
	sigv4_sha256_hex(data, len, hex);
	snprintf(mk->objs[i].etag, sizeof mk->objs[i].etag, "\"%.32s\"", hex);
}

/* Orders objects by key for LIST. */
static int mock_obj_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mock_obj *)a)->key,
		      ((const struct mock_obj *)b)->key);
}

/* ListObjectsV2: the token is "t:" + the last key returned. */
static void mock_list(struct mock *mk, struct evhttp_request *r,
		      struct mock_req *m)
{
	mk->list_pages++;
	const char *prefix = mock_q(m, "prefix");
	const char *max = mock_q(m, "max-keys");
	const char *token = mock_q(m, "continuation-token");
	int maxkeys = max ? atoi(max) : 1000;
	if (!prefix)
		prefix = "";
	if (token && strncmp(token, "t:", 2)) {
		mock_error(r, 400, "InvalidArgument", "bad token");
		return;
	}
	qsort(mk->objs, mk->nobjs, sizeof mk->objs[0], mock_obj_cmp);
	struct evbuffer *b = evbuffer_new();
	struct objstore_buf x = { 0 };
	int n = 0, truncated = 0;
	const char *last = NULL;
	for (size_t i = 0; i < mk->nobjs; i++) {
		const char *k = mk->objs[i].key;
		if (strncmp(k, prefix, strlen(prefix)))
			continue;
		if (token && strcmp(k, token + 2) <= 0)
			continue;
		if (n == maxkeys) {
			truncated = 1;
			break;
		}
		objstore_buf_cat(&x, "<Contents><Key>");
		s3_xml_escape(&x, k);
		objstore_buf_printf(
			&x,
			"</Key><LastModified>2024-01-02T03:04:05.678Z"
			"</LastModified><ETag>&quot;x&quot;</ETag>"
			"<Size>%zu</Size><StorageClass>STANDARD"
			"</StorageClass></Contents>",
			mk->objs[i].len);
		last = k;
		n++;
	}
	evbuffer_add_printf(b,
			    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/"
			    "doc/2006-03-01/\"><Name>" BUCKET "</Name>"
			    "<KeyCount>%d</KeyCount><MaxKeys>%d</MaxKeys>"
			    "<IsTruncated>%s</IsTruncated>",
			    n, maxkeys, truncated ? "true" : "false");
	if (x.p)
		evbuffer_add(b, x.p, x.len);
	if (truncated) {
		struct objstore_buf t = { 0 };
		objstore_buf_cat(&t, "t:");
		objstore_buf_cat(&t, last);
		struct objstore_buf e = { 0 };
		s3_xml_escape(&e, t.p);
		evbuffer_add_printf(b,
				    "<NextContinuationToken>%s"
				    "</NextContinuationToken>",
				    e.p);
		objstore_buf_free(&t);
		objstore_buf_free(&e);
	}
	evbuffer_add_printf(b, "</ListBucketResult>");
	mock_xml(r, b);
	evbuffer_free(b);
	objstore_buf_free(&x);
}

/* Collects <Key> texts of a Delete body. */
struct mock_keys {
	char *keys[1100];
	int n;
	int quiet;
};

static int mock_keys_text(void *arg, const char *path, const char *text,
			  size_t len)
{
	struct mock_keys *k = arg;
	if (!strcmp(path, "Delete/Object/Key") && k->n < 1100)
		k->keys[k->n++] = strndup(text, len);
	if (!strcmp(path, "Delete/Quiet"))
		k->quiet = !strcmp(text, "true");
	return 0;
}

/* DeleteObjects: Content-MD5 checked; keys containing "locked" refused. */
static void mock_delete(struct mock *mk, struct evhttp_request *r,
			const uint8_t *body, size_t len)
{
	mk->delete_posts++;
	const char *md5 = evhttp_find_header(
		evhttp_request_get_input_headers(r), "Content-MD5");
	unsigned char md[16], b64[32];
	unsigned int mdlen;
	EVP_Digest(body, len, md, &mdlen, EVP_md5(), NULL);
	EVP_EncodeBlock(b64, md, 16);
	if (!md5 || strcmp(md5, (char *)b64)) {
		mock_error(r, 400, "InvalidDigest", "Content-MD5 mismatch");
		return;
	}
	struct mock_keys k = { 0 };
	struct s3_xml_visitor v = { mock_keys_text, NULL };
	if (s3_xml_walk((const char *)body, len, &v, &k) || k.n > 1000 ||
	    !k.quiet) {
		mock_error(r, 400, "MalformedXML", "bad Delete");
		goto out;
	}
	struct evbuffer *b = evbuffer_new();
	evbuffer_add_printf(b, "<DeleteResult>");
	for (int i = 0; i < k.n; i++) {
		if (strstr(k.keys[i], "locked")) {
			evbuffer_add_printf(b,
					    "<Error><Key>%s</Key><Code>"
					    "AccessDenied</Code><Message>"
					    "Access Denied</Message></Error>",
					    k.keys[i]);
			continue;
		}
		int j = mock_find(mk, k.keys[i]);
		if (j >= 0) {
			free(mk->objs[j].key);
			free(mk->objs[j].data);
			mk->objs[j] = mk->objs[--mk->nobjs];
		}
	}
	evbuffer_add_printf(b, "</DeleteResult>");
	mock_xml(r, b);
	evbuffer_free(b);
out:
	for (int i = 0; i < k.n; i++)
		free(k.keys[i]);
}

/* Collects the parts listed by CompleteMultipartUpload. */
struct mock_complete {
	int numbers[64];
	char etags[64][48];
	int n;
};

static int mock_complete_text(void *arg, const char *path, const char *text,
			      size_t len)
{
	struct mock_complete *c = arg;
	if (!strcmp(path, "CompleteMultipartUpload/Part/PartNumber") &&
	    c->n < 64)
		c->numbers[c->n] = atoi(text);
	if (!strcmp(path, "CompleteMultipartUpload/Part/ETag") && c->n < 64)
		snprintf(c->etags[c->n++], 48, "%.*s", (int)len, text);
	return 0;
}

/* The multipart calls on key. */
static void mock_multipart(struct mock *mk, struct evhttp_request *r,
			   struct mock_req *m, const char *key,
			   const uint8_t *body, size_t len)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(r);
	const char *id = mock_q(m, "uploadId");
	struct mock_upload *u = NULL;
	for (int i = 0; id && i < mk->nuploads; i++)
		if (!strcmp(mk->uploads[i].id, id) && mk->uploads[i].live)
			u = &mk->uploads[i];
	if (cmd == EVHTTP_REQ_POST && mock_q(m, "uploads")) {
		ck_assert_int_lt(mk->nuploads, 32);
		u = &mk->uploads[mk->nuploads++];
		snprintf(u->id, sizeof u->id, "up/%d+=", mk->nuploads);
		u->key = strdup(key);
		u->live = 1;
		struct evbuffer *b = evbuffer_new();
		evbuffer_add_printf(
			b,
			"<InitiateMultipartUploadResult><Bucket>" BUCKET
			"</Bucket><Key>k</Key><UploadId>%s"
			"</UploadId></InitiateMultipartUploadResult>",
			u->id);
		mock_xml(r, b);
		evbuffer_free(b);
		return;
	}
	if (!u || strcmp(u->key, key)) {
		mock_error(r, 404, "NoSuchUpload", "no such upload");
		return;
	}
	if (cmd == EVHTTP_REQ_PUT) {
		int n = atoi(mock_q(m, "partNumber"));
		ck_assert(n >= 1 && n <= 64);
		if (n == mk->fail_part) {
			mock_error(r, 500, "InternalError", "part refused");
			return;
		}
		free(u->parts[n - 1]);
		u->parts[n - 1] = malloc(len ? len : 1);
		memcpy(u->parts[n - 1], body, len);
		u->part_len[n - 1] = len;
		char hex[SIGV4_HEX_SIZE];
		sigv4_sha256_hex(body, len, hex);
		snprintf(u->part_etag[n - 1], 48, "\"%.32s\"", hex);
		mk->parts_put++;
		evhttp_add_header(evhttp_request_get_output_headers(r), "ETag",
				  u->part_etag[n - 1]);
		evhttp_send_reply(r, 200, "OK", NULL);
		return;
	}
	if (cmd == EVHTTP_REQ_DELETE) {
		mk->aborts++;
		u->live = 0;
		evhttp_send_reply(r, 204, "No Content", NULL);
		return;
	}
	/* Complete: parts in order, ETags matching. */
	if (mk->complete_error_once) {
		mk->complete_error_once = 0;
		struct evbuffer *b = evbuffer_new();
		evbuffer_add_printf(b,
				    "<Error><Code>InternalError</Code><Message>"
				    "We encountered an internal error. Please "
				    "try again.</Message></Error>");
		mock_xml(r, b);
		evbuffer_free(b);
		return;
	}
	struct mock_complete c = { 0 };
	struct s3_xml_visitor v = { mock_complete_text, NULL };
	ck_assert_int_eq(s3_xml_walk((const char *)body, len, &v, &c), 0);
	size_t total = 0;
	for (int i = 0; i < c.n; i++) {
		ck_assert_int_eq(c.numbers[i], i + 1);
		ck_assert_str_eq(c.etags[i], u->part_etag[i]);
		total += u->part_len[i];
	}
	uint8_t *data = malloc(total ? total : 1);
	size_t at = 0;
	for (int i = 0; i < c.n; i++) {
		memcpy(data + at, u->parts[i], u->part_len[i]);
		at += u->part_len[i];
	}
	mock_store(mk, key, data, total);
	u->live = 0;
	mk->completes++;
	struct evbuffer *b = evbuffer_new();
	evbuffer_add_printf(
		b,
		"<CompleteMultipartUploadResult><Key>k</Key>"
		"<ETag>\"x-%d\"</ETag></CompleteMultipartUploadResult>",
		c.n);
	mock_xml(r, b);
	evbuffer_free(b);
}

/* Splits and decodes the raw query into m. */
static void mock_parse_query(struct mock_req *m, const char *query)
{
	if (!query)
		return;
	char *q = strdup(query);
	for (char *save, *p = strtok_r(q, "&", &save); p && m->nq < 8;
	     p = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(p, '=');
		if (eq)
			*eq = '\0';
		char *n = evhttp_uridecode(p, 0, NULL);
		char *v = evhttp_uridecode(eq ? eq + 1 : "", 0, NULL);
		m->qbuf[2 * m->nq] = n;
		m->qbuf[2 * m->nq + 1] = v;
		m->q[m->nq].name = n;
		m->q[m->nq++].value = v;
	}
	free(q);
}

/* Every request: signature, faults, then the S3 call. */
static void mock_handle(struct evhttp_request *r, void *arg)
{
	struct mock *mk = arg;
	mk->requests++;
	struct mock_req m = { 0 };
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r);
	const char *host =
		evhttp_find_header(evhttp_request_get_input_headers(r), "Host");
	snprintf(mk->last_host, sizeof mk->last_host, "%s", host ? host : "");
	m.path = evhttp_uridecode(evhttp_uri_get_path(uri), 0, NULL);
	mock_parse_query(&m, evhttp_uri_get_query(uri));
	struct evbuffer *in = evhttp_request_get_input_buffer(r);
	size_t len = evbuffer_get_length(in);
	const uint8_t *body =
		len ? evbuffer_pullup(in, -1) : (const uint8_t *)"";

	if (mk->hold)
		goto out; /* evhttp_free drops it with its connection */
	if (mk->drop_next > 0) {
		/* Close the socket under the request: a reset for curl. */
		mk->drop_next--;
		struct bufferevent *bev = evhttp_connection_get_bufferevent(
			evhttp_request_get_connection(r));
		shutdown(bufferevent_getfd(bev), SHUT_RDWR);
		goto out;
	}
	int sig = mock_check_sig(mk, r, &m, body, len);
	if (sig) {
		mk->bad_sigs++;
		if (sig < 0)
			mock_error(
				r, 403, "SignatureDoesNotMatch",
				"The request signature we calculated does "
				"not match the signature you provided. Check "
				"your key and signing method.");
		goto out;
	}
	if (mk->fail_next > 0) {
		mk->fail_next--;
		mock_error(r, mk->fail_status, mk->fail_code,
			   mk->fail_status == 503
				   ? "Please reduce your request rate."
				   : "injected");
		goto out;
	}
	/* Virtual-hosted (Host is bucket.<something>) or path-style. */
	const char *key;
	if (host && !strncmp(host, BUCKET ".", sizeof BUCKET)) {
		mk->virtual_hosted++;
		key = m.path + 1;
	} else {
		size_t bl = sizeof BUCKET - 1;
		if (strncmp(m.path, "/" BUCKET, bl + 1) ||
		    (m.path[bl + 1] && m.path[bl + 1] != '/')) {
			mock_error(r, 404, "NoSuchBucket",
				   "The specified bucket does not exist");
			goto out;
		}
		key = m.path[bl + 1] ? m.path + bl + 2 : "";
	}
	enum evhttp_cmd_type cmd = evhttp_request_get_command(r);
	if (!*key) {
		if (cmd == EVHTTP_REQ_GET && mock_q(&m, "list-type"))
			mock_list(mk, r, &m);
		else if (cmd == EVHTTP_REQ_POST && mock_q(&m, "delete"))
			mock_delete(mk, r, body, len);
		else
			mock_error(r, 400, "InvalidRequest", "bucket call");
		goto out;
	}
	if (mock_q(&m, "uploads") || mock_q(&m, "uploadId")) {
		mock_multipart(mk, r, &m, key, body, len);
		goto out;
	}
	int i = mock_find(mk, key);
	struct evkeyvalq *out = evhttp_request_get_output_headers(r);
	if (cmd == EVHTTP_REQ_PUT) {
		uint8_t *copy = malloc(len ? len : 1);
		memcpy(copy, body, len);
		mock_store(mk, key, copy, len);
		evhttp_add_header(out, "ETag",
				  mk->objs[mock_find(mk, key)].etag);
		evhttp_send_reply(r, 200, "OK", NULL);
	} else if (i < 0) {
		mock_error(r, 404, "NoSuchKey",
			   "The specified key does not exist.");
	} else if (cmd == EVHTTP_REQ_HEAD) {
		char n[32];
		snprintf(n, sizeof n, "%zu", mk->objs[i].len);
		evhttp_add_header(out, "Content-Length", n);
		evhttp_send_reply(r, 200, "OK", NULL);
	} else if (cmd == EVHTTP_REQ_GET) {
		struct mock_obj *o = &mk->objs[i];
		const char *range = evhttp_find_header(
			evhttp_request_get_input_headers(r), "Range");
		unsigned long long a = 0, z = o->len ? o->len - 1 : 0;
		int status = 200;
		if (range) {
			int n = sscanf(range, "bytes=%llu-%llu", &a, &z);
			if (n < 1 || a >= o->len) {
				mock_error(r, 416, "InvalidRange",
					   "The requested range is not "
					   "satisfiable");
				goto out;
			}
			if (n == 1 || z >= o->len)
				z = o->len - 1;
			char cr[96];
			snprintf(cr, sizeof cr, "bytes %llu-%llu/%zu", a, z,
				 o->len);
			evhttp_add_header(out, "Content-Range", cr);
			status = 206;
		}
		struct evbuffer *b = evbuffer_new();
		if (o->len)
			evbuffer_add(b, o->data + a, z - a + 1);
		evhttp_send_reply(r, status,
				  status == 206 ? "Partial Content" : "OK", b);
		evbuffer_free(b);
	} else {
		mock_error(r, 405, "MethodNotAllowed", "no");
	}
out:
	free(m.path);
	for (size_t j = 0; j < 2 * m.nq; j++)
		free(m.qbuf[j]);
}

/* Starts the stand-in on base, on a free loopback port. */
static struct mock *mock_start(struct event_base *base)
{
	struct mock *mk = calloc(1, sizeof *mk);
	snprintf(mk->secret, sizeof mk->secret, "%s", SK);
	mk->http = evhttp_new(base);
	evhttp_set_allowed_methods(
		mk->http, EVHTTP_REQ_GET | EVHTTP_REQ_PUT | EVHTTP_REQ_POST |
				  EVHTTP_REQ_HEAD | EVHTTP_REQ_DELETE);
	evhttp_set_gencb(mk->http, mock_handle, mk);
	struct evhttp_bound_socket *bs =
		evhttp_bind_socket_with_handle(mk->http, "127.0.0.1", 0);
	ck_assert_ptr_nonnull(bs);
	struct sockaddr_in sin;
	socklen_t sl = sizeof sin;
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin,
		    &sl);
	mk->port = ntohs(sin.sin_port);
	return mk;
}

static void mock_free(struct mock *mk)
{
	evhttp_free(mk->http);
	for (size_t i = 0; i < mk->nobjs; i++) {
		free(mk->objs[i].key);
		free(mk->objs[i].data);
	}
	for (int i = 0; i < mk->nuploads; i++) {
		free(mk->uploads[i].key);
		for (int j = 0; j < 64; j++)
			free(mk->uploads[i].parts[j]);
	}
	free(mk);
}

/* Options for a store on the stand-in (or a port with nothing). */
static struct objstore *open_s3(struct event_base *base, int port,
				const char *url, const char *secret,
				struct objstore_options *tweak)
{
	static char ep[64];
	snprintf(ep, sizeof ep, "http://127.0.0.1:%d", port);
	struct objstore_options opt = { 0 };
	if (tweak)
		opt = *tweak;
	opt.url = url;
	opt.endpoint = ep;
	opt.path_style = tweak ? tweak->path_style : 1;
	opt.access_key = AK;
	opt.secret_key = secret;
	if (!opt.retry_base_ms)
		opt.retry_base_ms = 5;
	if (!opt.retry_max_ms)
		opt.retry_max_ms = 40;
	struct objstore *os;
	char err[256];
	int rc = objstore_open(base, &opt, &os, err, sizeof err);
	ck_assert_msg(rc == 0, "open: %s", err);
	ck_assert_str_eq(objstore_backend_name(os), "s3");
	return os;
}

/* ---- S3 backend ------------------------------------------------------- */

START_TEST(test_s3_roundtrip)
{
	struct event_base *base = event_base_new();
	struct mock *mk = mock_start(base);
	struct objstore_options tw = { .path_style = 1, .list_page_size = 7 };
	struct objstore *os =
		open_s3(base, mk->port, "s3://" BUCKET "/pre/fix/", SK, &tw);
	struct wait w = { 0 };
	uint8_t *data = make_data(300000, 5); /* hashed on the pool */

	/* Keys with characters that need encoding in paths and queries. */
	const char *key = "o/ab/a b+c=d&e%f~g$h\xc3\xa9";
	do_put(base, os, key, data, 300000, &w);
	ck_assert_msg(w.status == 0, "%s", w.error);
	ck_assert_int_eq(w.http_status, 200);
	ck_assert_int_eq(mk->bad_sigs, 0);
	ck_assert_int_ge(mock_find(mk, "pre/fix/o/ab/a b+c=d&e%f~g$h\xc3\xa9"),
			 0);

	do_get(base, os, key, 0, 0, &w);
	ck_assert_msg(w.status == 0, "%s", w.error);
	ck_assert_uint_eq(w.len, 300000);
	ck_assert(!memcmp(w.data, data, 300000));
	ck_assert_uint_eq(w.object_size, 300000);
	do_get(base, os, key, 1000, 5000, &w);
	ck_assert_int_eq(w.http_status, 206);
	ck_assert_uint_eq(w.len, 5000);
	ck_assert_uint_eq(w.object_size, 300000);
	ck_assert(!memcmp(w.data, data + 1000, 5000));
	do_get(base, os, key, 299990, 0, &w);
	ck_assert_uint_eq(w.len, 10);
	ck_assert(!memcmp(w.data, data + 299990, 10));
	do_get(base, os, key, 300000, 10, &w);
	ck_assert_int_eq(w.status, SL_EIO);
	ck_assert_msg(strstr(w.error, "InvalidRange"), "%s", w.error);

	do_head(base, os, key, &w);
	ck_assert_int_eq(w.status, 0);
	ck_assert_uint_eq(w.object_size, 300000);
	do_head(base, os, "o/none", &w);
	ck_assert_int_eq(w.status, SL_ENOENT);
	do_get(base, os, "o/none", 0, 0, &w);
	ck_assert_int_eq(w.status, SL_ENOENT);
	ck_assert_msg(strstr(w.error, "NoSuchKey: The specified key does not "
				      "exist. (GET o/none, after 1 attempt)"),
		      "%s", w.error);

	/* LIST pages of 7 keys; tokens go back verbatim; the prefix is
	 * stripped; keys outside the store's prefix stay invisible. */
	char k[64];
	for (int i = 0; i < 30; i++) {
		snprintf(k, sizeof k, "o/%c%c/%03d", 'a' + i % 3, 'x', i);
		do_put(base, os, k, data, (size_t)i, &w);
		ck_assert_int_eq(w.status, 0);
	}
	mock_store(mk, "other/zzz", malloc(1), 1);
	mk->list_pages = 0;
	do_list(base, os, "o/", &w);
	ck_assert_msg(w.status == 0, "%s", w.error);
	ck_assert_uint_eq(w.count, 31);
	ck_assert_int_eq(mk->list_pages, 5);
	ck_assert_str_eq(w.keys[0], key);
	ck_assert_str_eq(w.keys[1], "o/ax/000");
	ck_assert_uint_eq(w.sizes[1], 0);
	ck_assert_str_eq(w.keys[30], "o/cx/029");
	ck_assert_uint_eq(w.sizes[30], 29);
	ck_assert_int_eq(w.mtimes[30], 1704164645678LL);
	do_list(base, os, "o/b", &w);
	ck_assert_uint_eq(w.count, 10);

	/* DeleteObjects. */
	const char *del[] = { "o/ax/000", "o/bx/001", "o/never" };
	do_delete(base, os, del, 3, &w);
	ck_assert_msg(w.status == 0, "%s", w.error);
	do_list(base, os, "o/", &w);
	ck_assert_uint_eq(w.count, 29);

	struct objstore_stats st;
	objstore_get_stats(os, &st);
	ck_assert_uint_eq(st.puts, 31);
	ck_assert_uint_eq(st.retries, 0);
	ck_assert_uint_eq(st.requests, (uint64_t)mk->requests);
	ck_assert_uint_eq(st.bytes_up, 300000 + 435);
	ck_assert_int_eq(mk->bad_sigs, 0);

	wait_reset(&w);
	free(data);
	objstore_close(os);
	mock_free(mk);
	event_base_free(base);
}
END_TEST

START_TEST(test_s3_virtual_hosted)
{
	/* Virtual-hosted requests go to "bkt.s3.example.test"; curl's proxy
	 * support carries them to the stand-in with that Host header. */
	struct event_base *base = event_base_new();
	struct mock *mk = mock_start(base);
	char proxy[64];
	snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", mk->port);
	setenv("http_proxy", proxy, 1);
	struct objstore_options opt = {
		.url = "s3://" BUCKET "/p",
		.endpoint = "http://s3.example.test:9000",
		.access_key = AK,
		.secret_key = SK,
	};
	struct objstore *os;
	char err[256];
	ck_assert_int_eq(objstore_open(base, &opt, &os, err, sizeof err), 0);
	struct wait w = { 0 };
	do_put(base, os, "k/1", "abc", 3, &w);
	ck_assert_msg(w.status == 0, "%s", w.error);
	ck_assert_str_eq(mk->last_host, BUCKET ".s3.example.test:9000");
	ck_assert_int_eq(mk->virtual_hosted, 1);
	do_list(base, os, "", &w);
	ck_assert_int_eq(w.status, 0);
	ck_assert_uint_eq(w.count, 1);
	ck_assert_str_eq(w.keys[0], "k/1");
	ck_assert_int_eq(mk->bad_sigs, 0);
	unsetenv("http_proxy");
	wait_reset(&w);
	objstore_close(os);
	mock_free(mk);
	event_base_free(base);
}
END_TEST

START_TEST(test_s3_multipart)
{
	struct event_base *base = event_base_new();
	struct mock *mk = mock_start(base);
	struct objstore_options tw = { .path_style = 1,
				       .multipart_threshold = 1 << 20,
				       .part_size = 300000,
				       .max_parallel_parts = 3 };
	struct objstore *os = open_s3(base, mk->port, "s3://" BUCKET, SK, &tw);
	struct wait w = { 0 };
	size_t len = 2000017; /* 7 parts, the last short */
	uint8_t *data = make_data(len, 7);
	do_put(base, os, "big/1", data, len, &w);
	ck_assert_msg(w.status == 0, "%s", w.error);
	ck_assert_uint_eq(w.object_size, len);
	ck_assert_int_eq(mk->parts_put, 7);
	ck_assert_int_eq(mk->completes, 1);
	ck_assert_int_eq(mk->aborts, 0);
	int i = mock_find(mk, "big/1");
	ck_assert_int_ge(i, 0);
	ck_assert_uint_eq(mk->objs[i].len, len);
	ck_assert(!memcmp(mk->objs[i].data, data, len));
	struct objstore_stats st;
	objstore_get_stats(os, &st);
	ck_assert_uint_eq(st.multipart_parts, 7);
	ck_assert_uint_eq(st.bytes_up, len);

	/* At the threshold: one PUT. */
	do_put(base, os, "big/2", data, 1 << 20, &w);
	ck_assert_int_eq(w.status, 0);
	ck_assert_int_eq(mk->parts_put, 7);

	/* An <Error> inside Complete's 200 is retried like a 500. */
	mk->complete_error_once = 1;
	do_put(base, os, "big/3", data, len, &w);
	ck_assert_msg(w.status == 0, "%s", w.error);
	ck_assert_int_eq(mk->completes, 2);

	/* A part that always fails: the upload is aborted, the error names
	 * the part, nothing appears under the key. */
	mk->fail_part = 4;
	objstore_get_stats(os, &st);
	uint64_t retries = st.retries;
	do_put(base, os, "big/4", data, len, &w);
	ck_assert_int_eq(w.status, SL_EIO);
	ck_assert_msg(strstr(w.error, "InternalError: part refused (part 4) "
				      "(PUT big/4, after 8 attempts)"),
		      "%s", w.error);
	ck_assert_int_eq(mk->aborts, 1);
	ck_assert_int_lt(mock_find(mk, "big/4"), 0);
	objstore_get_stats(os, &st);
	ck_assert_uint_eq(st.retries - retries, 7);
	ck_assert_uint_eq(st.errors, 1);

	wait_reset(&w);
	free(data);
	objstore_close(os);
	mock_free(mk);
	event_base_free(base);
}
END_TEST

/* Seconds on the monotonic clock. */
static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A paced PUT, single and multipart, and a paced GET: the bytes arrive
 * intact and each transfer takes about len / rate.  Only the lower bound
 * is checked (a slow machine may take longer, never a paced one less),
 * with room for curl sending its first buffer at once. */
START_TEST(test_s3_paced)
{
	struct event_base *base = event_base_new();
	struct mock *mk = mock_start(base);
	struct objstore_options tw = { .path_style = 1,
				       .multipart_threshold = 1 << 20,
				       .part_size = 300000,
				       .max_parallel_parts = 2 };
	struct objstore *os = open_s3(base, mk->port, "s3://" BUCKET, SK, &tw);
	struct wait w = { 0 };
	static const struct {
		size_t len;
		int parts;
	} cases[] = { { 1000000, 0 }, { 1500000, 5 } };
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		size_t len = cases[c].len;
		uint8_t *data = make_data(len, 11 + (int)c);
		char key[32];
		snprintf(key, sizeof key, "paced/%zu", c);
		int parts_before = mk->parts_put;
		wait_reset(&w);
		double t0 = mono_s();
		in_call = 1;
		objstore_put_paced(os, key, data, len, 2000000, wait_cb, &w);
		in_call = 0;
		wait_run(base, &w);
		double secs = mono_s() - t0;
		ck_assert_msg(w.status == 0, "%s", w.error);
		ck_assert_int_eq(mk->parts_put - parts_before, cases[c].parts);
		int i = mock_find(mk, key);
		ck_assert_int_ge(i, 0);
		ck_assert_uint_eq(mk->objs[i].len, len);
		ck_assert(!memcmp(mk->objs[i].data, data, len));
		/* 2 MB/s: 0.5 s and 0.75 s; less one 64 KiB buffer per
		 * request in flight sent before the limit applies */
		double floor_s = (double)(len - 2 * 65536) / 2000000.0;
		ck_assert_msg(secs >= floor_s * 0.9, "%zu bytes in %.3f s, paced at 2 MB/s",
			      len, secs);
		free(data);
	}

	/* A paced GET: the same bytes, no faster.  curl reads up to 100
	 * buffers (1.6 MB) per socket event before it checks the limit, so
	 * the object is large enough for the limit to show. */
	size_t len = 6000000;
	uint8_t *data = make_data(len, 13);
	do_put(base, os, "paced/get", data, len, &w);
	ck_assert_msg(w.status == 0, "%s", w.error);
	wait_reset(&w);
	double t0 = mono_s();
	in_call = 1;
	objstore_get_paced(os, "paced/get", 0, 0, 6000000, wait_cb, &w);
	in_call = 0;
	wait_run(base, &w);
	double secs = mono_s() - t0;
	ck_assert_msg(w.status == 0, "%s", w.error);
	ck_assert_uint_eq(w.len, len);
	ck_assert(!memcmp(w.data, data, len));
	ck_assert_msg(secs >= 0.5, "GET of %zu bytes in %.3f s, paced at 6 MB/s", len, secs);
	free(data);

	wait_reset(&w);
	objstore_close(os);
	mock_free(mk);
	event_base_free(base);
}
END_TEST

START_TEST(test_s3_retries)
{
	struct event_base *base = event_base_new();
	struct mock *mk = mock_start(base);
	struct objstore_options tw = { .path_style = 1, .max_attempts = 4 };
	struct objstore *os = open_s3(base, mk->port, "s3://" BUCKET, SK, &tw);
	struct wait w = { 0 };
	struct objstore_stats st;

	/* 503 SlowDown twice, then success. */
	mk->fail_next = 2;
	mk->fail_status = 503;
	mk->fail_code = "SlowDown";
	do_put(base, os, "r/1", "x", 1, &w);
	ck_assert_msg(w.status == 0, "%s", w.error);
	objstore_get_stats(os, &st);
	ck_assert_uint_eq(st.retries, 2);

	/* Dropped connections, then success.  curl itself resends once
	 * when a reused connection dies before any byte; the second drop
	 * (on a fresh connection) is ours to retry. */
	mk->drop_next = 2;
	do_get(base, os, "r/1", 0, 0, &w);
	ck_assert_msg(w.status == 0, "%s", w.error);
	ck_assert_uint_eq(w.len, 1);
	ck_assert_int_eq(mk->drop_next, 0);
	objstore_get_stats(os, &st);
	ck_assert_uint_ge(st.retries, 3);

	/* 429 and 500 are retried too; after max_attempts it gives up. */
	mk->fail_next = 100;
	mk->fail_status = 500;
	mk->fail_code = "InternalError";
	do_head(base, os, "r/1", &w);
	ck_assert_int_eq(w.status, SL_EIO);
	ck_assert_int_eq(w.http_status, 500);
	ck_assert_msg(strstr(w.error, "after 4 attempts"), "%s", w.error);
	mk->fail_next = 100;
	mk->fail_status = 503;
	mk->fail_code = "SlowDown";
	do_put(base, os, "r/2", "y", 1, &w);
	ck_assert_msg(!strcmp(w.error, "SlowDown: Please reduce your request "
				       "rate. (PUT r/2, after 4 attempts)"),
		      "%s", w.error);
	ck_assert_str_eq(objstore_last_error(os), w.error);

	/* Other 4xx are final at once. */
	mk->fail_next = 1;
	mk->fail_status = 403;
	mk->fail_code = "AccessDenied";
	objstore_get_stats(os, &st);
	uint64_t before = st.retries;
	do_put(base, os, "r/3", "z", 1, &w);
	ck_assert_int_eq(w.status, SL_EIO);
	ck_assert_msg(strstr(w.error, "AccessDenied: injected (PUT r/3, after "
				      "1 attempt)"),
		      "%s", w.error);
	objstore_get_stats(os, &st);
	ck_assert_uint_eq(st.retries, before);
	mk->fail_next = 0;

	wait_reset(&w);
	objstore_close(os);
	mock_free(mk);
	event_base_free(base);
}
END_TEST

START_TEST(test_s3_clear_errors)
{
	struct event_base *base = event_base_new();
	struct mock *mk = mock_start(base);
	struct wait w = { 0 };

	/* A wrong secret: SignatureDoesNotMatch, not retried. */
	struct objstore *os =
		open_s3(base, mk->port, "s3://" BUCKET, "wrong-secret", NULL);
	do_put(base, os, "e/1", "x", 1, &w);
	ck_assert_int_eq(w.status, SL_EIO);
	ck_assert_int_eq(w.http_status, 403);
	ck_assert_msg(strstr(w.error,
			     "SignatureDoesNotMatch: The request "
			     "signature we calculated does not match") &&
			      strstr(w.error, "(PUT e/1, after 1 attempt)"),
		      "%s", w.error);
	struct objstore_stats st;
	objstore_get_stats(os, &st);
	ck_assert_uint_eq(st.retries, 0);
	ck_assert_uint_eq(st.errors, 1);
	ck_assert(strstr(objstore_last_error(os), "SignatureDoesNotMatch"));
	objstore_close(os);

	/* A missing bucket: NoSuchBucket, and a GET there is no "no such
	 * key". */
	os = open_s3(base, mk->port, "s3://nobucket/p", SK, NULL);
	do_put(base, os, "e/1", "x", 1, &w);
	ck_assert_int_eq(w.status, SL_EIO);
	ck_assert_msg(strstr(w.error, "NoSuchBucket: "), "%s", w.error);
	do_get(base, os, "e/1", 0, 0, &w);
	ck_assert_int_eq(w.status, SL_EIO);
	ck_assert_msg(strstr(w.error, "NoSuchBucket"), "%s", w.error);
	do_list(base, os, "", &w);
	ck_assert_int_eq(w.status, SL_EIO);
	objstore_close(os);

	/* Nothing listening: connection refused, retried, then given up. */
	int port = mk->port;
	mock_free(mk);
	struct objstore_options tw = { .path_style = 1,
				       .max_attempts = 3,
				       .retry_base_ms = 20,
				       .retry_max_ms = 50 };
	os = open_s3(base, port, "s3://" BUCKET, SK, &tw);
	do_get(base, os, "e/1", 0, 0, &w);
	ck_assert_int_eq(w.status, SL_EIO);
	ck_assert_msg(strstr(w.error, "Couldn't connect to server") &&
			      strstr(w.error, "(GET e/1, after 3 attempts)"),
		      "%s", w.error);
	objstore_get_stats(os, &st);
	ck_assert_uint_eq(st.retries, 2);
	ck_assert_uint_eq(st.requests, 3);
	objstore_close(os);

	/* No credentials at all: open fails and says how to give them. */
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	struct objstore_options none = { .url = "s3://b" };
	char err[256];
	ck_assert_int_eq(objstore_open(base, &none, &os, err, sizeof err),
			 SL_EINVAL);
	ck_assert(strstr(err, "AWS_ACCESS_KEY_ID"));
	/* From the environment. */
	setenv("AWS_ACCESS_KEY_ID", AK, 1);
	setenv("AWS_SECRET_ACCESS_KEY", SK, 1);
	ck_assert_int_eq(objstore_open(base, &none, &os, err, sizeof err), 0);
	objstore_close(os);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");

	wait_reset(&w);
	event_base_free(base);
}
END_TEST

START_TEST(test_s3_delete_batches)
{
	struct event_base *base = event_base_new();
	struct mock *mk = mock_start(base);
	struct objstore *os =
		open_s3(base, mk->port, "s3://" BUCKET "/d", SK, NULL);
	enum { N = 2500 };
	static char keys[N][32];
	const char *kp[N];
	for (int i = 0; i < N; i++) {
		snprintf(keys[i], sizeof keys[i], "x/%s%04d",
			 i % 1000 == 7 ? "locked-" : "", i);
		kp[i] = keys[i];
		char full[64];
		snprintf(full, sizeof full, "d/%s", keys[i]);
		mock_store(mk, full, malloc(1), 0);
	}
	struct wait w = { 0 };
	do_delete(base, os, kp, N, &w);
	ck_assert_int_eq(mk->delete_posts, 3);
	ck_assert_int_eq(w.status, SL_EIO);
	ck_assert_msg(strstr(w.error, "3 of 2500 keys not deleted: "
				      "x/locked-0007: AccessDenied: Access "
				      "Denied; x/locked-1007"),
		      "%s", w.error);
	ck_assert_uint_eq(mk->nobjs, 3);
	ck_assert_int_eq(mk->bad_sigs, 0);
	wait_reset(&w);
	objstore_close(os);
	mock_free(mk);
	event_base_free(base);
}
END_TEST

START_TEST(test_s3_close_cancels)
{
	struct event_base *base = event_base_new();
	struct mock *mk = mock_start(base);
	struct objstore_options tw = { .path_style = 1,
				       .multipart_threshold = 1 << 20,
				       .part_size = 400000 };
	struct objstore *os = open_s3(base, mk->port, "s3://" BUCKET, SK, &tw);
	struct tally t = { 0 };
	size_t len = 3 << 20;
	uint8_t *data = make_data(len, 9);
	char key[32];
	for (int i = 0; i < 20; i++) {
		snprintf(key, sizeof key, "c/%d", i);
		objstore_put(os, key, data, i % 2 ? len : 1000, tally_cb, &t);
		objstore_get(os, key, 0, 0, tally_cb, &t);
	}
	/* The stand-in holds every request unanswered: all are in flight. */
	mk->hold = 1;
	struct timeval tv = { 0, 200000 };
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	ck_assert_int_eq(t.total, 0);
	ck_assert_int_ge(mk->requests, 20);
	objstore_close(os);
	ck_assert_int_eq(t.total, 40);
	ck_assert_msg(t.canceled == 40, "ok %d canceled %d other %d", t.ok,
		      t.canceled, t.other);
	free(data);
	mock_free(mk);
	event_base_free(base);
}
END_TEST

/* The suite. */
Suite *unit_suite(void)
{
	/* Process-wide, before any test runs (see unit_main.h). */
	signal(SIGPIPE, SIG_IGN);
	Suite *s = suite_create("objstore");
	TCase *tc = tcase_create("local");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_local_roundtrip);
	tcase_add_test(tc, test_local_list_and_delete);
	tcase_add_test(tc, test_key_checks);
	tcase_add_test(tc, test_local_close_cancels);
	tcase_add_test(tc, test_local_sync);
	tcase_add_test(tc, test_local_put_crash_safety);
	suite_add_tcase(s, tc);
	tc = tcase_create("xml");
	tcase_add_test(tc, test_xml);
	tcase_add_test(tc, test_backoff);
	suite_add_tcase(s, tc);
	tc = tcase_create("s3");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_s3_roundtrip);
	tcase_add_test(tc, test_s3_virtual_hosted);
	tcase_add_test(tc, test_s3_multipart);
	tcase_add_test(tc, test_s3_paced);
	tcase_add_test(tc, test_s3_retries);
	tcase_add_test(tc, test_s3_clear_errors);
	tcase_add_test(tc, test_s3_delete_batches);
	tcase_add_test(tc, test_s3_close_cancels);
	suite_add_tcase(s, tc);
	return s;
}
