#include "consumer/consumer.h"
kafc_err_t kafc__group_new(kafc_consumer_t *c)
{
    (void)c;
    return KAFC_ERR_NONE;
}
void kafc__group_destroy(kafc_consumer_t *c)
{
    (void)c;
}
void kafc__group_run(kafc_consumer_t *c)
{
    (void)c;
}
void kafc__group_subscription_changed(kafc_consumer_t *c)
{
    (void)c;
}
void kafc__group_fetch_committed(kafc_consumer_t *c)
{
    (void)c;
}
void kafc__group_rebalance_done(kafc_consumer_t *c, int32_t gen)
{
    (void)c;
    (void)gen;
}
void kafc__group_commit(kafc_consumer_t *c, kafc_topic_partition_list_t *o, int64_t d,
                        kafc__commit_done_t *done, void *arg)
{
    (void)d;
    done(c, arg, KAFC_ERR__NOT_IMPLEMENTED, o);
}
void kafc__group_committed(kafc_consumer_t *c, kafc_topic_partition_list_t *o, int64_t d,
                           kafc__commit_done_t *done, void *arg)
{
    (void)d;
    done(c, arg, KAFC_ERR__NOT_IMPLEMENTED, o);
}
void kafc__group_leave(kafc_consumer_t *c, int64_t d, kafc__commit_done_t *done, void *arg)
{
    (void)d;
    done(c, arg, KAFC_ERR_NONE, NULL);
}
const char *kafc__group_protocol(kafc_consumer_t *c)
{
    (void)c;
    return "NONE";
}
