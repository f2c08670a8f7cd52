/*
 * Capturing stderr through a pipe (see stderr_capture.h).  A pipe rather
 * than a file, so a test's file size limit does not cut the log short.
 * Captures stay far below the pipe's buffer.
 */
#define _GNU_SOURCE
#include "tests/unit/stderr_capture.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int saved_stderr = -1;
static int capture_fd = -1;

/* Redirects stderr into a pipe. */
void stderr_capture_start(void)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	/* Never block the test on a full pipe; a lost line fails it. */
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	fflush(stderr);
	saved_stderr = dup(2);
	dup2(p[1], 2);
	close(p[1]);
	capture_fd = p[0];
}

/* Restores stderr and returns what was written meanwhile. */
char *stderr_capture_stop(void)
{
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	size_t len = 0, cap = 4096;
	char *text = malloc(cap);
	ssize_t r;
	while ((r = read(capture_fd, text + len, cap - len - 1)) > 0) {
		len += (size_t)r;
		if (cap - len < 2)
			text = realloc(text, cap *= 2);
	}
	close(capture_fd);
	text[len] = '\0';
	/* Show it in the test output too, for whoever reads a failure. */
	fputs(text, stderr);
	return text;
}
