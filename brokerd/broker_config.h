/*
 * brokerd's configuration is the daemons' shared table.
 */
#ifndef SLUICE_BROKER_CONFIG_H
#define SLUICE_BROKER_CONFIG_H

#include "common/sluice_config.h"

#endif
