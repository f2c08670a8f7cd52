/*
 * brokerd: the Kafka-speaking daemon.  Everything happens in the modules
 * that broker_start() brings up; main only hands the skeleton its table.
 */
#include "autoconfig.h"

#include "brokerd/broker.h"
#include "common/daemon.h"

static struct broker_config brokerd_config;

/* Pidfile path, known once the config (and its derived defaults) is in. */
static const char *brokerd_pidfile(void *values)
{
	return ((struct broker_config *)values)->pid_file;
}

/* -t and start-up: derived defaults and cross-key checks. */
static int brokerd_check(void *values, char *err, size_t errlen)
{
	return broker_config_finish(values, err, errlen);
}

int main(int argc, char **argv)
{
	static const struct daemon_spec spec = {
		.name = "brokerd",
		.default_config_path = SYSCONFDIR "/sluice/sluice.conf",
		.config = broker_config_table,
		.config_values = &brokerd_config,
		.config_values_size = sizeof brokerd_config,
		.pidfile = brokerd_pidfile,
		.check = brokerd_check,
		.start = broker_start,
		.stop = broker_stop,
		.finish = broker_finish,
		.reload = broker_reload,
	};
	struct daemon_spec s = spec;
	s.config_count = broker_config_count;
	return daemon_main(argc, argv, &s);
}
