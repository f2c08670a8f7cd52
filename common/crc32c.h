/*
 * CRC-32C (Castagnoli), as used by Kafka RecordBatch v2 and by every Sluice
 * on-disk record.  Uses the SSE4.2 instruction when the CPU has it.
 */
#ifndef SLUICE_CRC32C_H
#define SLUICE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extends crc (0 to start) over len bytes at data; returns the new CRC. */
uint32_t crc32c_extend(uint32_t crc, const void *data, size_t len);

/* The CRC-32C of A||B from crc1 = CRC of A, crc2 = CRC of B and len2 =
 * |B|, without reading the bytes (O(log len2)); returns that CRC. */
uint32_t crc32c_combine(uint32_t crc1, uint32_t crc2, uint64_t len2);

/* CRC-32C of one buffer. */
static inline uint32_t crc32c(const void *data, size_t len)
{
	return crc32c_extend(0, data, len);
}

#endif
