/*
 * Copying bytes that the CPU will not read again soon: a produced batch
 * into a WAL block.  The block goes to the disk by DMA, and consumers at
 * the tail read it much later, if at all; an ordinary memcpy would first
 * read every destination line into the cache (read for ownership) and
 * then push out what the other threads, and the clients on the same cores,
 * had there.  Non-temporal stores write around the cache.  Measured with
 * sluice-bench (BENCHMARKS.md, issue 2): brokerd's maximum throughput rose
 * by about a tenth with 1 MB batches (AVX2 stores; an SSE2 version gained
 * about half as much and was not kept).
 */
#ifndef SLUICE_COMMON_COPY_STREAM_H
#define SLUICE_COMMON_COPY_STREAM_H

#include <stddef.h>

/* Copies below this use memcpy: a small batch is cheap to cache, and it is
 * what a consumer at the tail reads next. */
#define COPY_STREAM_MIN (256u << 10)

/* memcpy(dst, src, n) for non-overlapping buffers, with non-temporal stores
 * when n >= COPY_STREAM_MIN and the CPU has AVX2.  The stores are fenced
 * before it returns, so a thread the buffer is handed to afterwards sees
 * them like ordinary stores. */
void copy_stream(void *dst, const void *src, size_t n);

#endif
