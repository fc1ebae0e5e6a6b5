/*
 * metadata — see metadata.h.
 */
#include "cluster/metadata.h"

#include <stdlib.h>
#include <string.h>

static char *slice_dup(kafc__slice_t s)
{
    if (s.len < 0)
        return NULL;
    char *p = malloc((size_t)s.len + 1);
    if (p) {
        if (s.len)
            memcpy(p, s.ptr, (size_t)s.len);
        p[s.len] = '\0';
    }
    return p;
}

static char *str_dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int32_t *ints_dup(const int32_t *v, int n)
{
    if (n <= 0)
        return NULL;
    int32_t *p = malloc((size_t)n * sizeof(*p));
    if (p)
        memcpy(p, v, (size_t)n * sizeof(*p));
    return p;
}

static void partition_clear(kafc__md_partition_t *p)
{
    free(p->replicas);
    free(p->isr);
}

static void topic_clear(kafc__md_topic_t *t)
{
    for (int i = 0; i < t->npartitions; i++)
        partition_clear(&t->partitions[i]);
    free(t->partitions);
    free(t->name);
    memset(t, 0, sizeof(*t));
}

static void broker_clear(kafc__md_broker_t *b)
{
    free(b->host);
    free(b->rack);
}

void kafc__md_clear(kafc__md_t *md)
{
    for (int i = 0; i < md->nbrokers; i++)
        broker_clear(&md->brokers[i]);
    free(md->brokers);
    for (int i = 0; i < md->ntopics; i++)
        topic_clear(&md->topics[i]);
    free(md->topics);
    free(md->cluster_id);
    memset(md, 0, sizeof(*md));
    md->controller_id = -1;
}

/* qsort with NULL is undefined even for zero elements. */
static void sort(void *base, int n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, (size_t)n, size, cmp);
}

static int cmp_broker(const void *a, const void *b)
{
    int32_t x = ((const kafc__md_broker_t *)a)->id, y = ((const kafc__md_broker_t *)b)->id;
    return (x > y) - (x < y);
}

static int cmp_topic(const void *a, const void *b)
{
    return strcmp(((const kafc__md_topic_t *)a)->name, ((const kafc__md_topic_t *)b)->name);
}

static int cmp_partition(const void *a, const void *b)
{
    int32_t x = ((const kafc__md_partition_t *)a)->id, y = ((const kafc__md_partition_t *)b)->id;
    return (x > y) - (x < y);
}

static kafc_err_t copy_partition(kafc__md_partition_t *dst,
                                 const kafc__metadata_response_partition_t *src)
{
    dst->id = src->partition_index;
    dst->err = src->error_code;
    dst->leader = src->leader_id;
    dst->leader_epoch = src->leader_epoch;
    dst->nreplicas = src->replica_nodes.count > 0 ? src->replica_nodes.count : 0;
    dst->replicas = ints_dup(src->replica_nodes.items, dst->nreplicas);
    dst->nisr = src->isr_nodes.count > 0 ? src->isr_nodes.count : 0;
    dst->isr = ints_dup(src->isr_nodes.items, dst->nisr);
    if ((dst->nreplicas && !dst->replicas) || (dst->nisr && !dst->isr))
        return KAFC_ERR__NO_MEMORY;
    return KAFC_ERR_NONE;
}

kafc_err_t kafc__md_from_response(kafc__md_t *md, const kafc__metadata_response_t *r)
{
    kafc_err_t err = KAFC_ERR__NO_MEMORY;
    memset(md, 0, sizeof(*md));
    md->controller_id = r->controller_id;
    if (r->cluster_id.len >= 0 && !(md->cluster_id = slice_dup(r->cluster_id)))
        goto fail;

    int nb = r->brokers.count > 0 ? r->brokers.count : 0;
    if (nb && !(md->brokers = calloc((size_t)nb, sizeof(*md->brokers))))
        goto fail;
    for (int i = 0; i < nb; i++) {
        const kafc__metadata_response_broker_t *b = &r->brokers.items[i];
        kafc__md_broker_t *d = &md->brokers[md->nbrokers++];
        d->id = b->node_id;
        d->port = b->port;
        d->host = slice_dup(b->host);
        if (!d->host || (b->rack.len >= 0 && !(d->rack = slice_dup(b->rack))))
            goto fail;
    }
    sort(md->brokers, md->nbrokers, sizeof(*md->brokers), cmp_broker);

    int nt = r->topics.count > 0 ? r->topics.count : 0;
    if (nt && !(md->topics = calloc((size_t)nt, sizeof(*md->topics))))
        goto fail;
    for (int i = 0; i < nt; i++) {
        const kafc__metadata_response_topic_t *t = &r->topics.items[i];
        if (t->name.len < 0)
            continue; /* topic-id-only answers are not used by kafc */
        kafc__md_topic_t *d = &md->topics[md->ntopics++];
        d->err = t->error_code;
        d->internal = t->is_internal;
        if (!(d->name = slice_dup(t->name)))
            goto fail;
        int np = t->partitions.count > 0 ? t->partitions.count : 0;
        if (np && !(d->partitions = calloc((size_t)np, sizeof(*d->partitions))))
            goto fail;
        for (int j = 0; j < np; j++) {
            if (copy_partition(&d->partitions[d->npartitions++], &t->partitions.items[j]))
                goto fail;
        }
        sort(d->partitions, d->npartitions, sizeof(*d->partitions), cmp_partition);
        for (int j = 1; j < d->npartitions; j++)
            if (d->partitions[j].id == d->partitions[j - 1].id) {
                err = KAFC_ERR__BAD_MSG;
                goto fail;
            }
    }
    sort(md->topics, md->ntopics, sizeof(*md->topics), cmp_topic);
    for (int i = 1; i < md->nbrokers; i++)
        if (md->brokers[i].id == md->brokers[i - 1].id) {
            err = KAFC_ERR__BAD_MSG;
            goto fail;
        }
    for (int i = 1; i < md->ntopics; i++)
        if (strcmp(md->topics[i].name, md->topics[i - 1].name) == 0) {
            err = KAFC_ERR__BAD_MSG;
            goto fail;
        }
    return KAFC_ERR_NONE;
fail:
    kafc__md_clear(md);
    return err;
}

const kafc__md_topic_t *kafc__md_topic(const kafc__md_t *md, const char *name)
{
    kafc__md_topic_t key = {.name = (char *)name};
    if (!md->ntopics)
        return NULL;
    return bsearch(&key, md->topics, (size_t)md->ntopics, sizeof(key), cmp_topic);
}

const kafc__md_broker_t *kafc__md_broker(const kafc__md_t *md, int32_t id)
{
    kafc__md_broker_t key = {.id = id};
    if (!md->nbrokers)
        return NULL;
    return bsearch(&key, md->brokers, (size_t)md->nbrokers, sizeof(key), cmp_broker);
}

kafc_err_t kafc__md_merge(kafc__md_t *cache, kafc__md_t *fresh, int all_topics)
{
    kafc__md_topic_t *topics = fresh->topics;
    int ntopics = fresh->ntopics;

    if (!all_topics) {
        /* Keep cached topics the fresh answer did not mention. */
        int keep = 0;
        for (int i = 0; i < cache->ntopics; i++)
            if (!kafc__md_topic(fresh, cache->topics[i].name))
                keep++;
        if (keep) {
            topics = malloc((size_t)(ntopics + keep) * sizeof(*topics));
            if (!topics)
                return KAFC_ERR__NO_MEMORY;
            if (ntopics)
                memcpy(topics, fresh->topics, (size_t)ntopics * sizeof(*topics));
            for (int i = 0; i < cache->ntopics; i++)
                if (!kafc__md_topic(fresh, cache->topics[i].name)) {
                    topics[ntopics++] = cache->topics[i];
                    memset(&cache->topics[i], 0, sizeof(cache->topics[i]));
                }
            sort(topics, ntopics, sizeof(*topics), cmp_topic);
            free(fresh->topics);
        }
    }
    /* Everything left in cache is replaced. */
    kafc__md_clear(cache);
    *cache = *fresh;
    cache->topics = topics;
    cache->ntopics = ntopics;
    memset(fresh, 0, sizeof(*fresh));
    fresh->controller_id = -1;
    return KAFC_ERR_NONE;
}

static kafc_err_t copy_topic(kafc__md_topic_t *d, const kafc__md_topic_t *s)
{
    d->err = s->err;
    d->internal = s->internal;
    if (!(d->name = str_dup(s->name)))
        return KAFC_ERR__NO_MEMORY;
    if (s->npartitions && !(d->partitions = calloc((size_t)s->npartitions, sizeof(*d->partitions))))
        return KAFC_ERR__NO_MEMORY;
    for (int j = 0; j < s->npartitions; j++) {
        kafc__md_partition_t *dp = &d->partitions[d->npartitions++];
        const kafc__md_partition_t *sp = &s->partitions[j];
        *dp = *sp;
        dp->replicas = ints_dup(sp->replicas, sp->nreplicas);
        dp->isr = ints_dup(sp->isr, sp->nisr);
        if ((sp->nreplicas && !dp->replicas) || (sp->nisr && !dp->isr))
            return KAFC_ERR__NO_MEMORY;
    }
    return KAFC_ERR_NONE;
}

kafc__md_t *kafc__md_snapshot(const kafc__md_t *md, const char *const *names, size_t n)
{
    kafc__md_t *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->controller_id = md->controller_id;
    if (md->cluster_id && !(s->cluster_id = strdup(md->cluster_id)))
        goto fail;
    if (md->nbrokers && !(s->brokers = calloc((size_t)md->nbrokers, sizeof(*s->brokers))))
        goto fail;
    for (int i = 0; i < md->nbrokers; i++) {
        kafc__md_broker_t *d = &s->brokers[s->nbrokers++];
        d->id = md->brokers[i].id;
        d->port = md->brokers[i].port;
        d->host = str_dup(md->brokers[i].host);
        d->rack = str_dup(md->brokers[i].rack);
        if (!d->host || (md->brokers[i].rack && !d->rack))
            goto fail;
    }
    size_t cap = names ? n : (size_t)md->ntopics;
    if (cap && !(s->topics = calloc(cap, sizeof(*s->topics))))
        goto fail;
    for (int i = 0; i < md->ntopics; i++) {
        if (names) {
            size_t k;
            for (k = 0; k < n; k++)
                if (strcmp(names[k], md->topics[i].name) == 0)
                    break;
            if (k == n)
                continue;
        }
        if (copy_topic(&s->topics[s->ntopics++], &md->topics[i]))
            goto fail;
    }
    return s;
fail:
    kafc__md_clear(s);
    free(s);
    return NULL;
}
