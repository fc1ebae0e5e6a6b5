/*
 * Message and TopicPartition, and conversions between Python lists of
 * TopicPartition and kafc_topic_partition_list_t. GIL held throughout.
 */
#include "kafcmodule.h"

#include <stdlib.h>
#include <string.h>

#include <structmember.h>

/* ---- Message -------------------------------------------------------------- */

static PyObject *headers_from_c(const kafc_headers_t *h)
{
    size_t n = h ? kafc_headers_count(h) : 0;
    if (n == 0)
        Py_RETURN_NONE;
    PyObject *list = PyList_New((Py_ssize_t)n);
    if (!list)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *name;
        const void *value;
        size_t len;
        if (kafc_headers_get(h, i, &name, &value, &len) != KAFC_ERR_NONE) {
            Py_DECREF(list);
            PyErr_SetString(PyExc_RuntimeError, "kafc_headers_get failed");
            return NULL;
        }
        /* y# gives None for a null value. */
        PyObject *t =
            Py_BuildValue("(Ny#)", PyUnicode_DecodeUTF8(name, (Py_ssize_t)strlen(name), "replace"),
                          (const char *)value, (Py_ssize_t)len);
        if (!t) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, t);
    }
    return list;
}

static PyObject *bytes_or_none(const void *p, size_t len)
{
    if (!p)
        Py_RETURN_NONE;
    return PyBytes_FromStringAndSize(p, (Py_ssize_t)len);
}

PyObject *kpy_message_from_c(const kafc_message_t *m, int copy_payload, PyObject **topic_cache)
{
    KpyMessage *o = PyObject_New(KpyMessage, &KpyMessageType);
    if (!o)
        return NULL;
    o->topic = o->key = o->value = o->headers = o->error = NULL;
    o->partition = kafc_message_partition(m);
    o->offset = kafc_message_offset(m);
    kafc_timestamp_type_t tt = KAFC_TIMESTAMP_NOT_AVAILABLE;
    o->timestamp = kafc_message_timestamp(m, &tt);
    o->tstype = (int)tt;
    o->leader_epoch = -1;

    const char *topic = kafc_message_topic(m);
    if (!topic) {
        o->topic = Py_NewRef(Py_None);
    } else if (topic_cache && *topic_cache && !strcmp(PyUnicode_AsUTF8(*topic_cache), topic)) {
        o->topic = Py_NewRef(*topic_cache);
    } else {
        o->topic = PyUnicode_DecodeUTF8(topic, (Py_ssize_t)strlen(topic), "replace");
        if (!o->topic)
            goto fail;
        if (topic_cache)
            Py_XSETREF(*topic_cache, Py_NewRef(o->topic));
    }

    kafc_err_t err = kafc_message_err(m);
    size_t klen = 0, vlen = 0;
    const void *key = kafc_message_key(m, &klen);
    const void *value = kafc_message_value(m, &vlen);
    if (err != KAFC_ERR_NONE) {
        /* Consumer events carry their description as the value. */
        char reason[512];
        const char *r = NULL;
        if (value && vlen > 0 && copy_payload) {
            size_t n = vlen < sizeof(reason) - 1 ? vlen : sizeof(reason) - 1;
            memcpy(reason, value, n);
            reason[n] = '\0';
            r = reason;
        }
        o->error = kpy_error_new(err, r);
        if (!o->error)
            goto fail;
    } else {
        o->error = Py_NewRef(Py_None);
    }
    if (copy_payload) {
        if (!(o->key = bytes_or_none(key, klen)) || !(o->value = bytes_or_none(value, vlen)))
            goto fail;
    } else {
        o->key = Py_NewRef(Py_None);
        o->value = Py_NewRef(Py_None);
    }
    if (!(o->headers = headers_from_c(kafc_message_headers(m))))
        goto fail;
    return (PyObject *)o;
fail:
    Py_DECREF(o);
    return NULL;
}

static void message_dealloc(KpyMessage *self)
{
    Py_XDECREF(self->topic);
    Py_XDECREF(self->key);
    Py_XDECREF(self->value);
    Py_XDECREF(self->headers);
    Py_XDECREF(self->error);
    PyObject_Free(self);
}

static PyObject *msg_topic(KpyMessage *self, PyObject *unused)
{
    return Py_NewRef(self->topic);
}

static PyObject *msg_partition(KpyMessage *self, PyObject *unused)
{
    return PyLong_FromLong(self->partition);
}

static PyObject *msg_offset(KpyMessage *self, PyObject *unused)
{
    return PyLong_FromLongLong(self->offset);
}

static PyObject *msg_key(KpyMessage *self, PyObject *unused)
{
    return Py_NewRef(self->key);
}

static PyObject *msg_value(KpyMessage *self, PyObject *unused)
{
    return Py_NewRef(self->value);
}

static PyObject *msg_headers(KpyMessage *self, PyObject *unused)
{
    return Py_NewRef(self->headers);
}

static PyObject *msg_error(KpyMessage *self, PyObject *unused)
{
    return Py_NewRef(self->error);
}

static PyObject *msg_timestamp(KpyMessage *self, PyObject *unused)
{
    return Py_BuildValue("(iL)", self->tstype, (long long)self->timestamp);
}

static PyObject *msg_leader_epoch(KpyMessage *self, PyObject *unused)
{
    if (self->leader_epoch < 0)
        Py_RETURN_NONE;
    return PyLong_FromLong(self->leader_epoch);
}

static PyObject *msg_set_key(KpyMessage *self, PyObject *arg)
{
    Py_SETREF(self->key, Py_NewRef(arg));
    Py_RETURN_NONE;
}

static PyObject *msg_set_value(KpyMessage *self, PyObject *arg)
{
    Py_SETREF(self->value, Py_NewRef(arg));
    Py_RETURN_NONE;
}

static PyObject *msg_set_headers(KpyMessage *self, PyObject *arg)
{
    Py_SETREF(self->headers, Py_NewRef(arg));
    Py_RETURN_NONE;
}

static Py_ssize_t msg_len(KpyMessage *self)
{
    return self->value == Py_None ? 0 : PyObject_Length(self->value);
}

static PyObject *msg_repr(KpyMessage *self)
{
    return PyUnicode_FromFormat("<kafc.Message topic=%R partition=%d offset=%lld error=%R>",
                                self->topic, (int)self->partition, (long long)self->offset,
                                self->error);
}

static PyMethodDef message_methods[] = {
    {"topic", (PyCFunction)msg_topic, METH_NOARGS, "The topic name (str)."},
    {"partition", (PyCFunction)msg_partition, METH_NOARGS, "The partition (int)."},
    {"offset", (PyCFunction)msg_offset, METH_NOARGS, "The offset (int; negative when unknown)."},
    {"key", (PyCFunction)msg_key, METH_NOARGS, "The key (bytes) or None."},
    {"value", (PyCFunction)msg_value, METH_NOARGS,
     "The value (bytes) or None; for an error event, its description."},
    {"headers", (PyCFunction)msg_headers, METH_NOARGS,
     "The headers: a list of (name, value) tuples (value bytes or None), or None when "
     "there are none."},
    {"timestamp", (PyCFunction)msg_timestamp, METH_NOARGS,
     "(type, ms since the epoch): type is TIMESTAMP_NOT_AVAILABLE, TIMESTAMP_CREATE_TIME "
     "or TIMESTAMP_LOG_APPEND_TIME."},
    {"error", (PyCFunction)msg_error, METH_NOARGS,
     "None for a message, else a KafkaError (a failed delivery, or a consumer event such "
     "as _PARTITION_EOF)."},
    {"leader_epoch", (PyCFunction)msg_leader_epoch, METH_NOARGS,
     "The leader epoch of the batch, or None."},
    {"set_key", (PyCFunction)msg_set_key, METH_O, "Replaces the key."},
    {"set_value", (PyCFunction)msg_set_value, METH_O, "Replaces the value."},
    {"set_headers", (PyCFunction)msg_set_headers, METH_O, "Replaces the headers."},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods message_as_sequence = {
    .sq_length = (lenfunc)msg_len,
};

PyTypeObject KpyMessageType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "kafc.Message",
    .tp_basicsize = sizeof(KpyMessage),
    .tp_dealloc = (destructor)message_dealloc,
    .tp_repr = (reprfunc)msg_repr,
    .tp_as_sequence = &message_as_sequence,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A message: from Consumer.poll()/consume(), or in a delivery report. Not "
              "created by applications.",
    .tp_methods = message_methods,
};

/* ---- TopicPartition ----------------------------------------------------------- */

static PyObject *tp_tp_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kws[] = {"topic", "partition", "offset", "metadata", "leader_epoch", NULL};
    PyObject *topic, *metadata = Py_None, *leader_epoch = Py_None;
    int partition = -1;
    long long offset = KAFC_OFFSET_INVALID;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "U|iLOO", kws, &topic, &partition, &offset,
                                     &metadata, &leader_epoch))
        return NULL;
    if (metadata != Py_None && !PyUnicode_Check(metadata)) {
        PyErr_SetString(PyExc_TypeError, "metadata must be a str or None");
        return NULL;
    }
    int epoch = -1;
    if (leader_epoch != Py_None) {
        epoch = (int)PyLong_AsLong(leader_epoch);
        if (epoch == -1 && PyErr_Occurred())
            return NULL;
    }
    KpyTopicPartition *self = (KpyTopicPartition *)type->tp_alloc(type, 0);
    if (!self)
        return NULL;
    self->topic = Py_NewRef(topic);
    self->partition = partition;
    self->offset = offset;
    self->metadata = Py_NewRef(metadata);
    self->leader_epoch = epoch < 0 ? -1 : epoch;
    self->error = Py_NewRef(Py_None);
    return (PyObject *)self;
}

static void tp_dealloc(KpyTopicPartition *self)
{
    Py_XDECREF(self->topic);
    Py_XDECREF(self->metadata);
    Py_XDECREF(self->error);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *tp_repr(KpyTopicPartition *self)
{
    PyObject *epoch =
        self->leader_epoch < 0 ? Py_NewRef(Py_None) : PyLong_FromLong(self->leader_epoch);
    if (!epoch)
        return NULL;
    PyObject *r = PyUnicode_FromFormat(
        "TopicPartition{topic=%U,partition=%d,offset=%lld,leader_epoch=%R,error=%R}", self->topic,
        (int)self->partition, (long long)self->offset, epoch, self->error);
    Py_DECREF(epoch);
    return r;
}

static Py_hash_t tp_hash(KpyTopicPartition *self)
{
    Py_hash_t h = PyObject_Hash(self->topic);
    if (h == -1)
        return -1;
    h = h * 1000003 ^ (Py_hash_t)self->partition;
    return h == -1 ? -2 : h;
}

/* Equality and order by (topic, partition), as confluent-kafka does. */
static PyObject *tp_richcompare(PyObject *a, PyObject *b, int op)
{
    if (!PyObject_TypeCheck(a, &KpyTopicPartitionType) ||
        !PyObject_TypeCheck(b, &KpyTopicPartitionType))
        Py_RETURN_NOTIMPLEMENTED;
    KpyTopicPartition *x = (KpyTopicPartition *)a, *y = (KpyTopicPartition *)b;
    int eq = PyUnicode_Compare(x->topic, y->topic);
    if (eq == -1 && PyErr_Occurred())
        return NULL;
    if (eq != 0)
        Py_RETURN_RICHCOMPARE(eq, 0, op);
    Py_RETURN_RICHCOMPARE(x->partition, y->partition, op);
}

static PyObject *tp_get_leader_epoch(KpyTopicPartition *self, void *closure)
{
    if (self->leader_epoch < 0)
        Py_RETURN_NONE;
    return PyLong_FromLong(self->leader_epoch);
}

static int tp_set_leader_epoch(KpyTopicPartition *self, PyObject *v, void *closure)
{
    if (!v || v == Py_None) {
        self->leader_epoch = -1;
        return 0;
    }
    long e = PyLong_AsLong(v);
    if (e == -1 && PyErr_Occurred())
        return -1;
    self->leader_epoch = e < 0 || e > INT32_MAX ? -1 : (int32_t)e;
    return 0;
}

static int tp_set_metadata(KpyTopicPartition *self, PyObject *v, void *closure)
{
    if (!v)
        v = Py_None;
    if (v != Py_None && !PyUnicode_Check(v)) {
        PyErr_SetString(PyExc_TypeError, "metadata must be a str or None");
        return -1;
    }
    Py_SETREF(self->metadata, Py_NewRef(v));
    return 0;
}

static PyObject *tp_get_metadata(KpyTopicPartition *self, void *closure)
{
    return Py_NewRef(self->metadata);
}

static PyMemberDef tp_members[] = {
    {"topic", T_OBJECT, offsetof(KpyTopicPartition, topic), READONLY, "The topic name."},
    {"partition", T_INT, offsetof(KpyTopicPartition, partition), 0, "The partition."},
    {"offset", T_LONGLONG, offsetof(KpyTopicPartition, offset), 0,
     "An offset, or a logical one (OFFSET_BEGINNING, OFFSET_END, OFFSET_STORED, "
     "OFFSET_INVALID)."},
    {"error", T_OBJECT, offsetof(KpyTopicPartition, error), READONLY,
     "None, or the KafkaError of an operation on this partition."},
    {NULL, 0, 0, 0, NULL},
};

static PyGetSetDef tp_getset[] = {
    {"leader_epoch", (getter)tp_get_leader_epoch, (setter)tp_set_leader_epoch,
     "The leader epoch, or None.", NULL},
    {"metadata", (getter)tp_get_metadata, (setter)tp_set_metadata, "Commit metadata (str) or None.",
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject KpyTopicPartitionType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "kafc.TopicPartition",
    .tp_basicsize = sizeof(KpyTopicPartition),
    .tp_dealloc = (destructor)tp_dealloc,
    .tp_repr = (reprfunc)tp_repr,
    .tp_hash = (hashfunc)tp_hash,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "TopicPartition(topic, partition=-1, offset=OFFSET_INVALID, metadata=None, "
              "leader_epoch=None)\n\nA topic partition and an offset. Equal and ordered by "
              "(topic, partition).",
    .tp_richcompare = tp_richcompare,
    .tp_members = tp_members,
    .tp_getset = tp_getset,
    .tp_new = tp_tp_new,
};

/* ---- list conversions --------------------------------------------------------- */

kafc_topic_partition_list_t *kpy_tplist_from_py(PyObject *seq)
{
    PyObject *fast = PySequence_Fast(seq, "expected a list of TopicPartition");
    if (!fast)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    kafc_topic_partition_list_t *l = kafc_topic_partition_list_new(n > 0 ? (int)n : 1);
    if (!l) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *o = PySequence_Fast_GET_ITEM(fast, i);
        if (!PyObject_TypeCheck(o, &KpyTopicPartitionType)) {
            PyErr_Format(PyExc_TypeError, "expected a list of TopicPartition, found %.100s",
                         Py_TYPE(o)->tp_name);
            goto fail;
        }
        KpyTopicPartition *tp = (KpyTopicPartition *)o;
        const char *topic = PyUnicode_AsUTF8(tp->topic);
        if (!topic)
            goto fail;
        kafc_topic_partition_t *e = kafc_topic_partition_list_add(l, topic, tp->partition);
        if (!e) {
            if (!*topic)
                PyErr_SetString(PyExc_ValueError, "TopicPartition with an empty topic");
            else
                PyErr_NoMemory();
            goto fail;
        }
        e->offset = tp->offset;
        e->leader_epoch = tp->leader_epoch;
        if (tp->metadata != Py_None) {
            const char *md = PyUnicode_AsUTF8(tp->metadata);
            if (!md)
                goto fail;
            if (!(e->metadata = strdup(md))) {
                PyErr_NoMemory();
                goto fail;
            }
        }
    }
    Py_DECREF(fast);
    return l;
fail:
    Py_DECREF(fast);
    kafc_topic_partition_list_destroy(l);
    return NULL;
}

PyObject *kpy_tplist_to_py(const kafc_topic_partition_list_t *l)
{
    int n = l ? l->cnt : 0;
    PyObject *list = PyList_New(n);
    if (!list)
        return NULL;
    for (int i = 0; i < n; i++) {
        const kafc_topic_partition_t *e = &l->elems[i];
        KpyTopicPartition *tp = PyObject_New(KpyTopicPartition, &KpyTopicPartitionType);
        if (!tp) {
            Py_DECREF(list);
            return NULL;
        }
        tp->topic = PyUnicode_FromString(e->topic ? e->topic : "");
        tp->metadata = e->metadata ? PyUnicode_FromString(e->metadata) : Py_NewRef(Py_None);
        tp->error = kpy_error_or_none(e->err);
        tp->partition = e->partition;
        tp->offset = e->offset;
        tp->leader_epoch = e->leader_epoch < 0 ? -1 : e->leader_epoch;
        PyList_SET_ITEM(list, i, (PyObject *)tp);
        if (!tp->topic || !tp->metadata || !tp->error) {
            Py_DECREF(list);
            return NULL;
        }
    }
    return list;
}

int kpy_types_init(PyObject *m)
{
    if (PyType_Ready(&KpyMessageType) < 0 || PyType_Ready(&KpyTopicPartitionType) < 0)
        return -1;
    if (PyModule_AddObjectRef(m, "Message", (PyObject *)&KpyMessageType) < 0 ||
        PyModule_AddObjectRef(m, "TopicPartition", (PyObject *)&KpyTopicPartitionType) < 0)
        return -1;
    return 0;
}
