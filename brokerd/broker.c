/*
 * brokerd's module lifecycle (see broker.h).  Start-up order: data
 * directory, catalog (and the new generation), shared memory, partition
 * table (offsets committed to S3 come from the catalog), the producer
 * state snapshot, WAL open and recovery (the rest of every partition and
 * of its producer state; then a new snapshot of all of it), object store
 * and block cache, WAL I/O thread, region sealing, group coordinator
 * (committed offsets loaded before anyone can ask), transaction
 * coordinator (prepared transactions finished), control socket, retention
 * timer, fetch wake-ups, metrics endpoint, listeners; then readiness.
 * Finish runs the reverse.
 *
 * A graceful stop (SIGTERM) stops accepting and reading requests, answers
 * the ones already read (waiting fetches at once, produces when the WAL has
 * them), writes those answers out, then seals the last region and gives
 * uploaderd (if attached) and the catalog's copy in the bucket a chance to
 * catch up, all within shutdown.timeout.ms.  Whatever is left is safe: the
 * WAL is durable and the next start replays it.
 */
#include "broker.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/event.h>

#include "brokerd/catalog/catalog.h"
#include "brokerd/cold/block_cache.h"
#include "brokerd/compaction/object_index.h"
#include "brokerd/compaction/retention.h"
#include "brokerd/control/control.h"
#include "brokerd/dynconfig.h"
#include "brokerd/groups/groups.h"
#include "brokerd/handlers/fetch.h"
#include "brokerd/metrics/metrics.h"
#include "brokerd/partition/durable.h"
#include "brokerd/partition/log_append.h"
#include "brokerd/partition/partition.h"
#include "brokerd/partition/producer_state.h"
#include "brokerd/partition/record_batch.h"
#include "brokerd/server/conn.h"
#include "brokerd/server/listener.h"
#include "brokerd/shm/segment.h"
#include "brokerd/txn/producer_snapshot.h"
#include "brokerd/txn/txn_coordinator.h"
#include "brokerd/upload/catalog_mirror.h"
#include "brokerd/upload/regions.h"
#include "brokerd/wal/wal.h"
#include "common/bytes.h"
#include "common/counters.h"
#include "common/daemon.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/objstore_config.h"

#include <time.h>

#define BROKER_STOP_POLL_MS 20

struct broker broker;

/* The graceful stop: drain (answers out, WAL durable), then publish (last
 * region sealed, uploads and the bucket's catalog copy caught up). */
enum broker_stop_stage { BROKER_STOP_DRAIN, BROKER_STOP_PUBLISH };

static struct event *stop_poll;
static enum broker_stop_stage stop_stage;
static int64_t stop_started_ms;
static uint64_t stop_sealed_end; /* what uploads should reach */

void broker_replay_batch(void *arg, const struct wal_batch *b)
{
	uint64_t *skipped = arg;
	struct partition *p = partition_by_stream(broker.partitions, b->stream_id);
	if (!p) { /* the topic was deleted */
		(*skipped)++;
		return;
	}
	/* the producer snapshot holds what came before its position, even
	 * batches already in S3 */
	if (b->batch_pos >= producer_snapshot_replay_from() &&
	    b->batch_len >= RB_HEADER_BYTES &&
	    producer_state_apply(&p->producers, b->bytes, b->batch_len,
				 b->batch_pos + b->batch_len, log_append_now_ms()) < 0)
		log_fatal("wal recovery: out of memory");
	if (b->base_offset < p->next_offset &&
	    b->base_offset + b->record_count <= p->next_offset) {
		/* already committed to S3 (brokerd stopped between the
		 * catalog commit and the trim) */
		(*skipped)++;
		return;
	}
	if (b->batch_len < RB_HEADER_BYTES || b->record_count == 0 ||
	    b->base_offset != p->next_offset) {
		log_panic("wal: batch at %llu for stream %llu has offset %lld, expected %lld",
			  (unsigned long long)b->batch_pos,
			  (unsigned long long)b->stream_id, (long long)b->base_offset,
			  (long long)p->next_offset);
	}
	struct batch_entry e = {
		.base_offset = b->base_offset,
		.last_offset = b->base_offset + b->record_count - 1,
		.max_timestamp = (int64_t)be64_get(b->bytes + RB_OFF_MAX_TIMESTAMP),
		.wal_pos = b->batch_pos,
		.len = b->batch_len,
		.attributes = be16_get(b->bytes + RB_OFF_ATTRIBUTES),
	};
	if (partition_append(p, &e) < 0)
		log_fatal("wal recovery: out of memory");
	p->high_watermark = p->next_offset;
}

/* Whether dir already holds a catalog (snapshot or journal). */
static int broker_has_catalog(const char *dir)
{
	char path[4096];
	struct stat st;
	snprintf(path, sizeof path, "%s/catalog.snapshot", dir);
	if (stat(path, &st) == 0)
		return 1;
	snprintf(path, sizeof path, "%s/catalog.journal", dir);
	return stat(path, &st) == 0 && st.st_size > 0;
}

/* Creates the data directory if it is missing. */
static int broker_make_data_dir(const char *dir)
{
	if (mkdir(dir, 0750) == 0 || errno == EEXIST)
		return 0;
	log_error("data.dir %s: %s", dir, strerror(errno));
	return -1;
}

int broker_start(struct event_base *base, void *values)
{
	struct broker_config *cfg = values;
	memset(&broker, 0, sizeof broker);
	broker.cfg = cfg;
	broker.base = base;

	if (broker_make_data_dir(cfg->data_dir) < 0)
		return -1;
	struct objstore_options oo;
	objstore_options_from_config(cfg, &oo);
	int rebuilt = 0;
	if (cfg->catalog_recover_from_bucket && !broker_has_catalog(cfg->data_dir)) {
		int rc = catalog_mirror_restore(&oo, cfg->data_dir);
		if (rc && rc != SL_ENOENT)
			return -1;
		rebuilt = rc == 0;
	}
	if (catalog_open(cfg->data_dir, &broker.catalog) < 0 ||
	    catalog_bump_generation(broker.catalog, &broker.generation) < 0)
		return -1;
	/* broker config overrides set through AlterConfigs win over the file */
	if (dynconfig_start(cfg) < 0)
		return -1;
	if (shm_segment_create(cfg->shm_name, (uint32_t)cfg->node_id,
			       broker.generation, (uint64_t)cfg->cache_bytes,
			       &broker.shm) < 0)
		return -1;
	broker.counters = shm_counters(broker.shm);

	broker.partitions = partition_table_new();
	if (!broker.partitions)
		return -1;
	size_t ntopics = catalog_topic_count(broker.catalog), nparts = 0;
	for (size_t i = 0; i < ntopics; i++) {
		const struct topic *t = catalog_topic_at(broker.catalog, i);
		if (partition_table_add_topic(broker.partitions, t) < 0)
			return -1;
		for (int32_t k = 0; k < t->partition_count; k++) {
			uint64_t id = topic_stream_id(t, k);
			struct partition *p = partition_by_stream(broker.partitions, id);
			p->next_offset = p->high_watermark =
				catalog_stream_end(broker.catalog, id);
			p->log_start = catalog_stream_log_start(broker.catalog, id);
		}
		nparts += (size_t)t->partition_count;
	}
	COUNTER_SET(topics, ntopics);
	COUNTER_SET(partitions, nparts);

	if (producer_snapshot_load(cfg->data_dir) < 0)
		return -1;

	struct wal_options wo = {
		.path = cfg->wal_path,
		.capacity = (uint64_t)cfg->wal_capacity_bytes,
		.node_id = (uint32_t)cfg->node_id,
		.epoch = broker.generation,
		.max_block_bytes = (size_t)cfg->wal_block_max_bytes,
		/* a WAL made after a rebuild continues where uploads ended */
		.initial_trim = rebuilt ? catalog_uploaded_end(broker.catalog) : 0,
	};
	if (wal_open(&wo, &broker.wal) < 0)
		return -1;
	uint64_t skipped = 0;
	if (wal_recover(broker.wal, broker_replay_batch, &skipped) < 0)
		return -1;
	/* everything recovered is durable: a snapshot of it lets the trim
	 * move to what S3 holds */
	if (producer_snapshot_write_now(cfg->data_dir, wal_head(broker.wal)) < 0)
		return -1;
	uint64_t uploaded = catalog_uploaded_end(broker.catalog);
	if (uploaded > wal_trim(broker.wal) && wal_set_trim(broker.wal, uploaded) < 0)
		return -1;
	log_info("wal: recovered [%llu, %llu) of %llu bytes; %llu batches skipped (deleted topics, already in S3)",
		 (unsigned long long)wal_trim(broker.wal),
		 (unsigned long long)wal_head(broker.wal),
		 (unsigned long long)wal_ring_bytes(broker.wal),
		 (unsigned long long)skipped);
	COUNTER_SET(wal_capacity, wal_ring_bytes(broker.wal));
	COUNTER_SET(wal_trim, wal_trim(broker.wal));
	COUNTER_SET(wal_head, wal_head(broker.wal));
	COUNTER_SET(wal_durable, wal_durable(broker.wal));
	char err[512];
	if (objstore_open(base, &oo, &broker.objstore, err, sizeof err) < 0) {
		log_error("object.store %s: %s", cfg->object_store, err);
		return -1;
	}
	if (catalog_mirror_start(broker.objstore, broker.catalog) < 0)
		return -1;
	block_cache_start(broker.objstore, (uint64_t)cfg->block_cache_bytes, fetch_wake_all);
	if (wal_start(broker.wal, base, durable_on_wal, NULL) < 0)
		return -1;
	wal_set_memory(broker.wal, durable_lend, NULL);
	if (regions_start(base, uploaded > wal_trim(broker.wal) ? uploaded : wal_trim(broker.wal)) < 0)
		return -1;
	regions_on_durable(wal_durable(broker.wal));
	if (groups_start(base, cfg->data_dir) < 0)
		return -1;
	if (txn_start(base, cfg->data_dir) < 0)
		return -1;
	if (control_start(base, cfg->control_socket) < 0)
		return -1;
	if (retention_start(base) < 0)
		return -1;
	fetch_init();
	/* before the Kafka port opens: a start that fails never looked up */
	if (metrics_start(base, cfg->metrics_listener) < 0)
		return -1;
	if (listener_start(base, cfg->listeners, &broker.listener) < 0)
		return -1;
	daemon_ready();
	return 0;
}

/* Monotonic milliseconds. */
static int64_t broker_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether uploads have reached the last sealed region (or nobody uploads). */
static int broker_stop_uploaded(void)
{
	return shm_regions(broker.shm)->uploaded_end >= stop_sealed_end ||
	       control_subscribers("regions") == 0;
}

/* Logs what a graceful stop leaves undone when its time is up. */
static void broker_stop_give_up(void)
{
	log_warn("stop: shutdown.timeout.ms (%lld) passed: %s%s%s%s; the next start "
		 "replays the WAL",
		 (long long)broker.cfg->shutdown_timeout_ms,
		 wal_durable(broker.wal) < wal_head(broker.wal) ? "WAL not all durable, " : "",
		 conn_output_pending() ? "answers not all written, " : "",
		 catalog_mirror_pending() ? "catalog copy in the bucket behind, " : "",
		 broker_stop_uploaded() ? "exiting" : "last region not uploaded, exiting");
	daemon_stop_done();
}

/* The graceful stop's poll: drain, seal, publish, then end the loop. */
static void broker_on_stop_poll(evutil_socket_t fd, short what, void *arg)
{
	int late = broker_now_ms() - stop_started_ms >= broker.cfg->shutdown_timeout_ms;
	if (stop_stage == BROKER_STOP_DRAIN) {
		wal_flush(broker.wal);
		if (wal_durable(broker.wal) < wal_head(broker.wal) || conn_output_pending()) {
			if (late) {
				broker_stop_give_up();
				return;
			}
		} else {
			/* every answer is out: publish what the WAL holds */
			regions_seal_now();
			stop_sealed_end = wal_durable(broker.wal);
			stop_stage = BROKER_STOP_PUBLISH;
		}
	}
	if (stop_stage == BROKER_STOP_PUBLISH) {
		if (catalog_mirror_pending() == 0 && broker_stop_uploaded()) {
			log_info("stop: WAL durable up to %llu, uploaded up to %llu, in %lld ms",
				 (unsigned long long)wal_durable(broker.wal),
				 (unsigned long long)shm_regions(broker.shm)->uploaded_end,
				 (long long)(broker_now_ms() - stop_started_ms));
			daemon_stop_done();
			return;
		}
		if (late) {
			broker_stop_give_up();
			return;
		}
	}
	struct timeval tv = {0, BROKER_STOP_POLL_MS * 1000};
	evtimer_add(stop_poll, &tv);
}

void broker_stop(void)
{
	broker.stopping = 1;
	stop_started_ms = broker_now_ms();
	stop_stage = BROKER_STOP_DRAIN;
	listener_stop(broker.listener);
	broker.listener = NULL;
	metrics_stop();
	conn_stop_reading_all();
	/* long polls answer now with what they have */
	fetch_wake_all();
	wal_flush(broker.wal);
	stop_poll = evtimer_new(broker.base, broker_on_stop_poll, NULL);
	struct timeval tv = {0, 0};
	evtimer_add(stop_poll, &tv);
}

void broker_finish(void)
{
	metrics_stop();
	listener_stop(broker.listener);
	conn_close_all();
	retention_stop();
	control_stop();
	txn_finish();
	groups_finish();
	regions_stop();
	if (broker.wal)
		wal_close(broker.wal);
	durable_shutdown();
	block_cache_stop();
	catalog_mirror_stop();
	if (broker.objstore)
		objstore_close(broker.objstore);
	if (stop_poll)
		event_free(stop_poll);
	producer_snapshot_reset();
	partition_table_free(broker.partitions);
	shm_segment_destroy(broker.shm);
	dynconfig_finish();
	/* keyed on the catalog's address: a later catalog may get it */
	object_index_drop();
	if (broker.catalog)
		catalog_close(broker.catalog);
	memset(&broker, 0, sizeof broker);
}

void broker_reload(void *values)
{
	struct broker_config *fresh = values;
	/* keys set through AlterConfigs keep their values over the file's */
	dynconfig_reload(fresh);
	/* every reloadable key is read where it is used (broker.cfg), so
	 * moving the values in is all a reload needs; the skeleton has
	 * checked them and applies log.level */
	config_reload(broker_config_table, broker_config_count, broker.cfg, fresh,
		      "brokerd");
}
