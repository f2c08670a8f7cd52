/*
 * Which Sluice daemons run, as their pidfiles say.  A daemon holds an
 * exclusive flock on its pidfile for as long as it lives (common/daemon.c),
 * so a lock we can take means the file is stale, whatever pid it holds:
 * no guessing from pids that the kernel may have reused.
 */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/config.h"

const char *const ctl_daemon_names[CTL_DAEMONS] = {"brokerd", "uploaderd", "compactd"};

const char *ctl_daemons_pidfile(const struct ctl *ctl, const char *daemon, char *buf,
				size_t len)
{
	char key[64];
	if (!strcmp(daemon, "brokerd"))
		snprintf(key, sizeof key, "pid.file");
	else
		snprintf(key, sizeof key, "%s.pid.file", daemon);
	const struct config_param *p = config_find(sluice_config_table, sluice_config_count, key);
	const char *v = p ? *(char *const *)((const char *)&ctl->cfg + p->offset) : NULL;
	if (v && *v)
		snprintf(buf, len, "%s", v);
	else
		snprintf(buf, len, "%s/%s.pid", ctl->cfg.data_dir, daemon);
	return buf;
}

int ctl_daemons_running(const struct ctl *ctl, const char *daemon, long *pid)
{
	char path[4096], text[32];
	*pid = 0;
	ctl_daemons_pidfile(ctl, daemon, path, sizeof path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = pread(fd, text, sizeof text - 1, 0);
	if (n > 0) {
		text[n] = '\0';
		*pid = strtol(text, NULL, 10);
	}
	int held = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd); /* drops our lock, if we got one */
	return held && *pid > 0;
}
