/*
 * Tests for shmstat.c over a segment made here in brokerd's layout
 * (common/shm_layout.h) with counters in another order than this build's
 * enum: samples find each counter by name, a missing counter or a broken
 * description is refused, and the drain check follows the region ring.
 */
#include "autoconfig.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tools/bench/shmstat.h"
#include "common/errors.h"
#include "tests/unit/unit_main.h"

/* The names in segment order; slot i holds the value 1000 + i. */
static const char *const names[] = {
	"wal_durable", "something_new", "cold_read_gets", "produce_bytes", "fetch_bytes",
	"fetch_cache_hits", "fetch_wal_reads", "cold_read_bytes", "cold_read_errors",
	"cold_cache_hits", "uploads_committed",
};
#define NAMES (sizeof names / sizeof names[0])

static char shm_name[64];
static uint8_t *seg;
static size_t seg_size;

/* Creates the segment with the counter description json (NULL: from names). */
static void segment_make(const char *json)
{
	char desc[2048];
	if (json == NULL) {
		size_t n = (size_t)snprintf(desc, sizeof desc, "[");
		for (size_t i = 0; i < NAMES; i++)
			n += (size_t)snprintf(desc + n, sizeof desc - n,
					      "{\"name\":\"%s\",\"kind\":\"counter\"},", names[i]);
		snprintf(desc + n, sizeof desc - n, "{}]");
		json = desc;
	}
	uint64_t counters_off = 4096, json_off = counters_off + NAMES * 8;
	uint64_t regions_off = (json_off + strlen(json) + 63) & ~63ull;
	seg_size = regions_off + sizeof(struct shm_region_ring);
	snprintf(shm_name, sizeof shm_name, "/sluice-test-shmstat-%d", (int)getpid());
	shm_unlink(shm_name);
	int fd = shm_open(shm_name, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)seg_size), 0);
	seg = mmap(NULL, seg_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert(seg != MAP_FAILED);
	close(fd);
	struct shm_header *h = (struct shm_header *)seg;
	h->layout_version = SHM_LAYOUT_VERSION;
	h->header_size = sizeof *h;
	h->segment_size = seg_size;
	h->generation = 3;
	h->counter_count = NAMES;
	h->counters_off = counters_off;
	h->counter_json_off = json_off;
	h->counter_json_len = strlen(json);
	h->cache_off = seg_size;
	h->regions_off = regions_off;
	uint64_t *c = (uint64_t *)(seg + counters_off);
	for (size_t i = 0; i < NAMES; i++)
		c[i] = 1000 + i;
	memcpy(seg + json_off, json, strlen(json));
	__atomic_store_n(&h->magic, SHM_MAGIC, __ATOMIC_RELEASE);
}

/* Removes the segment. */
static void segment_drop(void)
{
	munmap(seg, seg_size);
	shm_unlink(shm_name);
}

/* The region ring of the segment. */
static struct shm_region_ring *ring(void)
{
	return (struct shm_region_ring *)(seg + ((struct shm_header *)seg)->regions_off);
}

START_TEST(test_sample_by_name)
{
	segment_make(NULL);
	ring()->uploaded_end = 555;
	ring()->uploader_objects = 7;
	ring()->uploader_bytes = 8;
	ring()->uploader_errors = 9;
	struct shmstat st;
	char err[256];
	ck_assert_msg(shmstat_open(&st, shm_name, err, sizeof err) == 0, "%s", err);
	struct shmstat_sample x;
	shmstat_sample(&st, &x);
	ck_assert_uint_eq(x.generation, 3);
	ck_assert_uint_eq(x.wal_durable, 1000);
	ck_assert_uint_eq(x.cold_read_gets, 1002);
	ck_assert_uint_eq(x.produce_bytes, 1003);
	ck_assert_uint_eq(x.fetch_bytes, 1004);
	ck_assert_uint_eq(x.fetch_cache_hits, 1005);
	ck_assert_uint_eq(x.fetch_wal_reads, 1006);
	ck_assert_uint_eq(x.cold_read_bytes, 1007);
	ck_assert_uint_eq(x.cold_read_errors, 1008);
	ck_assert_uint_eq(x.cold_cache_hits, 1009);
	ck_assert_uint_eq(x.uploads_committed, 1010);
	ck_assert_uint_eq(x.uploaded_end, 555);
	ck_assert_uint_eq(x.uploader_objects, 7);
	ck_assert_uint_eq(x.uploader_bytes, 8);
	ck_assert_uint_eq(x.uploader_errors, 9);

	/* Drained when the committed end reaches the durable end. */
	ck_assert_int_eq(shmstat_drained(&x), 0);
	ck_assert_int_eq(shmstat_wait_drained(&st, 0.1, &x), SL_EIO);
	ring()->uploaded_end = 1000;
	ck_assert_int_eq(shmstat_wait_drained(&st, 1, &x), 0);
	ck_assert_int_eq(shmstat_drained(&x), 1);
	/* Live: a later sample sees brokerd's new values. */
	((uint64_t *)(seg + 4096))[2] = 4242;
	shmstat_sample(&st, &x);
	ck_assert_uint_eq(x.cold_read_gets, 4242);
	shmstat_close(&st);
	segment_drop();
}
END_TEST

START_TEST(test_refused)
{
	struct shmstat st;
	char err[256];
	segment_make("[{\"name\":\"produce_bytes\"},{}]");
	ck_assert_int_eq(shmstat_open(&st, shm_name, err, sizeof err), SL_ECORRUPT);
	ck_assert_msg(strstr(err, "no counter") != NULL, "%s", err);
	segment_drop();
	segment_make("[{\"name\":");
	ck_assert_int_eq(shmstat_open(&st, shm_name, err, sizeof err), SL_ECORRUPT);
	segment_drop();
	ck_assert_int_eq(shmstat_open(&st, "/sluice-test-shmstat-none", err, sizeof err),
			 SL_ENOENT);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("shmstat");
	TCase *tc = tcase_create("segment");
	tcase_add_test(tc, test_sample_by_name);
	tcase_add_test(tc, test_refused);
	suite_add_tcase(s, tc);
	return s;
}
