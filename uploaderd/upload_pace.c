/*
 * upload.pace: the send rate of one region's PUT (see upload_pace.h).
 */
#include "uploaderd/upload_pace.h"

uint64_t upload_pace_rate(uint64_t len, int64_t fill_ms, int backlog)
{
	if (backlog || len < UPLOAD_PACE_MIN_BYTES || fill_ms <= 0)
		return 0;
	/* three quarters of the fill time: the upload is done before the
	 * next region is sealed unless the load rises by a third meanwhile,
	 * and then that region finds a backlog and goes at full speed */
	int64_t ms = fill_ms * 3 / 4;
	if (ms > UPLOAD_PACE_MAX_MS)
		ms = UPLOAD_PACE_MAX_MS;
	if (ms < UPLOAD_PACE_MIN_MS)
		return 0;
	return len * 1000 / (uint64_t)ms;
}
