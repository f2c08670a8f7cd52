/*
 * One compaction run (sequence in run.h).  Each step starts the next from
 * its callback, so at most one control request or one bucket operation
 * of the run is in flight at a time (the fetch of a rewrite's inputs runs
 * several GETs itself).  Ownership: the run owns its catalog view, plan,
 * the fetch and outputs of the rewrite in flight; the daemon owns the
 * control client, the store and the counters.  Nothing here is durable:
 * an output is either committed by brokerd (then the catalog owns it), or
 * deleted by this run, or an orphan for a later run.
 */
#include "compactd/run.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "common/control_client.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/object_format.h"
#include "common/objstore.h"
#include "common/sluice_config.h"
#include "compactd/catalog_view.h"
#include "compactd/fetch.h"
#include "compactd/pace.h"
#include "compactd/plan.h"
#include "compactd/rewrite.h"
#include "compactd/stats.h"
#include "compactd/sweep.h"

/* Objects per "objects" page. */
#define RUN_PAGE_OBJECTS 1000

struct run {
	struct run_ctx ctx;
	run_done_fn done;
	void *arg;
	int stopping;
	struct sweep_listed *listed;
	size_t nlisted;
	struct catalog_view view;
	struct plan plan;
	size_t next;                 /* the next rewrite of the plan */
	uint64_t *ids;               /* retired objects being deleted */
	size_t nids;
	/* the rewrite in flight */
	const struct rewrite *rw;
	struct fetch *fetch;
	struct rewrite_result res;
	size_t puts_done;
	int failed;                  /* error says why the run ends */
	char error[512];
};

static void run_next(struct run *r);

/* Wall-clock milliseconds (objects' creation times, LastModified). */
static int64_t run_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Monotonic milliseconds (pacing). */
static int64_t run_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A fresh random object id (never 0). */
static uint64_t run_new_id(void *arg)
{
	uint64_t id = 0;
	while (id == 0)
		if (getrandom(&id, sizeof id, 0) != sizeof id)
			log_fatal("getrandom: %s", strerror(errno));
	return id;
}

/* Frees the state of the rewrite in flight. */
static void run_rewrite_clear(struct run *r)
{
	fetch_free(r->fetch);
	r->fetch = NULL;
	rewrite_result_free(&r->res);
	r->puts_done = 0;
	r->rw = NULL;
}

/* Ends the run; error NULL when it went through.  Nothing of the run is
 * in flight when this is called. */
static void run_end(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void run_end(struct run *r, const char *fmt, ...)
{
	char why[sizeof r->error];
	/* format first: the arguments may point into the fetch or the
	 * outputs that run_rewrite_clear frees */
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, sizeof why, fmt, ap);
		va_end(ap);
		memcpy(r->error, why, sizeof why);
	}
	run_rewrite_clear(r);
	r->done(r->arg, fmt ? r->error : NULL);
}

/* Notes why the run will end once the outputs in the bucket are gone. */
static void run_fail(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void run_fail(struct run *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof r->error, fmt, ap);
	va_end(ap);
	r->failed = 1;
}

/* Sends a control request; ends the run when brokerd is not connected. */
static int run_request(struct run *r, json_t *req, control_reply_fn fn)
{
	if (!req || control_client_request(r->ctx.cc, req, fn, r) < 0) {
		run_end(r, "brokerd's control socket is not connected");
		return -1;
	}
	return 0;
}

/* Whether a reply is {"ok":true}; otherwise ends the run naming what. */
static int run_reply_ok(struct run *r, json_t *reply, const char *what)
{
	if (!reply) {
		run_end(r, "%s: lost brokerd's control socket", what);
		return 0;
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		const char *why = json_string_value(json_object_get(reply, "error"));
		run_end(r, "%s: %s", what, why ? why : "refused");
		return 0;
	}
	return 1;
}

/* Fills keys (rows of OBJECT_KEY_MAX) with the keys of ids. */
static const char **run_keys(const uint64_t *ids, size_t n, char (**store)[OBJECT_KEY_MAX])
{
	*store = malloc((n ? n : 1) * sizeof **store);
	const char **keys = malloc((n ? n : 1) * sizeof *keys);
	if (!*store || !keys) {
		free(*store);
		free(keys);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		object_key(ids[i], (*store)[i], OBJECT_KEY_MAX);
		keys[i] = (*store)[i];
	}
	return keys;
}

/* Deletes objects ids[0..n) (copied by the call); fn follows. */
static void run_delete(struct run *r, const uint64_t *ids, size_t n, objstore_cb fn)
{
	char (*store)[OBJECT_KEY_MAX];
	const char **keys = run_keys(ids, n, &store);
	if (!keys) {
		struct objstore_result res = {.status = SL_ENOMEM};
		snprintf(res.error, sizeof res.error, "out of memory");
		fn(r, &res);
		return;
	}
	objstore_delete(r->ctx.os, keys, n, fn, r);
	free(keys);
	free(store);
}

/* ---- outputs: PUT, propose, delete ---- */

/* After deleting the outputs of a rewrite that will not be committed. */
static void run_on_outputs_deleted(void *arg, const struct objstore_result *res)
{
	struct run *r = arg;
	if (res->status)
		log_warn("compact: deleting unused outputs: %s (orphans now)", res->error);
	if (r->failed) {
		run_end(r, "%s", r->error);
		return;
	}
	run_rewrite_clear(r);
	run_next(r); /* ends the run if it is stopping */
}

/* Deletes the first n outputs of the rewrite in flight (best effort). */
static void run_delete_outputs(struct run *r, size_t n)
{
	uint64_t *ids = malloc((n ? n : 1) * sizeof *ids);
	if (!ids || n == 0) {
		free(ids);
		struct objstore_result res = {0};
		run_on_outputs_deleted(r, &res);
		return;
	}
	for (size_t i = 0; i < n; i++)
		ids[i] = r->res.outputs[i].id;
	run_delete(r, ids, n, run_on_outputs_deleted);
	free(ids);
}

/* Counts what a committed rewrite did and logs it. */
static void run_committed(struct run *r)
{
	struct compactd_stats *st = r->ctx.stats;
	const struct rewrite *rw = r->rw;
	st->rewrites_committed++;
	if (rw->kind == REWRITE_EXPIRE)
		st->objects_expired += rw->input_count;
	st->records_dropped += r->res.compacted.records_in - r->res.compacted.records_kept;
	log_info("compact: %s rewrite of %zu objects (%" PRIu64 " live bytes) into %zu"
		 " (%" PRIu64 " bytes) committed: %" PRIu64 " batches kept, %" PRIu64
		 " expired, %" PRIu64 " records compacted away",
		 plan_kind_name(rw->kind), rw->input_count, rw->input_bytes, r->res.count,
		 r->res.bytes_out, r->res.batches_out, r->res.batches_expired,
		 r->res.compacted.records_in - r->res.compacted.records_kept);
}

/* The answer to replace_objects. */
static void run_on_replaced(void *arg, json_t *reply)
{
	struct run *r = arg;
	if (!reply) {
		run_end(r, "lost brokerd before its answer to replace_objects (outputs"
			   " left to the orphan sweep unless committed)");
		return;
	}
	if (json_is_true(json_object_get(reply, "ok"))) {
		run_committed(r);
		if (r->stopping) {
			run_end(r, "stopped");
			return;
		}
		run_rewrite_clear(r);
		run_next(r);
		return;
	}
	const char *why = json_string_value(json_object_get(reply, "error"));
	r->ctx.stats->rewrites_refused++;
	log_warn("compact: brokerd refused a %s rewrite of %zu objects (first %016" PRIx64
		 "): %s; deleting its %zu outputs", plan_kind_name(r->rw->kind),
		 r->rw->input_count, r->rw->inputs[0], why ? why : "?", r->res.count);
	run_delete_outputs(r, r->res.count);
}

/* Proposes the rewrite in flight (its outputs are all in the bucket). */
static void run_propose(struct run *r)
{
	char hex[17];
	json_t *inputs = json_array(), *outputs = json_array();
	json_t *req = json_pack("{s:s, s:o, s:o}", "op", "replace_objects", "inputs",
				inputs, "outputs", outputs);
	int64_t now = run_wall_ms();
	for (size_t i = 0; req && i < r->rw->input_count; i++) {
		snprintf(hex, sizeof hex, "%016" PRIx64, r->rw->inputs[i]);
		json_array_append_new(inputs, json_string(hex));
	}
	for (size_t i = 0; req && i < r->res.count; i++) {
		const struct rewrite_output *o = &r->res.outputs[i];
		snprintf(hex, sizeof hex, "%016" PRIx64, o->id);
		json_array_append_new(outputs,
				      json_pack("{s:s, s:I, s:i, s:I, s:O}", "id", hex, "size",
						(json_int_t)o->len, "flags", (int)o->flags,
						"created_ms", (json_int_t)now, "blocks",
						o->blocks));
	}
	if (!req || control_client_request(r->ctx.cc, req, run_on_replaced, r) < 0) {
		run_fail(r, "brokerd's control socket is not connected");
		run_delete_outputs(r, r->res.count);
	}
}

static void run_put_next(struct run *r);

/* The PUT of output puts_done finished. */
static void run_on_put(void *arg, const struct objstore_result *res)
{
	struct run *r = arg;
	const struct rewrite_output *o = &r->res.outputs[r->puts_done];
	if (res->status) {
		run_fail(r, "PUT of %016" PRIx64 ": %s", o->id, res->error);
		run_delete_outputs(r, r->puts_done + 1); /* it may have landed */
		return;
	}
	r->ctx.stats->bytes_written += o->len;
	r->ctx.stats->objects_written++;
	r->puts_done++;
	run_put_next(r);
}

/* Issues a PUT after its pacing delay. */
static void run_put_go(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	const struct rewrite_output *o = &r->res.outputs[r->puts_done];
	char key[OBJECT_KEY_MAX];
	object_key(o->id, key, sizeof key);
	objstore_put_paced(r->ctx.os, key, o->bytes, o->len,
			   pace_bytes_per_sec(r->ctx.pace), run_on_put, r);
}

/* PUTs the next output, or proposes the rewrite when all are in. */
static void run_put_next(struct run *r)
{
	if (r->stopping) {
		run_fail(r, "stopped");
		run_delete_outputs(r, r->puts_done);
		return;
	}
	if (r->puts_done == r->res.count) {
		run_propose(r);
		return;
	}
	const struct rewrite_output *o = &r->res.outputs[r->puts_done];
	int64_t delay = pace_delay(r->ctx.pace, o->len, run_mono_ms());
	struct timeval tv = {delay / 1000, (delay % 1000) * 1000};
	if (delay <= 0 ||
	    event_base_once(r->ctx.base, -1, EV_TIMEOUT, run_put_go, r, &tv) < 0)
		run_put_go(-1, 0, r);
}

/* ---- a rewrite: read, build ---- */

/* The inputs of the rewrite in flight are read and verified. */
static void run_on_fetched(void *arg, int rc, const char *error,
			   struct rewrite_block *blocks, size_t n)
{
	struct run *r = arg;
	if (rc == SL_ECANCELED) {
		run_end(r, "stopped");
		return;
	}
	if (rc == SL_ECORRUPT) {
		/* one bad object must not stop the others' compaction */
		log_error("compact: %s rewrite skipped: %s", plan_kind_name(r->rw->kind),
			  error);
		run_rewrite_clear(r);
		run_next(r);
		return;
	}
	if (rc) {
		run_end(r, "reading inputs: %s", error);
		return;
	}
	const struct sluice_config *cfg = r->ctx.cfg;
	struct rewrite_params p = {.now_ms = r->view.now_ms,
				   .target_bytes = (uint64_t)cfg->compaction_target_bytes,
				   .new_id = run_new_id};
	char why[512];
	rc = rewrite_build(&r->view, r->rw, &p, blocks, n, &r->res, why, sizeof why);
	if (rc) {
		log_error("compact: %s rewrite of %zu objects (first %016" PRIx64
			  ") skipped: %s", plan_kind_name(r->rw->kind), r->rw->input_count,
			  r->rw->inputs[0], why);
		run_rewrite_clear(r);
		run_next(r);
		return;
	}
	/* the input bytes are no longer needed */
	fetch_free(r->fetch);
	r->fetch = NULL;
	run_put_next(r);
}

/* Starts the next rewrite of the plan, or ends the run. */
static void run_next(struct run *r)
{
	if (r->stopping) {
		run_end(r, "stopped");
		return;
	}
	if (r->next == r->plan.count) {
		run_end(r, NULL);
		return;
	}
	r->rw = &r->plan.rewrites[r->next++];
	if (r->rw->kind == REWRITE_EXPIRE) {
		run_propose(r);
		return;
	}
	r->fetch = fetch_start(r->ctx.base, r->ctx.os, r->ctx.pace, &r->view, r->rw,
			       &r->ctx.stats->bytes_read, run_on_fetched, r);
	if (!r->fetch)
		run_end(r, "out of memory");
}

/* ---- catalog, sweeps, plan ---- */

static void run_plan(struct run *r)
{
	const struct sluice_config *cfg = r->ctx.cfg;
	double per_run = (double)cfg->compaction_bytes_per_sec *
			 (double)cfg->compaction_interval_ms / 1000.0;
	struct plan_params p = {
		.target_bytes = (uint64_t)cfg->compaction_target_bytes,
		.split_bytes = (uint64_t)cfg->compaction_split_bytes,
		.small_bytes = (uint64_t)cfg->compaction_small_object_bytes,
		.budget_bytes = per_run < 1.8e19 ? (uint64_t)per_run : UINT64_MAX,
		.max_objects = (size_t)cfg->compaction_max_objects_per_run,
	};
	if (plan_build(&r->view, &p, &r->plan)) {
		run_end(r, "out of memory");
		return;
	}
	run_next(r);
}

/* Orphans deleted (or not). */
static void run_on_orphans_deleted(void *arg, const struct objstore_result *res)
{
	struct run *r = arg;
	if (res->status)
		log_warn("compact: deleting orphans: %s", res->error);
	else
		r->ctx.stats->orphans_deleted += r->nids;
	free(r->ids);
	r->ids = NULL;
	if (r->stopping) {
		run_end(r, "stopped");
		return;
	}
	run_plan(r);
}

/* Deletes objects the catalog does not know, past their grace. */
static void run_orphans(struct run *r)
{
	if (!r->ctx.sweep_orphans) {
		run_plan(r);
		return;
	}
	if (sweep_orphans(&r->view, r->listed, r->nlisted, r->ctx.cfg->orphan_grace_ms,
			  run_wall_ms(), &r->ids, &r->nids)) {
		run_end(r, "out of memory");
		return;
	}
	if (r->nids == 0) {
		struct objstore_result res = {0};
		run_on_orphans_deleted(r, &res);
		return;
	}
	log_info("compact: deleting %zu orphans (first %016" PRIx64 ")", r->nids, r->ids[0]);
	run_delete(r, r->ids, r->nids, run_on_orphans_deleted);
}

/* The answer to forget_objects. */
static void run_on_forgotten(void *arg, json_t *reply)
{
	struct run *r = arg;
	if (!run_reply_ok(r, reply, "forget_objects"))
		return;
	r->ctx.stats->retired_deleted += r->nids;
	free(r->ids);
	r->ids = NULL;
	run_orphans(r);
}

/* Retired objects deleted: tell brokerd to forget them. */
static void run_on_retired_deleted(void *arg, const struct objstore_result *res)
{
	struct run *r = arg;
	if (res->status) {
		/* a later run deletes again (a missing key is no error) */
		log_warn("compact: deleting retired objects: %s", res->error);
		free(r->ids);
		r->ids = NULL;
		run_orphans(r);
		return;
	}
	json_t *ids = json_array();
	char hex[17];
	for (size_t i = 0; ids && i < r->nids; i++) {
		snprintf(hex, sizeof hex, "%016" PRIx64, r->ids[i]);
		json_array_append_new(ids, json_string(hex));
	}
	run_request(r, json_pack("{s:s, s:o}", "op", "forget_objects", "ids", ids),
		    run_on_forgotten);
}

/* Deletes retired objects past retired.grace.ms. */
static void run_retired(struct run *r)
{
	if (sweep_retired(&r->view, r->ctx.cfg->retired_grace_ms, &r->ids, &r->nids)) {
		run_end(r, "out of memory");
		return;
	}
	if (r->nids == 0) {
		free(r->ids);
		r->ids = NULL;
		run_orphans(r);
		return;
	}
	run_delete(r, r->ids, r->nids, run_on_retired_deleted);
}

static void run_objects_page(struct run *r, const uint64_t *after);

/* One page of objects. */
static void run_on_objects(void *arg, json_t *reply)
{
	struct run *r = arg;
	if (!run_reply_ok(r, reply, "objects"))
		return;
	char err[256];
	uint64_t next;
	int more = 0;
	int rc = catalog_view_add_objects(&r->view, reply, &next, &more, err, sizeof err);
	if (!rc && !more)
		rc = catalog_view_finish(&r->view, err, sizeof err);
	if (rc) {
		run_end(r, "objects: %s", rc == SL_ENOMEM ? "out of memory" : err);
		return;
	}
	if (more) {
		run_objects_page(r, &next);
		return;
	}
	if (r->stopping) {
		run_end(r, "stopped");
		return;
	}
	run_retired(r);
}

/* Asks for the page of objects after *after (NULL: the first). */
static void run_objects_page(struct run *r, const uint64_t *after)
{
	char hex[17];
	if (after)
		snprintf(hex, sizeof hex, "%016" PRIx64, *after);
	run_request(r, json_pack("{s:s, s:s?, s:i}", "op", "objects", "after",
				 after ? hex : NULL, "limit", RUN_PAGE_OBJECTS),
		    run_on_objects);
}

/* The streams. */
static void run_on_streams(void *arg, json_t *reply)
{
	struct run *r = arg;
	if (!run_reply_ok(r, reply, "streams"))
		return;
	char err[256];
	int rc = catalog_view_set_streams(&r->view, reply, err, sizeof err);
	if (rc) {
		run_end(r, "streams: %s", rc == SL_ENOMEM ? "out of memory" : err);
		return;
	}
	run_objects_page(r, NULL);
}

/* The bucket's object keys (listed before the catalog is read). */
static void run_on_list(void *arg, const struct objstore_result *res)
{
	struct run *r = arg;
	if (res->status) {
		run_end(r, "listing the bucket: %s", res->error);
		return;
	}
	if (sweep_parse_list(res->entries, res->entry_count, &r->listed, &r->nlisted)) {
		run_end(r, "out of memory");
		return;
	}
	if (r->stopping) {
		run_end(r, "stopped");
		return;
	}
	run_request(r, json_pack("{s:s}", "op", "streams"), run_on_streams);
}

/* The first step, from the loop. */
static void run_kick(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	if (r->stopping) {
		run_end(r, "stopped");
		return;
	}
	if (!r->ctx.sweep_orphans) {
		run_request(r, json_pack("{s:s}", "op", "streams"), run_on_streams);
		return;
	}
	objstore_list(r->ctx.os, "o/", run_on_list, r);
}

struct run *run_start(const struct run_ctx *ctx, run_done_fn done, void *arg)
{
	struct run *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->ctx = *ctx;
	r->done = done;
	r->arg = arg;
	struct timeval now = {0, 0};
	if (event_base_once(ctx->base, -1, EV_TIMEOUT, run_kick, r, &now) < 0) {
		free(r);
		return NULL;
	}
	return r;
}

void run_stop(struct run *r)
{
	r->stopping = 1;
	if (r->fetch)
		fetch_abort(r->fetch);
}

void run_free(struct run *r)
{
	if (!r)
		return;
	run_rewrite_clear(r);
	catalog_view_free(&r->view);
	plan_free(&r->plan);
	free(r->listed);
	free(r->ids);
	free(r);
}
