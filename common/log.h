/*
 * Logging: levels info, warn, error, fatal (environment or config problem:
 * log and exit 1) and panic (broken invariant: log and abort).  Messages go
 * to stderr in the foreground and to syslog when daemonised.
 */
#ifndef SLUICE_LOG_H
#define SLUICE_LOG_H

#include <stdarg.h>

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

/* Sets the program name and whether messages go to syslog. */
void log_open(const char *progname, int to_syslog);
/* Messages below this level are dropped.  After log_set_verbose() the
 * level stays at debug whatever later calls ask (-v beats log.level). */
void log_set_level(enum log_level level);
/* Pins the level at debug (the daemons' -v). */
void log_set_verbose(void);
/* Parses "debug", "info", "warn" or "error".  Returns 0, or -1 for any
 * other name. */
int log_level_from_name(const char *name, enum log_level *level);
/* While a daemon starts in the background, also writes each error (and
 * fatal and panic) line to fd, which its parent copies to the terminal;
 * -1 stops it. */
void log_set_startup_fd(int fd);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs and exits with status 1. */
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Logs and aborts: an invariant is broken. */
void log_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Asserts an invariant whatever NDEBUG says. */
#define SL_ASSERT(cond)                                                        \
	do {                                                                   \
		if (!(cond))                                                   \
			log_panic("%s:%d: assertion failed: %s", __FILE__,     \
				  __LINE__, #cond);                            \
	} while (0)

#endif
