/*
 * The daemons' shared config table (keys in sluice_config.h) and derived
 * defaults.
 */
#include "sluice_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/shm_layout.h"

const struct config_param sluice_config_table[] = {
#define BROKER_CONFIG_ROW(field, key, type, def, min, max, reload, doc)        \
	{key, CONFIG_##type, def, min, max, reload,                            \
	 offsetof(struct sluice_config, field), doc},
	SLUICE_CONFIG(BROKER_CONFIG_ROW)
#undef BROKER_CONFIG_ROW
};

const size_t sluice_config_count =
	sizeof sluice_config_table / sizeof sluice_config_table[0];

/* Replaces an empty string value with a formatted default. */
static int config_default_path(char **slot, const char *fmt,
				      const char *a, unsigned n)
{
	if (*slot && **slot)
		return 0;
	char buf[4096];
	if (a)
		snprintf(buf, sizeof buf, fmt, a);
	else
		snprintf(buf, sizeof buf, fmt, n);
	free(*slot);
	*slot = strdup(buf);
	return *slot ? 0 : -1;
}

int sluice_config_finish(struct sluice_config *cfg, char *err, size_t errlen)
{
	if (!cfg->data_dir || !*cfg->data_dir) {
		snprintf(err, errlen, "data.dir must not be empty");
		return -1;
	}
	if (strncmp(cfg->listeners, "PLAINTEXT://", 12) != 0) {
		snprintf(err, errlen,
			 "listeners: '%s' is not PLAINTEXT://host:port",
			 cfg->listeners);
		return -1;
	}
	if (strcmp(cfg->log_level, "debug") && strcmp(cfg->log_level, "info") &&
	    strcmp(cfg->log_level, "warn") && strcmp(cfg->log_level, "error")) {
		snprintf(err, errlen, "log.level: '%s' is not debug, info, warn or error",
			 cfg->log_level);
		return -1;
	}
	if (*cfg->metrics_listener &&
	    strncmp(cfg->metrics_listener, "http://", 7) != 0) {
		snprintf(err, errlen, "metrics.listener: '%s' is not http://host:port",
			 cfg->metrics_listener);
		return -1;
	}
	if (config_default_path(&cfg->wal_path, "%s/wal", cfg->data_dir, 0) ||
	    config_default_path(&cfg->pid_file, "%s/brokerd.pid",
				       cfg->data_dir, 0) ||
	    config_default_path(&cfg->shm_name, SHM_NAME_FORMAT, NULL,
				       (unsigned)cfg->node_id) ||
	    config_default_path(&cfg->control_socket, "%s/control.sock",
				       cfg->data_dir, 0) ||
	    config_default_path(&cfg->object_store, "file://%s/objects",
				       cfg->data_dir, 0) ||
	    config_default_path(&cfg->uploaderd_pid_file, "%s/uploaderd.pid",
				       cfg->data_dir, 0) ||
	    config_default_path(&cfg->compactd_pid_file, "%s/compactd.pid",
				       cfg->data_dir, 0)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* merged stream-set objects are cut at the target: below the small
	 * size they would be merged again at every run */
	if (cfg->compaction_small_object_bytes > cfg->compaction_target_bytes) {
		snprintf(err, errlen,
			 "compaction.small.object.bytes (%lld) exceeds compaction.target.bytes (%lld)",
			 (long long)cfg->compaction_small_object_bytes,
			 (long long)cfg->compaction_target_bytes);
		return -1;
	}
	if (cfg->message_max_bytes > cfg->socket_request_max_bytes) {
		snprintf(err, errlen,
			 "message.max.bytes (%lld) exceeds socket.request.max.bytes (%lld)",
			 (long long)cfg->message_max_bytes,
			 (long long)cfg->socket_request_max_bytes);
		return -1;
	}
	return 0;
}
