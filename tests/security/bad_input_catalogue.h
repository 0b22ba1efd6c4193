// The bad-input catalogue: hostile or broken requests and the exact answer the gateway gives
// each of them. bad_input_catalogue_test.cc sends every case to the real gateway in-process
// over gRPC; docs/security.md lists the same table (the test checks that it does).
#pragma once

#include <grpcpp/support/status.h>

#include <functional>
#include <string>
#include <vector>

#include "tracegate/v1/ingest_service.pb.h"

namespace tracegate::security_testing {

struct BadInput {
  tracegate::v1::IngestRequest request;
  // When set, these bytes are sent as the request message instead of `request`.
  std::string raw;
  bool use_raw = false;
  // The "authorization" metadata value; "-" = none, "limited" = a key that may write
  // workspace "w" only; empty = a valid key for every workspace.
  std::string authorization;
};

struct CatalogueCase {
  std::string kind;  // what is wrong, for the docs table
  std::function<BadInput()> make;
  // Expected call status; OK means the call succeeds and `event_*` describe one result.
  grpc::StatusCode call_code = grpc::StatusCode::OK;
  std::string call_message;
  int event_index = 0;
  tracegate::v1::EventStatus event_status = tracegate::v1::EVENT_STATUS_REJECTED;
  int event_code = 3;  // INVALID_ARGUMENT
  std::string event_reason;
  // When >= 0: the number of results the response must have.
  int expect_results = -1;
};

// Every case; `bearer` is the "authorization" value of a valid key for every workspace.
// An event_status of UNSPECIFIED means: no per-event check.
std::vector<CatalogueCase> Catalogue(const std::string& bearer);

// One markdown table row per case: "| kind | answer |".
std::string MarkdownRow(const CatalogueCase& c);

}  // namespace tracegate::security_testing
