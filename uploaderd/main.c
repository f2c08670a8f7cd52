/*
 * uploaderd: moves sealed WAL regions to object storage (see uploader.c).
 * The start-up it shares with compactd is common/helper_daemon.c.
 */
#include "autoconfig.h"

#include "common/helper_daemon.h"
#include "common/sluice_config.h"
#include "uploaderd/uploader.h"

/* uploaderd's own pidfile. */
static const char *uploaderd_pidfile(const struct sluice_config *cfg)
{
	return cfg->uploaderd_pid_file;
}

int main(int argc, char **argv)
{
	static const struct helper_daemon uploaderd = {
		.name = "uploaderd",
		.pidfile = uploaderd_pidfile,
		.start = uploader_start,
		.stop = uploader_stop,
		.finish = uploader_finish,
	};
	return helper_daemon_main(argc, argv, &uploaderd);
}
