/*
 * The shared daemon skeleton: every Sluice daemon gets the same options
 * (-c conf, -F foreground, -v verbose, -V version, -t check config, -h),
 * config loading from its table, logging, a locked pidfile, signals as
 * libevent events, readiness reported to the parent, and the event loop.
 */
#ifndef SLUICE_DAEMON_H
#define SLUICE_DAEMON_H

#include <stddef.h>

#include "config.h"

struct event_base;

struct daemon_spec {
	const char *name;                /* "brokerd" */
	const char *default_config_path; /* used when -c is not given and it exists */
	const struct config_param *config;
	size_t config_count;
	void *config_values;
	size_t config_values_size; /* sizeof the values struct */
	/* Path of the pidfile given the loaded config. */
	const char *(*pidfile)(void *values);
	/* Extra checks after loading (-t runs them too); 0 or -1 with err. */
	int (*check)(void *values, char *err, size_t errlen);
	/* Initialises modules in dependency order; 0, or -1 after logging. */
	int (*start)(struct event_base *base, void *values);
	/* Begins a graceful stop (SIGTERM/SIGINT); the daemon calls
	 * daemon_stop_done() once in-flight work is finished. */
	void (*stop)(void);
	/* Finalises modules in reverse order after the loop ends. */
	void (*finish)(void);
	/* SIGHUP: reloads reloadable keys from the reread values. */
	void (*reload)(void *new_values);
};

/* Runs a daemon: parses argv, loads config, daemonises unless -F, locks the
 * pidfile, calls start, runs the loop.  Returns the process exit status. */
int daemon_main(int argc, char **argv, const struct daemon_spec *spec);

/* Tells the parent (or init script) that the daemon now serves. */
void daemon_ready(void);

/* Ends the event loop after a graceful stop has completed. */
void daemon_stop_done(void);

#endif
