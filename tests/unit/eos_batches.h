/*
 * Test helper shared by the idempotence and transaction tests: RecordBatch
 * v2 bytes with a producer id, epoch and base sequence, written field by
 * field here (not with brokerd's code).  Records are "v<seq>" values
 * without keys.
 */
#ifndef SLUICE_TEST_EOS_BATCHES_H
#define SLUICE_TEST_EOS_BATCHES_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/crc32c.h"
#include "common/record_batch.h"

/* Appends a zigzag varint at p; returns the bytes written. */
static inline size_t eb_varint(uint8_t *p, int64_t v)
{
	uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
	size_t n = 0;
	while (z >= 0x80) {
		p[n++] = (uint8_t)(z | 0x80);
		z >>= 7;
	}
	p[n++] = (uint8_t)z;
	return n;
}

/* A batch of n records from pid/epoch starting at sequence seq (seq -1:
 * no sequence), transactional or not, BaseOffset 0.  Returns malloc'd
 * bytes with *len set. */
static inline uint8_t *eb_batch(int64_t pid, int16_t epoch, int32_t seq, int n,
				int transactional, size_t *len)
{
	uint8_t *b = calloc(1, RB_HEADER_BYTES + (size_t)n * 40);
	ck_assert_ptr_nonnull(b);
	size_t off = RB_HEADER_BYTES;
	for (int i = 0; i < n; i++) {
		char value[24];
		int vlen = snprintf(value, sizeof value, "v%lld",
				    seq < 0 ? (long long)i : (long long)seq + i);
		uint8_t body[40];
		size_t k = 0;
		body[k++] = 0;                      /* Attributes */
		k += eb_varint(body + k, 0);        /* TimestampDelta */
		k += eb_varint(body + k, i);        /* OffsetDelta */
		k += eb_varint(body + k, -1);       /* Key: null */
		k += eb_varint(body + k, vlen);     /* Value */
		memcpy(body + k, value, (size_t)vlen);
		k += (size_t)vlen;
		k += eb_varint(body + k, 0);        /* Headers */
		off += eb_varint(b + off, (int64_t)k);
		memcpy(b + off, body, k);
		off += k;
	}
	be64_put(b + RB_OFF_BASE_OFFSET, 0);
	be32_put(b + RB_OFF_BATCH_LENGTH, (uint32_t)(off - RB_LENGTH_FIELD_END));
	be32_put(b + RB_OFF_LEADER_EPOCH, 0);
	b[RB_OFF_MAGIC] = 2;
	be16_put(b + RB_OFF_ATTRIBUTES, transactional ? RB_ATTR_TRANSACTIONAL : 0);
	be32_put(b + RB_OFF_LAST_OFFSET_DELTA, (uint32_t)(n - 1));
	be64_put(b + RB_OFF_BASE_TIMESTAMP, 1700000000000ull);
	be64_put(b + RB_OFF_MAX_TIMESTAMP, 1700000000000ull);
	be64_put(b + RB_OFF_PRODUCER_ID, (uint64_t)pid);
	be16_put(b + RB_OFF_PRODUCER_EPOCH, (uint16_t)epoch);
	be32_put(b + RB_OFF_BASE_SEQUENCE, (uint32_t)seq);
	be32_put(b + RB_OFF_RECORD_COUNT, (uint32_t)n);
	be32_put(b + RB_OFF_CRC, crc32c(b + RB_OFF_ATTRIBUTES, off - RB_OFF_ATTRIBUTES));
	*len = off;
	return b;
}

#endif
