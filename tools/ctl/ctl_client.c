/*
 * sluicectl's side of brokerd's control socket: one connection per request,
 * one JSON line out, one line back (event lines are skipped: sluicectl
 * never subscribes, but a line starting with {"event" is not a reply).
 * Blocking, with a deadline, so a wedged brokerd cannot hang the tool.
 */
#include "ctl.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Monotonic milliseconds. */
static int64_t ctl_client_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Connects to brokerd's control socket; -1 after printing what to do. */
static int ctl_client_connect(const struct ctl *ctl)
{
	const char *path = ctl->cfg.control_socket;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sun.sun_path) {
		fprintf(stderr, "sluicectl: control.socket %s is too long for a Unix socket\n",
			path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "sluicectl: socket: %s\n", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
		int e = errno;
		if (e == ENOENT || e == ECONNREFUSED)
			fprintf(stderr,
				"sluicectl: brokerd is not running (no control socket at %s: %s); "
				"start it with `" SYSCONFDIR "/init.d/sluice start`%s%s\n",
				path, strerror(e), ctl->conf_path ? " or check control.socket in " : "",
				ctl->conf_path ? ctl->conf_path : "");
		else
			fprintf(stderr, "sluicectl: cannot connect to brokerd's control socket %s: %s\n",
				path, strerror(e));
		close(fd);
		return -1;
	}
	return fd;
}

/* Writes all of buf before the deadline; 0 or -1. */
static int ctl_client_write(int fd, const char *buf, size_t len, int64_t deadline)
{
	while (len) {
		struct pollfd p = {fd, POLLOUT, 0};
		int64_t left = deadline - ctl_client_now_ms();
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -1;
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads one reply line before the deadline into a malloc'd string. */
static char *ctl_client_read_line(int fd, int64_t deadline)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	while (buf) {
		char *nl = len ? memchr(buf, '\n', len) : NULL;
		if (nl) {
			*nl = '\0';
			if (strncmp(buf, "{\"event\"", 8) != 0)
				return buf;
			len -= (size_t)(nl + 1 - buf); /* an event line: skip it */
			memmove(buf, nl + 1, len);
			continue;
		}
		if (len + 1 >= cap) {
			char *bigger = realloc(buf, cap * 2);
			if (!bigger)
				break;
			buf = bigger;
			cap *= 2;
		}
		struct pollfd p = {fd, POLLIN, 0};
		int64_t left = deadline - ctl_client_now_ms();
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	free(buf);
	return NULL;
}

json_t *ctl_client_request(const struct ctl *ctl, json_t *req, int timeout_ms)
{
	int64_t deadline = ctl_client_now_ms() + timeout_ms;
	char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	const char *op = json_string_value(json_object_get(req, "op"));
	char opname[64];
	snprintf(opname, sizeof opname, "%s", op ? op : "?");
	json_decref(req);
	if (!text) {
		fprintf(stderr, "sluicectl: out of memory\n");
		return NULL;
	}
	int fd = ctl_client_connect(ctl);
	if (fd < 0) {
		free(text);
		return NULL;
	}
	size_t len = strlen(text);
	text[len] = '\n'; /* json_dumps' NUL: the line ends there */
	int rc = ctl_client_write(fd, text, len + 1, deadline);
	free(text);
	char *line = rc == 0 ? ctl_client_read_line(fd, deadline) : NULL;
	close(fd);
	json_t *reply = NULL;
	if (line) {
		json_error_t jerr;
		reply = json_loads(line, 0, &jerr);
		if (!reply)
			fprintf(stderr, "sluicectl: brokerd's answer to %s is not JSON: %s\n",
				opname, jerr.text);
		free(line);
	} else {
		fprintf(stderr,
			"sluicectl: no answer from brokerd to %s on %s within %d ms "
			"(is it stopping or overloaded? see its log)\n",
			opname, ctl->cfg.control_socket, timeout_ms);
	}
	return reply;
}

json_t *ctl_client_call(const struct ctl *ctl, const char *what, json_t *req)
{
	json_t *reply = ctl_client_request(ctl, req, 10000);
	if (!reply)
		return NULL;
	if (!json_is_true(json_object_get(reply, "ok"))) {
		const char *why = json_string_value(json_object_get(reply, "error"));
		if (ctl_client_unknown_op(reply))
			fprintf(stderr,
				"sluicectl: %s: not available: this brokerd does not support it (%s)\n",
				what, why);
		else
			fprintf(stderr, "sluicectl: %s: %s\n", what, why ? why : "failed");
		json_decref(reply);
		return NULL;
	}
	return reply;
}

int ctl_client_unknown_op(json_t *reply)
{
	const char *why = json_string_value(json_object_get(reply, "error"));
	return why && !strncmp(why, "unknown op", 10);
}
