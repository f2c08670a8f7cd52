/*
 * Logging to stderr (foreground) or syslog (daemon).  Safe to call from any
 * thread: each message is written with one call.  Until a daemonised
 * process is ready, errors are also copied to its parent through the
 * readiness pipe, so that a failed start says why on the terminal and not
 * only in syslog.
 */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/time.h>

static const char *log_progname = "sluice";
static int log_syslog;
static enum log_level log_min = LOG_LEVEL_INFO;
static int log_verbose;
static int log_startup_fd = -1;

void log_open(const char *progname, int to_syslog)
{
	log_progname = progname;
	log_syslog = to_syslog;
	if (to_syslog)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(enum log_level level)
{
	if (!log_verbose)
		log_min = level;
}

void log_set_verbose(void)
{
	log_min = LOG_LEVEL_DEBUG;
	log_verbose = 1;
}

int log_level_from_name(const char *name, enum log_level *level)
{
	static const struct {
		const char *name;
		enum log_level level;
	} names[] = {
		{"debug", LOG_LEVEL_DEBUG},
		{"info", LOG_LEVEL_INFO},
		{"warn", LOG_LEVEL_WARN},
		{"error", LOG_LEVEL_ERROR},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(name, names[i].name)) {
			*level = names[i].level;
			return 0;
		}
	return -1;
}

void log_set_startup_fd(int fd)
{
	log_startup_fd = fd;
}

/* Formats one line and sends it to the chosen sink. */
static void log_emit(int prio, const char *tag, const char *fmt, va_list ap)
{
	char msg[2048];
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (log_startup_fd >= 0 && prio <= LOG_ERR) {
		char line[2200];
		int n = snprintf(line, sizeof line, "%s: %s\n", log_progname, msg);
		if (n > (int)sizeof line - 1)
			n = (int)sizeof line - 1;
		ssize_t w = write(log_startup_fd, line, (size_t)n);
		(void)w; /* the parent may have gone: syslog still has it */
	}
	if (log_syslog) {
		syslog(prio, "%s: %s", tag, msg);
		return;
	}
	struct timeval tv;
	struct tm tm;
	char ts[32];
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld %s %s: %s\n", ts, (long)(tv.tv_usec / 1000),
		log_progname, tag, msg);
}

#define LOG_FN(name, level, prio, tag)                                         \
	void name(const char *fmt, ...)                                        \
	{                                                                      \
		if (level < log_min)                                           \
			return;                                                \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_emit(prio, tag, fmt, ap);                                  \
		va_end(ap);                                                    \
	}

LOG_FN(log_debug, LOG_LEVEL_DEBUG, LOG_DEBUG, "debug")
LOG_FN(log_info, LOG_LEVEL_INFO, LOG_INFO, "info")
LOG_FN(log_warn, LOG_LEVEL_WARN, LOG_WARNING, "warn")
LOG_FN(log_error, LOG_LEVEL_ERROR, LOG_ERR, "error")

void log_fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_emit(LOG_CRIT, "fatal", fmt, ap);
	va_end(ap);
	exit(1);
}

void log_panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_emit(LOG_ALERT, "panic", fmt, ap);
	va_end(ap);
	abort();
}
