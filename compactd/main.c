/*
 * compactd: rewrites objects in the bucket and deletes what the catalog
 * no longer needs (see compactd.c and run.c).  The start-up it shares with
 * uploaderd is common/helper_daemon.c.
 */
#include "autoconfig.h"

#include "common/helper_daemon.h"
#include "common/sluice_config.h"
#include "compactd/compactd.h"

/* compactd's own pidfile. */
static const char *compactd_pidfile(const struct sluice_config *cfg)
{
	return cfg->compactd_pid_file;
}

int main(int argc, char **argv)
{
	static const struct helper_daemon compactd = {
		.name = "compactd",
		.pidfile = compactd_pidfile,
		.start = compactd_start,
		.stop = compactd_stop,
		.finish = compactd_finish,
	};
	return helper_daemon_main(argc, argv, &compactd);
}
