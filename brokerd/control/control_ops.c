/*
 * General control operations: hello (who brokerd is: generation, WAL,
 * shared memory, what is uploaded), status, subscribe (to "regions" for
 * uploaderd, "compaction" for compactd).
 */
#include "control_ops.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "autoconfig.h"

#include "brokerd/broker.h"
#include "brokerd/catalog/catalog.h"
#include "brokerd/shm/segment.h"
#include "brokerd/wal/wal.h"
#include "common/counters.h"
#include "common/daemon_report.h"
#include "common/objstore.h"
#include "common/shm_layout.h"

/* What the helper daemons last reported (common/daemon_report.h: error,
 * pid, object store counters, progress), for status and the metrics. */
static json_t *control_reports;

static const struct {
	const char *name;
	control_op_fn fn;
} control_op_table[] = {
#define CONTROL_OP_ROW(name, fn) {name, fn},
	CONTROL_OPS(CONTROL_OP_ROW)
#undef CONTROL_OP_ROW
};

control_op_fn control_ops_find(const char *op)
{
	for (size_t i = 0; i < sizeof control_op_table / sizeof control_op_table[0]; i++)
		if (!strcmp(control_op_table[i].name, op))
			return control_op_table[i].fn;
	return NULL;
}

json_t *control_op_hello(struct control_conn *cc, json_t *req)
{
	return json_pack("{s:b, s:I, s:I, s:I, s:s, s:s, s:I, s:I, s:I}", "ok", 1,
			 "generation", (json_int_t)broker.generation,
			 "node_id", (json_int_t)broker.cfg->node_id,
			 "pid", (json_int_t)getpid(),
			 "wal_path", broker.cfg->wal_path,
			 "shm_name", broker.cfg->shm_name,
			 "uploaded_end", (json_int_t)catalog_uploaded_end(broker.catalog),
			 "wal_trim", (json_int_t)wal_trim(broker.wal),
			 "wal_ring_bytes", (json_int_t)wal_ring_bytes(broker.wal));
}

json_t *control_ops_reports(void)
{
	return control_reports;
}

json_t *control_op_report(struct control_conn *cc, json_t *req)
{
	const char *daemon = json_string_value(json_object_get(req, "daemon"));
	json_t *error = json_object_get(req, "error");
	if (!daemon || (!json_is_string(error) && !json_is_null(error)))
		return control_error("report: needs daemon and error");
	if (!control_reports)
		control_reports = json_object();
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* everything the daemon sent (pid, s3, stats), as it sent it */
	json_t *rep = json_deep_copy(req);
	if (!rep)
		return control_error("report: out of memory");
	json_object_del(rep, "op");
	json_object_del(rep, "error");
	json_object_set(rep, "last_error", error);
	json_object_set_new(rep, "at_ms",
			    json_integer((json_int_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000));
	json_object_set_new(control_reports, daemon, rep);
	return json_pack("{s:b}", "ok", 1);
}

json_t *control_op_status(struct control_conn *cc, json_t *req)
{
	struct shm_region_ring *ring = shm_regions(broker.shm);
	json_t *status = json_pack("{s:b, s:I, s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I}, s:I}",
			 "ok", 1, "generation", (json_int_t)broker.generation,
			 "wal", "head", (json_int_t)wal_head(broker.wal),
			 "durable", (json_int_t)wal_durable(broker.wal),
			 "trim", (json_int_t)wal_trim(broker.wal),
			 "ring_bytes", (json_int_t)wal_ring_bytes(broker.wal),
			 "regions", "sealed", (json_int_t)ring->sealed,
			 "committed", (json_int_t)ring->committed,
			 "uploaded_end", (json_int_t)ring->uploaded_end,
			 "topics", (json_int_t)catalog_topic_count(broker.catalog));
	json_object_set_new(status, "uploader",
			    json_pack("{s:I, s:I, s:I, s:I, s:I, s:i}", "pid",
				      (json_int_t)ring->uploader_pid, "objects",
				      (json_int_t)ring->uploader_objects, "bytes",
				      (json_int_t)ring->uploader_bytes, "errors",
				      (json_int_t)ring->uploader_errors, "last_ok_ms",
				      (json_int_t)ring->uploader_last_ok_ms, "attached",
				      control_subscribers("regions")));
	json_object_set_new(status, "compactd",
			    json_pack("{s:i}", "attached", control_subscribers("compaction")));
	/* who brokerd is, for `sluicectl status` */
	json_object_set_new(status, "pid", json_integer((json_int_t)getpid()));
	json_object_set_new(status, "node_id", json_integer((json_int_t)broker.cfg->node_id));
	json_object_set_new(status, "version", json_string(PACKAGE_VERSION));
	json_object_set_new(status, "stopping", json_boolean(broker.stopping));
	json_object_set_new(status, "connections",
			    json_integer((json_int_t)broker.counters[BC_connections_open]));
	json_object_set_new(json_object_get(status, "wal"), "path",
			json_string(broker.cfg->wal_path));
	if (broker.objstore) {
		struct objstore_stats st;
		objstore_get_stats(broker.objstore, &st);
		const char *last = objstore_last_error(broker.objstore);
		json_object_set_new(status, "objstore",
				    json_pack("{s:s, s:s, s:s?, s:o}", "backend",
					      objstore_backend_name(broker.objstore),
					      "url", broker.cfg->object_store, "last_error",
					      *last ? last : NULL, "s3", daemon_report_s3(&st)));
	}
	json_object_set_new(status, "reports", control_reports ? json_incref(control_reports)
							       : json_object());
	return status;
}

json_t *control_op_subscribe(struct control_conn *cc, json_t *req)
{
	const char *topic = json_string_value(json_object_get(req, "topic"));
	if (!topic || (strcmp(topic, "regions") && strcmp(topic, "compaction")))
		return control_error("subscribe: unknown topic");
	control_subscribe(cc, topic);
	return json_pack("{s:b}", "ok", 1);
}
