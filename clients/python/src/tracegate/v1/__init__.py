"""Generated protobuf and gRPC stubs of tracegate.v1 (clients/python/generate.sh)."""
