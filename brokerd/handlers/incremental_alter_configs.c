/*
 * IncrementalAlterConfigs v0-v1: SET, DELETE, APPEND and SUBTRACT on the
 * explicit configs of a topic or the broker config overrides of this
 * broker; keys not named keep their values.  The work is shared with
 * AlterConfigs in config_alter.c.
 */
#include "brokerd/handlers/config_alter.h"
#include "brokerd/server/request.h"

int handle_incremental_alter_configs(struct request *req)
{
	return config_alter_handle(req, 1);
}
