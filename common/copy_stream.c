/*
 * Non-temporal copy (see copy_stream.h): AVX2 streaming stores where the
 * CPU has them, memcpy elsewhere.
 */
#include "common/copy_stream.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

/* 32-byte streaming stores, 128 bytes per round; dst 32-byte aligned. */
__attribute__((target("avx2"))) static void copy_stream_avx2(uint8_t *d, const uint8_t *s,
							   size_t n)
{
	for (; n >= 128; n -= 128, d += 128, s += 128) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)s);
		__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(s + 32));
		__m256i c = _mm256_loadu_si256((const __m256i *)(const void *)(s + 64));
		__m256i e = _mm256_loadu_si256((const __m256i *)(const void *)(s + 96));
		_mm256_stream_si256((__m256i *)(void *)d, a);
		_mm256_stream_si256((__m256i *)(void *)(d + 32), b);
		_mm256_stream_si256((__m256i *)(void *)(d + 64), c);
		_mm256_stream_si256((__m256i *)(void *)(d + 96), e);
	}
	memcpy(d, s, n);
	/* streaming stores are weakly ordered: make them visible before
	 * whatever hands the buffer on */
	_mm_sfence();
}

void copy_stream(void *dst, const void *src, size_t n)
{
	if (n < COPY_STREAM_MIN || !__builtin_cpu_supports("avx2")) {
		memcpy(dst, src, n);
		return;
	}
	uint8_t *d = dst;
	const uint8_t *s = src;
	/* ordinary stores up to the first 32-byte boundary of dst */
	size_t head = (size_t)(-(uintptr_t)d & 31u);
	memcpy(d, s, head);
	copy_stream_avx2(d + head, s + head, n - head);
}

#else

void copy_stream(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
}

#endif
