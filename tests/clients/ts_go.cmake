# --- TypeScript (clients/typescript) and Go (clients/go) -----------------------------------
# Included from tests/clients/CMakeLists.txt. Both suites hold unit tests (a scripted
# gateway) and end-to-end tests that start the real gateway of this build and the Langfuse
# emulator on 127.0.0.1 port 0. scripts/setup.sh installs what they need (npm ci,
# go mod download, the protoc plugins); both regenerate their stubs from proto/ first.
find_program(TRACEGATE_NPM npm)
find_program(TRACEGATE_GO go)
set(_tg_client_env
    "TRACEGATE_BUILD_DIR=${PROJECT_BINARY_DIR}"
    "TRACEGATE_PYTHON=${PYTHON3}"
    "TRACEGATE_EMULATOR=${TRACEGATE_EMULATOR}")

# npm test = scripts/gen.js (types from proto/) + tsc + node --test dist/test/*.test.js
add_test(NAME clients_typescript_npm_test
         COMMAND ${TRACEGATE_NPM} test --silent
         WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}/clients/typescript")
set_tests_properties(clients_typescript_npm_test PROPERTIES
  ENVIRONMENT "${_tg_client_env}" LABELS "clients;integration" TIMEOUT 600)
tracegate_keeps_gateway_logs(clients_typescript_npm_test)

# gen.sh (stubs from proto/), then go test; TRACEGATE_REQUIRE_E2E turns "gateway binary
# missing" from a skip into a failure.
add_test(NAME clients_go_test
         COMMAND sh -c "./gen.sh && '${TRACEGATE_GO}' test -count=1 ./..."
         WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}/clients/go")
set_tests_properties(clients_go_test PROPERTIES
  ENVIRONMENT "${_tg_client_env};TRACEGATE_REQUIRE_E2E=1" LABELS "clients;integration" TIMEOUT 600)
tracegate_keeps_gateway_logs(clients_go_test)
