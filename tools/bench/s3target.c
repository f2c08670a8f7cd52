/*
 * Reads brokerd's sluice.conf for the S3 parts (see s3target.h) through
 * the daemons' own config table, so the benchmark reads the same object
 * store and segment as the daemons whatever defaults apply.  Main thread
 * only; nothing durable.
 */
#include "autoconfig.h"

#include "tools/bench/s3target.h"
#include "common/config.h"
#include "common/errors.h"
#include "common/objstore_config.h"

#include <string.h>

int s3target_load(struct s3target *t, const char *path, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	if (config_set_defaults(sluice_config_table, sluice_config_count, &t->cfg, err, errlen) != 0)
		return SL_EINVAL;
	if (config_load_file(sluice_config_table, sluice_config_count, &t->cfg, path, err,
			     errlen) != 0 ||
	    sluice_config_finish(&t->cfg, err, errlen) != 0) {
		config_free(sluice_config_table, sluice_config_count, &t->cfg);
		return SL_EINVAL;
	}
	objstore_options_from_config(&t->cfg, &t->store);
	t->shm_name = t->cfg.shm_name;
	return 0;
}

void s3target_free(struct s3target *t)
{
	config_free(sluice_config_table, sluice_config_count, &t->cfg);
	memset(t, 0, sizeof *t);
}
