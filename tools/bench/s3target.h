/*
 * The brokerd under test as the S3 parts of the benchmark see it, read
 * from its sluice.conf (--s3-config): the object store it writes to and
 * the name of its shared-memory segment.
 */
#ifndef SLUICE_BENCH_S3TARGET_H
#define SLUICE_BENCH_S3TARGET_H

#include <stddef.h>

#include "common/objstore.h"
#include "common/sluice_config.h"

struct s3target {
	struct sluice_config cfg;       /* every key, defaults filled in */
	struct objstore_options store;  /* strings point into cfg */
	const char *shm_name;           /* points into cfg */
};

/*
 * Loads path as the daemons do (defaults, the file, derived defaults).
 * Returns 0, or SL_EINVAL with err ("file:line: ..." for a bad line).
 * On success free it with s3target_free.
 */
int s3target_load(struct s3target *t, const char *path, char *err, size_t errlen);
void s3target_free(struct s3target *t);

#endif
