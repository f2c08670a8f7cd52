/*
 * Fetch: long-polling requests wait for durable data.
 */
#ifndef SLUICE_FETCH_H
#define SLUICE_FETCH_H

/* Hooks waiting fetches to high-watermark advances (durable.c). */
void fetch_init(void);

/* Re-plans every waiting fetch (a cold block arrived). */
void fetch_wake_all(void);

#endif
