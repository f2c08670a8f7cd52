/*
 * The local-directory backend (file:///path): each key is a file under the
 * root, '/' in keys making directories.  The embedded default, and what
 * tests use when they need no S3.
 *
 * Every operation runs on the store's worker pool and completes on the
 * loop, so the loop never waits for the disk.  A PUT writes a temp file
 * (".objstore-tmp.*" beside the target), fsyncs it, renames it over the
 * final name and fsyncs the directory (and every directory it had to
 * create), so after a crash a key holds either its old bytes or all of its
 * new ones, never a part.  Temp names are hidden from LIST and refused as
 * keys.  DELETE unlinks (a missing key is fine, as in S3), removes
 * directories it left empty, and does not sync: a delete lost in a crash is
 * repeated by whoever tracks the object.
 *
 * A key cannot be both an object and a "directory" of other keys here
 * (S3 allows "a" and "a/b"); such a PUT fails with the filesystem's error.
 *
 * Threading: work functions run on pool threads and touch only their own
 * job; done functions run on the loop.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common/errors.h"
#include "common/objstore_internal.h"

#define LOCAL_TMP_TAG ".objstore-tmp."
#define LOCAL_WORKERS 4
#define LOCAL_PUT_TRIES 3 /* a concurrent DELETE may rmdir our directory */

/* One operation's work and its outcome, filled on a worker. */
struct local_job {
	struct objstore_op *op;
	int status;
	char msg[400];
	uint64_t bytes; /* moved, for the counters */
};

/* Records a failure of the job (first one wins). */
static void local_job_error(struct local_job *job, int status, const char *what,
			    const char *path, int err)
{
	if (job->status)
		return;
	job->status = status;
	snprintf(job->msg, sizeof job->msg, "%s %s: %s", what, path,
		 strerror(err));
}

/* fsyncs the directory at path; returns 0 or an errno. */
static int local_fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	int rc = fsync(fd) < 0 ? errno : 0;
	close(fd);
	return rc;
}

/* Length of the directory part of path (up to the last '/'), 0 if none. */
static size_t local_dir_len(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? (size_t)(slash - path) : 0;
}

/*
 * Creates dir and missing parents below root, fsyncing each parent that
 * gained an entry.  Returns 0 or an errno (and sets *failed to the path).
 */
static int local_mkdirs(const char *root, char *dir, const char **failed)
{
	struct stat st;
	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
	if (errno != ENOENT) {
		*failed = dir;
		return errno;
	}
	size_t n = local_dir_len(dir);
	if (n > strlen(root)) {
		dir[n] = '\0';
		int rc = local_mkdirs(root, dir, failed);
		dir[n] = '/';
		if (rc)
			return rc;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		*failed = dir;
		return errno;
	}
	dir[n] = '\0';
	int rc = local_fsync_dir(n ? dir : "/");
	dir[n] = '/';
	if (rc)
		*failed = dir;
	return rc;
}

/* Writes all of buf to fd; returns 0 or an errno. */
static int local_write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len > (1u << 30) ? 1u << 30 : len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* PUT: temp file, fsync, rename, fsync of the directory. */
static void local_put_work(struct local_job *job)
{
	static unsigned long counter;
	struct objstore_op *op = job->op;
	const char *path = op->full_key;
	size_t dlen = local_dir_len(path);
	char *dir = strndup(path, dlen);
	char *tmp = malloc(strlen(path) + sizeof LOCAL_TMP_TAG + 48);
	if (!dir || !tmp) {
		job->status = SL_ENOMEM;
		snprintf(job->msg, sizeof job->msg, "out of memory");
		goto out;
	}
	sprintf(tmp, "%s/%s%.100s.%ld.%lu", dir, LOCAL_TMP_TAG, path + dlen + 1,
		(long)getpid(),
		__atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
	int fd = -1;
	for (int tries = 0; fd < 0 && tries < LOCAL_PUT_TRIES; tries++) {
		const char *failed = dir;
		int rc = local_mkdirs(op->os->root, dir, &failed);
		if (rc) {
			local_job_error(job, SL_EIO, "mkdir", failed, rc);
			goto out;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 && errno != ENOENT)
			break;
	}
	if (fd < 0) {
		local_job_error(job, SL_EIO, "create", tmp, errno);
		goto out;
	}
	int rc = local_write_all(fd, op->data, op->len);
	if (rc)
		local_job_error(job, SL_EIO, "write", tmp, rc);
	else if (fsync(fd) < 0)
		local_job_error(job, SL_EIO, "fsync", tmp, errno);
	if (close(fd) < 0)
		local_job_error(job, SL_EIO, "close", tmp, errno);
	if (!job->status && rename(tmp, path) < 0)
		local_job_error(job, SL_EIO, "rename to", path, errno);
	if (job->status) {
		unlink(tmp);
		goto out;
	}
	rc = local_fsync_dir(dir);
	if (rc)
		local_job_error(job, SL_EIO, "fsync of directory", dir, rc);
	else
		job->bytes = op->len;
out:
	free(dir);
	free(tmp);
}

/* Marks job as a missing key, in S3's words. */
static void local_job_missing(struct local_job *job)
{
	job->status = SL_ENOENT;
	snprintf(job->msg, sizeof job->msg,
		 "NoSuchKey: The specified key does not exist.");
}

/* GET: pread of the range into the op's body. */
static void local_get_work(struct local_job *job)
{
	struct objstore_op *op = job->op;
	const char *path = op->full_key;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			local_job_missing(job);
		else
			local_job_error(job, SL_EIO, "open", path, errno);
		return;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		local_job_error(job, SL_EIO, "stat", path, errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		local_job_missing(job);
		goto out;
	}
	uint64_t size = (uint64_t)st.st_size;
	op->res.object_size = size;
	int ranged = op->offset > 0 || op->range_len > 0;
	if (ranged && op->offset >= size) {
		job->status = SL_EIO;
		snprintf(job->msg, sizeof job->msg,
			 "InvalidRange: The requested range is not "
			 "satisfiable (offset %llu, size %llu)",
			 (unsigned long long)op->offset,
			 (unsigned long long)size);
		goto out;
	}
	uint64_t want = size - op->offset;
	if (op->range_len && op->range_len < want)
		want = op->range_len;
	if (objstore_buf_reserve(&op->body, want) < 0) {
		job->status = SL_ENOMEM;
		snprintf(job->msg, sizeof job->msg,
			 "out of memory for %llu bytes",
			 (unsigned long long)want);
		goto out;
	}
	uint64_t done = 0;
	while (done < want) {
		ssize_t n = pread(fd, op->body.p + done, want - done,
				  (off_t)(op->offset + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			local_job_error(job, SL_EIO, "read", path, errno);
			goto out;
		}
		if (n == 0)
			break; /* truncated under us: return what is there */
		done += (uint64_t)n;
	}
	op->body.len = done;
	op->body.p[done] = '\0';
	job->bytes = done;
out:
	close(fd);
}

/* HEAD: the file's size. */
static void local_head_work(struct local_job *job)
{
	struct objstore_op *op = job->op;
	struct stat st;
	if (stat(op->full_key, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			local_job_missing(job);
		else
			local_job_error(job, SL_EIO, "stat", op->full_key,
					errno);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		local_job_missing(job);
		return;
	}
	op->res.object_size = (uint64_t)st.st_size;
}

/* Whether a directory whose key path is rel (ending in '/') can hold keys
 * starting with prefix. */
static int local_dir_may_match(const char *rel, size_t rlen, const char *prefix,
			       size_t plen)
{
	size_t n = rlen < plen ? rlen : plen;
	return memcmp(rel, prefix, n) == 0;
}

/* Walks the directory whose key path is rel->p (empty or ending in '/'),
 * adding files whose key starts with prefix. */
static void local_list_dir(struct local_job *job, struct objstore_buf *rel,
			   const char *prefix)
{
	struct objstore_op *op = job->op;
	const char *root = op->os->root;
	size_t plen = strlen(prefix);
	struct objstore_buf path = { 0 };
	objstore_buf_printf(&path, "%s/%s", root, rel->p ? rel->p : "");
	if (path.oom) {
		job->status = SL_ENOMEM;
		return;
	}
	DIR *d = opendir(path.p);
	if (!d) {
		if (errno != ENOENT && errno != ENOTDIR)
			local_job_error(job, SL_EIO, "opendir", path.p, errno);
		objstore_buf_free(&path);
		return;
	}
	struct dirent *de;
	size_t base = rel->len;
	while (!job->status && (de = readdir(d))) {
		const char *name = de->d_name;
		if (!strcmp(name, ".") || !strcmp(name, "..") ||
		    !strncmp(name, LOCAL_TMP_TAG, sizeof LOCAL_TMP_TAG - 1))
			continue;
		rel->len = base;
		objstore_buf_cat(rel, name);
		struct stat st;
		if (rel->oom) {
			job->status = SL_ENOMEM;
			break;
		}
		if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT) /* deleted meanwhile: skip */
				local_job_error(job, SL_EIO, "stat", rel->p,
						errno);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			objstore_buf_add(rel, "/", 1);
			if (local_dir_may_match(rel->p, rel->len, prefix, plen))
				local_list_dir(job, rel, prefix);
		} else if (S_ISREG(st.st_mode) && rel->len >= plen &&
			   !memcmp(rel->p, prefix, plen)) {
			int64_t ms = (int64_t)st.st_mtim.tv_sec * 1000 +
				     st.st_mtim.tv_nsec / 1000000;
			if (objstore_op_list_add(op, rel->p, rel->len,
						 (uint64_t)st.st_size, ms) != 0)
				job->status = SL_ENOMEM;
		}
	}
	rel->len = base;
	if (rel->p)
		rel->p[base] = '\0';
	closedir(d);
	objstore_buf_free(&path);
	if (job->status == SL_ENOMEM && !job->msg[0])
		snprintf(job->msg, sizeof job->msg, "out of memory");
}

/* LIST: a walk from the deepest directory the prefix names. */
static void local_list_work(struct local_job *job)
{
	const char *prefix = job->op->key;
	struct objstore_buf rel = { 0 };
	const char *slash = strrchr(prefix, '/');
	if (slash)
		objstore_buf_add(&rel, prefix, (size_t)(slash - prefix) + 1);
	else
		objstore_buf_reserve(&rel, 0);
	if (rel.oom) {
		job->status = SL_ENOMEM;
		snprintf(job->msg, sizeof job->msg, "out of memory");
	} else {
		local_list_dir(job, &rel, prefix);
	}
	objstore_buf_free(&rel);
}

/* DELETE: unlink each key, then prune directories left empty. */
static void local_delete_work(struct local_job *job)
{
	struct objstore_op *op = job->op;
	const char *root = op->os->root;
	size_t rootlen = strlen(root);
	size_t failed = 0;
	struct objstore_buf errs = { 0 };
	for (size_t i = 0; i < op->nkeys; i++) {
		struct objstore_buf path = { 0 };
		objstore_buf_printf(&path, "%s/%s", root, op->keys[i]);
		if (path.oom) {
			job->status = SL_ENOMEM;
			break;
		}
		struct stat st;
		int err = 0;
		if (lstat(path.p, &st) == 0 && S_ISDIR(st.st_mode))
			err = 0; /* a "directory" is no object: nothing to do */
		else if (unlink(path.p) < 0 && errno != ENOENT &&
			 errno != ENOTDIR)
			err = errno;
		if (err) {
			if (failed++ < 5)
				objstore_buf_printf(&errs, "%s%s: %s",
						    failed > 1 ? "; " : "",
						    op->keys[i], strerror(err));
		} else {
			/* rmdir fails on the first non-empty parent. */
			for (size_t n = local_dir_len(path.p); n > rootlen;
			     n = local_dir_len(path.p)) {
				path.p[n] = '\0';
				if (rmdir(path.p) < 0)
					break;
			}
		}
		objstore_buf_free(&path);
	}
	if (job->status == SL_ENOMEM)
		snprintf(job->msg, sizeof job->msg, "out of memory");
	else if (failed) {
		job->status = SL_EIO;
		snprintf(job->msg, sizeof job->msg,
			 "%zu of %zu keys not deleted: %s", failed, op->nkeys,
			 errs.p ? errs.p : "");
	}
	objstore_buf_free(&errs);
}

/* Runs the job's operation on a worker. */
static void local_work(void *arg)
{
	struct local_job *job = arg;
	switch (job->op->kind) {
	case OBJSTORE_PUT: local_put_work(job); break;
	case OBJSTORE_GET: local_get_work(job); break;
	case OBJSTORE_HEAD: local_head_work(job); break;
	case OBJSTORE_LIST: local_list_work(job); break;
	case OBJSTORE_DELETE: local_delete_work(job); break;
	}
}

/* Back on the loop: counts bytes and finishes the operation. */
static void local_done(void *arg)
{
	struct local_job *job = arg;
	struct objstore_op *op = job->op;
	struct objstore_stats *st = &op->os->stats;
	if (op->kind == OBJSTORE_PUT) {
		st->bytes_up += job->bytes;
		op->res.object_size = job->bytes;
	} else if (op->kind == OBJSTORE_GET)
		st->bytes_down += job->bytes;
	if (job->status)
		objstore_op_fail(op, job->status, 0, "%s", job->msg);
	else
		objstore_op_finish(op);
}

/* Frees the job with its operation. */
static void local_job_free(struct objstore_op *op)
{
	free(op->impl);
	op->impl = NULL;
}

/* Whether a segment of key starts like our temp names (LIST hides them). */
static int local_key_reserved(const char *key)
{
	for (const char *seg = key;;) {
		if (!strncmp(seg, LOCAL_TMP_TAG, sizeof LOCAL_TMP_TAG - 1))
			return 1;
		const char *slash = strchr(seg, '/');
		if (!slash)
			return 0;
		seg = slash + 1;
	}
}

/* Starts an operation on the pool. */
static void local_start(struct objstore_op *op)
{
	struct local_job *job = calloc(1, sizeof *job);
	if (!job) {
		objstore_op_fail(op, SL_ENOMEM, 0, "out of memory");
		return;
	}
	job->op = op;
	op->impl = job;
	op->impl_free = local_job_free;
	if (op->kind == OBJSTORE_PUT && local_key_reserved(op->key)) {
		objstore_op_fail(op, SL_EINVAL, 0,
				 "key uses the reserved name %s*",
				 LOCAL_TMP_TAG);
		return;
	}
	if (objstore_pool_submit(op->os->pool, local_work, local_done, job))
		objstore_op_fail(op, SL_ENOMEM, 0, "out of memory");
}

/* Creates the root if needed and checks it is a writable directory. */
static int local_open(struct objstore *os, char *err, size_t errlen)
{
	char *dir = strdup(os->root);
	if (!dir) {
		snprintf(err, errlen, "out of memory");
		return SL_ENOMEM;
	}
	const char *failed = os->root;
	int rc = strcmp(dir, "/") ? local_mkdirs("", dir, &failed) : 0;
	free(dir);
	if (rc) {
		snprintf(err, errlen, "object store %s: %s", os->opt.url,
			 strerror(rc));
		return SL_EIO;
	}
	if (access(os->root, W_OK | X_OK) < 0) {
		snprintf(err, errlen, "object store %s: %s", os->opt.url,
			 strerror(errno));
		return SL_EIO;
	}
	return 0;
}

/* Nothing of its own to free: jobs go with their operations. */
static void local_close(struct objstore *os)
{
	(void)os;
}

const struct objstore_backend objstore_local_backend = {
	.name = "local",
	.workers = LOCAL_WORKERS,
	.open = local_open,
	.close = local_close,
	.start = local_start,
};
