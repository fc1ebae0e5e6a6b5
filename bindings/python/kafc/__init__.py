"""kafc: a Kafka client for Python over libkafc (C), shaped like
confluent-kafka-python.

    from kafc import Producer, Consumer, TopicPartition, KafkaError, KafkaException

Configuration dicts use libkafc's property names (CONFIGURATION.md in the
kafc repository). See bindings/python/README.md.
"""

from ._kafc import (  # noqa: F401
    OFFSET_BEGINNING,
    OFFSET_END,
    OFFSET_INVALID,
    OFFSET_STORED,
    PARTITION_ANY,
    TIMESTAMP_CREATE_TIME,
    TIMESTAMP_LOG_APPEND_TIME,
    TIMESTAMP_NOT_AVAILABLE,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    QueueFullError,
    TopicPartition,
    libversion,
)

__all__ = [
    "Consumer",
    "KafkaError",
    "KafkaException",
    "Message",
    "OFFSET_BEGINNING",
    "OFFSET_END",
    "OFFSET_INVALID",
    "OFFSET_STORED",
    "PARTITION_ANY",
    "Producer",
    "QueueFullError",
    "TIMESTAMP_CREATE_TIME",
    "TIMESTAMP_LOG_APPEND_TIME",
    "TIMESTAMP_NOT_AVAILABLE",
    "TopicPartition",
    "libversion",
    "version",
]

__version__ = "0.1.0"


def version():
    """(str, int): this binding's version, as confluent_kafka.version() gives."""
    major, minor, patch = (int(x) for x in __version__.split("."))
    return __version__, (major << 16) | (minor << 8) | patch
