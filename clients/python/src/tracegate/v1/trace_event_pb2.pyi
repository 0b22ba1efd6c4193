import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ObservationType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OBSERVATION_TYPE_UNSPECIFIED: _ClassVar[ObservationType]
    OBSERVATION_TYPE_SPAN: _ClassVar[ObservationType]
    OBSERVATION_TYPE_GENERATION: _ClassVar[ObservationType]
    OBSERVATION_TYPE_EVENT: _ClassVar[ObservationType]
    OBSERVATION_TYPE_AGENT: _ClassVar[ObservationType]
    OBSERVATION_TYPE_TOOL: _ClassVar[ObservationType]
    OBSERVATION_TYPE_CHAIN: _ClassVar[ObservationType]
    OBSERVATION_TYPE_RETRIEVER: _ClassVar[ObservationType]
    OBSERVATION_TYPE_EMBEDDING: _ClassVar[ObservationType]
    OBSERVATION_TYPE_EVALUATOR: _ClassVar[ObservationType]
    OBSERVATION_TYPE_GUARDRAIL: _ClassVar[ObservationType]

class Level(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LEVEL_UNSPECIFIED: _ClassVar[Level]
    LEVEL_DEBUG: _ClassVar[Level]
    LEVEL_DEFAULT: _ClassVar[Level]
    LEVEL_WARNING: _ClassVar[Level]
    LEVEL_ERROR: _ClassVar[Level]

class ScoreDataType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCORE_DATA_TYPE_UNSPECIFIED: _ClassVar[ScoreDataType]
    SCORE_DATA_TYPE_NUMERIC: _ClassVar[ScoreDataType]
    SCORE_DATA_TYPE_CATEGORICAL: _ClassVar[ScoreDataType]
    SCORE_DATA_TYPE_BOOLEAN: _ClassVar[ScoreDataType]
OBSERVATION_TYPE_UNSPECIFIED: ObservationType
OBSERVATION_TYPE_SPAN: ObservationType
OBSERVATION_TYPE_GENERATION: ObservationType
OBSERVATION_TYPE_EVENT: ObservationType
OBSERVATION_TYPE_AGENT: ObservationType
OBSERVATION_TYPE_TOOL: ObservationType
OBSERVATION_TYPE_CHAIN: ObservationType
OBSERVATION_TYPE_RETRIEVER: ObservationType
OBSERVATION_TYPE_EMBEDDING: ObservationType
OBSERVATION_TYPE_EVALUATOR: ObservationType
OBSERVATION_TYPE_GUARDRAIL: ObservationType
LEVEL_UNSPECIFIED: Level
LEVEL_DEBUG: Level
LEVEL_DEFAULT: Level
LEVEL_WARNING: Level
LEVEL_ERROR: Level
SCORE_DATA_TYPE_UNSPECIFIED: ScoreDataType
SCORE_DATA_TYPE_NUMERIC: ScoreDataType
SCORE_DATA_TYPE_CATEGORICAL: ScoreDataType
SCORE_DATA_TYPE_BOOLEAN: ScoreDataType

class TraceEvent(_message.Message):
    __slots__ = ("event_id", "workspace", "timestamp", "trace", "observation", "score")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    TRACE_FIELD_NUMBER: _ClassVar[int]
    OBSERVATION_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    workspace: str
    timestamp: _timestamp_pb2.Timestamp
    trace: Trace
    observation: Observation
    score: Score
    def __init__(self, event_id: _Optional[str] = ..., workspace: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., trace: _Optional[_Union[Trace, _Mapping]] = ..., observation: _Optional[_Union[Observation, _Mapping]] = ..., score: _Optional[_Union[Score, _Mapping]] = ...) -> None: ...

class Trace(_message.Message):
    __slots__ = ("id", "name", "user_id", "session_id", "release", "version", "environment", "tags", "metadata", "input", "output", "public", "timestamp")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    RELEASE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    user_id: str
    session_id: str
    release: str
    version: str
    environment: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    metadata: _struct_pb2.Struct
    input: Payload
    output: Payload
    public: bool
    timestamp: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., user_id: _Optional[str] = ..., session_id: _Optional[str] = ..., release: _Optional[str] = ..., version: _Optional[str] = ..., environment: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., input: _Optional[_Union[Payload, _Mapping]] = ..., output: _Optional[_Union[Payload, _Mapping]] = ..., public: _Optional[bool] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TraceAttributes(_message.Message):
    __slots__ = ("name", "user_id", "session_id", "tags", "metadata", "release", "version", "public", "input", "output")
    NAME_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    RELEASE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    name: str
    user_id: str
    session_id: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    metadata: _struct_pb2.Struct
    release: str
    version: str
    public: bool
    input: Payload
    output: Payload
    def __init__(self, name: _Optional[str] = ..., user_id: _Optional[str] = ..., session_id: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., release: _Optional[str] = ..., version: _Optional[str] = ..., public: _Optional[bool] = ..., input: _Optional[_Union[Payload, _Mapping]] = ..., output: _Optional[_Union[Payload, _Mapping]] = ...) -> None: ...

class Observation(_message.Message):
    __slots__ = ("id", "trace_id", "parent_observation_id", "type", "name", "start_time", "end_time", "completion_start_time", "level", "status_message", "version", "environment", "input", "output", "metadata", "model", "model_parameters", "usage_details", "cost_details", "prompt_name", "prompt_version", "trace")
    class UsageDetailsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class CostDetailsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_OBSERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_START_TIME_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    STATUS_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    MODEL_PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    USAGE_DETAILS_FIELD_NUMBER: _ClassVar[int]
    COST_DETAILS_FIELD_NUMBER: _ClassVar[int]
    PROMPT_NAME_FIELD_NUMBER: _ClassVar[int]
    PROMPT_VERSION_FIELD_NUMBER: _ClassVar[int]
    TRACE_FIELD_NUMBER: _ClassVar[int]
    id: str
    trace_id: str
    parent_observation_id: str
    type: ObservationType
    name: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    completion_start_time: _timestamp_pb2.Timestamp
    level: Level
    status_message: str
    version: str
    environment: str
    input: Payload
    output: Payload
    metadata: _struct_pb2.Struct
    model: str
    model_parameters: _struct_pb2.Struct
    usage_details: _containers.ScalarMap[str, int]
    cost_details: _containers.ScalarMap[str, float]
    prompt_name: str
    prompt_version: int
    trace: TraceAttributes
    def __init__(self, id: _Optional[str] = ..., trace_id: _Optional[str] = ..., parent_observation_id: _Optional[str] = ..., type: _Optional[_Union[ObservationType, str]] = ..., name: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completion_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., level: _Optional[_Union[Level, str]] = ..., status_message: _Optional[str] = ..., version: _Optional[str] = ..., environment: _Optional[str] = ..., input: _Optional[_Union[Payload, _Mapping]] = ..., output: _Optional[_Union[Payload, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., model: _Optional[str] = ..., model_parameters: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., usage_details: _Optional[_Mapping[str, int]] = ..., cost_details: _Optional[_Mapping[str, float]] = ..., prompt_name: _Optional[str] = ..., prompt_version: _Optional[int] = ..., trace: _Optional[_Union[TraceAttributes, _Mapping]] = ...) -> None: ...

class Score(_message.Message):
    __slots__ = ("id", "trace_id", "observation_id", "session_id", "name", "numeric_value", "categorical_value", "boolean_value", "data_type", "comment", "metadata", "environment", "config_id", "dataset_run_id", "timestamp")
    ID_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    OBSERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NUMERIC_VALUE_FIELD_NUMBER: _ClassVar[int]
    CATEGORICAL_VALUE_FIELD_NUMBER: _ClassVar[int]
    BOOLEAN_VALUE_FIELD_NUMBER: _ClassVar[int]
    DATA_TYPE_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_FIELD_NUMBER: _ClassVar[int]
    CONFIG_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    id: str
    trace_id: str
    observation_id: str
    session_id: str
    name: str
    numeric_value: float
    categorical_value: str
    boolean_value: bool
    data_type: ScoreDataType
    comment: str
    metadata: _struct_pb2.Struct
    environment: str
    config_id: str
    dataset_run_id: str
    timestamp: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., trace_id: _Optional[str] = ..., observation_id: _Optional[str] = ..., session_id: _Optional[str] = ..., name: _Optional[str] = ..., numeric_value: _Optional[float] = ..., categorical_value: _Optional[str] = ..., boolean_value: _Optional[bool] = ..., data_type: _Optional[_Union[ScoreDataType, str]] = ..., comment: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., environment: _Optional[str] = ..., config_id: _Optional[str] = ..., dataset_run_id: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Payload(_message.Message):
    __slots__ = ("text", "json", "value", "messages", "documents")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    JSON_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    text: str
    json: str
    value: _struct_pb2.Value
    messages: ChatMessages
    documents: Documents
    def __init__(self, text: _Optional[str] = ..., json: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., messages: _Optional[_Union[ChatMessages, _Mapping]] = ..., documents: _Optional[_Union[Documents, _Mapping]] = ...) -> None: ...

class ChatMessages(_message.Message):
    __slots__ = ("messages",)
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[ChatMessage]
    def __init__(self, messages: _Optional[_Iterable[_Union[ChatMessage, _Mapping]]] = ...) -> None: ...

class ChatMessage(_message.Message):
    __slots__ = ("role", "content", "parts", "tool_calls", "tool_call_id", "name")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALLS_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    role: str
    content: str
    parts: _containers.RepeatedCompositeFieldContainer[ContentPart]
    tool_calls: _containers.RepeatedCompositeFieldContainer[ToolCall]
    tool_call_id: str
    name: str
    def __init__(self, role: _Optional[str] = ..., content: _Optional[str] = ..., parts: _Optional[_Iterable[_Union[ContentPart, _Mapping]]] = ..., tool_calls: _Optional[_Iterable[_Union[ToolCall, _Mapping]]] = ..., tool_call_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class ContentPart(_message.Message):
    __slots__ = ("type", "text", "image_url")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    IMAGE_URL_FIELD_NUMBER: _ClassVar[int]
    type: str
    text: str
    image_url: str
    def __init__(self, type: _Optional[str] = ..., text: _Optional[str] = ..., image_url: _Optional[str] = ...) -> None: ...

class ToolCall(_message.Message):
    __slots__ = ("id", "name", "arguments_json")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_JSON_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    arguments_json: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., arguments_json: _Optional[str] = ...) -> None: ...

class Documents(_message.Message):
    __slots__ = ("documents",)
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedCompositeFieldContainer[Document]
    def __init__(self, documents: _Optional[_Iterable[_Union[Document, _Mapping]]] = ...) -> None: ...

class Document(_message.Message):
    __slots__ = ("page_content", "metadata", "id")
    PAGE_CONTENT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    page_content: str
    metadata: _struct_pb2.Struct
    id: str
    def __init__(self, page_content: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., id: _Optional[str] = ...) -> None: ...
