/*
 * ApiVersions: the table of APIs and versions brokerd speaks.
 */
#ifndef SLUICE_API_VERSIONS_H
#define SLUICE_API_VERSIONS_H

struct request;

/* Answers a request whose version is above our maximum with
 * UNSUPPORTED_VERSION in the v0 layout (KIP-511); returns REQ_DONE. */
int api_versions_unsupported(struct request *req);

#endif
