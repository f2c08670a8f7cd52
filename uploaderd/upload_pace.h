/*
 * How fast uploaderd sends a region's object (upload.pace).
 *
 * A 64 MiB region that took 3 s to fill arrives at the object store in a
 * few hundred milliseconds at full speed: a burst of network, CPU and, for
 * a store on the same machine or the same disks, writes that the WAL's own
 * syncs queue behind.  Nothing needs it there that fast: the WAL holds the
 * region until it is committed.  So while uploads keep up, a region's PUT
 * is spread over about three quarters of the time the region took to fill;
 * as soon as a second region waits, uploads go at full speed again.
 */
#ifndef SLUICE_UPLOADERD_UPLOAD_PACE_H
#define SLUICE_UPLOADERD_UPLOAD_PACE_H

#include <stdint.h>

/* Smaller objects are not worth pacing: they are no burst. */
#define UPLOAD_PACE_MIN_BYTES (8u << 20)
/* A paced PUT takes at most this long, so a graceful stop (which lets the
 * upload in flight finish within shutdown.timeout.ms, 10 s by default)
 * does not turn it into an orphan, and a sudden rise in load finds at most
 * this much delay ahead of it. */
#define UPLOAD_PACE_MAX_MS 4000
/* Spreading over less than this gains nothing. */
#define UPLOAD_PACE_MIN_MS 200

/*
 * The send rate in bytes per second for an object of len bytes made from a
 * region that filled in fill_ms (the time between its seal and the one
 * before; <= 0 when unknown), or 0 for no limit: when regions are waiting
 * behind it (backlog), when it is small, or when the fill time is unknown
 * or too short to spread over.
 */
uint64_t upload_pace_rate(uint64_t len, int64_t fill_ms, int backlog);

#endif
