/*
 * clock — monotonic time for timeouts and deadlines, wall-clock time for
 * record timestamps.
 *
 * Every timeout inside kafc is turned into an absolute deadline on the
 * monotonic clock once, with kafc__deadline_ms(), and waits then ask
 * kafc__remaining_ms() how long is left, so a wait that wakes early and
 * loops never stretches the total. The module has no state: any thread, no
 * lock.
 */
#ifndef KAFC_UTIL_CLOCK_H
#define KAFC_UTIL_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in microseconds. Any thread; no lock. */
int64_t kafc__clock_us(void);

/* CLOCK_MONOTONIC in milliseconds. Any thread; no lock. */
int64_t kafc__clock_ms(void);

/* CLOCK_REALTIME in milliseconds since the Unix epoch (Kafka record
 * timestamps). Not monotonic: never use it for timeouts. Any thread. */
int64_t kafc__wallclock_ms(void);

/* The absolute monotonic deadline (ms) timeout_ms from now; a negative
 * timeout means "no deadline" and gives INT64_MAX. Any thread; no lock. */
int64_t kafc__deadline_ms(int timeout_ms);

/* Milliseconds left until deadline (from kafc__deadline_ms), clamped to
 * 0..INT_MAX; -1 when deadline is INT64_MAX (wait forever), matching the
 * poll()/epoll_wait() convention. Any thread; no lock. */
int kafc__remaining_ms(int64_t deadline);

#endif /* KAFC_UTIL_CLOCK_H */
