/*
 * Raw GET throughput (see rawget.h).  Runs a private libevent loop on the
 * caller's thread; the object store's callbacks run on it and are the only
 * writers of the run state.  Bodies are counted and dropped, not checked
 * beyond their length: the catch-up consumer checks the records.  Nothing
 * durable.
 */
#include "autoconfig.h"

#include "tools/bench/rawget.h"
#include "tools/bench/bench.h"
#include "common/errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

struct rawget_run;

/* One GET to make: a key and a byte range (len 0: to the end). */
struct rawget_job {
	struct rawget_run *run;
	const char *key;     /* points into the run's key block */
	uint64_t offset, len;
	uint64_t want;       /* bytes the answer must carry */
};

/* The state of one run, shared by the loop's callbacks. */
struct rawget_run {
	struct event_base *base;
	struct objstore *os;
	struct rawget_result *res;
	char *keys;          /* the listed keys, NUL-separated */
	uint64_t *sizes;
	size_t count;
	struct rawget_job *jobs;
	size_t job_count, next_job, in_flight;
	uint64_t last_ns;
};

/* LIST callback: copies the keys and sizes out of the result. */
static void rawget_on_list(void *arg, const struct objstore_result *r)
{
	struct rawget_run *run = arg;
	event_base_loopbreak(run->base);
	if (r->status != 0) {
		BENCH_FAIL(run->res, "LIST: %s", r->error);
		return;
	}
	size_t key_bytes = 0;
	for (size_t i = 0; i < r->entry_count; i++)
		key_bytes += strlen(r->entries[i].key) + 1;
	run->keys = malloc(key_bytes ? key_bytes : 1);
	run->sizes = calloc(r->entry_count ? r->entry_count : 1, sizeof *run->sizes);
	if (run->keys == NULL || run->sizes == NULL) {
		BENCH_FAIL(run->res, "out of memory");
		return;
	}
	char *k = run->keys;
	for (size_t i = 0; i < r->entry_count; i++) {
		size_t n = strlen(r->entries[i].key) + 1;
		memcpy(k, r->entries[i].key, n);
		k += n;
		run->sizes[i] = r->entries[i].size;
		run->res->object_bytes += r->entries[i].size;
	}
	run->count = r->entry_count;
	run->res->objects = r->entry_count;
}

/* Builds the job list: whole objects, or ranges of range bytes. */
static int rawget_plan(struct rawget_run *run, uint64_t range)
{
	size_t n = 0;
	for (size_t i = 0; i < run->count; i++)
		n += range == 0 || run->sizes[i] == 0 ? 1
			: (size_t)((run->sizes[i] + range - 1) / range);
	run->jobs = calloc(n ? n : 1, sizeof *run->jobs);
	if (run->jobs == NULL)
		return SL_ENOMEM;
	const char *k = run->keys;
	for (size_t i = 0; i < run->count; i++, k += strlen(k) + 1) {
		uint64_t size = run->sizes[i];
		if (range == 0 || size == 0) {
			run->jobs[run->job_count++] = (struct rawget_job){ run, k, 0, 0, size };
			continue;
		}
		for (uint64_t off = 0; off < size; off += range) {
			uint64_t len = size - off < range ? size - off : range;
			run->jobs[run->job_count++] = (struct rawget_job){ run, k, off, len, len };
		}
	}
	return 0;
}

static void rawget_on_get(void *arg, const struct objstore_result *r);

/* Starts GETs until parallel are in flight or no job is left; breaks the
 * loop when nothing is in flight any more. */
static void rawget_start_next(struct rawget_run *run)
{
	while (run->in_flight < (size_t)run->res->parallel && run->next_job < run->job_count &&
	       run->res->ok) {
		struct rawget_job *job = &run->jobs[run->next_job++];
		run->in_flight++;
		run->res->gets++;
		objstore_get(run->os, job->key, job->offset, job->len, rawget_on_get, job);
	}
	if (run->in_flight == 0)
		event_base_loopbreak(run->base);
}

/* GET callback: accounts the answer and keeps parallel GETs in flight. */
static void rawget_on_get(void *arg, const struct objstore_result *r)
{
	struct rawget_job *job = arg;
	struct rawget_run *run = job->run;
	run->in_flight--;
	run->last_ns = bench_now_ns();
	if (r->status != 0)
		BENCH_FAIL(run->res, "GET %s [%llu, +%llu): %s", job->key,
			    (unsigned long long)job->offset, (unsigned long long)job->len,
			    r->error[0] ? r->error : "failed");
	else if (r->len != job->want)
		BENCH_FAIL(run->res, "GET %s [%llu, +%llu): %zu bytes, want %llu", job->key,
			    (unsigned long long)job->offset, (unsigned long long)job->len, r->len,
			    (unsigned long long)job->want);
	else
		run->res->bytes += r->len;
	if (r->status != SL_ECANCELED)
		rawget_start_next(run);
}

int rawget_run(const struct objstore_options *oo, const char *prefix, uint64_t range,
	       int parallel, struct rawget_result *res)
{
	char err[512];
	memset(res, 0, sizeof *res);
	res->ok = 1;
	res->parallel = parallel;
	res->range = range;
	if (parallel < 1) {
		BENCH_FAIL(res, "parallel %d below 1", parallel);
		return SL_EINVAL;
	}
	struct rawget_run run = { .res = res };
	run.base = event_base_new();
	if (run.base == NULL) {
		BENCH_FAIL(res, "event_base_new failed");
		return SL_ENOMEM;
	}
	int rc = objstore_open(run.base, oo, &run.os, err, sizeof err);
	if (rc != 0) {
		BENCH_FAIL(res, "object store: %s", err);
		event_base_free(run.base);
		return rc;
	}
	objstore_list(run.os, prefix, rawget_on_list, &run);
	event_base_dispatch(run.base);
	if (res->ok && run.count == 0)
		BENCH_FAIL(res, "no object under %s", prefix);
	if (res->ok && rawget_plan(&run, range) != 0)
		BENCH_FAIL(res, "out of memory");
	if (res->ok) {
		uint64_t first_ns = bench_now_ns();
		run.last_ns = first_ns;
		rawget_start_next(&run);
		event_base_dispatch(run.base);
		res->secs = (double)(run.last_ns - first_ns) / 1e9;
		if (res->secs > 0)
			res->mbps = (double)res->bytes / BENCH_MB / res->secs;
	}
	struct objstore_stats st;
	objstore_get_stats(run.os, &st);
	res->requests = st.requests;
	res->retries = st.retries;
	/* Callbacks of GETs still in flight after a failure run here. */
	objstore_close(run.os);
	event_base_free(run.base);
	free(run.jobs);
	free(run.keys);
	free(run.sizes);
	return res->ok ? 0 : SL_EIO;
}
