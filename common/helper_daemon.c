/*
 * daemon_main() for the helper daemons over the shared sluice_config table
 * (see helper_daemon.h).  The skeleton's callbacks take the values as
 * void *; these adapt them to the helper's typed ones.
 *
 * Ownership: the config values live here, for the life of the process.
 * Threading: the loop thread.
 */
#include "autoconfig.h"

#include "common/helper_daemon.h"

#include "common/config.h"
#include "common/daemon.h"
#include "common/sluice_config.h"

static struct sluice_config helper_daemon_config;
static const struct helper_daemon *helper_daemon_running; /* one a process */

/* The helper's own pidfile. */
static const char *helper_daemon_pidfile(void *values)
{
	return helper_daemon_running->pidfile(values);
}

/* Derived defaults and cross-key checks, shared with brokerd. */
static int helper_daemon_check(void *values, char *err, size_t errlen)
{
	return sluice_config_finish(values, err, errlen);
}

/* Starts the helper's modules. */
static int helper_daemon_start(struct event_base *base, void *values)
{
	return helper_daemon_running->start(base, values);
}

/* SIGHUP: takes the reloadable keys of the checked values (the modules
 * read them through the running config) and logs the changed ones that
 * need a restart. */
static void helper_daemon_reload(void *values)
{
	config_reload(sluice_config_table, sluice_config_count,
		      &helper_daemon_config, values, helper_daemon_running->name);
}

int helper_daemon_main(int argc, char **argv, const struct helper_daemon *helper)
{
	helper_daemon_running = helper;
	struct daemon_spec spec = {
		.name = helper->name,
		.default_config_path = SYSCONFDIR "/sluice/sluice.conf",
		.config = sluice_config_table,
		.config_count = sluice_config_count,
		.config_values = &helper_daemon_config,
		.config_values_size = sizeof helper_daemon_config,
		.pidfile = helper_daemon_pidfile,
		.check = helper_daemon_check,
		.start = helper_daemon_start,
		.stop = helper->stop,
		.finish = helper->finish,
		.reload = helper_daemon_reload,
	};
	return daemon_main(argc, argv, &spec);
}
