"""Prints the official OTLP schema as a serialized google.protobuf.FileDescriptorSet (base64).

The descriptors are the ones protoc compiled from the opentelemetry-proto .proto files into the
official `opentelemetry-proto` Python package (installed by `npx projen install:python`): the
newest OTLP schema on this machine (the npm packages only ship the 2022 files, without
`partial_success`). Used by generate-schema.ts; never shipped.
"""
import base64
import importlib
import importlib.metadata
import json

from google.protobuf import descriptor_pb2

MODULES = [
    "opentelemetry.proto.collector.trace.v1.trace_service_pb2",
    "opentelemetry.proto.collector.metrics.v1.metrics_service_pb2",
    "opentelemetry.proto.collector.logs.v1.logs_service_pb2",
]

files = descriptor_pb2.FileDescriptorSet()
seen = set()


def add(file_descriptor):
    if file_descriptor.name in seen:
        return
    for dependency in file_descriptor.dependencies:
        add(dependency)
    seen.add(file_descriptor.name)
    file_descriptor.CopyToProto(files.file.add())


for module in MODULES:
    add(importlib.import_module(module).DESCRIPTOR)

print(json.dumps({
    "package": "opentelemetry-proto",
    "version": importlib.metadata.version("opentelemetry-proto"),
    "descriptorSet": base64.b64encode(files.SerializeToString()).decode("ascii"),
}))
