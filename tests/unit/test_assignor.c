/*
 * Unit tests for consumer/assignor: the classic range and roundrobin examples
 * of Kafka's docs and tests, differing subscriptions, more members than
 * partitions, static members' order, sticky leave/join, the cooperative
 * two-round rebalance (KIP-429), and properties over randomized scenarios
 * (coverage, balance, stickiness, the cooperative rule).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer/assignor.h"

TestSuite(assignor, .timeout = 60);

static const char *T01[] = {"t0", "t1"};
static const kafc__asg_topic_t TOPICS_3x2[] = {{"t0", 3}, {"t1", 3}};

static kafc__asg_member_t mem(const char *id, const char *const *topics, int ntopics)
{
    kafc__asg_member_t m = {id, NULL, topics, ntopics, NULL, 0, -1};
    return m;
}

/* "t0p1,t1p0" form of an assignment, for readable comparisons */
static const char *fmt(const kafc__asg_assignment_t *a, char *buf, size_t size)
{
    size_t n = 0;

    buf[0] = '\0';
    for (int i = 0; i < a->cnt && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%sp%d", i ? "," : "", a->tps[i].topic,
                              (int)a->tps[i].partition);
    return buf;
}

static void expect(const kafc__asg_assignment_t *a, const char *want)
{
    char buf[1024];
    cr_expect_str_eq(fmt(a, buf, sizeof(buf)), want);
}

static kafc__asg_assignment_t *run(kafc__assignor_type_t type, const kafc__asg_member_t *m, int nm,
                                   const kafc__asg_topic_t *t, int nt)
{
    kafc__asg_assignment_t *res = NULL;
    cr_assert_eq(kafc__assignor_assign(type, m, nm, t, nt, &res), KAFC_ERR_NONE);
    return res;
}

Test(assignor, names)
{
    cr_expect_str_eq(kafc__assignor_name(KAFC__ASSIGNOR_RANGE), "range");
    cr_expect_str_eq(kafc__assignor_name(KAFC__ASSIGNOR_ROUNDROBIN), "roundrobin");
    cr_expect_str_eq(kafc__assignor_name(KAFC__ASSIGNOR_STICKY), "sticky");
    cr_expect_str_eq(kafc__assignor_name(KAFC__ASSIGNOR_COOPERATIVE_STICKY), "cooperative-sticky");
    cr_expect_null(kafc__assignor_name((kafc__assignor_type_t)0));
    cr_expect(kafc__assignor_is_cooperative(KAFC__ASSIGNOR_COOPERATIVE_STICKY));
    cr_expect(!kafc__assignor_is_cooperative(KAFC__ASSIGNOR_STICKY));
    cr_expect(!kafc__assignor_is_cooperative(KAFC__ASSIGNOR_RANGE));
}

Test(assignor, invalid_args)
{
    kafc__asg_member_t m[2] = {mem("C0", T01, 2), mem("C0", T01, 2)};
    kafc__asg_topic_t dup[] = {{"t0", 1}, {"t0", 2}};
    kafc__asg_assignment_t *res = NULL;

    cr_expect_eq(kafc__assignor_assign(KAFC__ASSIGNOR_RANGE, m, 1, TOPICS_3x2, 2, NULL),
                 KAFC_ERR__INVALID_ARG);
    cr_expect_eq(kafc__assignor_assign((kafc__assignor_type_t)99, m, 1, TOPICS_3x2, 2, &res),
                 KAFC_ERR__INVALID_ARG);
    cr_expect_eq(kafc__assignor_assign(KAFC__ASSIGNOR_RANGE, m, 2, TOPICS_3x2, 2, &res),
                 KAFC_ERR__INVALID_ARG);
    cr_expect_eq(kafc__assignor_assign(KAFC__ASSIGNOR_RANGE, m, 1, dup, 2, &res),
                 KAFC_ERR__INVALID_ARG);
    cr_expect_eq(kafc__assignor_assign(KAFC__ASSIGNOR_RANGE, NULL, 1, TOPICS_3x2, 2, &res),
                 KAFC_ERR__INVALID_ARG);
    cr_expect_null(res);
    cr_expect_eq(kafc__assignor_assign(KAFC__ASSIGNOR_RANGE, NULL, 0, TOPICS_3x2, 2, &res),
                 KAFC_ERR_NONE);
    cr_expect_null(res);
}

/* Kafka docs / RangeAssignor javadoc: 2 consumers, t0 and t1 of 3 partitions. */
Test(assignor, range_classic)
{
    kafc__asg_member_t m[2] = {mem("C1", T01, 2), mem("C0", T01, 2)};
    kafc__asg_assignment_t *r = run(KAFC__ASSIGNOR_RANGE, m, 2, TOPICS_3x2, 2);

    expect(&r[1], "t0p0,t0p1,t1p0,t1p1");
    expect(&r[0], "t0p2,t1p2");
    kafc__assignor_result_free(r, 2);
}

/* RoundRobinAssignor javadoc. */
Test(assignor, roundrobin_classic)
{
    kafc__asg_member_t m[2] = {mem("C0", T01, 2), mem("C1", T01, 2)};
    kafc__asg_assignment_t *r = run(KAFC__ASSIGNOR_ROUNDROBIN, m, 2, TOPICS_3x2, 2);

    expect(&r[0], "t0p0,t0p2,t1p1");
    expect(&r[1], "t0p1,t1p0,t1p2");
    kafc__assignor_result_free(r, 2);
}

/* RoundRobinAssignor javadoc, differing subscriptions: C0 t0; C1 t0,t1;
 * C2 t0,t1,t2; t0 1 partition, t1 2, t2 3. */
Test(assignor, roundrobin_different_subscriptions)
{
    static const char *s0[] = {"t0"}, *s1[] = {"t0", "t1"}, *s2[] = {"t0", "t1", "t2"};
    kafc__asg_topic_t t[] = {{"t2", 3}, {"t0", 1}, {"t1", 2}};
    kafc__asg_member_t m[3] = {mem("C0", s0, 1), mem("C1", s1, 2), mem("C2", s2, 3)};
    kafc__asg_assignment_t *r = run(KAFC__ASSIGNOR_ROUNDROBIN, m, 3, t, 3);

    expect(&r[0], "t0p0");
    expect(&r[1], "t1p0");
    expect(&r[2], "t1p1,t2p0,t2p1,t2p2");
    kafc__assignor_result_free(r, 3);

    r = run(KAFC__ASSIGNOR_RANGE, m, 3, t, 3);
    expect(&r[0], "t0p0");
    expect(&r[1], "t1p0");
    expect(&r[2], "t1p1,t2p0,t2p1,t2p2");
    kafc__assignor_result_free(r, 3);
}

Test(assignor, range_uneven_and_unknown_topic)
{
    static const char *s[] = {"t0", "nometa"};
    kafc__asg_topic_t t[] = {{"t0", 5}, {"t1", 4}};
    kafc__asg_member_t m[3] = {mem("a", s, 2), mem("b", s, 2), mem("c", s, 2)};
    kafc__asg_assignment_t *r = run(KAFC__ASSIGNOR_RANGE, m, 3, t, 2);

    expect(&r[0], "t0p0,t0p1");
    expect(&r[1], "t0p2,t0p3");
    expect(&r[2], "t0p4");
    kafc__assignor_result_free(r, 3);
}

Test(assignor, more_members_than_partitions)
{
    static const char *s[] = {"t0"};
    kafc__asg_topic_t t[] = {{"t0", 2}};
    kafc__asg_member_t m[4] = {mem("d", s, 1), mem("c", s, 1), mem("b", s, 1), mem("a", s, 1)};
    kafc__assignor_type_t types[] = {KAFC__ASSIGNOR_RANGE, KAFC__ASSIGNOR_ROUNDROBIN,
                                     KAFC__ASSIGNOR_STICKY, KAFC__ASSIGNOR_COOPERATIVE_STICKY};

    for (int i = 0; i < 4; i++) {
        kafc__asg_assignment_t *r = run(types[i], m, 4, t, 1);
        expect(&r[3], "t0p0");
        expect(&r[2], "t0p1");
        cr_expect_eq(r[1].cnt, 0);
        cr_expect_eq(r[0].cnt, 0);
        kafc__assignor_result_free(r, 4);
    }
}

/* Static members sort first, by group.instance.id (Java's MemberInfo). */
Test(assignor, range_static_members_first)
{
    static const char *s[] = {"t0"};
    kafc__asg_topic_t t[] = {{"t0", 3}};
    kafc__asg_member_t m[3] = {mem("a", s, 1), mem("b", s, 1), mem("c", s, 1)};
    kafc__asg_assignment_t *r;

    m[2].instance_id = "i1";
    m[1].instance_id = "i2";
    r = run(KAFC__ASSIGNOR_RANGE, m, 3, t, 1);
    expect(&r[2], "t0p0");
    expect(&r[1], "t0p1");
    expect(&r[0], "t0p2");
    kafc__assignor_result_free(r, 3);
}

/* ---- helpers for the sticky tests ---- */

#define MAXM 12
#define MAXT 5
#define MAXP 64

typedef struct {
    int nm, nt;
    char ids[MAXM][16];
    const char *subs[MAXM][MAXT];
    int nsubs[MAXM];
    kafc__asg_tp_t owned[MAXM][MAXP];
    int nowned[MAXM];
    int32_t gen[MAXM];
    kafc__asg_topic_t topics[MAXT];
    char tnames[MAXT][16];
} scen_t;

static void scen_topics(scen_t *s, int nt, const int32_t *cnt)
{
    s->nt = nt;
    for (int t = 0; t < nt; t++) {
        snprintf(s->tnames[t], sizeof(s->tnames[t]), "t%d", t);
        s->topics[t].topic = s->tnames[t];
        s->topics[t].partition_cnt = cnt[t];
    }
}

static void scen_member(scen_t *s, int m, const char *id, int all_topics)
{
    snprintf(s->ids[m], sizeof(s->ids[m]), "%s", id);
    s->nsubs[m] = 0;
    for (int t = 0; t < s->nt; t++)
        if (all_topics || (rand() % 2))
            s->subs[m][s->nsubs[m]++] = s->tnames[t];
    s->nowned[m] = 0;
    s->gen[m] = -1;
}

static kafc__asg_assignment_t *scen_run(scen_t *s, kafc__assignor_type_t type,
                                        kafc__asg_member_t *mv)
{
    for (int m = 0; m < s->nm; m++) {
        kafc__asg_member_t x = {s->ids[m],   NULL,         s->subs[m], s->nsubs[m],
                                s->owned[m], s->nowned[m], s->gen[m]};
        mv[m] = x;
    }
    return run(type, mv, s->nm, s->topics, s->nt);
}

/* Members now own what r assigned them (copied: r is freed after). */
static void scen_take(scen_t *s, const kafc__asg_assignment_t *r, int32_t gen)
{
    for (int m = 0; m < s->nm; m++) {
        s->nowned[m] = r[m].cnt;
        if (r[m].cnt)
            memcpy(s->owned[m], r[m].tps, sizeof(*r[m].tps) * (size_t)r[m].cnt);
        s->gen[m] = gen;
    }
}

static int topic_idx(const scen_t *s, const char *name)
{
    for (int t = 0; t < s->nt; t++)
        if (!strcmp(s->tnames[t], name))
            return t;
    return -1;
}

static int subscribes(const scen_t *s, int m, int t)
{
    for (int i = 0; i < s->nsubs[m]; i++)
        if (!strcmp(s->subs[m][i], s->tnames[t]))
            return 1;
    return 0;
}

/* owner[t][p] of the assignment r, -1 when unassigned; checks each partition
 * goes to at most one member, subscribed to its topic. */
static void owners(const scen_t *s, const kafc__asg_assignment_t *r, int owner[MAXT][MAXP])
{
    for (int t = 0; t < MAXT; t++)
        for (int p = 0; p < MAXP; p++)
            owner[t][p] = -1;
    for (int m = 0; m < s->nm; m++) {
        for (int i = 0; i < r[m].cnt; i++) {
            int t = topic_idx(s, r[m].tps[i].topic), p = r[m].tps[i].partition;
            cr_assert(t >= 0 && p >= 0 && p < s->topics[t].partition_cnt);
            cr_assert_eq(owner[t][p], -1, "t%dp%d assigned twice", t, p);
            cr_assert(subscribes(s, m, t), "t%dp%d to a member not subscribed", t, p);
            owner[t][p] = m;
        }
    }
}

/* every partition of a subscribed topic assigned */
static void check_complete(const scen_t *s, int owner[MAXT][MAXP])
{
    for (int t = 0; t < s->nt; t++) {
        int subscribed = 0;
        for (int m = 0; m < s->nm; m++)
            subscribed |= subscribes(s, m, t);
        for (int p = 0; p < s->topics[t].partition_cnt; p++)
            cr_assert_eq(owner[t][p] >= 0, subscribed, "t%dp%d", t, p);
    }
}

static int owned_by(const scen_t *s, int m, int t, int p)
{
    for (int i = 0; i < s->nowned[m]; i++)
        if (!strcmp(s->owned[m][i].topic, s->tnames[t]) && s->owned[m][i].partition == p)
            return 1;
    return 0;
}

Test(assignor, sticky_member_leaves)
{
    static const int32_t cnt[] = {4, 5};
    scen_t s;
    kafc__asg_member_t mv[MAXM];
    kafc__asg_assignment_t *r, *r2;
    int o1[MAXT][MAXP], o2[MAXT][MAXP];

    scen_topics(&s, 2, cnt);
    s.nm = 3;
    scen_member(&s, 0, "A", 1);
    scen_member(&s, 1, "B", 1);
    scen_member(&s, 2, "C", 1);
    r = scen_run(&s, KAFC__ASSIGNOR_STICKY, mv);
    owners(&s, r, o1);
    check_complete(&s, o1);
    for (int m = 0; m < 3; m++)
        cr_expect_eq(r[m].cnt, 3);
    scen_take(&s, r, 1);
    kafc__assignor_result_free(r, 3);

    /* B leaves: A and C keep all of theirs and share B's 3 */
    s.nm = 2;
    memcpy(s.ids[1], s.ids[2], sizeof(s.ids[1]));
    memcpy(s.owned[1], s.owned[2], sizeof(s.owned[1]));
    s.nowned[1] = s.nowned[2];
    r2 = scen_run(&s, KAFC__ASSIGNOR_STICKY, mv);
    owners(&s, r2, o2);
    check_complete(&s, o2);
    cr_expect(abs(r2[0].cnt - r2[1].cnt) <= 1);
    for (int t = 0; t < 2; t++)
        for (int p = 0; p < cnt[t]; p++) {
            if (o1[t][p] == 0)
                cr_expect_eq(o2[t][p], 0);
            if (o1[t][p] == 2)
                cr_expect_eq(o2[t][p], 1);
        }
    kafc__assignor_result_free(r2, 2);
}

Test(assignor, sticky_member_joins_minimal_moves)
{
    static const int32_t cnt[] = {6, 6};
    scen_t s;
    kafc__asg_member_t mv[MAXM];
    kafc__asg_assignment_t *r;
    int o[MAXT][MAXP], moved = 0;

    scen_topics(&s, 2, cnt);
    s.nm = 2;
    scen_member(&s, 0, "A", 1);
    scen_member(&s, 1, "B", 1);
    r = scen_run(&s, KAFC__ASSIGNOR_STICKY, mv);
    scen_take(&s, r, 1);
    kafc__assignor_result_free(r, 2);

    s.nm = 3;
    scen_member(&s, 2, "C", 1);
    r = scen_run(&s, KAFC__ASSIGNOR_STICKY, mv);
    owners(&s, r, o);
    check_complete(&s, o);
    for (int m = 0; m < 3; m++)
        cr_expect_eq(r[m].cnt, 4);
    for (int t = 0; t < 2; t++)
        for (int p = 0; p < 6; p++)
            moved += !owned_by(&s, o[t][p], t, p);
    cr_expect_eq(moved, 4, "only C's 4 partitions move, got %d", moved);
    kafc__assignor_result_free(r, 3);
}

Test(assignor, cooperative_two_rounds)
{
    static const int32_t cnt[] = {6, 6};
    scen_t s;
    kafc__asg_member_t mv[MAXM];
    kafc__asg_assignment_t *r;
    int o[MAXT][MAXP];

    scen_topics(&s, 2, cnt);
    s.nm = 2;
    scen_member(&s, 0, "A", 1);
    scen_member(&s, 1, "B", 1);
    r = scen_run(&s, KAFC__ASSIGNOR_COOPERATIVE_STICKY, mv);
    cr_expect_eq(r[0].cnt, 6);
    cr_expect_eq(r[1].cnt, 6);
    scen_take(&s, r, 1);
    kafc__assignor_result_free(r, 2);

    /* C joins: round 1 only takes from A and B; C gets nothing yet */
    s.nm = 3;
    scen_member(&s, 2, "C", 1);
    r = scen_run(&s, KAFC__ASSIGNOR_COOPERATIVE_STICKY, mv);
    owners(&s, r, o);
    cr_expect_eq(r[0].cnt, 4);
    cr_expect_eq(r[1].cnt, 4);
    cr_expect_eq(r[2].cnt, 0);
    for (int m = 0; m < 2; m++)
        for (int i = 0; i < r[m].cnt; i++)
            cr_expect(owned_by(&s, m, topic_idx(&s, r[m].tps[i].topic), r[m].tps[i].partition));
    /* A and B revoke what they lost; round 2 hands it to C */
    scen_take(&s, r, 2);
    kafc__assignor_result_free(r, 3);
    r = scen_run(&s, KAFC__ASSIGNOR_COOPERATIVE_STICKY, mv);
    owners(&s, r, o);
    check_complete(&s, o);
    for (int m = 0; m < 3; m++)
        cr_expect_eq(r[m].cnt, 4);
    for (int m = 0; m < 2; m++)
        for (int i = 0; i < s.nowned[m]; i++)
            cr_expect_eq(o[topic_idx(&s, s.owned[m][i].topic)][s.owned[m][i].partition], m);
    kafc__assignor_result_free(r, 3);
}

/* Claims of one partition: the highest generation wins, a tie loses. */
Test(assignor, sticky_conflicting_claims)
{
    static const char *s[] = {"t0"};
    kafc__asg_topic_t t[] = {{"t0", 2}};
    kafc__asg_tp_t pa[] = {{"t0", 0}, {"t0", 1}}, pb[] = {{"t0", 0}};
    kafc__asg_member_t m[2] = {mem("a", s, 1), mem("b", s, 1)};
    kafc__asg_assignment_t *r;

    m[0].owned = pa;
    m[0].nowned = 2;
    m[0].generation = 3;
    m[1].owned = pb;
    m[1].nowned = 1;
    m[1].generation = 4;
    r = run(KAFC__ASSIGNOR_STICKY, m, 2, t, 1);
    expect(&r[0], "t0p1");
    expect(&r[1], "t0p0");
    kafc__assignor_result_free(r, 2);

    /* cooperative: b may not get t0p0 while a still lists it either way */
    r = run(KAFC__ASSIGNOR_COOPERATIVE_STICKY, m, 2, t, 1);
    expect(&r[0], "t0p1");
    cr_expect_eq(r[1].cnt, 0);
    kafc__assignor_result_free(r, 2);
}

/* Whether partition (t, p) had to leave its previous owner m: with identical
 * subscriptions, only when m ends at its quota (maxq, or minq once all the
 * maxq slots are taken). */
static void check_sticky_constrained(const scen_t *s, int owner[MAXT][MAXP],
                                     const kafc__asg_assignment_t *r)
{
    int total = 0, minq, maxq, at_max = 0;

    for (int t = 0; t < s->nt; t++)
        total += s->topics[t].partition_cnt;
    minq = total / s->nm;
    maxq = (total + s->nm - 1) / s->nm;
    for (int m = 0; m < s->nm; m++) {
        cr_assert(r[m].cnt == minq || r[m].cnt == maxq, "count %d not in [%d,%d]", r[m].cnt, minq,
                  maxq);
        at_max += maxq > minq && r[m].cnt == maxq;
    }
    for (int m = 0; m < s->nm; m++)
        for (int i = 0; i < s->nowned[m]; i++) {
            int t = topic_idx(s, s->owned[m][i].topic), p = s->owned[m][i].partition;
            if (owner[t][p] == m)
                continue;
            cr_assert(r[m].cnt == maxq || at_max == total % s->nm,
                      "t%dp%d left member %d needlessly", t, p, m);
        }
}

/* after a first round, members own what was assigned (random leavers and
 * joiners, one stale member claiming a random partition); run sticky and
 * cooperative (two rounds) and check the properties. */
Test(assignor, randomized_properties)
{
    srand(4242);
    for (int iter = 0; iter < 400; iter++) {
        scen_t s;
        kafc__asg_member_t mv[MAXM];
        kafc__asg_assignment_t *r;
        int32_t cnt[MAXT];
        int o[MAXT][MAXP], same = rand() % 2, nt = 1 + rand() % 4, coop = rand() % 2;
        kafc__assignor_type_t type =
            coop ? KAFC__ASSIGNOR_COOPERATIVE_STICKY : KAFC__ASSIGNOR_STICKY;
        int nm0 = 1 + rand() % 8, next_id = 0;

        for (int t = 0; t < nt; t++)
            cnt[t] = rand() % 10;
        scen_topics(&s, nt, cnt);
        s.nm = nm0;
        for (int m = 0; m < nm0; m++) {
            char id[16];
            snprintf(id, sizeof(id), "m%02d", next_id++);
            scen_member(&s, m, id, same);
        }
        r = scen_run(&s, type, mv);
        owners(&s, r, o);
        check_complete(&s, o);
        scen_take(&s, r, 1);
        kafc__assignor_result_free(r, s.nm);

        /* some leave, some join */
        for (int m = 0; m < s.nm && s.nm > 1; m++) {
            if (rand() % 4 == 0) {
                s.nm--;
                memcpy(s.ids[m], s.ids[s.nm], sizeof(s.ids[m]));
                memcpy(s.owned[m], s.owned[s.nm], sizeof(s.owned[m]));
                memcpy(s.subs[m], s.subs[s.nm], sizeof(s.subs[m]));
                s.nowned[m] = s.nowned[s.nm];
                s.nsubs[m] = s.nsubs[s.nm];
                s.gen[m] = s.gen[s.nm];
            }
        }
        for (int j = rand() % 4; j > 0 && s.nm < MAXM; j--) {
            char id[16];
            snprintf(id, sizeof(id), "m%02d", next_id++);
            scen_member(&s, s.nm++, id, same);
        }

        r = scen_run(&s, type, mv);
        owners(&s, r, o);
        if (!coop) {
            check_complete(&s, o);
            if (same)
                check_sticky_constrained(&s, o, r);
        } else {
            /* KIP-429: nothing goes to a member while another still owns it */
            for (int m = 0; m < s.nm; m++)
                for (int i = 0; i < r[m].cnt; i++)
                    for (int x = 0; x < s.nm; x++)
                        cr_assert(x == m || !owned_by(&s, x, topic_idx(&s, r[m].tps[i].topic),
                                                      r[m].tps[i].partition));
            scen_take(&s, r, 2);
            kafc__assignor_result_free(r, s.nm);
            r = scen_run(&s, type, mv);
            owners(&s, r, o);
            check_complete(&s, o);
            /* round 2 revokes nothing: the rounds converge */
            for (int m = 0; m < s.nm; m++)
                for (int i = 0; i < s.nowned[m]; i++)
                    cr_assert_eq(o[topic_idx(&s, s.owned[m][i].topic)][s.owned[m][i].partition], m);
        }
        if (same) {
            int lo = 1 << 30, hi = -1;
            for (int m = 0; m < s.nm; m++) {
                lo = r[m].cnt < lo ? r[m].cnt : lo;
                hi = r[m].cnt > hi ? r[m].cnt : hi;
            }
            cr_assert(hi - lo <= 1, "unbalanced %d..%d", lo, hi);
        } else {
            /* no partition could go to an eligible member with 2 fewer */
            for (int t = 0; t < s.nt; t++)
                for (int p = 0; p < s.topics[t].partition_cnt; p++) {
                    if (o[t][p] < 0)
                        continue;
                    for (int m = 0; m < s.nm; m++)
                        cr_assert(!subscribes(&s, m, t) || r[m].cnt >= r[o[t][p]].cnt - 1,
                                  "imbalance: t%dp%d", t, p);
                }
        }
        kafc__assignor_result_free(r, s.nm);
    }
}

/* Same input, same output; and range/roundrobin cover every partition. */
Test(assignor, deterministic_and_complete)
{
    srand(7);
    for (int iter = 0; iter < 200; iter++) {
        scen_t s;
        kafc__asg_member_t mv[MAXM];
        int32_t cnt[MAXT];
        int o[MAXT][MAXP], nt = 1 + rand() % 4;
        kafc__assignor_type_t type = (kafc__assignor_type_t)(1 << (rand() % 4));
        kafc__asg_assignment_t *a, *b;

        for (int t = 0; t < nt; t++)
            cnt[t] = rand() % 10;
        scen_topics(&s, nt, cnt);
        s.nm = 1 + rand() % 8;
        for (int m = 0; m < s.nm; m++) {
            char id[16];
            snprintf(id, sizeof(id), "x%d", rand() % 1000 * 10 + m);
            scen_member(&s, m, id, 0);
        }
        a = scen_run(&s, type, mv);
        b = scen_run(&s, type, mv);
        owners(&s, a, o);
        check_complete(&s, o);
        for (int m = 0; m < s.nm; m++) {
            char x[1024], y[1024];
            cr_assert_str_eq(fmt(&a[m], x, sizeof(x)), fmt(&b[m], y, sizeof(y)));
        }
        kafc__assignor_result_free(a, s.nm);
        kafc__assignor_result_free(b, s.nm);
    }
}
