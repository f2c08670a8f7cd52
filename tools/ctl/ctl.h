/*
 * sluicectl's shared pieces: the loaded configuration and output mode, the
 * control socket client, the formatting helpers, and each subcommand's
 * entry point.  Every subcommand returns the process exit status: 0 done,
 * 1 failed (brokerd not running, an error answer), 2 bad usage.
 */
#ifndef SLUICE_CTL_H
#define SLUICE_CTL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/sluice_config.h"

struct ctl {
	struct sluice_config cfg; /* effective: file over defaults, derived filled */
	const char *conf_path;    /* the file read, or NULL for built-in defaults */
	int conf_exists;          /* whether conf_path was there to read */
	int as_json;
};

/* A subcommand: argv[0] is its name; options follow. */
typedef int (*ctl_command_fn)(struct ctl *ctl, int argc, char **argv);

/* ---- ctl_client.c: brokerd's control socket ---- */

/* Sends req (the reference is taken) and returns the reply (a new
 * reference), waiting at most timeout_ms.  NULL after printing why on
 * stderr: brokerd not running (no socket, refused), no answer. */
json_t *ctl_client_request(const struct ctl *ctl, json_t *req, int timeout_ms);

/* Like ctl_client_request, but an {"ok":false} answer is printed as
 * "sluicectl: <what>: <error>" and NULL returned. */
json_t *ctl_client_call(const struct ctl *ctl, const char *what, json_t *req);

/* Whether an error answer means brokerd lacks the op (an older brokerd,
 * or a feature not built in). */
int ctl_client_unknown_op(json_t *reply);

/* ---- ctl_format.c: human output ---- */

/* "1.5 MiB" (or "512 B"); returns buf. */
const char *ctl_format_bytes(uint64_t n, char *buf, size_t len);
/* "3.2 s ago", "5 min ago", "never" for 0; wall-clock ms in; returns buf. */
const char *ctl_format_age(int64_t at_ms, char *buf, size_t len);
/* "2024-05-01 12:00:00" (local time) for wall-clock ms; returns buf. */
const char *ctl_format_time(int64_t at_ms, char *buf, size_t len);
/* Integer member of obj (a path of up to two keys), or dflt. */
long long ctl_format_int(json_t *obj, const char *key1, const char *key2, long long dflt);
/* Prints v as indented JSON and a newline on stdout. */
void ctl_format_json(json_t *v);

/* ---- ctl_daemons.c: which daemons run, from their pidfiles ---- */

#define CTL_DAEMONS 3

/* The daemons in start order: brokerd, uploaderd, compactd. */
extern const char *const ctl_daemon_names[CTL_DAEMONS];

/* The pidfile path of daemon (pid.file, <daemon>.pid.file, or
 * <data.dir>/<daemon>.pid) into buf; returns buf. */
const char *ctl_daemons_pidfile(const struct ctl *ctl, const char *daemon, char *buf,
				size_t len);

/* Whether daemon runs: 1 with *pid set, 0 not running (*pid is the stale
 * pidfile's pid, or 0 without a pidfile). */
int ctl_daemons_running(const struct ctl *ctl, const char *daemon, long *pid);

/* ---- the subcommands ---- */
int ctl_status_run(struct ctl *ctl, int argc, char **argv);
int ctl_inspect_topics(struct ctl *ctl, int argc, char **argv);
int ctl_inspect_groups(struct ctl *ctl, int argc, char **argv);
int ctl_inspect_wal(struct ctl *ctl, int argc, char **argv);
int ctl_inspect_catalog(struct ctl *ctl, int argc, char **argv);
int ctl_objects_run(struct ctl *ctl, int argc, char **argv);
int ctl_config_run(struct ctl *ctl, int argc, char **argv);
int ctl_actions_upload_now(struct ctl *ctl, int argc, char **argv);
int ctl_actions_compact_now(struct ctl *ctl, int argc, char **argv);

#endif
