/*
 * uploaderd's work: take the oldest sealed region that is not committed,
 * build its object, upload it, have brokerd commit it, repeat.  Regions are
 * committed strictly in order.  Everything it needs to resume is durable
 * elsewhere (the WAL, brokerd's catalog), so a restart simply asks brokerd
 * where the uploaded data ends.
 */
#ifndef SLUICE_UPLOADER_H
#define SLUICE_UPLOADER_H

struct event_base;
struct sluice_config;

int uploader_start(struct event_base *base, struct sluice_config *cfg);
/* Stops taking new regions; calls daemon_stop_done() when the upload in
 * flight has finished or been abandoned. */
void uploader_stop(void);
void uploader_finish(void);

#endif
