/*
 * uploaderd: moves sealed WAL regions to object storage (see uploader.c).
 */
#include "autoconfig.h"

#include "common/daemon.h"
#include "common/sluice_config.h"
#include "uploaderd/uploader.h"

static struct sluice_config uploaderd_config;

/* uploaderd's own pidfile. */
static const char *uploaderd_pidfile(void *values)
{
	return ((struct sluice_config *)values)->uploaderd_pid_file;
}

/* Derived defaults and cross-key checks, shared with brokerd. */
static int uploaderd_check(void *values, char *err, size_t errlen)
{
	return sluice_config_finish(values, err, errlen);
}

/* Starts the uploader. */
static int uploaderd_start(struct event_base *base, void *values)
{
	return uploader_start(base, values);
}

int main(int argc, char **argv)
{
	struct daemon_spec spec = {
		.name = "uploaderd",
		.default_config_path = SYSCONFDIR "/sluice/sluice.conf",
		.config = sluice_config_table,
		.config_count = sluice_config_count,
		.config_values = &uploaderd_config,
		.config_values_size = sizeof uploaderd_config,
		.pidfile = uploaderd_pidfile,
		.check = uploaderd_check,
		.start = uploaderd_start,
		.stop = uploader_stop,
		.finish = uploader_finish,
		.reload = uploader_reload,
	};
	return daemon_main(argc, argv, &spec);
}
