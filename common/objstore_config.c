/*
 * Object store options from the shared configuration.
 */
#include "objstore_config.h"

#include <string.h>

void objstore_options_from_config(const struct sluice_config *cfg,
				  struct objstore_options *oo)
{
	memset(oo, 0, sizeof *oo);
	oo->url = cfg->object_store;
	oo->endpoint = cfg->s3_endpoint;
	oo->region = cfg->s3_region;
	oo->path_style = cfg->s3_path_style != 0;
	oo->access_key = cfg->s3_access_key;
	oo->secret_key = cfg->s3_secret_key;
}
