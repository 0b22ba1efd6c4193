import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from tracegate.v1 import trace_event_pb2 as _trace_event_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EventStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_STATUS_UNSPECIFIED: _ClassVar[EventStatus]
    EVENT_STATUS_ACCEPTED: _ClassVar[EventStatus]
    EVENT_STATUS_DUPLICATE: _ClassVar[EventStatus]
    EVENT_STATUS_REJECTED: _ClassVar[EventStatus]
EVENT_STATUS_UNSPECIFIED: EventStatus
EVENT_STATUS_ACCEPTED: EventStatus
EVENT_STATUS_DUPLICATE: EventStatus
EVENT_STATUS_REJECTED: EventStatus

class IngestRequest(_message.Message):
    __slots__ = ("events", "default_workspace", "batch_id", "request_id", "app_id")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[_trace_event_pb2.TraceEvent]
    default_workspace: str
    batch_id: int
    request_id: str
    app_id: str
    def __init__(self, events: _Optional[_Iterable[_Union[_trace_event_pb2.TraceEvent, _Mapping]]] = ..., default_workspace: _Optional[str] = ..., batch_id: _Optional[int] = ..., request_id: _Optional[str] = ..., app_id: _Optional[str] = ...) -> None: ...

class IngestResponse(_message.Message):
    __slots__ = ("results", "batch_id", "accepted", "duplicate", "rejected")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[EventResult]
    batch_id: int
    accepted: int
    duplicate: int
    rejected: int
    def __init__(self, results: _Optional[_Iterable[_Union[EventResult, _Mapping]]] = ..., batch_id: _Optional[int] = ..., accepted: _Optional[int] = ..., duplicate: _Optional[int] = ..., rejected: _Optional[int] = ...) -> None: ...

class EventResult(_message.Message):
    __slots__ = ("event_id", "status", "code", "reason", "retry_after")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RETRY_AFTER_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    status: EventStatus
    code: int
    reason: str
    retry_after: _duration_pb2.Duration
    def __init__(self, event_id: _Optional[str] = ..., status: _Optional[_Union[EventStatus, str]] = ..., code: _Optional[int] = ..., reason: _Optional[str] = ..., retry_after: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...
