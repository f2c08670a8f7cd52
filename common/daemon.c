/*
 * Daemon skeleton shared by brokerd, uploaderd and compactd (after Postfix's
 * single_server.c).  Signals are libevent events: handlers never do work in
 * signal context.  When daemonising, the parent waits on a pipe until the
 * child calls daemon_ready(), so "start" returns once the daemon serves;
 * until then the child's error lines come through the same pipe and the
 * parent prints them, so a failed start says why on the terminal.  The
 * ready mark is a NUL byte, which no log line contains.
 */
#include "autoconfig.h"

#include "config.h"
#include "daemon.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

static struct event_base *daemon_base;
static const struct daemon_spec *daemon_spec;
static const char *daemon_config_path;
static int daemon_ready_fd = -1;
static int daemon_stopping;

/* Prints usage, listing the config keys from the table. */
static void daemon_usage(const struct daemon_spec *spec, FILE *out)
{
	fprintf(out,
		"usage: %s [-c FILE] [-F] [-v] [-t] [-V] [-h]\n"
		"  -c FILE  configuration file (default %s)\n"
		"  -F       stay in the foreground, log to stderr\n"
		"  -v       verbose (debug) logging\n"
		"  -t       check the configuration and exit\n"
		"  -V       print the version and exit\n"
		"  -h       this help\n"
		"configuration keys (see sluice.conf(5)):\n",
		spec->name, spec->default_config_path);
	for (size_t i = 0; i < spec->config_count; i++)
		fprintf(out, "  %-32s default '%s'\n", spec->config[i].name,
			spec->config[i].default_value);
}

/* Opens and locks the pidfile; exits if another instance holds it. */
static int daemon_pidfile_lock(const char *path)
{
	/* the pidfile usually lives in the data directory, which a first
	 * start creates */
	char *dir = strdup(path);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0750) < 0 && errno != EEXIST)
			log_fatal("pidfile directory %s: %s", dir, strerror(errno));
	}
	free(dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		log_fatal("pidfile %s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			log_fatal("pidfile %s is locked: another %s is running",
				  path, daemon_spec->name);
		log_fatal("pidfile %s: lock: %s", path, strerror(errno));
	}
	char buf[32];
	int len = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len)
		log_fatal("pidfile %s: write: %s", path, strerror(errno));
	return fd; /* kept open: the lock lives as long as the process */
}

/* The parent's side of the readiness pipe: copies the child's error lines
 * to stderr; exits 0 at the ready mark, 1 when the child exits first. */
static void daemon_wait_ready(int fd)
{
	char buf[4096];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(1);
		char *mark = memchr(buf, '\0', (size_t)n);
		size_t text = mark ? (size_t)(mark - buf) : (size_t)n;
		if (text && write(2, buf, text) < 0)
			_exit(mark ? 0 : 1);
		if (mark)
			_exit(0);
	}
}

/* Forks; the parent waits for readiness and exits with the child's verdict. */
static void daemon_detach(void)
{
	int pfd[2];
	if (pipe(pfd) < 0)
		log_fatal("pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		log_fatal("fork: %s", strerror(errno));
	if (pid > 0) {
		close(pfd[1]);
		daemon_wait_ready(pfd[0]);
	}
	close(pfd[0]);
	daemon_ready_fd = pfd[1];
	log_set_startup_fd(pfd[1]);
	if (setsid() < 0)
		log_fatal("setsid: %s", strerror(errno));
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
}

void daemon_ready(void)
{
	log_info("%s ready (pid %ld)", daemon_spec->name, (long)getpid());
	if (daemon_ready_fd >= 0) {
		log_set_startup_fd(-1);
		ssize_t n = write(daemon_ready_fd, "", 1);
		(void)n;
		close(daemon_ready_fd);
		daemon_ready_fd = -1;
	}
}

void daemon_stop_done(void)
{
	event_base_loopexit(daemon_base, NULL);
}

/* SIGTERM/SIGINT: a first signal stops gracefully, a second one at once. */
static void daemon_on_term(evutil_socket_t sig, short what, void *arg)
{
	if (daemon_stopping++) {
		log_warn("second signal %d: stopping now", (int)sig);
		event_base_loopbreak(daemon_base);
		return;
	}
	log_info("signal %d: stopping", (int)sig);
	if (daemon_spec->stop)
		daemon_spec->stop();
	else
		daemon_stop_done();
}

/* Applies the table's log.level (every daemon shares the key); -v wins. */
static void daemon_apply_log_level(const struct daemon_spec *spec, void *values)
{
	const struct config_param *p =
		config_find(spec->config, spec->config_count, "log.level");
	enum log_level level;
	if (!p)
		return;
	const char *name = *(char **)((char *)values + p->offset);
	if (name && log_level_from_name(name, &level) == 0)
		log_set_level(level);
	else
		log_warn("log.level '%s' is not debug, info, warn or error",
			 name ? name : "");
}

/* SIGHUP: rereads the config file, checks it like a start would, and hands
 * it to the daemon's reload; a bad file leaves everything as it was. */
static void daemon_on_hup(evutil_socket_t sig, short what, void *arg)
{
	const struct daemon_spec *spec = daemon_spec;
	if (!spec->reload || !daemon_config_path) {
		log_info("SIGHUP: nothing to reload");
		return;
	}
	void *fresh = calloc(1, spec->config_values_size);
	char err[512];
	if (!fresh ||
	    config_set_defaults(spec->config, spec->config_count, fresh, err,
				sizeof err) < 0 ||
	    config_load_file(spec->config, spec->config_count, fresh,
			     daemon_config_path, err, sizeof err) < 0 ||
	    (spec->check && spec->check(fresh, err, sizeof err) < 0)) {
		log_error("reload: %s; keeping the running configuration",
			  fresh ? err : "out of memory");
	} else {
		log_info("SIGHUP: reloading %s", daemon_config_path);
		spec->reload(fresh);
		daemon_apply_log_level(spec, spec->config_values);
	}
	if (fresh) {
		config_free(spec->config, spec->config_count, fresh);
		free(fresh);
	}
}

int daemon_main(int argc, char **argv, const struct daemon_spec *spec)
{
	int foreground = 0, check_only = 0, verbose = 0, opt;
	const char *path = NULL;
	daemon_spec = spec;
	log_open(spec->name, 0);
	while ((opt = getopt(argc, argv, "c:FvtVh")) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'F': foreground = 1; break;
		case 'v': verbose = 1; break;
		case 't': check_only = 1; break;
		case 'V': printf("%s %s\n", spec->name, PACKAGE_VERSION); return 0;
		case 'h': daemon_usage(spec, stdout); return 0;
		default: daemon_usage(spec, stderr); return 2;
		}
	}
	if (optind < argc) {
		daemon_usage(spec, stderr);
		return 2;
	}
	char err[1024];
	if (config_set_defaults(spec->config, spec->config_count,
				spec->config_values, err, sizeof err) < 0)
		log_panic("bad built-in default: %s", err);
	if (!path && access(spec->default_config_path, R_OK) == 0)
		path = spec->default_config_path;
	if (path && config_load_file(spec->config, spec->config_count,
				     spec->config_values, path, err,
				     sizeof err) < 0) {
		fprintf(stderr, "%s: %s\n", spec->name, err);
		return 1;
	}
	if (spec->check && spec->check(spec->config_values, err, sizeof err) < 0) {
		fprintf(stderr, "%s: %s%s%s\n", spec->name, path ? path : "",
			path ? ": " : "", err);
		return 1;
	}
	if (check_only) {
		printf("%s: configuration %s is valid\n", spec->name,
		       path ? path : "(built-in defaults)");
		return 0;
	}
	if (path) {
		daemon_config_path = realpath(path, NULL);
	}
	daemon_apply_log_level(spec, spec->config_values);
	if (verbose)
		log_set_verbose();
	/* before the fork: the child writes to its parent's pipe */
	signal(SIGPIPE, SIG_IGN);
	if (!foreground) {
		daemon_detach();
		log_open(spec->name, 1);
	}
	int pidfd = daemon_pidfile_lock(spec->pidfile(spec->config_values));

	daemon_base = event_base_new();
	if (!daemon_base)
		log_fatal("event_base_new failed");
	struct event *ev_term = evsignal_new(daemon_base, SIGTERM, daemon_on_term, NULL);
	struct event *ev_int = evsignal_new(daemon_base, SIGINT, daemon_on_term, NULL);
	struct event *ev_hup = evsignal_new(daemon_base, SIGHUP, daemon_on_hup, NULL);
	event_add(ev_term, NULL);
	event_add(ev_int, NULL);
	event_add(ev_hup, NULL);

	if (spec->start(daemon_base, spec->config_values) < 0) {
		log_error("%s failed to start", spec->name);
		unlink(spec->pidfile(spec->config_values));
		return 1;
	}
	event_base_dispatch(daemon_base);
	if (spec->finish)
		spec->finish();
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_hup);
	event_base_free(daemon_base);
	unlink(spec->pidfile(spec->config_values));
	close(pidfd);
	config_free(spec->config, spec->config_count, spec->config_values);
	free((void *)daemon_config_path);
	log_info("%s stopped", spec->name);
	return 0;
}
