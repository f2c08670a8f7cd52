/*
 * Object store options from the shared configuration (object.store, s3.*).
 */
#ifndef SLUICE_OBJSTORE_CONFIG_H
#define SLUICE_OBJSTORE_CONFIG_H

#include "common/objstore.h"
#include "common/sluice_config.h"

/* Fills oo from cfg; strings point into cfg. */
void objstore_options_from_config(const struct sluice_config *cfg,
				  struct objstore_options *oo);

#endif
