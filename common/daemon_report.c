/*
 * Building and reading the helper daemons' reports to brokerd (see
 * daemon_report.h).  Pure functions over jansson values.
 */
#include "daemon_report.h"

#include <unistd.h>

#include "common/objstore.h"

json_t *daemon_report_s3(const struct objstore_stats *st)
{
	json_t *obj = json_object();
	if (!obj)
		return NULL;
#define REPORT_S3_SET(field, family, label, value, help)                       \
	json_object_set_new(obj, #field, json_integer((json_int_t)st->field));
	OBJSTORE_STATS_FIELDS(REPORT_S3_SET)
#undef REPORT_S3_SET
	return obj;
}

void daemon_report_s3_parse(json_t *obj, struct objstore_stats *st)
{
	json_t *v;
#define REPORT_S3_GET(field, family, label, value, help)                       \
	v = json_object_get(obj, #field);                                      \
	st->field = json_is_integer(v) && json_integer_value(v) > 0            \
			    ? (uint64_t)json_integer_value(v)                  \
			    : 0;
	OBJSTORE_STATS_FIELDS(REPORT_S3_GET)
#undef REPORT_S3_GET
}

json_t *daemon_report_new(const char *daemon, const char *error,
			  const struct objstore *os, json_t *stats)
{
	json_t *req = json_pack("{s:s, s:s, s:I, s:s?}", "op", "report", "daemon",
				daemon, "pid", (json_int_t)getpid(), "error", error);
	if (!req) {
		json_decref(stats);
		return NULL;
	}
	if (os) {
		struct objstore_stats st;
		objstore_get_stats(os, &st);
		json_object_set_new(req, "s3", daemon_report_s3(&st));
	}
	if (stats)
		json_object_set_new(req, "stats", stats);
	return req;
}
