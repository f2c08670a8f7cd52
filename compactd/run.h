/*
 * One compaction run, start to end:
 *
 *   [LIST o/] -> streams -> objects (paged) -> delete retired objects past
 *   retired.grace.ms, then forget_objects -> [delete orphans past
 *   orphan.grace.ms] -> plan -> for each rewrite: read its inputs, build
 *   its outputs, PUT them, propose replace_objects (on refusal the outputs
 *   are deleted at once; an unanswered proposal leaves them to a later
 *   run's orphan sweep) -> done.
 *
 * The orphan sweep (in brackets) costs a LIST request per 1000 objects in
 * the bucket, so the daemon asks for it only a few times per grace period.
 * A run holds no state another run needs: everything comes again from
 * brokerd and the bucket, so a run that fails (brokerd restarted, the
 * bucket unavailable) is simply abandoned and the next one starts over.
 * Loop thread only.
 */
#ifndef SLUICE_COMPACTD_RUN_H
#define SLUICE_COMPACTD_RUN_H

#include <stdint.h>

struct compactd_stats;
struct control_client;
struct event_base;
struct objstore;
struct pace;
struct sluice_config;

/* What a run uses; owned by the daemon and outliving the run. */
struct run_ctx {
	struct event_base *base;
	struct control_client *cc;
	struct objstore *os;
	struct pace *pace;
	const struct sluice_config *cfg;
	struct compactd_stats *stats;
	int sweep_orphans;  /* list the bucket and delete orphans this run */
};

struct run;

/* Called once when the run ends: error NULL when it went through, else
 * why it was abandoned (or "stopped"). */
typedef void (*run_done_fn)(void *arg, const char *error);

/* Starts a run; returns it, or NULL when out of memory (done is not
 * called).  done never runs inside run_start. */
struct run *run_start(const struct run_ctx *ctx, run_done_fn done, void *arg);

/* Asks the run to end at the next safe point: between requests, after
 * the PUT in flight (deleting outputs not yet proposed), or after the
 * answer to a proposal in flight.  done follows. */
void run_stop(struct run *r);

/* Frees a run after done. */
void run_free(struct run *r);

#endif
