"""The gRPC channel to the gateway, shared by the batching client and tracegate-verify."""

from __future__ import annotations

from tracegate.config import ClientConfig


def open_channel(config: ClientConfig):
    """A grpc channel for config: TLS as configured, fast reconnects after an outage."""
    import grpc

    options = [("grpc.initial_reconnect_backoff_ms", 100),
               ("grpc.min_reconnect_backoff_ms", 100),
               ("grpc.max_reconnect_backoff_ms", 2000),
               ("grpc.max_send_message_length", 64 << 20)]
    if not config.tls:
        return grpc.insecure_channel(config.endpoint, options=options)

    def read(path):
        if not path:
            return None
        with open(path, "rb") as f:
            return f.read()

    creds = grpc.ssl_channel_credentials(root_certificates=read(config.ca_file),
                                         private_key=read(config.key_file),
                                         certificate_chain=read(config.cert_file))
    return grpc.secure_channel(config.endpoint, creds, options=options)
