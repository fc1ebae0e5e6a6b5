# fuzz_netclient: arbitrary bytes as a broker's side of a real loopback
# connection into net/conn + net/netclient (framing, correlation, ApiVersions
# fallback, response headers, completion exactly once).
add_executable(fuzz_netclient fuzz_netclient.c
  ${PROJECT_SOURCE_DIR}/src/net/selector.c
  ${PROJECT_SOURCE_DIR}/src/net/transport.c
  ${PROJECT_SOURCE_DIR}/src/net/conn.c
  ${PROJECT_SOURCE_DIR}/src/net/netclient.c
  ${PROJECT_SOURCE_DIR}/src/util/clock.c
  ${PROJECT_SOURCE_DIR}/src/util/log.c
  ${PROJECT_SOURCE_DIR}/src/error.c
  ${PROJECT_SOURCE_DIR}/src/kafc.c)
target_compile_options(fuzz_netclient PRIVATE ${KAFC_FUZZ_FLAGS} ${KAFC_FUZZ_WARNINGS}
  -Wno-unused-parameter)
target_compile_definitions(fuzz_netclient PRIVATE _GNU_SOURCE
  KAFC_VERSION_FULL="${PROJECT_VERSION}")
target_include_directories(fuzz_netclient PRIVATE
  ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src)
target_link_options(fuzz_netclient PRIVATE ${KAFC_FUZZ_LINK})
target_link_libraries(fuzz_netclient PRIVATE kafc_fuzz_proto)

file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/corpus-netclient)
add_test(NAME fuzz.netclient
  COMMAND fuzz_netclient -max_total_time=20 -timeout=10 -rss_limit_mb=2048
          -artifact_prefix=${CMAKE_CURRENT_BINARY_DIR}/
          ${CMAKE_CURRENT_BINARY_DIR}/corpus-netclient
          ${CMAKE_CURRENT_SOURCE_DIR}/corpus/netclient)
set_tests_properties(fuzz.netclient PROPERTIES TIMEOUT 120)
