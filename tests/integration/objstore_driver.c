/*
 * objstore_driver: drives common/objstore.h against a real S3 endpoint
 * (Swift with s3api from scripts/swift-s3.sh) for objstore_swift.sh.
 *
 *   objstore_driver mkbucket BUCKET   create the bucket (already owned: ok)
 *   objstore_driver all BUCKET        every operation, checked
 *   objstore_driver badsecret BUCKET  a wrong secret: SignatureDoesNotMatch
 *   objstore_driver nobucket BUCKET   a missing bucket: NoSuchBucket
 *   objstore_driver refused BUCKET    endpoint down: retried, then given up
 *   objstore_driver recover BUCKET    endpoint down at first: retried until
 *                                     it is back (the script restarts it)
 *
 * The endpoint and keys come from SWIFT_S3_ENDPOINT, SWIFT_S3_REGION,
 * SWIFT_S3_ACCESS_KEY and SWIFT_S3_SECRET_KEY.  Exit 0 when every check
 * holds; otherwise the first failed check is printed and the exit is 1.
 * Figures (throughput of the 70 MiB PUT and GET) go to stdout as "# ...".
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "common/errors.h"
#include "common/objstore.h"
#include "common/sigv4.h"

#define MIB (1024u * 1024u)

static const char *endpoint, *region, *access_key, *secret_key, *bucket;

/* Fails the run with a message. */
static void fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stdout, "FAIL: objstore_driver: ");
	vfprintf(stdout, fmt, ap);
	fprintf(stdout, "\n");
	va_end(ap);
	exit(1);
}

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			fail(__VA_ARGS__);                                     \
	} while (0)

/* Seconds since an arbitrary start. */
static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Deterministic bytes. */
static uint8_t *make_data(size_t len, uint32_t seed)
{
	uint8_t *p = malloc(len ? len : 1);
	CHECK(p, "out of memory");
	uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)(x >> 24);
	}
	return p;
}

/* Options for the endpoint, with our bucket and prefix. */
static struct objstore_options base_options(const char *url)
{
	struct objstore_options opt = {
		.url = url,
		.endpoint = endpoint,
		.region = region,
		.path_style = 1,
		.access_key = access_key,
		.secret_key = secret_key,
	};
	return opt;
}

/* Opens a synchronous store or fails. */
static struct objstore_sync *open_sync(const struct objstore_options *opt)
{
	struct objstore_sync *s;
	char err[512];
	int rc = objstore_sync_open(opt, &s, err, sizeof err);
	CHECK(rc == 0, "open %s: %s", opt->url, err);
	return s;
}

/* CreateBucket with a hand-built signed request (the store has no such
 * call: buckets are the operator's). */
static void make_bucket(void)
{
	char host[256], url[512], date[SIGV4_DATE_SIZE], auth[1024];
	const char *hp = strstr(endpoint, "://");
	CHECK(hp, "bad endpoint %s", endpoint);
	snprintf(host, sizeof host, "%s", hp + 3);
	snprintf(url, sizeof url, "%s/%s", endpoint, bucket);
	char path[300];
	snprintf(path, sizeof path, "/%s", bucket);
	sigv4_amz_date(time(NULL), date);
	struct sigv4_pair h[] = { { "host", host },
				  { "x-amz-date", date },
				  { "x-amz-content-sha256",
				    SIGV4_EMPTY_SHA256 } };
	struct sigv4_request req = {
		"PUT", path, NULL, 0, h, 3, SIGV4_EMPTY_SHA256
	};
	struct sigv4_credentials cred = { access_key, secret_key, region,
					  "s3" };
	CHECK(sigv4_authorization(&cred, &req, date, auth, sizeof auth) == 0,
	      "sign CreateBucket");
	CURL *e = curl_easy_init();
	struct curl_slist *l = NULL;
	char line[1200];
	for (size_t i = 0; i < 3; i++) {
		snprintf(line, sizeof line, "%s: %s", h[i].name, h[i].value);
		l = curl_slist_append(l, line);
	}
	snprintf(line, sizeof line, "Authorization: %s", auth);
	l = curl_slist_append(l, line);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, l);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
	FILE *devnull = fopen("/dev/null", "w");
	curl_easy_setopt(e, CURLOPT_WRITEDATA, devnull);
	CURLcode rc = curl_easy_perform(e);
	long status = 0;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(l);
	curl_easy_cleanup(e);
	fclose(devnull);
	CHECK(rc == CURLE_OK, "CreateBucket: %s", curl_easy_strerror(rc));
	/* 409 BucketAlreadyOwnedByYou: Swift's answer for our own bucket. */
	CHECK(status == 200 || status == 409, "CreateBucket: HTTP %ld", status);
	printf("# bucket %s ready (HTTP %ld)\n", bucket, status);
}

/* Reads key back and compares it with want. */
static void check_get(struct objstore_sync *s, const char *key, uint64_t off,
		      uint64_t len, const uint8_t *want, size_t wantlen,
		      uint64_t total)
{
	uint8_t *data;
	size_t n;
	uint64_t size;
	char err[512];
	int rc = objstore_sync_get(s, key, off, len, &data, &n, &size, err,
				   sizeof err);
	CHECK(rc == 0, "GET %s [%llu,+%llu]: %s", key, (unsigned long long)off,
	      (unsigned long long)len, err);
	CHECK(n == wantlen && !memcmp(data, want, n),
	      "GET %s [%llu,+%llu]: %zu bytes, want %zu, or other bytes", key,
	      (unsigned long long)off, (unsigned long long)len, n, wantlen);
	CHECK(size == total, "GET %s: object size %llu, want %llu", key,
	      (unsigned long long)size, (unsigned long long)total);
	free(data);
}

/* Counts callbacks of the concurrent phase. */
struct tally {
	int done, failed;
	char first_error[512];
};

static void tally_cb(void *arg, const struct objstore_result *res)
{
	struct tally *t = arg;
	t->done++;
	if (res->status && !t->failed++)
		snprintf(t->first_error, sizeof t->first_error, "%s",
			 res->error);
}

/* Many PUTs in flight on one loop, then many GETs: connection reuse and
 * the multi interface under load. */
static void concurrent(const char *url)
{
	struct event_base *base = event_base_new();
	struct objstore_options opt = base_options(url);
	struct objstore *os;
	char err[512];
	CHECK(objstore_open(base, &opt, &os, err, sizeof err) == 0, "open: %s",
	      err);
	enum { N = 64 };
	uint8_t *data = make_data(N * 4096, 99);
	struct tally t = { 0 };
	char key[64];
	double t0 = now_s();
	for (int i = 0; i < N; i++) {
		snprintf(key, sizeof key, "conc/%02d", i);
		objstore_put(os, key, data + i * 4096, 4096, tally_cb, &t);
	}
	while (t.done < N)
		event_base_loop(base, EVLOOP_ONCE);
	CHECK(!t.failed, "concurrent PUTs: %d failed: %s", t.failed,
	      t.first_error);
	memset(&t, 0, sizeof t);
	for (int i = 0; i < N; i++) {
		snprintf(key, sizeof key, "conc/%02d", i);
		objstore_get(os, key, 100, 200, tally_cb, &t);
	}
	while (t.done < N)
		event_base_loop(base, EVLOOP_ONCE);
	CHECK(!t.failed, "concurrent GETs: %d failed: %s", t.failed,
	      t.first_error);
	printf("# %d concurrent PUTs and %d ranged GETs in %.2f s\n", N, N,
	       now_s() - t0);
	struct objstore_stats st;
	objstore_get_stats(os, &st);
	CHECK(st.errors == 0 && st.retries == 0,
	      "concurrent: %llu errors, "
	      "%llu retries",
	      (unsigned long long)st.errors, (unsigned long long)st.retries);
	objstore_close(os);
	event_base_free(base);
	free(data);
}

/* Every operation against the real endpoint. */
static void run_all(void)
{
	char url[256], err[512];
	snprintf(url, sizeof url, "s3://%s/objtest", bucket);
	struct objstore_options opt = base_options(url);
	opt.list_page_size = 7; /* paging with few keys */
	struct objstore_sync *s = open_sync(&opt);
	struct objstore *os = objstore_sync_store(s);

	/* Small objects, ranges, HEAD, missing keys. */
	uint8_t *small = make_data(100000, 1);
	CHECK(objstore_sync_put(s, "small/a", small, 100000, err, sizeof err) ==
		      0,
	      "PUT small/a: %s", err);
	check_get(s, "small/a", 0, 0, small, 100000, 100000);
	check_get(s, "small/a", 0, 1, small, 1, 100000);
	check_get(s, "small/a", 4096, 8192, small + 4096, 8192, 100000);
	check_get(s, "small/a", 99990, 100, small + 99990, 10, 100000);
	check_get(s, "small/a", 50000, 0, small + 50000, 50000, 100000);
	uint8_t *data;
	size_t n;
	int rc = objstore_sync_get(s, "small/a", 100000, 10, &data, &n, NULL,
				   err, sizeof err);
	CHECK(rc == SL_EIO && strstr(err, "InvalidRange"),
	      "GET past the end: %d %s", rc, err);
	uint64_t size = 0;
	CHECK(objstore_sync_head(s, "small/a", &size, err, sizeof err) == 0 &&
		      size == 100000,
	      "HEAD small/a: %s (size %llu)", err, (unsigned long long)size);
	CHECK(objstore_sync_head(s, "small/none", &size, err, sizeof err) ==
		      SL_ENOENT,
	      "HEAD of a missing key: %s", err);
	rc = objstore_sync_get(s, "small/none", 0, 0, &data, &n, NULL, err,
			       sizeof err);
	CHECK(rc == SL_ENOENT && strstr(err, "NoSuchKey"),
	      "GET of a missing key: %d %s", rc, err);
	CHECK(objstore_sync_put(s, "small/empty", "", 0, err, sizeof err) == 0,
	      "PUT of an empty object: %s", err);
	check_get(s, "small/empty", 0, 0, (const uint8_t *)"", 0, 0);

	/* Keys whose bytes need encoding in the path and in LIST queries. */
	const char *odd = "enc/a b+c=d&e%f~g$h!'()*,;:@\xc3\xa9.x";
	CHECK(objstore_sync_put(s, odd, small, 777, err, sizeof err) == 0,
	      "PUT of an odd key: %s", err);
	check_get(s, odd, 0, 0, small, 777, 777);
	struct objstore_entry *e;
	size_t count;
	CHECK(objstore_sync_list(s, "enc/a b+", &e, &count, err, sizeof err) ==
		      0,
	      "LIST of an odd prefix: %s", err);
	CHECK(count == 1 && !strcmp(e[0].key, odd) && e[0].size == 777,
	      "LIST of an odd prefix: %zu entries", count);
	free(e);

	/* Multipart: 70 MiB in 16 MiB parts (4 full, one of 6 MiB). */
	size_t big = 70 * MIB;
	uint8_t *bigdata = make_data(big, 2);
	struct objstore_stats st0, st1;
	objstore_get_stats(os, &st0);
	double t0 = now_s();
	CHECK(objstore_sync_put(s, "big/70m", bigdata, big, err, sizeof err) ==
		      0,
	      "multipart PUT: %s", err);
	double put_s = now_s() - t0;
	objstore_get_stats(os, &st1);
	CHECK(st1.multipart_parts - st0.multipart_parts == 5,
	      "multipart: %llu parts, want 5",
	      (unsigned long long)(st1.multipart_parts - st0.multipart_parts));
	CHECK(objstore_sync_head(s, "big/70m", &size, err, sizeof err) == 0 &&
		      size == big,
	      "HEAD of the multipart object: %s", err);
	t0 = now_s();
	check_get(s, "big/70m", 0, 0, bigdata, big, big);
	double get_s = now_s() - t0;
	/* Ranges across part boundaries. */
	check_get(s, "big/70m", 16 * MIB - 10, 20, bigdata + 16 * MIB - 10, 20,
		  big);
	check_get(s, "big/70m", 64 * MIB - 1, 2 * MIB, bigdata + 64 * MIB - 1,
		  2 * MIB, big);
	printf("# 70 MiB multipart PUT %.2f s (%.0f MiB/s), GET %.2f s "
	       "(%.0f MiB/s)\n",
	       put_s, 70 / put_s, get_s, 70 / get_s);

	/* LIST paging: 50 keys in pages of 7, a prefix cutting a segment. */
	char key[64];
	for (int i = 0; i < 50; i++) {
		snprintf(key, sizeof key, "list/%c/%03d", 'a' + i % 5, i);
		CHECK(objstore_sync_put(s, key, small, (size_t)i, err,
					sizeof err) == 0,
		      "PUT %s: %s", key, err);
	}
	objstore_get_stats(os, &st0);
	CHECK(objstore_sync_list(s, "list/", &e, &count, err, sizeof err) == 0,
	      "LIST list/: %s", err);
	objstore_get_stats(os, &st1);
	CHECK(count == 50, "LIST list/: %zu keys, want 50", count);
	CHECK(st1.requests - st0.requests == 8,
	      "LIST list/: %llu pages, want 8",
	      (unsigned long long)(st1.requests - st0.requests));
	for (size_t i = 0; i < count; i++) {
		int num = atoi(e[i].key + 7);
		snprintf(key, sizeof key, "list/%c/%03d", 'a' + num % 5, num);
		CHECK(!strcmp(e[i].key, key) && e[i].size == (uint64_t)num,
		      "LIST entry %zu: %s size %llu", i, e[i].key,
		      (unsigned long long)e[i].size);
		CHECK(i == 0 || strcmp(e[i - 1].key, e[i].key) < 0,
		      "LIST not sorted at %zu", i);
		CHECK(e[i].last_modified_ms > 1600000000000LL,
		      "LIST entry %zu: no LastModified", i);
	}
	free(e);
	CHECK(objstore_sync_list(s, "list/c", &e, &count, err, sizeof err) ==
			      0 &&
		      count == 10,
	      "LIST list/c: %zu keys: %s", count, err);
	free(e);

	concurrent(url);

	/* DeleteObjects: 1100 keys (two batches), some never existed. */
	enum { ND = 1100 };
	static char dkeys[ND][32];
	const char *dk[ND];
	struct event_base *base = event_base_new();
	struct objstore *aos;
	CHECK(objstore_open(base, &opt, &aos, err, sizeof err) == 0, "open: %s",
	      err);
	struct tally t = { 0 };
	for (int i = 0; i < ND; i++) {
		snprintf(dkeys[i], sizeof dkeys[i], "del/%04d", i);
		dk[i] = dkeys[i];
		if (i % 11 != 0)
			objstore_put(aos, dkeys[i], small, 10, tally_cb, &t);
		else
			t.done++;
		while (t.done < i - 48) /* at most ~48 in flight */
			event_base_loop(base, EVLOOP_ONCE);
	}
	while (t.done < ND)
		event_base_loop(base, EVLOOP_ONCE);
	CHECK(!t.failed, "PUT for delete: %s", t.first_error);
	objstore_close(aos);
	event_base_free(base);
	CHECK(objstore_sync_list(s, "del/", &e, &count, err, sizeof err) == 0 &&
		      count == ND - ND / 11,
	      "LIST del/: %zu", count);
	free(e);
	objstore_get_stats(os, &st0);
	CHECK(objstore_sync_delete(s, dk, ND, err, sizeof err) == 0,
	      "DeleteObjects: %s", err);
	objstore_get_stats(os, &st1);
	CHECK(st1.requests - st0.requests == 2, "DeleteObjects: %llu requests",
	      (unsigned long long)(st1.requests - st0.requests));
	CHECK(objstore_sync_list(s, "del/", &e, &count, err, sizeof err) == 0 &&
		      count == 0,
	      "LIST after delete: %zu keys", count);
	free(e);

	/* Clean up the rest; the bucket stays for the other modes. */
	CHECK(objstore_sync_list(s, "", &e, &count, err, sizeof err) == 0,
	      "LIST all: %s", err);
	const char **all = calloc(count ? count : 1, sizeof *all);
	for (size_t i = 0; i < count; i++)
		all[i] = e[i].key;
	CHECK(objstore_sync_delete(s, all, count, err, sizeof err) == 0,
	      "final delete: %s", err);
	free(all);
	free(e);
	objstore_get_stats(os, &st1);
	/* One failure: the InvalidRange (a missing key is no failure). */
	CHECK(st1.errors == 1 &&
		      strstr(objstore_last_error(os), "InvalidRange"),
	      "%llu failed operations, want 1: last %s",
	      (unsigned long long)st1.errors, objstore_last_error(os));
	printf("# requests %llu, retries %llu, up %llu B, down %llu B\n",
	       (unsigned long long)st1.requests,
	       (unsigned long long)st1.retries,
	       (unsigned long long)st1.bytes_up,
	       (unsigned long long)st1.bytes_down);
	objstore_sync_close(s);
	free(small);
	free(bigdata);
}

/* A wrong secret: 403 SignatureDoesNotMatch, clearly, at once. */
static void run_badsecret(void)
{
	char url[256], err[512];
	snprintf(url, sizeof url, "s3://%s/objtest", bucket);
	struct objstore_options opt = base_options(url);
	opt.secret_key = "0000000000000000000000000000000000000000";
	struct objstore_sync *s = open_sync(&opt);
	int rc = objstore_sync_put(s, "bad/1", "x", 1, err, sizeof err);
	printf("# %s\n", err);
	CHECK(rc == SL_EIO && strstr(err, "SignatureDoesNotMatch: ") &&
		      strstr(err, "(PUT bad/1, after 1 attempt)"),
	      "wrong secret: %d %s", rc, err);
	struct objstore_stats st;
	objstore_get_stats(objstore_sync_store(s), &st);
	CHECK(st.retries == 0 && st.requests == 1, "wrong secret: retried");
	CHECK(strstr(objstore_last_error(objstore_sync_store(s)),
		     "SignatureDoesNotMatch"),
	      "last error not kept");
	objstore_sync_close(s);
}

/* A missing bucket: NoSuchBucket from PUT, GET and LIST. */
static void run_nobucket(void)
{
	char url[256], err[512];
	snprintf(url, sizeof url, "s3://%s-missing/p", bucket);
	struct objstore_options opt = base_options(url);
	struct objstore_sync *s = open_sync(&opt);
	int rc = objstore_sync_put(s, "k", "x", 1, err, sizeof err);
	printf("# %s\n", err);
	CHECK(rc == SL_EIO && strstr(err, "NoSuchBucket: "),
	      "PUT to a missing bucket: %d %s", rc, err);
	uint8_t *data;
	size_t n;
	rc = objstore_sync_get(s, "k", 0, 0, &data, &n, NULL, err, sizeof err);
	CHECK(rc == SL_EIO && strstr(err, "NoSuchBucket"),
	      "GET from a missing bucket: %d %s", rc, err);
	struct objstore_entry *e;
	rc = objstore_sync_list(s, "", &e, &n, err, sizeof err);
	CHECK(rc == SL_EIO && strstr(err, "NoSuchBucket"),
	      "LIST of a missing bucket: %d %s", rc, err);
	struct objstore_stats st;
	objstore_get_stats(objstore_sync_store(s), &st);
	CHECK(st.retries == 0, "missing bucket: retried");
	objstore_sync_close(s);
}

/* The endpoint is down: connection refused, retried with backoff, then a
 * final error naming the cause. */
static void run_refused(void)
{
	char url[256], err[512];
	snprintf(url, sizeof url, "s3://%s/objtest", bucket);
	struct objstore_options opt = base_options(url);
	opt.max_attempts = 5;
	opt.retry_base_ms = 100;
	opt.retry_max_ms = 400;
	struct objstore_sync *s = open_sync(&opt);
	double t0 = now_s();
	int rc = objstore_sync_put(s, "down/1", "x", 1, err, sizeof err);
	double took = now_s() - t0;
	printf("# %s (%.2f s)\n", err, took);
	CHECK(rc == SL_EIO && strstr(err, "Couldn't connect to server") &&
		      strstr(err, "(PUT down/1, after 5 attempts)"),
	      "endpoint down: %d %s", rc, err);
	struct objstore_stats st;
	objstore_get_stats(objstore_sync_store(s), &st);
	CHECK(st.retries == 4 && st.requests == 5,
	      "endpoint down: %llu retries, %llu requests",
	      (unsigned long long)st.retries, (unsigned long long)st.requests);
	/* Full jitter: at most 100+200+400+400 ms of sleep. */
	CHECK(took < 5, "endpoint down: gave up after %.2f s", took);
	objstore_sync_close(s);
}

/* The endpoint is down when the PUT starts and comes back (restarted by
 * the script once this prints "waiting"): the retries carry it. */
static void run_recover(void)
{
	char url[256], err[512];
	snprintf(url, sizeof url, "s3://%s/objtest", bucket);
	struct objstore_options opt = base_options(url);
	opt.max_attempts = 60;
	opt.retry_base_ms = 250;
	opt.retry_max_ms = 1000;
	struct objstore_sync *s = open_sync(&opt);
	printf("waiting\n");
	fflush(stdout);
	double t0 = now_s();
	size_t len = 1 * MIB;
	uint8_t *data = make_data(len, 3);
	int rc = objstore_sync_put(s, "back/1", data, len, err, sizeof err);
	/* Swift's proxy can answer before its container server has its
	 * database back: a restart briefly says NoSuchBucket.  That 404 is
	 * rightly not retried by the store; the test waits it out. */
	for (int i = 0; i < 40 && rc && strstr(err, "NoSuchBucket"); i++) {
		usleep(250000);
		rc = objstore_sync_put(s, "back/1", data, len, err, sizeof err);
	}
	CHECK(rc == 0, "PUT across the outage: %s", err);
	struct objstore_stats st;
	objstore_get_stats(objstore_sync_store(s), &st);
	printf("# PUT succeeded after %.1f s and %llu retries\n", now_s() - t0,
	       (unsigned long long)st.retries);
	CHECK(st.retries > 0, "the endpoint was not down");
	check_get(s, "back/1", 0, 0, data, len, len);
	const char *k = "back/1";
	CHECK(objstore_sync_delete(s, &k, 1, err, sizeof err) == 0,
	      "DELETE: %s", err);
	objstore_sync_close(s);
	free(data);
}

/* Reads an environment variable or fails. */
static const char *need_env(const char *name)
{
	const char *v = getenv(name);
	CHECK(v && *v, "%s is not set", name);
	return v;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr,
			"usage: %s all|mkbucket|badsecret|nobucket|"
			"refused|recover BUCKET\n",
			argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	endpoint = need_env("SWIFT_S3_ENDPOINT");
	region = need_env("SWIFT_S3_REGION");
	access_key = need_env("SWIFT_S3_ACCESS_KEY");
	secret_key = need_env("SWIFT_S3_SECRET_KEY");
	bucket = argv[2];
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const char *mode = argv[1];
	if (!strcmp(mode, "mkbucket"))
		make_bucket();
	else if (!strcmp(mode, "all"))
		run_all();
	else if (!strcmp(mode, "badsecret"))
		run_badsecret();
	else if (!strcmp(mode, "nobucket"))
		run_nobucket();
	else if (!strcmp(mode, "refused"))
		run_refused();
	else if (!strcmp(mode, "recover"))
		run_recover();
	else
		fail("unknown mode %s", mode);
	curl_global_cleanup();
	printf("ok: %s\n", mode);
	return 0;
}
