/*
 * The start-up the helper daemons (uploaderd, compactd) share: both read
 * sluice.conf through the one sluice_config table, finish it with the
 * derived defaults and cross-key checks brokerd uses, and on SIGHUP take
 * the reloadable keys and log the changed ones that need a restart.  Each
 * helper names only its pidfile and its modules; the options, loading,
 * pidfile lock, signals and loop are common/daemon.c's.
 */
#ifndef SLUICE_HELPER_DAEMON_H
#define SLUICE_HELPER_DAEMON_H

struct event_base;
struct sluice_config;

struct helper_daemon {
	const char *name; /* "uploaderd" */
	/* Its pidfile path in the loaded config. */
	const char *(*pidfile)(const struct sluice_config *cfg);
	/* Initialises its modules; 0, or -1 after logging. */
	int (*start)(struct event_base *base, struct sluice_config *cfg);
	/* Begins a graceful stop, then daemon_stop_done(). */
	void (*stop)(void);
	/* Finalises its modules after the loop ends. */
	void (*finish)(void);
};

/* Runs helper over the shared config table with daemon_main().  Returns
 * the process exit status. */
int helper_daemon_main(int argc, char **argv, const struct helper_daemon *helper);

#endif
