/*
 * Object sources for sluice-object (see source.h).  A local file is read
 * with pread; a URL opens an object store (common/objstore.h, through its
 * synchronous wrappers: a tool may block) and each read is one ranged GET.
 * Nothing is cached, each read allocates its own buffer, and nothing is
 * ever written.
 */
#include "autoconfig.h"

#include "tools/object/source.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/objstore.h"
#include "common/objstore_config.h"

struct source {
	char *name;
	uint64_t size;
	int fd;                      /* a file, or -1 */
	struct objstore_sync *store; /* a URL, or NULL */
	char *key;
};

/* Opens a local file. */
static int source_open_file(const char *path, struct source *src, char *err,
			    size_t errlen)
{
	struct stat st;
	src->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (src->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? SL_ENOENT : SL_EIO;
	}
	if (fstat(src->fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return SL_EIO;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return SL_EINVAL;
	}
	src->size = (uint64_t)st.st_size;
	return 0;
}

/* Splits a URL into the store's URL and the key: the key starts after the
 * last "/o/" (object_key's layout), else after the last '/'. */
static int source_split_url(const char *url, char **base, char **key)
{
	const char *path = strstr(url, "://") + 3, *cut = NULL;
	for (const char *p = path; (p = strstr(p, "/o/")); p++)
		cut = p;
	if (!cut)
		cut = strrchr(path, '/');
	if (!cut || cut[1] == '\0')
		return SL_EINVAL;
	*base = strndup(url, (size_t)(cut - url));
	*key = strdup(cut + 1);
	return *base && *key ? 0 : SL_ENOMEM;
}

/* Opens the store a URL names and finds the object's size. */
static int source_open_url(const char *url, const struct sluice_config *cfg,
			   struct source *src, char *err, size_t errlen)
{
	char *base = NULL, why[512];
	int rc = source_split_url(url, &base, &src->key);
	if (rc) {
		snprintf(err, errlen, "%s: %s", url, rc == SL_EINVAL ?
			 "no object key in the URL" : "out of memory");
		free(base);
		return rc;
	}
	struct objstore_options oo;
	objstore_options_from_config(cfg, &oo);
	oo.url = base;
	rc = objstore_sync_open(&oo, &src->store, why, sizeof why);
	if (rc == 0)
		rc = objstore_sync_head(src->store, src->key, &src->size, why,
					sizeof why);
	if (rc == SL_ENOENT)
		snprintf(err, errlen, "%s: no such object", url);
	else if (rc)
		snprintf(err, errlen, "%s: %s", url, why);
	free(base);
	return rc;
}

int source_open(const char *name, const struct sluice_config *cfg,
		struct source **out, char *err, size_t errlen)
{
	struct source *src = calloc(1, sizeof *src);
	if (!src || !(src->name = strdup(name))) {
		free(src);
		snprintf(err, errlen, "out of memory");
		return SL_ENOMEM;
	}
	src->fd = -1;
	int rc;
	if (strncmp(name, "file://", 7) == 0 || strncmp(name, "s3://", 5) == 0)
		rc = source_open_url(name, cfg, src, err, errlen);
	else
		rc = source_open_file(name, src, err, errlen);
	if (rc) {
		source_close(src);
		return rc;
	}
	*out = src;
	return 0;
}

uint64_t source_size(const struct source *src)
{
	return src->size;
}

/* One ranged GET of the object. */
static int source_read_store(struct source *src, uint64_t off, size_t len,
			     uint8_t **buf, char *err, size_t errlen)
{
	char why[512];
	size_t got;
	if (len == 0) /* a GET of length 0 would mean "to the end" */
		return (*buf = malloc(1)) ? 0 : SL_ENOMEM;
	int rc = objstore_sync_get(src->store, src->key, off, len, buf, &got,
				   NULL, why, sizeof why);
	if (rc) {
		snprintf(err, errlen, "%s: GET %" PRIu64 "+%zu: %s", src->name,
			 off, len, why);
		return rc;
	}
	if (got != len) {
		snprintf(err, errlen, "%s: GET %" PRIu64 "+%zu returned %zu "
			 "bytes", src->name, off, len, got);
		free(*buf);
		return SL_EIO;
	}
	return 0;
}

int source_read(struct source *src, uint64_t off, size_t len, uint8_t **buf,
		char *err, size_t errlen)
{
	if (off > src->size || len > src->size - off) {
		snprintf(err, errlen, "%s: range %" PRIu64 "+%zu is past the "
			 "end (%" PRIu64 " bytes)", src->name, off, len,
			 src->size);
		return SL_ECORRUPT;
	}
	if (src->store)
		return source_read_store(src, off, len, buf, err, errlen);
	uint8_t *p = malloc(len ? len : 1);
	if (!p) {
		snprintf(err, errlen, "%s: out of memory for %zu bytes",
			 src->name, len);
		return SL_ENOMEM;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t r = pread(src->fd, p + done, len - done,
				  (off_t)(off + done));
		if (r <= 0) {
			snprintf(err, errlen, "%s: read at %" PRIu64 ": %s",
				 src->name, off + done,
				 r < 0 ? strerror(errno) : "file shrank");
			free(p);
			return r < 0 ? SL_EIO : SL_ECORRUPT;
		}
		done += (size_t)r;
	}
	*buf = p;
	return 0;
}

void source_close(struct source *src)
{
	if (!src)
		return;
	if (src->fd >= 0)
		close(src->fd);
	if (src->store)
		objstore_sync_close(src->store);
	free(src->key);
	free(src->name);
	free(src);
}
