/*
 * brokerd's Prometheus endpoint: with metrics.listener set (for example
 * http://127.0.0.1:9644), GET /metrics answers in the text exposition
 * format (version 0.0.4).  Every value is read when the request comes:
 * the shared-memory counters (common/counters.h says counter or gauge),
 * the latency histograms, the WAL and region ring (use, upload lag),
 * brokerd's object store counters, and what uploaderd and compactd last
 * reported (their S3 counters, errors, progress).  Served by libevent's
 * evhttp on brokerd's loop.  Event-loop thread only.
 */
#ifndef SLUICE_METRICS_H
#define SLUICE_METRICS_H

#include <stddef.h>

struct event_base;
struct evbuffer;

/* Listens on listener ("http://host:port"; "" means off; port 0 takes any
 * free port, which the log names).  Returns 0, or -1 after logging (bad
 * address, port in use). */
int metrics_start(struct event_base *base, const char *listener);
void metrics_stop(void);

/* Appends the whole exposition to out (cut short if memory runs out). */
void metrics_render(struct evbuffer *out);

/* Parses "http://host:port" into host (NUL-terminated, at most size bytes)
 * and port.  Returns 0 or -1. */
int metrics_parse_listener(const char *spec, char *host, size_t size, int *port);

#endif
