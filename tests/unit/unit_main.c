/*
 * The shared main() of the unit test programs (see unit_main.h): runs the
 * program's unit_suite() and turns failed tests into the exit status.
 */
#include "tests/unit/unit_main.h"

#include <stdlib.h>

/* Runs unit_suite(); EXIT_FAILURE when any of its tests failed. */
int main(void)
{
	SRunner *sr = srunner_create(unit_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
