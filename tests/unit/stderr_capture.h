/*
 * Capturing what a test's code logs (stderr), for the tests that check
 * log lines (test_catalog.c, test_catalog_objects.c).  One capture at a
 * time; the captured text is also written back to stderr when the capture
 * stops, for whoever reads a failure.
 */
#ifndef SLUICE_TEST_STDERR_CAPTURE_H
#define SLUICE_TEST_STDERR_CAPTURE_H

/* Redirects stderr into a pipe. */
void stderr_capture_start(void);
/* Restores stderr and returns what was written meanwhile (caller frees). */
char *stderr_capture_stop(void);

#endif
