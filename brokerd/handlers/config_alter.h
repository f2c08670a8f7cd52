/*
 * AlterConfigs and IncrementalAlterConfigs share their layout and their
 * work: read the resources, check each, compute the resource's new set of
 * explicit configs and hand it to topics_set_configs (a topic, journaled
 * in the catalog) or dynconfig_set (this broker).  The two differ in one
 * point, passed as `incremental`: AlterConfigs replaces a resource's whole
 * set (keys left out return to their defaults), IncrementalAlterConfigs
 * applies SET, DELETE, APPEND and SUBTRACT to the current one.
 */
#ifndef SLUICE_CONFIG_ALTER_H
#define SLUICE_CONFIG_ALTER_H

struct request;

/* Handles the request (either API); returns a REQ_* state. */
int config_alter_handle(struct request *req, int incremental);

#endif
