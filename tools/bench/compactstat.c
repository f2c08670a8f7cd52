/*
 * Samples of compactd's counters through brokerd's control socket (see
 * compactstat.h).  One connection per sample, one JSON line each way,
 * blocking with a deadline so a wedged brokerd cannot hang the run.
 * Main thread; nothing durable.
 */
#include "autoconfig.h"

#include "tools/bench/compactstat.h"
#include "common/daemon_report.h"
#include "common/errors.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Longest status answer read (it grows with topics, not with objects). */
#define COMPACTSTAT_MAX_LINE (4u << 20)

static const char *const compactstat_daemon_names[COMPACTSTAT_DAEMONS] = {
	"compactd", "uploaderd", "brokerd",
};

const char *compactstat_daemon_name(int d)
{
	return d >= 0 && d < COMPACTSTAT_DAEMONS ? compactstat_daemon_names[d] : "?";
}

/* A non-negative integer member, 0 when missing or not one. */
static uint64_t compactstat_uint(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v)
							       : 0;
}

int compactstat_parse(json_t *status, struct compactstat_sample *out)
{
	memset(out, 0, sizeof *out);
	if (!json_is_true(json_object_get(status, "ok")))
		return SL_EINVAL;
	out->generation = compactstat_uint(status, "generation");
	json_t *reports = json_object_get(status, "reports");
	json_t *cd = json_object_get(reports, "compactd");
	if (json_is_object(cd)) {
		json_t *stats = json_object_get(cd, "stats");
		out->reported = 1;
		out->at_ms = (int64_t)compactstat_uint(cd, "at_ms");
		out->compactd_pid = (int64_t)compactstat_uint(cd, "pid");
#define COMPACTSTAT_GET(f) out->f = compactstat_uint(stats, #f);
		COMPACTSTAT_FIELDS(COMPACTSTAT_GET)
#undef COMPACTSTAT_GET
		daemon_report_s3_parse(json_object_get(cd, "s3"), &out->s3[COMPACTSTAT_COMPACTD]);
	}
	daemon_report_s3_parse(json_object_get(json_object_get(reports, "uploaderd"), "s3"),
			       &out->s3[COMPACTSTAT_UPLOADERD]);
	daemon_report_s3_parse(json_object_get(json_object_get(status, "objstore"), "s3"),
			       &out->s3[COMPACTSTAT_BROKERD]);
	return 0;
}

int compactstat_runs_ended(const struct compactstat_sample *a, const struct compactstat_sample *b)
{
	return b->runs + b->runs_failed > a->runs + a->runs_failed;
}

int compactstat_worked(const struct compactstat_sample *a, const struct compactstat_sample *b)
{
	return b->bytes_written != a->bytes_written || b->objects_written != a->objects_written ||
	       b->objects_expired != a->objects_expired ||
	       b->retired_deleted != a->retired_deleted || b->orphans_deleted != a->orphans_deleted;
}

/* Adds compactd's counters of b to a. */
static void compactstat_add(struct compactstat_sample *a, const struct compactstat_sample *b)
{
#define COMPACTSTAT_ADD(f) a->f += b->f;
	COMPACTSTAT_FIELDS(COMPACTSTAT_ADD)
#undef COMPACTSTAT_ADD
	struct objstore_stats *x = &a->s3[COMPACTSTAT_COMPACTD];
	const struct objstore_stats *y = &b->s3[COMPACTSTAT_COMPACTD];
#define COMPACTSTAT_ADD_S3(field, family, label, value, help) x->field += y->field;
	OBJSTORE_STATS_FIELDS(COMPACTSTAT_ADD_S3)
#undef COMPACTSTAT_ADD_S3
}

void compactstat_accumulate(struct compactstat_accum *acc, const struct compactstat_sample *raw,
			    struct compactstat_sample *out)
{
	if (raw->reported) {
		if (acc->pid != 0 && raw->compactd_pid != acc->pid)
			compactstat_add(&acc->base, &acc->last);
		acc->pid = raw->compactd_pid;
		acc->last = *raw;
	}
	*out = *raw;
	compactstat_add(out, &acc->base);
}

/* Monotonic milliseconds. */
static int64_t compactstat_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for fd to be ready for events before the deadline; 1 ready, 0 not. */
static int compactstat_wait(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - compactstat_now_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = { fd, events, 0 };
		int n = poll(&p, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		return n > 0;
	}
}

/* Sends the status request and reads the reply line (skipping event
 * lines); returns it malloc'd, or NULL with err filled. */
static char *compactstat_exchange(int fd, int64_t deadline, char *err, size_t errlen)
{
	static const char req[] = "{\"op\":\"status\"}\n";
	size_t off = 0;
	while (off < sizeof req - 1) {
		if (!compactstat_wait(fd, POLLOUT, deadline)) {
			snprintf(err, errlen, "timed out sending the status request");
			return NULL;
		}
		ssize_t n = send(fd, req + off, sizeof req - 1 - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "send: %s", strerror(errno));
			return NULL;
		}
		off += (size_t)n;
	}
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	while (buf != NULL) {
		char *nl = len ? memchr(buf, '\n', len) : NULL;
		if (nl != NULL) {
			*nl = '\0';
			if (strncmp(buf, "{\"event\"", 8) != 0)
				return buf;
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len);
			continue;
		}
		if (len + 1 >= cap) {
			char *bigger = cap < COMPACTSTAT_MAX_LINE ? realloc(buf, cap * 2) : NULL;
			if (bigger == NULL) {
				snprintf(err, errlen, "status answer longer than %u bytes",
					 COMPACTSTAT_MAX_LINE);
				break;
			}
			buf = bigger;
			cap *= 2;
		}
		if (!compactstat_wait(fd, POLLIN, deadline)) {
			snprintf(err, errlen, "no status answer in time");
			break;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "brokerd closed the control connection");
			break;
		}
		len += (size_t)n;
	}
	free(buf);
	return NULL;
}

int compactstat_read(const char *path, int timeout_ms, struct compactstat_sample *out,
		     char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sun.sun_path) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		return SL_EIO;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return SL_EIO;
	}
	/* blocking: a Unix socket connects at once or fails; the reads and
	 * writes below wait in poll against the deadline */
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
		snprintf(err, errlen, "connect %s: %s", path, strerror(errno));
		close(fd);
		return SL_EIO;
	}
	char why[256] = "";
	char *line = compactstat_exchange(fd, compactstat_now_ms() + timeout_ms, why, sizeof why);
	close(fd);
	if (line == NULL) {
		snprintf(err, errlen, "%s: %s", path, why);
		return SL_EIO;
	}
	json_error_t jerr;
	json_t *status = json_loads(line, 0, &jerr);
	free(line);
	if (status == NULL) {
		snprintf(err, errlen, "%s: status answer is not JSON: %s", path, jerr.text);
		return SL_EIO;
	}
	int rc = compactstat_parse(status, out);
	json_decref(status);
	if (rc != 0) {
		snprintf(err, errlen, "%s: status answer not ok", path);
		return SL_EIO;
	}
	return 0;
}
