/*
 * The fixture of the catalog tests (test_catalog.c, test_catalog_objects.c):
 * a temporary directory per test (tmp_root) with the catalog in a
 * subdirectory (cat_dir), so catalog_open's mkdir is exercised too, and
 * the paths of the catalog's journal and snapshot in it.
 */
#ifndef SLUICE_TEST_CATALOG_FIXTURE_H
#define SLUICE_TEST_CATALOG_FIXTURE_H

struct catalog;

extern char tmp_root[256];
extern char cat_dir[300];
extern char journal_path[320];
extern char snapshot_path[320];

/* Checked fixture: makes tmp_root (sluice-<name>-XXXXXX) and the paths. */
void catalog_fixture_setup(const char *name);
/* Removes tmp_root and everything in it. */
void catalog_fixture_teardown(void);

/* Opens the catalog in dir, which must succeed. */
struct catalog *cat_open_dir(const char *dir);
/* Opens the catalog in cat_dir, which must succeed. */
struct catalog *cat_open(void);

#endif
