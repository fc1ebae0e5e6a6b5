/*
 * Unit tests for message: header lists (public API and the internal
 * iteration/append helpers) and the kafc_message_* accessors on a filled
 * struct, including NULL messages and null/empty keys and values.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "message.h"

TestSuite(message, .timeout = 60);

Test(message, headers_add_get_in_order)
{
    kafc_headers_t *h = kafc_headers_new();
    cr_assert_not_null(h);
    cr_assert_eq(kafc_headers_count(h), 0);
    cr_assert_eq(kafc_headers_add(h, "trace", "abc", 3), KAFC_ERR_NONE);
    cr_assert_eq(kafc_headers_add(h, "null", NULL, 0), KAFC_ERR_NONE);
    cr_assert_eq(kafc_headers_add(h, "empty", "", 0), KAFC_ERR_NONE);
    cr_assert_eq(kafc_headers_add(h, "trace", "\0\x01\xff", 3), KAFC_ERR_NONE);
    cr_assert_eq(kafc_headers_count(h), 4);

    const char *name;
    const void *value;
    size_t len;
    cr_assert_eq(kafc_headers_get(h, 0, &name, &value, &len), KAFC_ERR_NONE);
    cr_assert_str_eq(name, "trace");
    cr_assert_eq(len, 3);
    cr_assert_eq(memcmp(value, "abc", 3), 0);

    len = 99;
    cr_assert_eq(kafc_headers_get(h, 1, &name, &value, &len), KAFC_ERR_NONE);
    cr_assert_str_eq(name, "null");
    cr_assert_null(value, "a null value reads back as NULL");
    cr_assert_eq(len, 0);

    cr_assert_eq(kafc_headers_get(h, 2, &name, &value, &len), KAFC_ERR_NONE);
    cr_assert_str_eq(name, "empty");
    cr_assert_not_null(value, "an empty value is not a null value");
    cr_assert_eq(len, 0);

    /* Names repeat, as in Kafka; binary values keep every byte. */
    cr_assert_eq(kafc_headers_get(h, 3, &name, &value, &len), KAFC_ERR_NONE);
    cr_assert_str_eq(name, "trace");
    cr_assert_eq(len, 3);
    cr_assert_eq(memcmp(value, "\0\x01\xff", 3), 0);

    /* Out pointers are optional. */
    cr_assert_eq(kafc_headers_get(h, 3, NULL, NULL, NULL), KAFC_ERR_NONE);
    cr_assert_eq(kafc_headers_get(h, 4, &name, &value, &len), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_headers_get(h, SIZE_MAX, &name, &value, &len), KAFC_ERR__INVALID_ARG);
    kafc_headers_destroy(h);
}

Test(message, headers_bad_args)
{
    kafc_headers_t *h = kafc_headers_new();
    cr_assert_eq(kafc_headers_add(NULL, "a", "b", 1), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_headers_add(h, NULL, "b", 1), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_headers_add(h, "", "b", 1), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_headers_add(h, "a", NULL, 1), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_headers_add(h, "a", "b", (size_t)INT32_MAX + 1), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_headers_count(h), 0, "a refused add leaves the list alone");
    cr_assert_eq(kafc_headers_count(NULL), 0);
    const char *name;
    cr_assert_eq(kafc_headers_get(NULL, 0, &name, NULL, NULL), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_headers_get(h, 0, &name, NULL, NULL), KAFC_ERR__INVALID_ARG);
    kafc_headers_destroy(h);
    kafc_headers_destroy(NULL);
}

Test(message, headers_many_and_large_survive_growth)
{
    kafc_headers_t *h = kafc_headers_new();
    static char big[100000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)(i * 7);
    char name[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "h%d", i);
        size_t vlen = (size_t)(i % 10 == 0 ? sizeof(big) : (size_t)i);
        cr_assert_eq(kafc_headers_add(h, name, i % 7 == 3 ? NULL : big, i % 7 == 3 ? 0 : vlen),
                     KAFC_ERR_NONE);
    }
    cr_assert_eq(kafc_headers_count(h), 1000);
    for (size_t i = 0; i < 1000; i++) {
        const char *n;
        const void *v;
        size_t len;
        cr_assert_eq(kafc_headers_get(h, i, &n, &v, &len), KAFC_ERR_NONE);
        snprintf(name, sizeof(name), "h%zu", i);
        cr_assert_str_eq(n, name);
        if (i % 7 == 3) {
            cr_assert_null(v);
            cr_assert_eq(len, 0);
        } else {
            size_t vlen = i % 10 == 0 ? sizeof(big) : i;
            cr_assert_eq(len, vlen);
            cr_assert_eq(memcmp(v, big, vlen), 0, "header %zu", i);
        }
    }
    kafc_headers_destroy(h);
}

Test(message, headers_internal_helpers)
{
    kafc_headers_t *h = kafc_headers_new();
    /* add_n: names need no NUL; -1 is a null value; empty names allowed. */
    cr_assert_eq(kafc__headers_add_n(h, "keyXXX", 3, "val", 3), KAFC_ERR_NONE);
    cr_assert_eq(kafc__headers_add_n(h, "n", 1, NULL, -1), KAFC_ERR_NONE);
    cr_assert_eq(kafc__headers_add_n(h, NULL, 0, "", 0), KAFC_ERR_NONE);
    cr_assert_eq(kafc__headers_add_n(h, "x", 1, NULL, 1), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc__headers_add_n(h, "x", 1, "v", -2), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc__headers_add_n(h, NULL, 1, "v", 1), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc__headers_add_n(h, "x", -1, "v", 1), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc__headers_add_n(NULL, "x", 1, "v", 1), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_headers_count(h), 3);

    const char *name;
    int32_t nlen, vlen;
    const void *value;
    cr_assert_eq(kafc__headers_at(h, 0, &name, &nlen, &value, &vlen), KAFC_ERR_NONE);
    cr_assert_str_eq(name, "key");
    cr_assert_eq(nlen, 3);
    cr_assert_eq(vlen, 3);
    cr_assert_eq(memcmp(value, "val", 3), 0);
    cr_assert_eq(kafc__headers_at(h, 1, &name, &nlen, &value, &vlen), KAFC_ERR_NONE);
    cr_assert_str_eq(name, "n");
    cr_assert_null(value);
    cr_assert_eq(vlen, -1);
    cr_assert_eq(kafc__headers_at(h, 2, &name, &nlen, &value, &vlen), KAFC_ERR_NONE);
    cr_assert_str_eq(name, "");
    cr_assert_eq(nlen, 0);
    cr_assert_not_null(value);
    cr_assert_eq(vlen, 0);
    cr_assert_eq(kafc__headers_at(h, 3, &name, &nlen, &value, &vlen), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc__headers_at(NULL, 0, &name, &nlen, &value, &vlen), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc__headers_at(h, 0, NULL, NULL, NULL, NULL), KAFC_ERR_NONE);

    /* The public add shows up through kafc__headers_at with its length. */
    cr_assert_eq(kafc_headers_add(h, "pub", NULL, 0), KAFC_ERR_NONE);
    cr_assert_eq(kafc__headers_at(h, 3, &name, &nlen, &value, &vlen), KAFC_ERR_NONE);
    cr_assert_eq(nlen, 3);
    cr_assert_eq(vlen, -1);
    kafc_headers_destroy(h);
}

Test(message, accessors_on_filled_message)
{
    kafc_headers_t *h = kafc_headers_new();
    cr_assert_eq(kafc_headers_add(h, "a", "1", 1), KAFC_ERR_NONE);
    int tag;
    kafc_message_t m;
    kafc__message_init(&m);
    m.topic = "orders";
    m.partition = 7;
    m.offset = 123456789012LL;
    m.timestamp = 1700000000123LL;
    m.tstype = KAFC_TIMESTAMP_LOG_APPEND_TIME;
    m.key = "k1";
    m.key_len = 2;
    m.value = "hello";
    m.value_len = 5;
    m.headers = h;
    m.err = KAFC_ERR__MSG_TIMED_OUT;
    m.status = KAFC_POSSIBLY_PERSISTED;
    m.opaque = &tag;

    cr_assert_str_eq(kafc_message_topic(&m), "orders");
    cr_assert_eq(kafc_message_partition(&m), 7);
    cr_assert_eq(kafc_message_offset(&m), 123456789012LL);
    kafc_timestamp_type_t tt = KAFC_TIMESTAMP_NOT_AVAILABLE;
    cr_assert_eq(kafc_message_timestamp(&m, &tt), 1700000000123LL);
    cr_assert_eq(tt, KAFC_TIMESTAMP_LOG_APPEND_TIME);
    cr_assert_eq(kafc_message_timestamp(&m, NULL), 1700000000123LL);
    size_t len = 0;
    cr_assert_eq(memcmp(kafc_message_key(&m, &len), "k1", 2), 0);
    cr_assert_eq(len, 2);
    cr_assert_eq(memcmp(kafc_message_value(&m, &len), "hello", 5), 0);
    cr_assert_eq(len, 5);
    cr_assert_not_null(kafc_message_value(&m, NULL));
    cr_assert_eq(kafc_message_headers(&m), h);
    cr_assert_eq(kafc_headers_count(kafc_message_headers(&m)), 1);
    cr_assert_eq(kafc_message_err(&m), KAFC_ERR__MSG_TIMED_OUT);
    cr_assert_eq(kafc_message_persisted(&m), KAFC_POSSIBLY_PERSISTED);
    cr_assert_eq(kafc_message_opaque(&m), &tag);
    kafc_headers_destroy(h);
}

Test(message, null_and_empty_key_value)
{
    kafc_message_t m;
    kafc__message_init(&m);
    size_t len = 99;
    /* After init: null key and value, unknown everything. */
    cr_assert_null(kafc_message_key(&m, &len));
    cr_assert_eq(len, 0);
    len = 99;
    cr_assert_null(kafc_message_value(&m, &len));
    cr_assert_eq(len, 0);
    cr_assert_null(kafc_message_topic(&m));
    cr_assert_eq(kafc_message_partition(&m), -1);
    cr_assert_eq(kafc_message_offset(&m), -1);
    kafc_timestamp_type_t tt = KAFC_TIMESTAMP_CREATE_TIME;
    cr_assert_eq(kafc_message_timestamp(&m, &tt), -1);
    cr_assert_eq(tt, KAFC_TIMESTAMP_NOT_AVAILABLE);
    cr_assert_eq(kafc_message_err(&m), KAFC_ERR_NONE);
    cr_assert_eq(kafc_message_persisted(&m), KAFC_NOT_PERSISTED);
    cr_assert_null(kafc_message_opaque(&m));

    /* A null key given with a stray pointer is still null. */
    m.key = "junk";
    m.key_len = -1;
    len = 99;
    cr_assert_null(kafc_message_key(&m, &len));
    cr_assert_eq(len, 0);

    /* Empty (not null) keys and values are non-NULL with length 0, even
     * when whoever filled the message left the pointer NULL. */
    m.key = NULL;
    m.key_len = 0;
    m.value = "";
    m.value_len = 0;
    len = 99;
    cr_assert_not_null(kafc_message_key(&m, &len));
    cr_assert_eq(len, 0);
    len = 99;
    cr_assert_not_null(kafc_message_value(&m, &len));
    cr_assert_eq(len, 0);

    /* No headers: an empty list, never NULL. */
    const kafc_headers_t *h = kafc_message_headers(&m);
    cr_assert_not_null(h);
    cr_assert_eq(kafc_headers_count(h), 0);
    const char *name;
    cr_assert_eq(kafc_headers_get(h, 0, &name, NULL, NULL), KAFC_ERR__INVALID_ARG);
}

Test(message, null_message)
{
    size_t len = 99;
    cr_assert_null(kafc_message_topic(NULL));
    cr_assert_eq(kafc_message_partition(NULL), -1);
    cr_assert_eq(kafc_message_offset(NULL), -1);
    kafc_timestamp_type_t tt = KAFC_TIMESTAMP_CREATE_TIME;
    cr_assert_eq(kafc_message_timestamp(NULL, &tt), -1);
    cr_assert_eq(tt, KAFC_TIMESTAMP_NOT_AVAILABLE);
    cr_assert_null(kafc_message_key(NULL, &len));
    cr_assert_eq(len, 0);
    len = 99;
    cr_assert_null(kafc_message_value(NULL, &len));
    cr_assert_eq(len, 0);
    cr_assert_not_null(kafc_message_headers(NULL));
    cr_assert_eq(kafc_headers_count(kafc_message_headers(NULL)), 0);
    cr_assert_eq(kafc_message_err(NULL), KAFC_ERR__INVALID_ARG);
    cr_assert_eq(kafc_message_persisted(NULL), KAFC_NOT_PERSISTED);
    cr_assert_null(kafc_message_opaque(NULL));
}
