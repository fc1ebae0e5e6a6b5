/*
 * clock — thin wrappers over clock_gettime(). See clock.h.
 */
/* The build defines _GNU_SOURCE; this keeps a hand build of the file working. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "util/clock.h"

#include <limits.h>
#include <time.h>

/* clock_gettime cannot fail for these clocks with a valid timespec, so its
 * result is not checked. */
static int64_t now_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t kafc__clock_us(void)
{
    return now_ns(CLOCK_MONOTONIC) / 1000;
}

int64_t kafc__clock_ms(void)
{
    return now_ns(CLOCK_MONOTONIC) / 1000000;
}

int64_t kafc__wallclock_ms(void)
{
    return now_ns(CLOCK_REALTIME) / 1000000;
}

int64_t kafc__deadline_ms(int timeout_ms)
{
    if (timeout_ms < 0)
        return INT64_MAX;
    return kafc__clock_ms() + timeout_ms;
}

int kafc__remaining_ms(int64_t deadline)
{
    int64_t left;

    if (deadline == INT64_MAX)
        return -1;
    left = deadline - kafc__clock_ms();
    if (left <= 0)
        return 0;
    if (left > INT_MAX)
        return INT_MAX;
    return (int)left;
}
