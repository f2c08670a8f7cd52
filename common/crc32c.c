/*
 * CRC-32C: a slicing-by-8 table implementation, and the SSE4.2 crc32
 * instruction chosen at first use when the CPU has it.  Both produce the
 * standard reflected CRC-32C (poly 0x82F63B78, init and xorout 0xFFFFFFFF).
 *
 * The crc32 instruction has a latency of 3 cycles and a throughput of one
 * per cycle, so one dependent chain runs at a third of the possible speed.
 * Long buffers are therefore hashed as three equal parts side by side and
 * the three CRCs joined: the CRC state is linear, so the state after
 * A||B is shift(state after A, |B|) ^ (state of B hashed from 0), where
 * shift multiplies by x^(8|B|) modulo the polynomial.  For the two fixed
 * part sizes the shift is a byte-sliced table; for any other length
 * (crc32c_combine) it is computed by square-and-multiply.
 *
 * Threading: the tables are built once (pthread_once) and read-only after.
 */
#include "crc32c.h"

#include <pthread.h>
#include <string.h>

#define CRC32C_POLY 0x82F63B78u
/* Bytes per chain in the three-way loops: long buffers, then the tail. */
#define CRC32C_LONG 8192u
#define CRC32C_SHORT 256u

static uint32_t crc_table[8][256];
/* x^(2^k) modulo the polynomial, reflected: the squares for shifting. */
static uint32_t crc_x2n[32];
/* Byte-sliced shift of a state by CRC32C_LONG and CRC32C_SHORT bytes. */
static uint32_t crc_shift_long[4][256];
static uint32_t crc_shift_short[4][256];
static uint32_t (*crc_impl)(uint32_t, const uint8_t *, size_t);
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

/* Slicing-by-8 software CRC over raw (pre-inverted) state. */
static uint32_t crc32c_sw(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len && ((uintptr_t)p & 7)) {
		crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
		len--;
	}
	while (len >= 8) {
		uint32_t lo, hi;
		memcpy(&lo, p, 4);
		memcpy(&hi, p + 4, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		lo = __builtin_bswap32(lo);
		hi = __builtin_bswap32(hi);
#endif
		lo ^= crc;
		crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
		      crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
		      crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
		      crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

/* a * b modulo the polynomial, both reflected (bit 31 is x^0). */
static uint32_t crc32c_multmodp(uint32_t a, uint32_t b)
{
	uint32_t m = 1u << 31, prod = 0;
	for (;;) {
		if (a & m) {
			prod ^= b;
			if ((a & (m - 1)) == 0)
				break;
		}
		m >>= 1;
		b = (b & 1) ? (b >> 1) ^ CRC32C_POLY : b >> 1;
	}
	return prod;
}

/* x^(n * 2^k) modulo the polynomial, reflected. */
static uint32_t crc32c_x2nmodp(uint64_t n, unsigned k)
{
	uint32_t p = 1u << 31; /* x^0 */
	while (n) {
		if (n & 1)
			p = crc32c_multmodp(crc_x2n[k & 31], p);
		n >>= 1;
		k++;
	}
	return p;
}

/* Fills t so that crc32c_shift_by(t, s) == s * op modulo the polynomial. */
static void crc32c_shift_table_init(uint32_t t[4][256], uint32_t op)
{
	for (unsigned b = 0; b < 4; b++)
		for (uint32_t v = 0; v < 256; v++)
			t[b][v] = crc32c_multmodp(op, v << (8 * b));
}

#if defined(__x86_64__)
/* A state moved past n zero bytes, n being the size t was built for. */
static inline uint32_t crc32c_shift_by(const uint32_t t[4][256], uint32_t s)
{
	return t[0][s & 0xff] ^ t[1][(s >> 8) & 0xff] ^
	       t[2][(s >> 16) & 0xff] ^ t[3][s >> 24];
}

/* Hashes 3 * n bytes at *p as three chains of n bytes joined with the shift
 * table t for n; n is a multiple of 8. */
__attribute__((target("sse4.2"))) static inline uint64_t
crc32c_hw_3way(uint64_t c, const uint8_t *p, size_t n,
	       const uint32_t t[4][256])
{
	uint64_t c1 = 0, c2 = 0;
	const uint8_t *end = p + n;
	do {
		uint64_t v0, v1, v2;
		memcpy(&v0, p, 8);
		memcpy(&v1, p + n, 8);
		memcpy(&v2, p + 2 * n, 8);
		c = __builtin_ia32_crc32di(c, v0);
		c1 = __builtin_ia32_crc32di(c1, v1);
		c2 = __builtin_ia32_crc32di(c2, v2);
		p += 8;
	} while (p < end);
	c = crc32c_shift_by(t, (uint32_t)c) ^ (uint32_t)c1;
	return crc32c_shift_by(t, (uint32_t)c) ^ (uint32_t)c2;
}

/* Hardware CRC over raw state with the SSE4.2 crc32 instruction. */
__attribute__((target("sse4.2"))) static uint32_t
crc32c_hw(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc;
	while (len && ((uintptr_t)p & 7)) {
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
		len--;
	}
	while (len >= 3 * CRC32C_LONG) {
		c = crc32c_hw_3way(c, p, CRC32C_LONG, crc_shift_long);
		p += 3 * CRC32C_LONG;
		len -= 3 * CRC32C_LONG;
	}
	while (len >= 3 * CRC32C_SHORT) {
		c = crc32c_hw_3way(c, p, CRC32C_SHORT, crc_shift_short);
		p += 3 * CRC32C_SHORT;
		len -= 3 * CRC32C_SHORT;
	}
	while (len >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
	return (uint32_t)c;
}
#endif

/* Builds the tables and picks the implementation once per process. */
static void crc32c_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		crc_table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_table[t][i] = crc_table[0][crc_table[t - 1][i] & 0xff] ^
					  (crc_table[t - 1][i] >> 8);
	uint32_t p = 1u << 30; /* x^1 */
	for (int k = 0; k < 32; k++) {
		crc_x2n[k] = p;
		p = crc32c_multmodp(p, p);
	}
	crc32c_shift_table_init(crc_shift_long, crc32c_x2nmodp(CRC32C_LONG, 3));
	crc32c_shift_table_init(crc_shift_short, crc32c_x2nmodp(CRC32C_SHORT, 3));
	crc_impl = crc32c_sw;
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("sse4.2"))
		crc_impl = crc32c_hw;
#endif
}

uint32_t crc32c_extend(uint32_t crc, const void *data, size_t len)
{
	pthread_once(&crc_once, crc32c_init);
	return ~crc_impl(~crc, data, len);
}

uint32_t crc32c_combine(uint32_t crc1, uint32_t crc2, uint64_t len2)
{
	pthread_once(&crc_once, crc32c_init);
	return crc32c_multmodp(crc32c_x2nmodp(len2, 3), crc1) ^ crc2;
}
