/*
 * Helpers the group handlers share to turn request fields into the
 * NUL-terminated strings the coordinator keeps.  Group ids, member ids,
 * instance ids and protocol names never contain a NUL byte here: a request
 * carrying one is answered with an error (INVALID_GROUP_ID for a group id,
 * INVALID_REQUEST otherwise) rather than having the string cut short and
 * perhaps name something else.
 */
#ifndef SLUICE_GROUP_ARGS_H
#define SLUICE_GROUP_ARGS_H

#include "brokerd/protocol/kreader.h"

struct request;

/* Protocols, groups and members one request may name; more is malformed. */
#define GROUP_ARGS_MAX 100000

/* A heap copy of s, NULL for a null string; sets *bad when s holds a NUL
 * byte or memory runs out (then returns NULL). */
char *group_args_str(struct kslice s, int *bad);

/* Like group_args_str, but a null string becomes "". */
char *group_args_str_or_empty(struct kslice s, int *bad);

/* The request's client id ("" when null), as group_args_str. */
char *group_args_client_id(const struct request *req, int *bad);

/* The client's host as Kafka prints it ("/127.0.0.1") into buf. */
const char *group_args_client_host(const struct request *req, char *buf,
				   size_t size);

#endif
