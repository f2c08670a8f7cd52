/*
 * The transaction log's record (see txn_record.h): encoding, decoding and
 * the small set operations the coordinator does on a state.
 */
#include "brokerd/txn/txn_record.h"

#include <stdlib.h>
#include <string.h>

#include "brokerd/txn/txn_log.h"
#include "common/byte_buf.h"
#include "common/byte_reader.h"
#include "common/errors.h"

/* Kafka's names, indexed by enum txn_state. */
static const char *const txn_state_names[] = {
	"Empty", "Ongoing", "PrepareCommit", "PrepareAbort",
	"CompleteCommit", "CompleteAbort", "Dead",
};

const char *txn_state_name(enum txn_state state)
{
	return (unsigned)state < sizeof txn_state_names / sizeof txn_state_names[0]
		       ? txn_state_names[state]
		       : "Unknown";
}

int txn_state_parse(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof txn_state_names / sizeof txn_state_names[0]; i++)
		if (strlen(txn_state_names[i]) == len && !memcmp(txn_state_names[i], name, len))
			return (int)i;
	return -1;
}

/* ---- encoding ---- */

/* Appends a C string with its u16 length (SL_EINVAL if it is longer). */
static void txn_record_put_str(struct byte_buf *b, const char *s)
{
	byte_buf_put_str16(b, s, strlen(s));
}

int txn_record_encode(const struct txn_meta *m, uint8_t **out, size_t *len)
{
	struct byte_buf b = {0};
	txn_record_put_str(&b, m->id);
	byte_buf_put_be64(&b, (uint64_t)m->producer_id);
	byte_buf_put_be16(&b, (uint16_t)m->epoch);
	byte_buf_put_be64(&b, (uint64_t)m->last_producer_id);
	byte_buf_put_be16(&b, (uint16_t)m->last_epoch);
	byte_buf_put_be32(&b, (uint32_t)m->timeout_ms);
	byte_buf_put_u8(&b, (uint8_t)m->state);
	byte_buf_put_be64(&b, (uint64_t)m->start_ms);
	byte_buf_put_be64(&b, (uint64_t)m->update_ms);
	byte_buf_put_be32(&b, (uint32_t)m->part_count);
	for (size_t i = 0; i < m->part_count; i++) {
		byte_buf_put_be64(&b, m->parts[i].stream_id);
		byte_buf_put_be32(&b, (uint32_t)m->parts[i].partition);
		txn_record_put_str(&b, m->parts[i].topic);
	}
	byte_buf_put_be32(&b, (uint32_t)m->group_count);
	for (size_t i = 0; i < m->group_count; i++)
		txn_record_put_str(&b, m->groups[i]);
	int rc = b.err;
	if (!rc)
		rc = txn_log_frame(TXN_RECORD_STATE, b.data, b.len, out, len);
	byte_buf_free(&b);
	return rc;
}

/* ---- decoding ---- */

/* A u16-length string as a new C string; NULL on error. */
static char *txn_record_take_str(struct byte_reader *r)
{
	return byte_reader_strdup(r, byte_reader_be16(r));
}

int txn_record_decode(const uint8_t *body, size_t len, struct txn_meta *m)
{
	memset(m, 0, sizeof *m);
	struct byte_reader r;
	byte_reader_init(&r, body, len);
	m->id = txn_record_take_str(&r);
	m->producer_id = (int64_t)byte_reader_be64(&r);
	m->epoch = (int16_t)byte_reader_be16(&r);
	m->last_producer_id = (int64_t)byte_reader_be64(&r);
	m->last_epoch = (int16_t)byte_reader_be16(&r);
	m->timeout_ms = (int32_t)byte_reader_be32(&r);
	m->state = (enum txn_state)byte_reader_u8(&r);
	m->start_ms = (int64_t)byte_reader_be64(&r);
	m->update_ms = (int64_t)byte_reader_be64(&r);
	uint32_t parts = byte_reader_be32(&r);
	/* each partition takes at least 14 bytes: no allocation from a lie */
	if (parts > byte_reader_left(&r) / 14)
		byte_reader_fail(&r, SL_ECORRUPT);
	if (!r.err && parts) {
		m->parts = calloc(parts, sizeof *m->parts);
		if (!m->parts)
			byte_reader_fail(&r, SL_ENOMEM);
	}
	for (uint32_t i = 0; i < parts && !r.err; i++) {
		m->parts[i].stream_id = byte_reader_be64(&r);
		m->parts[i].partition = (int32_t)byte_reader_be32(&r);
		m->parts[i].topic = txn_record_take_str(&r);
		m->part_count = i + 1;
	}
	uint32_t groups = byte_reader_be32(&r);
	if (groups > byte_reader_left(&r) / 2)
		byte_reader_fail(&r, SL_ECORRUPT);
	if (!r.err && groups) {
		m->groups = calloc(groups, sizeof *m->groups);
		if (!m->groups)
			byte_reader_fail(&r, SL_ENOMEM);
	}
	for (uint32_t i = 0; i < groups && !r.err; i++) {
		m->groups[i] = txn_record_take_str(&r);
		m->group_count = i + 1;
	}
	if (byte_reader_left(&r) || !m->id || m->state > TXN_DEAD)
		byte_reader_fail(&r, SL_ECORRUPT);
	if (r.err) {
		txn_meta_free(m);
		return r.err;
	}
	return 0;
}

/* ---- state operations ---- */

int txn_meta_copy(struct txn_meta *dst, const struct txn_meta *src)
{
	*dst = *src;
	dst->id = NULL;
	dst->parts = NULL;
	dst->groups = NULL;
	dst->part_count = dst->group_count = 0;
	dst->id = strdup(src->id);
	if (!dst->id)
		goto fail;
	for (size_t i = 0; i < src->part_count; i++)
		if (txn_meta_add_partition(dst, src->parts[i].stream_id,
					   src->parts[i].partition, src->parts[i].topic))
			goto fail;
	for (size_t i = 0; i < src->group_count; i++)
		if (txn_meta_add_group(dst, src->groups[i]))
			goto fail;
	return 0;
fail:
	txn_meta_free(dst);
	return SL_ENOMEM;
}

int txn_meta_has_stream(const struct txn_meta *m, uint64_t stream_id)
{
	for (size_t i = 0; i < m->part_count; i++)
		if (m->parts[i].stream_id == stream_id)
			return 1;
	return 0;
}

int txn_meta_has_group(const struct txn_meta *m, const char *group)
{
	for (size_t i = 0; i < m->group_count; i++)
		if (!strcmp(m->groups[i], group))
			return 1;
	return 0;
}

int txn_meta_add_partition(struct txn_meta *m, uint64_t stream_id,
			   int32_t partition, const char *topic)
{
	if (txn_meta_has_stream(m, stream_id))
		return 0;
	struct txn_partition *p = realloc(m->parts, (m->part_count + 1) * sizeof *p);
	if (!p)
		return SL_ENOMEM;
	m->parts = p;
	char *t = strdup(topic);
	if (!t)
		return SL_ENOMEM;
	m->parts[m->part_count++] = (struct txn_partition){stream_id, partition, t};
	return 0;
}

int txn_meta_add_group(struct txn_meta *m, const char *group)
{
	if (txn_meta_has_group(m, group))
		return 0;
	char **g = realloc(m->groups, (m->group_count + 1) * sizeof *g);
	if (!g)
		return SL_ENOMEM;
	m->groups = g;
	char *s = strdup(group);
	if (!s)
		return SL_ENOMEM;
	m->groups[m->group_count++] = s;
	return 0;
}

void txn_meta_clear_members(struct txn_meta *m)
{
	for (size_t i = 0; i < m->part_count; i++)
		free(m->parts[i].topic);
	for (size_t i = 0; i < m->group_count; i++)
		free(m->groups[i]);
	free(m->parts);
	free(m->groups);
	m->parts = NULL;
	m->groups = NULL;
	m->part_count = m->group_count = 0;
}

void txn_meta_free(struct txn_meta *m)
{
	txn_meta_clear_members(m);
	free(m->id);
	memset(m, 0, sizeof *m);
}
