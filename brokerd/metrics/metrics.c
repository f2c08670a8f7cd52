/*
 * The Prometheus endpoint (see metrics.h).  One evhttp server on brokerd's
 * loop; a scrape renders everything into one evbuffer (a few KiB) and
 * never blocks: every source is in memory.  Metric names: sluice_<name>,
 * with _total for counters; the helper daemons' S3 counters carry a
 * daemon label beside brokerd's own.
 */
#include "metrics.h"

#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/control/control.h"
#include "brokerd/control/control_ops.h"
#include "brokerd/metrics/histogram.h"
#include "brokerd/shm/segment.h"
#include "brokerd/upload/catalog_mirror.h"
#include "brokerd/wal/wal.h"
#include "common/counters.h"
#include "common/daemon_report.h"
#include "common/log.h"
#include "common/objstore.h"
#include "common/shm_layout.h"

#define METRICS_HOST_MAX 256
/* Daemons whose S3 counters one scrape shows: brokerd and the reporters. */
#define METRICS_SOURCES_MAX 8

static struct evhttp *metrics_http;

/* The counter table, for the exposition. */
static const struct {
	const char *name;
	int is_counter;
	const char *help;
} metrics_counters[BC__COUNT] = {
#define METRICS_COUNTER_ROW(name, kind, desc) {#name, !strcmp(#kind, "counter"), desc},
	BROKER_COUNTERS(METRICS_COUNTER_ROW)
#undef METRICS_COUNTER_ROW
};

int metrics_parse_listener(const char *spec, char *host, size_t size, int *port)
{
	if (strncmp(spec, "http://", 7) != 0)
		return -1;
	const char *h = spec + 7, *colon = strrchr(h, ':');
	if (!colon)
		return -1;
	const char *he = colon;
	if (*h == '[' && he > h && he[-1] == ']') { /* [v6addr]:port */
		h++;
		he--;
	}
	if (he == h || (size_t)(he - h) >= size)
		return -1;
	memcpy(host, h, (size_t)(he - h));
	host[he - h] = '\0';
	char *end;
	long v = strtol(colon + 1, &end, 10);
	/* a trailing "/" or "/metrics" is allowed: it is where people point
	 * their scrapers anyway */
	if (end == colon + 1 || (*end && strcmp(end, "/") && strcmp(end, "/metrics")) ||
	    v < 0 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

/* Writes the HELP and TYPE lines of a family. */
static void metrics_family(struct evbuffer *out, const char *name, const char *type,
			   const char *help)
{
	evbuffer_add_printf(out, "# HELP sluice_%s %s\n# TYPE sluice_%s %s\n", name,
			    help, name, type);
}

/* One family with one unlabelled sample. */
static void metrics_one(struct evbuffer *out, const char *name, const char *type,
			const char *help, double v)
{
	metrics_family(out, name, type, help);
	evbuffer_add_printf(out, "sluice_%s %.17g\n", name, v);
}

/* The shared-memory counters, in table order. */
static void metrics_render_counters(struct evbuffer *out)
{
	for (size_t i = 0; i < BC__COUNT; i++) {
		char name[96];
		snprintf(name, sizeof name, "%s%s", metrics_counters[i].name,
			 metrics_counters[i].is_counter ? "_total" : "");
		metrics_family(out, name, metrics_counters[i].is_counter ? "counter" : "gauge",
			       metrics_counters[i].help);
		evbuffer_add_printf(out, "sluice_%s %llu\n", name,
				    (unsigned long long)broker.counters[i]);
	}
}

/* The latency histograms (seconds, cumulative buckets). */
static void metrics_render_histograms(struct evbuffer *out)
{
	for (int id = 0; id < HISTOGRAM__COUNT; id++) {
		const struct histogram *h = histogram_get(id);
		char name[64];
		snprintf(name, sizeof name, "%s_latency_seconds", histogram_name(id));
		metrics_family(out, name, "histogram", histogram_help(id));
		uint64_t cum = 0;
		for (int b = 0; b < HISTOGRAM_BOUNDS; b++) {
			cum += h->counts[b];
			evbuffer_add_printf(out, "sluice_%s_bucket{le=\"%g\"} %llu\n", name,
					    (double)histogram_bounds_us[b] / 1e6,
					    (unsigned long long)cum);
		}
		evbuffer_add_printf(out, "sluice_%s_bucket{le=\"+Inf\"} %llu\n", name,
				    (unsigned long long)h->count);
		evbuffer_add_printf(out, "sluice_%s_sum %.6f\n", name, (double)h->sum_us / 1e6);
		evbuffer_add_printf(out, "sluice_%s_count %llu\n", name,
				    (unsigned long long)h->count);
	}
}

/* WAL use, upload lag, regions and uploaderd's cursor words. */
static void metrics_render_pipeline(struct evbuffer *out)
{
	const struct shm_region_ring *ring = shm_regions(broker.shm);
	uint64_t head = wal_head(broker.wal), trim = wal_trim(broker.wal);
	uint64_t durable = wal_durable(broker.wal), ring_bytes = wal_ring_bytes(broker.wal);
	uint64_t uploaded = ring->uploaded_end;
	metrics_one(out, "brokerd_generation", "gauge",
		    "brokerd generation (bumped at every start)", (double)broker.generation);
	metrics_one(out, "wal_used_bytes", "gauge",
		    "WAL bytes in use (head - trim); produce gets back-pressure near capacity",
		    (double)(head - trim));
	metrics_one(out, "wal_used_ratio", "gauge", "WAL bytes in use over its ring size",
		    ring_bytes ? (double)(head - trim) / (double)ring_bytes : 0.0);
	metrics_one(out, "upload_lag_bytes", "gauge",
		    "WAL bytes durable but not yet committed to object storage",
		    durable > uploaded ? (double)(durable - uploaded) : 0.0);
	metrics_one(out, "regions_sealed_total", "counter",
		    "WAL regions sealed for upload (this generation)", (double)ring->sealed);
	metrics_one(out, "regions_committed_total", "counter",
		    "sealed regions committed to the catalog (this generation)",
		    (double)ring->committed);
	metrics_one(out, "regions_waiting", "gauge", "sealed regions not yet committed",
		    (double)(ring->sealed - ring->committed));
	metrics_one(out, "catalog_mirror_pending", "gauge",
		    "catalog changes not yet copied to the bucket",
		    (double)catalog_mirror_pending());
	metrics_one(out, "uploader_attached", "gauge",
		    "uploaderd processes connected to the control socket",
		    (double)control_subscribers("regions"));
	metrics_one(out, "compactd_attached", "gauge",
		    "compactd processes connected to the control socket",
		    (double)control_subscribers("compaction"));
	metrics_one(out, "uploader_objects_total", "counter",
		    "objects uploaded and committed by uploaderd", (double)ring->uploader_objects);
	metrics_one(out, "uploader_bytes_total", "counter",
		    "object bytes uploaded by uploaderd", (double)ring->uploader_bytes);
	metrics_one(out, "uploader_errors_total", "counter",
		    "failed upload attempts (S3 or commit)", (double)ring->uploader_errors);
	metrics_one(out, "uploader_last_commit_timestamp_seconds", "gauge",
		    "wall-clock time of uploaderd's last commit (0: none yet)",
		    (double)ring->uploader_last_ok_ms / 1000.0);
}

/* Whether name can follow "sluice_<daemon>_" in a metric name. */
static int metrics_name_ok(const char *name)
{
	if (!*name)
		return 0;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return 0;
	return 1;
}

/* Object store counters of brokerd and of each daemon that reported them,
 * one family at a time (all samples of a family must be adjacent). */
static void metrics_render_s3(struct evbuffer *out, json_t *reports)
{
	const char *who[METRICS_SOURCES_MAX];
	struct objstore_stats st[METRICS_SOURCES_MAX];
	size_t n = 0;
	if (broker.objstore) {
		who[n] = "brokerd";
		objstore_get_stats(broker.objstore, &st[n++]);
	}
	const char *daemon;
	json_t *rep;
	json_object_foreach(reports, daemon, rep) {
		json_t *s3 = json_object_get(rep, "s3");
		if (!json_is_object(s3) || n == METRICS_SOURCES_MAX || !metrics_name_ok(daemon))
			continue;
		who[n] = daemon;
		daemon_report_s3_parse(s3, &st[n++]);
	}
	const char *last = "";
#define METRICS_S3_ROW(field, family, label, value, help)                      \
	if (strcmp(last, family)) {                                            \
		metrics_family(out, family, "counter", help);                  \
		last = family;                                                 \
	}                                                                      \
	for (size_t i = 0; i < n; i++) {                                       \
		const char *lab = label;                                       \
		if (lab)                                                       \
			evbuffer_add_printf(out, "sluice_%s{daemon=\"%s\",%s=\"%s\"} %llu\n", \
					    family, who[i], lab, (const char *)value, \
					    (unsigned long long)st[i].field);   \
		else                                                           \
			evbuffer_add_printf(out, "sluice_%s{daemon=\"%s\"} %llu\n", \
					    family, who[i],                     \
					    (unsigned long long)st[i].field);   \
	}
	OBJSTORE_STATS_FIELDS(METRICS_S3_ROW)
#undef METRICS_S3_ROW
}

/* The helper daemons' reports: age, error state, and their own figures
 * (compactd's compaction progress) as sluice_<daemon>_<name>. */
static void metrics_render_reports(struct evbuffer *out, json_t *reports)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	const char *daemon, *key;
	json_t *rep, *v;
	metrics_family(out, "daemon_report_age_seconds", "gauge",
		       "seconds since the daemon's last report to brokerd");
	json_object_foreach(reports, daemon, rep)
		if (metrics_name_ok(daemon))
			evbuffer_add_printf(out, "sluice_daemon_report_age_seconds{daemon=\"%s\"} %.3f\n",
					    daemon,
					    now - (double)json_integer_value(json_object_get(rep, "at_ms")) / 1000.0);
	metrics_family(out, "daemon_error", "gauge",
		       "1 when the daemon's last report carried an error");
	json_object_foreach(reports, daemon, rep)
		if (metrics_name_ok(daemon))
			evbuffer_add_printf(out, "sluice_daemon_error{daemon=\"%s\"} %d\n", daemon,
					    json_is_string(json_object_get(rep, "last_error")));
	json_object_foreach(reports, daemon, rep) {
		if (!metrics_name_ok(daemon))
			continue;
		json_object_foreach(json_object_get(rep, "stats"), key, v) {
			if (!json_is_number(v) || !metrics_name_ok(key))
				continue;
			size_t len = strlen(key);
			int total = len > 6 && !strcmp(key + len - 6, "_total");
			char name[160], help[96];
			snprintf(name, sizeof name, "%s_%s", daemon, key);
			snprintf(help, sizeof help, "as last reported by %s", daemon);
			/* only a _total name says it never goes down */
			metrics_one(out, name, total ? "counter" : "untyped", help,
				    json_number_value(v));
		}
	}
}

void metrics_render(struct evbuffer *out)
{
	json_t *reports = control_ops_reports();
	metrics_render_counters(out);
	metrics_render_histograms(out);
	metrics_render_pipeline(out);
	metrics_render_s3(out, reports);
	metrics_render_reports(out, reports);
}

/* evhttp: any request.  GET or HEAD /metrics gets the exposition. */
static void metrics_on_request(struct evhttp_request *r, void *arg)
{
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(r));
	enum evhttp_cmd_type cmd = evhttp_request_get_command(r);
	struct evbuffer *body = evbuffer_new();
	if (!body) {
		evhttp_send_error(r, HTTP_INTERNAL, NULL);
		return;
	}
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(r);
	if (!path || strcmp(path, "/metrics")) {
		evbuffer_add_printf(body, "Sluice brokerd: the metrics are at /metrics\n");
		evhttp_add_header(hdr, "Content-Type", "text/plain; charset=utf-8");
		evhttp_send_reply(r, HTTP_NOTFOUND, "Not Found", body);
	} else if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_send_reply(r, HTTP_BADMETHOD, "Method Not Allowed", body);
	} else {
		metrics_render(body);
		evhttp_add_header(hdr, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
		evhttp_send_reply(r, HTTP_OK, "OK", body);
	}
	evbuffer_free(body);
}

int metrics_start(struct event_base *base, const char *listener)
{
	char host[METRICS_HOST_MAX];
	int port;
	if (!listener || !*listener)
		return 0;
	if (metrics_parse_listener(listener, host, sizeof host, &port) < 0) {
		log_error("metrics.listener: '%s' is not http://host:port", listener);
		return -1;
	}
	metrics_http = evhttp_new(base);
	if (!metrics_http)
		return -1;
	evhttp_set_allowed_methods(metrics_http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
							 EVHTTP_REQ_POST | EVHTTP_REQ_PUT);
	evhttp_set_gencb(metrics_http, metrics_on_request, NULL);
	struct evhttp_bound_socket *bound =
		evhttp_bind_socket_with_handle(metrics_http, host, (ev_uint16_t)port);
	if (!bound) {
		log_error("metrics.listener %s: cannot listen on %s port %d", listener, host,
			  port);
		metrics_stop();
		return -1;
	}
	/* port 0 takes any free port: say which */
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&ss, &sl) == 0)
		port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						      : ((struct sockaddr_in *)&ss)->sin_port);
	log_info("metrics: Prometheus endpoint at http://%s%s%s:%d/metrics",
		 strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", port);
	return 0;
}

void metrics_stop(void)
{
	if (metrics_http)
		evhttp_free(metrics_http);
	metrics_http = NULL;
}
