/*
 * tplist — kafc_topic_partition_list_t, the public list of topic/partition
 * entries the consumer API takes and returns. Plain data: no locks; a list
 * is used by one thread at a time.
 */
#include <stdlib.h>
#include <string.h>

#include "kafc/kafc.h"

KAFC_EXTERN kafc_topic_partition_list_t *kafc_topic_partition_list_new(int size)
{
    kafc_topic_partition_list_t *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    if (size > 0) {
        l->elems = calloc((size_t)size, sizeof(*l->elems));
        if (!l->elems) {
            free(l);
            return NULL;
        }
        l->size = size;
    }
    return l;
}

KAFC_EXTERN void kafc_topic_partition_list_destroy(kafc_topic_partition_list_t *l)
{
    if (!l)
        return;
    for (int i = 0; i < l->cnt; i++) {
        free(l->elems[i].topic);
        free(l->elems[i].metadata);
    }
    free(l->elems);
    free(l);
}

KAFC_EXTERN kafc_topic_partition_t *
kafc_topic_partition_list_add(kafc_topic_partition_list_t *l, const char *topic, int32_t partition)
{
    if (!l || !topic || !*topic)
        return NULL;
    if (l->cnt == l->size) {
        int nsize = l->size ? l->size * 2 : 8;
        kafc_topic_partition_t *n = realloc(l->elems, (size_t)nsize * sizeof(*n));
        if (!n)
            return NULL;
        l->elems = n;
        l->size = nsize;
    }
    char *t = strdup(topic);
    if (!t)
        return NULL;
    kafc_topic_partition_t *e = &l->elems[l->cnt++];
    memset(e, 0, sizeof(*e));
    e->topic = t;
    e->partition = partition;
    e->offset = KAFC_OFFSET_INVALID;
    e->leader_epoch = -1;
    return e;
}

KAFC_EXTERN kafc_topic_partition_t *
kafc_topic_partition_list_find(const kafc_topic_partition_list_t *l, const char *topic,
                               int32_t partition)
{
    if (!l || !topic)
        return NULL;
    for (int i = 0; i < l->cnt; i++)
        if (l->elems[i].partition == partition && strcmp(l->elems[i].topic, topic) == 0)
            return &l->elems[i];
    return NULL;
}

KAFC_EXTERN kafc_topic_partition_list_t *
kafc_topic_partition_list_copy(const kafc_topic_partition_list_t *src)
{
    if (!src)
        return NULL;
    kafc_topic_partition_list_t *l = kafc_topic_partition_list_new(src->cnt);
    if (!l)
        return NULL;
    for (int i = 0; i < src->cnt; i++) {
        const kafc_topic_partition_t *s = &src->elems[i];
        kafc_topic_partition_t *e = kafc_topic_partition_list_add(l, s->topic, s->partition);
        if (!e) {
            kafc_topic_partition_list_destroy(l);
            return NULL;
        }
        e->offset = s->offset;
        e->leader_epoch = s->leader_epoch;
        e->err = s->err;
        if (s->metadata && !(e->metadata = strdup(s->metadata))) {
            kafc_topic_partition_list_destroy(l);
            return NULL;
        }
    }
    return l;
}

static int cmp_tp(const void *a, const void *b)
{
    const kafc_topic_partition_t *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

KAFC_EXTERN void kafc_topic_partition_list_sort(kafc_topic_partition_list_t *l)
{
    if (l && l->cnt > 1)
        qsort(l->elems, (size_t)l->cnt, sizeof(*l->elems), cmp_tp);
}
