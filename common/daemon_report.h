/*
 * What uploaderd and compactd tell brokerd with the "report" control op, so
 * that `sluicectl status` and the metrics endpoint see every daemon through
 * brokerd alone:
 *
 *   {"op":"report","daemon":"uploaderd","pid":N,"error":null|"text",
 *    "s3":{"puts":N,"gets":N,...},      object store counters (below)
 *    "stats":{"name":number,...}}       the daemon's own progress figures;
 *                                        names ending in _total only grow
 *
 * brokerd keeps the last report of each daemon (with the time it came).
 * The object store counters are a table, X(field, family, label, value,
 * help), shared by the sender and by the Prometheus rendering.
 */
#ifndef SLUICE_DAEMON_REPORT_H
#define SLUICE_DAEMON_REPORT_H

#include <jansson.h>

struct objstore;
struct objstore_stats;

#define OBJSTORE_STATS_FIELDS(X)                                               \
	X(puts, "s3_operations_total", "op", "put", "object store operations started") \
	X(gets, "s3_operations_total", "op", "get", "")                       \
	X(heads, "s3_operations_total", "op", "head", "")                     \
	X(lists, "s3_operations_total", "op", "list", "")                     \
	X(deletes, "s3_operations_total", "op", "delete", "")                 \
	X(multipart_parts, "s3_multipart_parts_total", NULL, NULL,             \
	  "parts of multipart uploads")                                       \
	X(requests, "s3_requests_total", NULL, NULL,                           \
	  "HTTP requests sent (every attempt, page, part)")                   \
	X(retries, "s3_retries_total", NULL, NULL, "HTTP requests retried")    \
	X(errors, "s3_errors_total", NULL, NULL,                               \
	  "operations that failed after their retries")                        \
	X(bytes_up, "s3_bytes_total", "direction", "up",                       \
	  "payload bytes moved by successful requests")                        \
	X(bytes_down, "s3_bytes_total", "direction", "down", "")

/* The object store's counters as a JSON object keyed by field name (a new
 * reference), or NULL without memory. */
json_t *daemon_report_s3(const struct objstore_stats *st);

/* Reads such an object back; fields missing or not integers read as 0. */
void daemon_report_s3_parse(json_t *obj, struct objstore_stats *st);

/* A "report" request for daemon: its pid, error (NULL when healthy), the
 * counters of os (may be NULL) and stats (a reference is taken; may be
 * NULL).  Returns a new reference, or NULL without memory. */
json_t *daemon_report_new(const char *daemon, const char *error,
			  const struct objstore *os, json_t *stats);

#endif
