/*
 * Logging to stderr (foreground) or syslog (daemon).  Safe to call from any
 * thread: each message is written with one call.
 */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <sys/time.h>

static const char *log_progname = "sluice";
static int log_syslog;
static enum log_level log_min = LOG_LEVEL_INFO;

void log_open(const char *progname, int to_syslog)
{
	log_progname = progname;
	log_syslog = to_syslog;
	if (to_syslog)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(enum log_level level)
{
	log_min = level;
}

/* Formats one line and sends it to the chosen sink. */
static void log_emit(int prio, const char *tag, const char *fmt, va_list ap)
{
	char msg[2048];
	vsnprintf(msg, sizeof msg, fmt, ap);
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
