/*
 * assignor_sticky — sticky and cooperative-sticky (see assignor.h for the
 * rules). Two algorithms, as in Java's AbstractStickyAssignor: the
 * constrained one when every member subscribes to the same topics (exact
 * quotas, maximal stickiness), the general one otherwise (greedy by load,
 * then moves that reduce imbalance). Runs in the caller's thread, no lock.
 */
#include "consumer/assignor.h"

#include <stdlib.h>
#include <string.h>

static int subscribed(const kafc__asg_ctx_t *c, int m, int t)
{
    return c->sub[(size_t)m * (size_t)c->nt + (size_t)t];
}

/* prev[p]: the valid previous owner of p, or -1. claim[p]: the member
 * listing p as owned (whatever its subscription or generation), -1 for none,
 * -2 for several: the cooperative rule's "still owned by". */
static void resolve_owned(const kafc__asg_ctx_t *c, int32_t *prev, int32_t *claim, int32_t *gen,
                          unsigned char *tie)
{
    for (int32_t p = 0; p < c->np; p++) {
        prev[p] = -1;
        claim[p] = -1;
        tie[p] = 0;
    }
    for (int r = 0; r < c->nm; r++) {
        int m = c->order[r];
        const kafc__asg_member_t *mb = &c->members[m];
        for (int i = 0; i < mb->nowned; i++) {
            int32_t p = kafc__assignor_tp_index(c, &mb->owned[i]);
            if (p < 0)
                continue;
            if (claim[p] == -1)
                claim[p] = m;
            else if (claim[p] != m)
                claim[p] = -2;
            if (!subscribed(c, m, kafc__assignor_topic_of(c, p)) || prev[p] == m)
                continue;
            if (prev[p] < 0 && !tie[p]) {
                prev[p] = m;
                gen[p] = mb->generation;
            } else if (mb->generation > gen[p]) {
                prev[p] = m;
                gen[p] = mb->generation;
                tie[p] = 0;
            } else if (mb->generation == gen[p]) {
                /* two owners in one generation: neither keeps it */
                prev[p] = -1;
                tie[p] = 1;
            }
        }
    }
}

/* Every member subscribes to the same topics: each keeps its owned
 * partitions up to its quota (maxq for the first `slots` members owning more
 * than minq, minq otherwise), then the rest fill members up to minq and then
 * give one more to members at minq while maxq slots remain. That keeps the
 * largest number of owned partitions a balanced assignment can keep. */
static void constrained(kafc__asg_ctx_t *c, const int32_t *prev, int32_t *load, int32_t *quota,
                        int64_t *freep)
{
    int32_t total = 0, minq, maxq, slots, nfree = 0, next = 0;

    for (int t = 0; t < c->nt; t++)
        if (subscribed(c, 0, t))
            total += c->topics[t].partition_cnt;
    minq = total / c->nm;
    maxq = (total + c->nm - 1) / c->nm;
    slots = maxq > minq ? total % c->nm : 0;

    for (int m = 0; m < c->nm; m++)
        load[m] = 0;
    for (int32_t p = 0; p < c->np; p++)
        if (prev[p] >= 0)
            load[prev[p]]++;
    for (int r = 0; r < c->nm; r++) {
        int m = c->order[r];
        if (load[m] <= minq) {
            quota[m] = load[m];
        } else if (slots > 0) {
            quota[m] = maxq;
            slots--;
        } else {
            quota[m] = minq;
        }
        load[m] = 0;
    }

    for (int32_t p = 0; p < c->np; p++) {
        int m = prev[p];
        if (!c->tsubs[kafc__assignor_topic_of(c, p)])
            continue;
        if (m >= 0 && load[m] < quota[m]) {
            c->owner[p] = m;
            load[m]++;
        } else {
            freep[nfree++] = p;
        }
    }
    for (int r = 0; r < c->nm && next < nfree; r++) {
        int m = c->order[r];
        while (load[m] < minq && next < nfree) {
            c->owner[(int32_t)freep[next++]] = m;
            load[m]++;
        }
    }
    for (int r = 0; r < c->nm && next < nfree && slots > 0; r++) {
        int m = c->order[r];
        if (load[m] == minq) {
            c->owner[(int32_t)freep[next++]] = m;
            load[m]++;
            slots--;
        }
    }
}

/* The least loaded member subscribed to topic t (ties: member order). */
static int least_loaded(const kafc__asg_ctx_t *c, const int32_t *load, int t)
{
    int best = -1;

    for (int r = 0; r < c->nm; r++) {
        int m = c->order[r];
        if (subscribed(c, m, t) && (best < 0 || load[m] < load[best]))
            best = m;
    }
    return best;
}

static int key_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

/* Differing subscriptions: keep the valid owned partitions, give the others
 * to the least loaded eligible member, then move partitions from a member to
 * an eligible one with at least 2 fewer, the largest gap first and partitions
 * the member did not own before first, until no such move is left. Each move
 * lowers the sum of squared loads, so the loop ends. */
static void general(kafc__asg_ctx_t *c, const int32_t *prev, int32_t *load, int *tmin,
                    int64_t *freep)
{
    int32_t nfree = 0;

    for (int m = 0; m < c->nm; m++)
        load[m] = 0;
    for (int32_t p = 0; p < c->np; p++) {
        if (!c->tsubs[kafc__assignor_topic_of(c, p)])
            continue;
        if (prev[p] >= 0) {
            c->owner[p] = prev[p];
            load[prev[p]]++;
        } else {
            /* most constrained first: fewest eligible members, then index */
            freep[nfree++] = (int64_t)c->tsubs[kafc__assignor_topic_of(c, p)] << 32 | p;
        }
    }
    qsort(freep, (size_t)nfree, sizeof(*freep), key_cmp);
    for (int32_t i = 0; i < nfree; i++) {
        int32_t p = (int32_t)(freep[i] & 0xffffffff);
        int m = least_loaded(c, load, kafc__assignor_topic_of(c, p));
        c->owner[p] = m;
        load[m]++;
    }

    for (;;) {
        int32_t best = -1, best_gap = 1;
        int best_sticky = 1;

        for (int t = 0; t < c->nt; t++)
            tmin[t] = c->tsubs[t] ? least_loaded(c, load, t) : -1;
        for (int t = 0; t < c->nt; t++) {
            if (tmin[t] < 0)
                continue;
            for (int32_t p = c->tbase[t]; p < c->tbase[t + 1]; p++) {
                int a = c->owner[p];
                int32_t gap = load[a] - load[tmin[t]];
                int sticky = prev[p] == a;
                if (gap > best_gap || (gap == best_gap && best >= 0 && sticky < best_sticky)) {
                    best = p;
                    best_gap = gap;
                    best_sticky = sticky;
                }
            }
        }
        if (best < 0 || best_gap < 2)
            break;
        load[c->owner[best]]--;
        c->owner[best] = tmin[kafc__assignor_topic_of(c, best)];
        load[c->owner[best]]++;
    }
}

kafc_err_t kafc__assignor_sticky(kafc__asg_ctx_t *c, int cooperative)
{
    size_t np = (size_t)(c->np ? c->np : 1), nm = (size_t)c->nm;
    int32_t *prev = malloc(sizeof(*prev) * np);
    int32_t *claim = malloc(sizeof(*claim) * np);
    int32_t *gen = malloc(sizeof(*gen) * np);
    int64_t *freep = malloc(sizeof(*freep) * np);
    unsigned char *tie = malloc(np);
    int32_t *load = malloc(sizeof(*load) * nm);
    int32_t *quota = malloc(sizeof(*quota) * nm);
    int *tmin = malloc(sizeof(*tmin) * (size_t)(c->nt ? c->nt : 1));
    kafc_err_t err = KAFC_ERR__NO_MEMORY;
    int same = 1;

    if (!prev || !claim || !gen || !freep || !tie || !load || !quota || !tmin)
        goto out;

    resolve_owned(c, prev, claim, gen, tie);
    for (int m = 1; m < c->nm && same; m++)
        same = !memcmp(c->sub, c->sub + (size_t)m * (size_t)c->nt, (size_t)c->nt);
    if (same)
        constrained(c, prev, load, quota, freep);
    else
        general(c, prev, load, tmin, freep);

    if (cooperative) {
        /* KIP-429: no partition goes to a new owner while another member
         * still owns it; the owner revokes it, the next rebalance assigns. */
        for (int32_t p = 0; p < c->np; p++)
            if (c->owner[p] >= 0 && claim[p] != -1 && claim[p] != c->owner[p])
                c->owner[p] = -1;
    }
    err = KAFC_ERR_NONE;
out:
    free(prev);
    free(claim);
    free(gen);
    free(freep);
    free(tie);
    free(load);
    free(quota);
    free(tmin);
    return err;
}
