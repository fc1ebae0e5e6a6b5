# Type stubs for the kafc package (the C extension kafc._kafc).
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

Payload = Union[bytes, bytearray, memoryview, str]
HeaderValue = Optional[Union[bytes, bytearray, memoryview, str]]
Headers = Union[Dict[str, HeaderValue], Sequence[Tuple[str, HeaderValue]]]
ConfValue = Union[str, int, float, bool, None, Callable[..., Any], Any]

OFFSET_BEGINNING: int
OFFSET_END: int
OFFSET_STORED: int
OFFSET_INVALID: int
PARTITION_ANY: int
TIMESTAMP_NOT_AVAILABLE: int
TIMESTAMP_CREATE_TIME: int
TIMESTAMP_LOG_APPEND_TIME: int
__version__: str

def libversion() -> Tuple[str, int]: ...
def version() -> Tuple[str, int]: ...

class KafkaError:
    # Every code libkafc names is a class attribute (set from kafc_err_name()
    # at import; this list is libkafc 0.1.0's).
    _IN_PROGRESS: int
    _ASSIGNMENT_LOST: int
    _NO_OFFSET: int
    _NO_COORDINATOR: int
    _SSL: int
    _AUTHENTICATION: int
    _UNSUPPORTED_VERSION: int
    _MSG_SIZE_TOO_LARGE: int
    _STATE: int
    _NOT_IMPLEMENTED: int
    _COMPRESS: int
    _DECOMPRESS: int
    _BUF_OVERFLOW: int
    _BUF_UNDERFLOW: int
    _CRC_MISMATCH: int
    _UNSUPPORTED_FEATURE: int
    _PURGE_INFLIGHT: int
    _PURGE_QUEUE: int
    _FATAL: int
    _UNKNOWN_TOPIC: int
    _UNKNOWN_PARTITION: int
    _PARTITION_EOF: int
    _MSG_TIMED_OUT: int
    _DESTROY: int
    _ALL_BROKERS_DOWN: int
    _RESOLVE: int
    _TRANSPORT: int
    _CONFIG_CONFLICT: int
    _INVALID_CONFIG_VALUE: int
    _UNKNOWN_CONFIG: int
    _QUEUE_FULL: int
    _TIMED_OUT: int
    _NO_MEMORY: int
    _INVALID_ARG: int
    _BAD_MSG: int
    UNKNOWN_SERVER_ERROR: int
    NONE: int
    OFFSET_OUT_OF_RANGE: int
    CORRUPT_MESSAGE: int
    UNKNOWN_TOPIC_OR_PARTITION: int
    INVALID_FETCH_SIZE: int
    LEADER_NOT_AVAILABLE: int
    NOT_LEADER_OR_FOLLOWER: int
    REQUEST_TIMED_OUT: int
    BROKER_NOT_AVAILABLE: int
    REPLICA_NOT_AVAILABLE: int
    MESSAGE_TOO_LARGE: int
    STALE_CONTROLLER_EPOCH: int
    OFFSET_METADATA_TOO_LARGE: int
    NETWORK_EXCEPTION: int
    COORDINATOR_LOAD_IN_PROGRESS: int
    COORDINATOR_NOT_AVAILABLE: int
    NOT_COORDINATOR: int
    INVALID_TOPIC_EXCEPTION: int
    RECORD_LIST_TOO_LARGE: int
    NOT_ENOUGH_REPLICAS: int
    NOT_ENOUGH_REPLICAS_AFTER_APPEND: int
    INVALID_REQUIRED_ACKS: int
    ILLEGAL_GENERATION: int
    INCONSISTENT_GROUP_PROTOCOL: int
    INVALID_GROUP_ID: int
    UNKNOWN_MEMBER_ID: int
    INVALID_SESSION_TIMEOUT: int
    REBALANCE_IN_PROGRESS: int
    INVALID_COMMIT_OFFSET_SIZE: int
    TOPIC_AUTHORIZATION_FAILED: int
    GROUP_AUTHORIZATION_FAILED: int
    CLUSTER_AUTHORIZATION_FAILED: int
    INVALID_TIMESTAMP: int
    UNSUPPORTED_SASL_MECHANISM: int
    ILLEGAL_SASL_STATE: int
    UNSUPPORTED_VERSION: int
    TOPIC_ALREADY_EXISTS: int
    INVALID_PARTITIONS: int
    INVALID_REPLICATION_FACTOR: int
    INVALID_REPLICA_ASSIGNMENT: int
    INVALID_CONFIG: int
    NOT_CONTROLLER: int
    INVALID_REQUEST: int
    UNSUPPORTED_FOR_MESSAGE_FORMAT: int
    POLICY_VIOLATION: int
    OUT_OF_ORDER_SEQUENCE_NUMBER: int
    DUPLICATE_SEQUENCE_NUMBER: int
    INVALID_PRODUCER_EPOCH: int
    INVALID_TXN_STATE: int
    INVALID_PRODUCER_ID_MAPPING: int
    INVALID_TRANSACTION_TIMEOUT: int
    CONCURRENT_TRANSACTIONS: int
    TRANSACTION_COORDINATOR_FENCED: int
    TRANSACTIONAL_ID_AUTHORIZATION_FAILED: int
    SECURITY_DISABLED: int
    OPERATION_NOT_ATTEMPTED: int
    KAFKA_STORAGE_ERROR: int
    LOG_DIR_NOT_FOUND: int
    SASL_AUTHENTICATION_FAILED: int
    UNKNOWN_PRODUCER_ID: int
    REASSIGNMENT_IN_PROGRESS: int
    DELEGATION_TOKEN_AUTH_DISABLED: int
    DELEGATION_TOKEN_NOT_FOUND: int
    DELEGATION_TOKEN_OWNER_MISMATCH: int
    DELEGATION_TOKEN_REQUEST_NOT_ALLOWED: int
    DELEGATION_TOKEN_AUTHORIZATION_FAILED: int
    DELEGATION_TOKEN_EXPIRED: int
    INVALID_PRINCIPAL_TYPE: int
    NON_EMPTY_GROUP: int
    GROUP_ID_NOT_FOUND: int
    FETCH_SESSION_ID_NOT_FOUND: int
    INVALID_FETCH_SESSION_EPOCH: int
    LISTENER_NOT_FOUND: int
    TOPIC_DELETION_DISABLED: int
    FENCED_LEADER_EPOCH: int
    UNKNOWN_LEADER_EPOCH: int
    UNSUPPORTED_COMPRESSION_TYPE: int
    STALE_BROKER_EPOCH: int
    OFFSET_NOT_AVAILABLE: int
    MEMBER_ID_REQUIRED: int
    PREFERRED_LEADER_NOT_AVAILABLE: int
    GROUP_MAX_SIZE_REACHED: int
    FENCED_INSTANCE_ID: int
    ELIGIBLE_LEADERS_NOT_AVAILABLE: int
    ELECTION_NOT_NEEDED: int
    NO_REASSIGNMENT_IN_PROGRESS: int
    GROUP_SUBSCRIBED_TO_TOPIC: int
    INVALID_RECORD: int
    UNSTABLE_OFFSET_COMMIT: int
    THROTTLING_QUOTA_EXCEEDED: int
    PRODUCER_FENCED: int
    RESOURCE_NOT_FOUND: int
    DUPLICATE_RESOURCE: int
    UNACCEPTABLE_CREDENTIAL: int
    INCONSISTENT_VOTER_SET: int
    INVALID_UPDATE_VERSION: int
    FEATURE_UPDATE_FAILED: int
    PRINCIPAL_DESERIALIZATION_FAILURE: int
    SNAPSHOT_NOT_FOUND: int
    UNKNOWN_TOPIC_ID: int
    DUPLICATE_BROKER_REGISTRATION: int
    BROKER_ID_NOT_REGISTERED: int
    INCONSISTENT_TOPIC_ID: int
    INCONSISTENT_CLUSTER_ID: int
    TRANSACTIONAL_ID_NOT_FOUND: int
    FETCH_SESSION_TOPIC_ID_ERROR: int
    INELIGIBLE_REPLICA: int
    NEW_LEADER_ELECTED: int
    OFFSET_MOVED_TO_TIERED_STORAGE: int
    FENCED_MEMBER_EPOCH: int
    UNRELEASED_INSTANCE_ID: int
    UNSUPPORTED_ASSIGNOR: int
    STALE_MEMBER_EPOCH: int
    MISMATCHED_ENDPOINT_TYPE: int
    UNSUPPORTED_ENDPOINT_TYPE: int
    UNKNOWN_CONTROLLER_ID: int
    UNKNOWN_SUBSCRIPTION_ID: int
    TELEMETRY_TOO_LARGE: int
    INVALID_REGISTRATION: int
    TRANSACTION_ABORTABLE: int
    INVALID_RECORD_STATE: int
    SHARE_SESSION_NOT_FOUND: int
    INVALID_SHARE_SESSION_EPOCH: int
    FENCED_STATE_EPOCH: int
    INVALID_VOTER_KEY: int
    DUPLICATE_VOTER: int
    VOTER_NOT_FOUND: int
    INVALID_REGULAR_EXPRESSION: int
    def __init__(self, error: int, reason: Optional[str] = ..., fatal: bool = ...,
                 retriable: bool = ...) -> None: ...
    def code(self) -> int: ...
    def name(self) -> str: ...
    def str(self) -> str: ...
    def fatal(self) -> bool: ...
    def retriable(self) -> bool: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class KafkaException(Exception):
    args: Tuple[KafkaError, ...]

class QueueFullError(KafkaException, BufferError): ...

class TopicPartition:
    topic: str
    partition: int
    offset: int
    metadata: Optional[str]
    leader_epoch: Optional[int]
    error: Optional[KafkaError]
    def __init__(self, topic: str, partition: int = ..., offset: int = ...,
                 metadata: Optional[str] = ..., leader_epoch: Optional[int] = ...) -> None: ...
    def __eq__(self, other: object) -> bool: ...
    def __lt__(self, other: "TopicPartition") -> bool: ...
    def __hash__(self) -> int: ...

class Message:
    def topic(self) -> Optional[str]: ...
    def partition(self) -> int: ...
    def offset(self) -> int: ...
    def key(self) -> Optional[bytes]: ...
    def value(self) -> Optional[bytes]: ...
    def headers(self) -> Optional[List[Tuple[str, Optional[bytes]]]]: ...
    def timestamp(self) -> Tuple[int, int]: ...
    def error(self) -> Optional[KafkaError]: ...
    def leader_epoch(self) -> Optional[int]: ...
    def set_key(self, key: Any) -> None: ...
    def set_value(self, value: Any) -> None: ...
    def set_headers(self, headers: Any) -> None: ...
    def __len__(self) -> int: ...

DeliveryCallback = Callable[[Optional[KafkaError], Message], Any]
RebalanceCallback = Callable[["Consumer", List[TopicPartition]], Any]

class Producer:
    def __init__(self, config: Optional[Dict[str, ConfValue]] = ..., **kwargs: ConfValue) -> None: ...
    def produce(self, topic: str, value: Optional[Payload] = ..., key: Optional[Payload] = ...,
                partition: int = ..., on_delivery: Optional[DeliveryCallback] = ...,
                timestamp: int = ..., headers: Optional[Headers] = ...,
                callback: Optional[DeliveryCallback] = ...) -> None: ...
    def poll(self, timeout: Optional[float] = ...) -> int: ...
    def flush(self, timeout: Optional[float] = ...) -> int: ...
    def purge(self, in_queue: bool = ..., in_flight: bool = ..., blocking: bool = ...) -> None: ...
    def fatal_error(self) -> Optional[KafkaError]: ...
    def __len__(self) -> int: ...

class Consumer:
    def __init__(self, config: Optional[Dict[str, ConfValue]] = ..., **kwargs: ConfValue) -> None: ...
    def subscribe(self, topics: Sequence[str], on_assign: Optional[RebalanceCallback] = ...,
                  on_revoke: Optional[RebalanceCallback] = ...,
                  on_lost: Optional[RebalanceCallback] = ...) -> None: ...
    def unsubscribe(self) -> None: ...
    def subscription(self) -> List[str]: ...
    def assign(self, partitions: Sequence[TopicPartition]) -> None: ...
    def unassign(self) -> None: ...
    def incremental_assign(self, partitions: Sequence[TopicPartition]) -> None: ...
    def incremental_unassign(self, partitions: Sequence[TopicPartition]) -> None: ...
    def assignment(self) -> List[TopicPartition]: ...
    def rebalance_protocol(self) -> str: ...
    def poll(self, timeout: Optional[float] = ...) -> Optional[Message]: ...
    def consume(self, num_messages: int = ..., timeout: Optional[float] = ...) -> List[Message]: ...
    def commit(self, message: Optional[Message] = ...,
               offsets: Optional[Sequence[TopicPartition]] = ...,
               asynchronous: bool = ...) -> Optional[List[TopicPartition]]: ...
    def committed(self, partitions: Sequence[TopicPartition],
                  timeout: Optional[float] = ...) -> List[TopicPartition]: ...
    def position(self, partitions: Sequence[TopicPartition]) -> List[TopicPartition]: ...
    def seek(self, partition: TopicPartition) -> None: ...
    def pause(self, partitions: Sequence[TopicPartition]) -> None: ...
    def resume(self, partitions: Sequence[TopicPartition]) -> None: ...
    def get_watermark_offsets(self, partition: TopicPartition, timeout: Optional[float] = ...,
                              cached: bool = ...) -> Tuple[int, int]: ...
    def close(self) -> None: ...
