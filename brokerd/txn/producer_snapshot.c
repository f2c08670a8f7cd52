/*
 * Producer state snapshots (see producer_snapshot.h): the file format,
 * loading at start, and the snapshot taken before the WAL trim moves.
 *
 * Ownership: the module keeps the covered trim point and the callback of
 * a trim waiting for a snapshot; images are freed by the writer.
 * Threading: event loop; the write itself runs on the transaction log's
 * thread.  Durable: producers.snapshot.
 */
#include "brokerd/txn/producer_snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>

#include "brokerd/broker.h"
#include "brokerd/partition/durable.h"
#include "brokerd/partition/log_append.h"
#include "brokerd/partition/partition.h"
#include "brokerd/partition/producer_state.h"
#include "brokerd/txn/txn_log.h"
#include "brokerd/wal/wal.h"
#include "common/byte_buf.h"
#include "common/byte_reader.h"
#include "common/bytes.h"
#include "common/counters.h"
#include "common/crc32c.h"
#include "common/durable_file.h"
#include "common/errors.h"
#include "common/log.h"

#define PRODUCER_SNAPSHOT_FILE "producers.snapshot"
/* Bytes of one encoded batch and producer (before its batches). */
#define PS_BATCH_BYTES (4 + 4 + 8 + 8 + 8)
#define PS_ENTRY_BYTES (8 + 2 + 8 + 8 + 1)
#define PS_ABORTED_BYTES 24

static struct {
	struct txn_log *log;
	uint64_t replay_from;  /* pos of the loaded snapshot */
	uint64_t covered;      /* trim the snapshot on disk allows */
	uint64_t want;         /* largest trim asked for */
	void (*trim_fn)(uint64_t limit);
	int busy;              /* a snapshot is on its way to disk */
	uint64_t busy_pos, busy_trim;
	uint8_t *busy_image;
	size_t busy_len;
	uint64_t written;
} ps;

/* ---- encoding ---- */

/* Counts what the encoder walks over. */
struct ps_encode {
	struct byte_buf buf;
	uint32_t partitions;
};

/* Appends one partition's producers and aborted transactions. */
static void ps_encode_partition(void *arg, struct partition *part)
{
	struct ps_encode *enc = arg;
	const struct producer_state *s = part->producers;
	if (!s || (!s->count && !s->aborted_count))
		return;
	uint8_t *h = byte_buf_grow(&enc->buf, 16);
	if (!h)
		return;
	be64_put(h, part->stream_id);
	be32_put(h + 8, (uint32_t)s->count);
	be32_put(h + 12, (uint32_t)s->aborted_count);
	for (size_t i = 0; i < s->count; i++) {
		const struct producer_entry *e = &s->entries[i];
		uint8_t *p = byte_buf_grow(&enc->buf, PS_ENTRY_BYTES + e->count * PS_BATCH_BYTES);
		if (!p)
			return;
		be64_put(p, (uint64_t)e->producer_id);
		be16_put(p + 8, (uint16_t)e->epoch);
		be64_put(p + 10, (uint64_t)e->txn_first_offset);
		be64_put(p + 18, (uint64_t)e->last_ms);
		p[26] = e->count;
		p += PS_ENTRY_BYTES;
		for (int k = 0; k < e->count; k++, p += PS_BATCH_BYTES) {
			const struct producer_batch *b = &e->batches[k];
			be32_put(p, (uint32_t)b->first_seq);
			be32_put(p + 4, (uint32_t)b->last_seq);
			be64_put(p + 8, (uint64_t)b->first_offset);
			be64_put(p + 16, (uint64_t)b->last_offset);
			be64_put(p + 24, b->wal_end);
		}
	}
	for (size_t i = 0; i < s->aborted_count; i++) {
		uint8_t *p = byte_buf_grow(&enc->buf, PS_ABORTED_BYTES);
		if (!p)
			return;
		be64_put(p, (uint64_t)s->aborted[i].producer_id);
		be64_put(p + 8, (uint64_t)s->aborted[i].first_offset);
		be64_put(p + 16, (uint64_t)s->aborted[i].last_offset);
	}
	enc->partitions++;
}

int producer_snapshot_encode(struct partition_table *pt, uint64_t pos,
			     uint64_t trim, uint8_t **image, size_t *len)
{
	struct ps_encode enc = {{0}, 0};
	byte_buf_grow(&enc.buf, PRODUCER_SNAPSHOT_HEADER_BYTES + 4);
	partition_table_each(pt, ps_encode_partition, &enc);
	if (enc.buf.err) {
		byte_buf_free(&enc.buf);
		return SL_ENOMEM;
	}
	uint8_t *h = enc.buf.data;
	size_t content = enc.buf.len - PRODUCER_SNAPSHOT_HEADER_BYTES;
	be32_put(h + PRODUCER_SNAPSHOT_HEADER_BYTES, enc.partitions);
	be32_put(h, PRODUCER_SNAPSHOT_MAGIC);
	be16_put(h + 4, PRODUCER_SNAPSHOT_VERSION);
	be16_put(h + 6, 0);
	be64_put(h + 8, pos);
	be64_put(h + 16, trim);
	be64_put(h + 24, content);
	be32_put(h + 32, crc32c(h + PRODUCER_SNAPSHOT_HEADER_BYTES, content));
	be32_put(h + 36, crc32c(h, 36));
	*image = enc.buf.data;
	*len = enc.buf.len;
	return 0;
}

/* ---- decoding ---- */

/* Reads one partition's section into part (NULL: a stream that is gone,
 * read and dropped). */
static int ps_decode_partition(struct byte_reader *r, struct partition *part,
			       uint32_t entries, uint32_t aborted)
{
	for (uint32_t i = 0; i < entries; i++) {
		struct producer_entry e = {0};
		e.producer_id = (int64_t)byte_reader_be64(r);
		e.epoch = (int16_t)byte_reader_be16(r);
		e.txn_first_offset = (int64_t)byte_reader_be64(r);
		e.last_ms = (int64_t)byte_reader_be64(r);
		e.count = byte_reader_u8(r);
		if (r->err || e.count > PRODUCER_BATCHES_KEPT)
			return SL_ECORRUPT;
		for (int k = 0; k < e.count; k++) {
			struct producer_batch *b = &e.batches[k];
			b->first_seq = (int32_t)byte_reader_be32(r);
			b->last_seq = (int32_t)byte_reader_be32(r);
			b->first_offset = (int64_t)byte_reader_be64(r);
			b->last_offset = (int64_t)byte_reader_be64(r);
			b->wal_end = byte_reader_be64(r);
		}
		if (r->err)
			return SL_ECORRUPT;
		if (part && producer_state_put(&part->producers, &e))
			return SL_ENOMEM;
	}
	for (uint32_t i = 0; i < aborted; i++) {
		struct aborted_txn a;
		a.producer_id = (int64_t)byte_reader_be64(r);
		a.first_offset = (int64_t)byte_reader_be64(r);
		a.last_offset = (int64_t)byte_reader_be64(r);
		if (r->err)
			return SL_ECORRUPT;
		if (part && producer_state_put_aborted(&part->producers, &a))
			return SL_ENOMEM;
	}
	return 0;
}

int producer_snapshot_decode(struct partition_table *pt, const uint8_t *image,
			     size_t len, uint64_t *pos, uint64_t *trim,
			     const char **why)
{
	*why = NULL;
	if (len < PRODUCER_SNAPSHOT_HEADER_BYTES + 4)
		*why = "shorter than its header";
	else if (be32_get(image) != PRODUCER_SNAPSHOT_MAGIC)
		*why = "bad magic";
	else if (be32_get(image + 36) != crc32c(image, 36))
		*why = "bad header CRC";
	else if (be16_get(image + 4) != PRODUCER_SNAPSHOT_VERSION)
		*why = "unsupported format version";
	else if (be64_get(image + 24) != len - PRODUCER_SNAPSHOT_HEADER_BYTES)
		*why = "length does not match the file size";
	else if (be32_get(image + 32) != crc32c(image + PRODUCER_SNAPSHOT_HEADER_BYTES,
						len - PRODUCER_SNAPSHOT_HEADER_BYTES))
		*why = "bad content CRC";
	if (*why)
		return SL_ECORRUPT;
	*pos = be64_get(image + 8);
	*trim = be64_get(image + 16);
	struct byte_reader r;
	byte_reader_init(&r, image + PRODUCER_SNAPSHOT_HEADER_BYTES,
			 len - PRODUCER_SNAPSHOT_HEADER_BYTES);
	uint32_t parts = byte_reader_be32(&r);
	for (uint32_t i = 0; i < parts; i++) {
		uint64_t stream_id = byte_reader_be64(&r);
		uint32_t entries = byte_reader_be32(&r);
		uint32_t aborted = byte_reader_be32(&r);
		if (r.err)
			break;
		struct partition *part = partition_by_stream(pt, stream_id);
		int rc = ps_decode_partition(&r, part, entries, aborted);
		if (rc == SL_ENOMEM)
			return rc;
		if (rc)
			byte_reader_fail(&r, rc);
	}
	if (r.err || byte_reader_left(&r)) {
		*why = "content does not decode";
		return SL_ECORRUPT;
	}
	return 0;
}

/* ---- start ---- */

/* Returns "dir/name" in buf. */
static const char *ps_path(char *buf, size_t size, const char *dir, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
	return buf;
}

int producer_snapshot_load(const char *dir)
{
	char path[4096];
	ps_path(path, sizeof path, dir, PRODUCER_SNAPSHOT_FILE);
	uint8_t *image;
	size_t len;
	int rc = durable_file_read(path, &image, &len);
	if (rc == SL_ENOENT)
		return 0;
	if (rc)
		return rc;
	uint64_t pos, trim;
	const char *why;
	rc = producer_snapshot_decode(broker.partitions, image, len, &pos, &trim, &why);
	free(image);
	if (rc == SL_ECORRUPT) {
		/* starting without it could accept a retried batch twice */
		log_error("producers: %s: %s; refusing to start without the producer "
			  "state (restore it or move it away)", path, why);
		return rc;
	}
	if (rc)
		return rc;
	ps.replay_from = pos;
	ps.covered = trim;
	log_info("producers: loaded the producer state as of WAL %llu",
		 (unsigned long long)pos);
	return 0;
}

uint64_t producer_snapshot_replay_from(void)
{
	return ps.replay_from;
}

/* Drops idle producers and aborted transactions below the log start in
 * every partition before a snapshot. */
static void ps_expire_partition(void *arg, struct partition *part)
{
	const int64_t *cutoff = arg;
	producer_state_expire(part->producers, *cutoff, part->log_start);
}

/* The cutoff of producer.id.expiration.ms now. */
static int64_t ps_cutoff(void)
{
	return log_append_now_ms() - broker.cfg->producer_id_expiration_ms;
}

int producer_snapshot_write_now(const char *dir, uint64_t wal_pos)
{
	if (ps.replay_from > wal_pos)
		log_warn("producers: the snapshot is as of WAL %llu, past the WAL's "
			 "end %llu (a new WAL?); writing a new one",
			 (unsigned long long)ps.replay_from, (unsigned long long)wal_pos);
	int64_t cutoff = ps_cutoff();
	partition_table_each(broker.partitions, ps_expire_partition, &cutoff);
	uint8_t *image;
	size_t len;
	int rc = producer_snapshot_encode(broker.partitions, wal_pos, wal_pos, &image, &len);
	if (rc)
		return rc;
	char path[4096], tmp[4096];
	ps_path(path, sizeof path, dir, PRODUCER_SNAPSHOT_FILE);
	ps_path(tmp, sizeof tmp, dir, PRODUCER_SNAPSHOT_FILE ".tmp");
	int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0) {
		log_error("producers: open directory %s: %s", dir, strerror(errno));
		free(image);
		return SL_EIO;
	}
	struct iovec v = {image, len};
	rc = durable_file_write(dir_fd, path, tmp, &v, 1);
	close(dir_fd);
	free(image);
	if (rc)
		return rc;
	ps.covered = wal_pos;
	ps.written++;
	return 0;
}

/* ---- before the trim moves ---- */

static void ps_start(void);

/* The thread wrote the snapshot (or failed to). */
static void ps_on_written(void *arg, int err)
{
	ps.busy = 0;
	if (err) {
		log_warn("producers: snapshot as of WAL %llu not written; the WAL "
			 "trim waits for the next one", (unsigned long long)ps.busy_pos);
		return;
	}
	ps.covered = ps.busy_trim;
	ps.written++;
	if (broker.counters)
		COUNTER_ADD(producer_snapshots, 1);
	if (ps.trim_fn)
		ps.trim_fn(ps.want < ps.covered ? ps.want : ps.covered);
	if (ps.want > ps.covered && !broker.stopping && ps.log)
		ps_start();
}

/* The WAL is durable up to the snapshot's position: write it. */
static void ps_on_durable(void *arg)
{
	uint8_t *image = ps.busy_image;
	ps.busy_image = NULL;
	if (broker.stopping || !ps.log ||
	    txn_log_write_file(ps.log, PRODUCER_SNAPSHOT_FILE, image, ps.busy_len,
			       ps_on_written, NULL)) {
		if (broker.stopping || !ps.log)
			free(image);
		ps.busy = 0;
	}
}

/* Takes a snapshot of the state as of the WAL head now. */
static void ps_start(void)
{
	int64_t cutoff = ps_cutoff();
	partition_table_each(broker.partitions, ps_expire_partition, &cutoff);
	ps.busy_pos = wal_head(broker.wal);
	ps.busy_trim = wal_durable(broker.wal);
	if (producer_snapshot_encode(broker.partitions, ps.busy_pos, ps.busy_trim,
				     &ps.busy_image, &ps.busy_len)) {
		log_warn("producers: out of memory for a snapshot; the WAL trim waits");
		return;
	}
	ps.busy = 1;
	wal_flush(broker.wal);
	if (durable_call(ps.busy_pos, ps_on_durable, NULL)) {
		free(ps.busy_image);
		ps.busy_image = NULL;
		ps.busy = 0;
	}
}

void producer_snapshot_before_trim(uint64_t want, void (*trim_fn)(uint64_t limit))
{
	ps.trim_fn = trim_fn;
	if (want <= ps.covered) {
		trim_fn(want);
		return;
	}
	if (want > ps.want)
		ps.want = want;
	if (!ps.busy && ps.log)
		ps_start();
}

void producer_snapshot_set_log(struct txn_log *log)
{
	ps.log = log;
}

uint64_t producer_snapshot_count(void)
{
	return ps.written;
}

void producer_snapshot_reset(void)
{
	free(ps.busy_image);
	memset(&ps, 0, sizeof ps);
}
