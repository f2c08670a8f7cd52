/*
 * compactd's counters as JSON and as a log line (see stats.h).
 */
#include "compactd/stats.h"

#include <inttypes.h>

#include "common/log.h"

json_t *stats_json(const struct compactd_stats *s)
{
	json_t *o = json_object();
#define COMPACTD_STATS_JSON(f, doc)                                            \
	if (o && json_object_set_new(o, #f, json_integer((json_int_t)s->f)) < 0) { \
		json_decref(o);                                                \
		o = NULL;                                                      \
	}
	COMPACTD_STATS(COMPACTD_STATS_JSON)
#undef COMPACTD_STATS_JSON
	return o;
}

void stats_log_run(const struct compactd_stats *start,
		   const struct compactd_stats *now, int64_t elapsed_ms,
		   const char *error)
{
#define D(f) (now->f - start->f)
	log_info("compact: run %s in %" PRId64 " ms: %" PRIu64 " rewrites committed, %"
		 PRIu64 " refused; read %" PRIu64 " bytes, wrote %" PRIu64
		 " bytes in %" PRIu64 " objects; %" PRIu64 " objects expired, %" PRIu64
		 " retired and %" PRIu64 " orphans deleted; %" PRIu64
		 " records compacted away; %" PRIu64 " S3 requests%s%s; totals: read %"
		 PRIu64 ", wrote %" PRIu64 " bytes",
		 error ? "abandoned" : "done", elapsed_ms, D(rewrites_committed),
		 D(rewrites_refused), D(bytes_read), D(bytes_written),
		 D(objects_written), D(objects_expired), D(retired_deleted),
		 D(orphans_deleted), D(records_dropped), D(s3_requests),
		 error ? ": " : "",
		 error ? error : "", now->bytes_read, now->bytes_written);
#undef D
}
