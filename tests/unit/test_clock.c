/*
 * Unit tests for util/clock: monotonic and wall clocks, deadlines.
 */
#include <criterion/criterion.h>
#include <limits.h>

#include "util/clock.h"

/* One bound for every test of the file. (Criterion 2.4's runner leaks a
 * little memory when tests of one binary have different timeouts, which
 * fails the AddressSanitizer build; a suite-wide value avoids that.) */
TestSuite(clock, .timeout = 60);

Test(clock, monotonic_never_goes_back)
{
    int64_t prev_us = kafc__clock_us(), prev_ms = kafc__clock_ms();
    for (int i = 0; i < 100000; i++) {
        int64_t us = kafc__clock_us(), ms = kafc__clock_ms();
        cr_assert_geq(us, prev_us);
        cr_assert_geq(ms, prev_ms);
        prev_us = us;
        prev_ms = ms;
    }
}

Test(clock, units_agree)
{
    int64_t us = kafc__clock_us();
    int64_t ms = kafc__clock_ms();
    int64_t us2 = kafc__clock_us();
    cr_assert_geq(ms, us / 1000);
    cr_assert_leq(ms, us2 / 1000);
}

Test(clock, wallclock_is_epoch_ms)
{
    int64_t now = kafc__wallclock_ms();
    cr_assert_gt(now, INT64_C(1577836800000), "after 2020-01-01");
    cr_assert_lt(now, INT64_C(4102444800000), "before 2100-01-01");
}

Test(clock, deadlines)
{
    int64_t before, d, after;

    cr_assert_eq(kafc__deadline_ms(-1), INT64_MAX);
    cr_assert_eq(kafc__deadline_ms(-1000), INT64_MAX);
    cr_assert_eq(kafc__remaining_ms(INT64_MAX), -1);

    before = kafc__clock_ms();
    d = kafc__deadline_ms(1000);
    after = kafc__clock_ms();
    cr_assert_geq(d, before + 1000);
    cr_assert_leq(d, after + 1000);
    cr_assert_leq(kafc__remaining_ms(d), 1000);
    cr_assert_geq(kafc__remaining_ms(d), 0);

    before = kafc__clock_ms();
    d = kafc__deadline_ms(0);
    cr_assert_geq(d, before);
    cr_assert_eq(kafc__remaining_ms(d), 0);
    cr_assert_eq(kafc__remaining_ms(d - 5000), 0, "a past deadline leaves 0, not negative");

    d = kafc__deadline_ms(INT_MAX);
    cr_assert_gt(d, kafc__clock_ms(), "no overflow");
    cr_assert_eq(kafc__remaining_ms(INT64_MAX - 1), INT_MAX, "clamped");
}

Test(clock, remaining_reaches_zero_when_deadline_passes)
{
    int64_t d = kafc__deadline_ms(20);
    int64_t guard = kafc__clock_ms() + 5000;

    while (kafc__remaining_ms(d) > 0)
        cr_assert_lt(kafc__clock_ms(), guard, "20 ms never passed");
    cr_assert_geq(kafc__clock_ms(), d);
}
