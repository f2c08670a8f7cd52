/*
 * compactd's daemon side: the control connection to brokerd (subscribed
 * to "compaction" events), the object store, the run timer, pacing and
 * counters; one run (run.h) at a time, every compaction.interval.ms or
 * soon after a "compact" event.  The runs do the work; this file decides
 * when they happen and reports what they did.
 */
#ifndef SLUICE_COMPACTD_COMPACTD_H
#define SLUICE_COMPACTD_COMPACTD_H

struct event_base;
struct sluice_config;

/* Opens the object store and starts connecting to brokerd.  Returns 0, or
 * -1 after logging. */
int compactd_start(struct event_base *base, struct sluice_config *cfg);

/* Begins a graceful stop: the run in flight ends at its next safe point
 * (at most shutdown.timeout.ms later), then daemon_stop_done(). */
void compactd_stop(void);

/* Frees everything after the loop has ended. */
void compactd_finish(void);

#endif
