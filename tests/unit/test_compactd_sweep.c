/*
 * compactd's choice of what to delete from the bucket (compactd/sweep.c):
 * retired objects past retired.grace.ms, and orphans (listed keys the
 * catalog knows neither live nor retired) past orphan.grace.ms; keys that
 * are not object keys are never touched.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/object_format.h"
#include "common/objstore.h"
#include "compactd/catalog_view.h"
#include "compactd/sweep.h"
#include "tests/unit/unit_main.h"

/* A view of objects: live ones (retired_ms -1) and retired ones. */
static void view_of(struct catalog_view *v, const uint64_t *ids,
		    const int64_t *retired, size_t n, int64_t now)
{
	memset(v, 0, sizeof *v);
	v->now_ms = now;
	v->objects = calloc(n, sizeof *v->objects);
	for (size_t i = 0; i < n; i++)
		v->objects[i] = (struct cv_object){.id = ids[i], .size = 100,
						   .retired_ms = retired[i]};
	v->object_count = v->object_cap = n;
	ck_assert_int_eq(catalog_view_finish(v, NULL, 0), 0);
}

START_TEST(test_retired)
{
	static const uint64_t ids[] = {1, 2, 3, 4};
	static const int64_t retired[] = {-1, 1000, 5000, 9001};
	struct catalog_view v;
	view_of(&v, ids, retired, 4, 10000);
	uint64_t *out;
	size_t n;
	ck_assert_int_eq(sweep_retired(&v, 5000, &out, &n), 0);
	ck_assert_uint_eq(n, 2); /* retired at 1000 and exactly 5000 ago */
	ck_assert_uint_eq(out[0], 2);
	ck_assert_uint_eq(out[1], 3);
	free(out);
	ck_assert_int_eq(sweep_retired(&v, 0, &out, &n), 0);
	ck_assert_uint_eq(n, 3);
	free(out);
	catalog_view_free(&v);
}
END_TEST

START_TEST(test_orphans)
{
	static const uint64_t ids[] = {0x10, 0x11};
	static const int64_t retired[] = {-1, 500};
	struct catalog_view v;
	view_of(&v, ids, retired, 2, 10000);
	/* the bucket: both known objects, three unknown of different ages,
	 * and keys that are not object keys */
	char keys[5][OBJECT_KEY_MAX];
	static const uint64_t listed_ids[] = {0x10, 0x11, 0x20, 0x21, 0x22};
	static const int64_t mtime[] = {0, 0, 1000, 6000, 6001};
	struct objstore_entry e[8];
	size_t ne = 0;
	for (int i = 0; i < 5; i++) {
		object_key(listed_ids[i], keys[i], sizeof keys[i]);
		e[ne++] = (struct objstore_entry){keys[i], 100, mtime[i]};
	}
	e[ne++] = (struct objstore_entry){"o/zz/0000000000000030", 100, 0};
	e[ne++] = (struct objstore_entry){"o/00/notanid", 100, 0};
	e[ne++] = (struct objstore_entry){"catalog/snapshot", 100, 0};
	struct sweep_listed *l;
	size_t nl;
	ck_assert_int_eq(sweep_parse_list(e, ne, &l, &nl), 0);
	ck_assert_uint_eq(nl, 5);
	uint64_t *out;
	size_t n;
	ck_assert_int_eq(sweep_orphans(&v, l, nl, 4000, 10000, &out, &n), 0);
	ck_assert_uint_eq(n, 2); /* written at 1000 and exactly 4000 ago */
	ck_assert_uint_eq(out[0], 0x20);
	ck_assert_uint_eq(out[1], 0x21);
	free(out);
	free(l);
	catalog_view_free(&v);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("compactd_sweep");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_retired);
	tcase_add_test(tc, test_orphans);
	suite_add_tcase(s, tc);
	return s;
}
