/*
 * Pacing of compactd's S3 traffic: a token bucket over bytes read and
 * written, filled at compaction.bytes.per.sec with one second of burst, so
 * compaction cannot take the network or the bucket's request rate from
 * produce, uploads and fetches.  The bucket may go into debt: a transfer
 * larger than what is saved starts after the wait pace_delay returns, and
 * the next one waits for the debt to be paid.  Pure; the caller passes the
 * time and does the waiting.  Within a transfer, bytes also move at no
 * more than the rate (pace_bytes_per_sec: a PUT at the rate, the GETs in
 * flight sharing it), so an object does not cross the network as one
 * burst: a store on the broker's machine or disks would make produce
 * wait behind it.
 */
#ifndef SLUICE_COMPACTD_PACE_H
#define SLUICE_COMPACTD_PACE_H

#include <stdint.h>

struct pace {
	double rate;    /* bytes per millisecond */
	double burst;   /* most bytes saved up */
	double tokens;  /* may be negative (debt) */
	int64_t last_ms;
};

/* A bucket at bytes_per_sec (> 0), full at now_ms. */
void pace_init(struct pace *p, int64_t bytes_per_sec, int64_t now_ms);

/* Books a transfer of bytes at now_ms: returns how many milliseconds to
 * wait before starting it (0: at once). */
int64_t pace_delay(struct pace *p, uint64_t bytes, int64_t now_ms);

/* The bucket's rate in bytes per second. */
uint64_t pace_bytes_per_sec(const struct pace *p);

#endif
