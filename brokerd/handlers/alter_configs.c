/*
 * AlterConfigs v0-v2: replaces the whole set of explicit configs of a
 * topic, or the broker config overrides of this broker (keys left out
 * return to their defaults, or to sluice.conf's values).  The work is
 * shared with IncrementalAlterConfigs in config_alter.c.
 */
#include "brokerd/handlers/config_alter.h"
#include "brokerd/server/request.h"

int handle_alter_configs(struct request *req)
{
	return config_alter_handle(req, 0);
}
