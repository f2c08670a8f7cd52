/*
 * The catalog tests' fixture (see catalog_fixture.h).
 */
#include "tests/unit/catalog_fixture.h"

#include <check.h>
#include <stdio.h>

#include "brokerd/catalog/catalog.h"
#include "tests/unit/scratch_dir.h"

char tmp_root[256];
char cat_dir[300];
char journal_path[320];
char snapshot_path[320];

/* Makes tmp_root and the catalog's paths under it. */
void catalog_fixture_setup(const char *name)
{
	scratch_dir_make(tmp_root, sizeof tmp_root, name);
	snprintf(cat_dir, sizeof cat_dir, "%s/catalog", tmp_root);
	snprintf(journal_path, sizeof journal_path, "%s/catalog.journal",
		 cat_dir);
	snprintf(snapshot_path, sizeof snapshot_path, "%s/catalog.snapshot",
		 cat_dir);
}

/* Removes tmp_root. */
void catalog_fixture_teardown(void)
{
	scratch_dir_remove(tmp_root);
}

/* Opens the catalog in dir. */
struct catalog *cat_open_dir(const char *dir)
{
	struct catalog *cat = NULL;
	ck_assert_int_eq(catalog_open(dir, &cat), 0);
	ck_assert_ptr_nonnull(cat);
	return cat;
}

/* Opens the catalog in cat_dir. */
struct catalog *cat_open(void)
{
	return cat_open_dir(cat_dir);
}
