package tracegate

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	pb "github.com/tracegate/tracegate/clients/go/tracegatev1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Transport makes the one RPC the client needs. Errors carry a gRPC status
// (status.Code(err)); Close cancels calls in flight.
type Transport interface {
	Ingest(ctx context.Context, req *pb.IngestRequest) (*pb.IngestResponse, error)
	Close() error
}

type grpcTransport struct {
	conn   *grpc.ClientConn
	stub   pb.IngestServiceClient
	bearer string
}

// NewGRPCTransport dials lazily (no I/O here). It fails only on a bad endpoint or TLS files.
func NewGRPCTransport(o Options) (Transport, error) {
	creds := insecure.NewCredentials()
	if o.TLS != nil {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if o.TLS.CAFile != "" {
			pem, err := os.ReadFile(o.TLS.CAFile)
			if err != nil {
				return nil, status.Errorf(codes.InvalidArgument, "TLS roots: %v", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, status.Errorf(codes.InvalidArgument, "TLS roots: no certificate in %s", o.TLS.CAFile)
			}
			cfg.RootCAs = pool
		}
		if o.TLS.CertFile != "" || o.TLS.KeyFile != "" {
			cert, err := tls.LoadX509KeyPair(o.TLS.CertFile, o.TLS.KeyFile)
			if err != nil {
				return nil, status.Errorf(codes.InvalidArgument, "TLS client certificate: %v", err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		creds = credentials.NewTLS(cfg)
	}
	conn, err := grpc.NewClient(o.Endpoint, grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(64<<20), grpc.MaxCallRecvMsgSize(64<<20)))
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "endpoint %q: %v", o.Endpoint, err)
	}
	return &grpcTransport{conn: conn, stub: pb.NewIngestServiceClient(conn), bearer: "Bearer " + o.APIKey}, nil
}

func (t *grpcTransport) Ingest(ctx context.Context, req *pb.IngestRequest) (*pb.IngestResponse, error) {
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", t.bearer)
	res, err := t.stub.Ingest(ctx, req)
	if err == nil && res == nil {
		return nil, status.Error(codes.Internal, "empty response")
	}
	return res, err
}

func (t *grpcTransport) Close() error {
	if err := t.conn.Close(); err != nil {
		return fmt.Errorf("closing channel: %w", err)
	}
	return nil
}
