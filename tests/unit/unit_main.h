/*
 * The main() every unit test program under tests/unit/ shares
 * (unit_main.c, linked from tests/unit/libunit_main.a).
 *
 * Each test program defines unit_suite(); main() runs that suite with
 * CK_NORMAL output and exits nonzero when a test failed.  unit_suite() is
 * called once, in the runner process, before any test runs, so what the
 * whole program needs (a log level, an ignored signal) is set at its top.
 */
#ifndef SLUICE_TEST_UNIT_MAIN_H
#define SLUICE_TEST_UNIT_MAIN_H

#include <check.h>

/* The suite this test program runs; defined by each test program. */
Suite *unit_suite(void);

#endif
