/*
 * compactd: rewrites objects in the bucket and deletes what the catalog
 * no longer needs (see compactd.c and run.c).
 */
#include "autoconfig.h"

#include "common/config.h"
#include "common/daemon.h"
#include "common/sluice_config.h"
#include "compactd/compactd.h"

static struct sluice_config compactd_config;

/* compactd's own pidfile. */
static const char *compactd_pidfile(void *values)
{
	return ((struct sluice_config *)values)->compactd_pid_file;
}

/* Derived defaults and cross-key checks, shared with brokerd. */
static int compactd_check(void *values, char *err, size_t errlen)
{
	return sluice_config_finish(values, err, errlen);
}

/* SIGHUP: takes the reloadable keys of the checked values and logs the
 * changed ones that need a restart. */
static void compactd_reload(void *values)
{
	config_reload(sluice_config_table, sluice_config_count, &compactd_config, values,
		      "compactd");
}

/* Starts compaction. */
static int compactd_begin(struct event_base *base, void *values)
{
	return compactd_start(base, values);
}

int main(int argc, char **argv)
{
	struct daemon_spec spec = {
		.name = "compactd",
		.default_config_path = SYSCONFDIR "/sluice/sluice.conf",
		.config = sluice_config_table,
		.config_count = sluice_config_count,
		.config_values = &compactd_config,
		.config_values_size = sizeof compactd_config,
		.pidfile = compactd_pidfile,
		.check = compactd_check,
		.start = compactd_begin,
		.stop = compactd_stop,
		.finish = compactd_finish,
		.reload = compactd_reload,
	};
	return daemon_main(argc, argv, &spec);
}
