# interop.consumer_*: messages produced by independent clients (kcat and
# kafka-python, every compression codec, binary keys/values/headers, explicit
# timestamps) consumed by kafc and compared byte for byte; a kafc consumer and
# a kafka-python consumer sharing one group; committed offsets handed over
# between kafc and kafka-python (test_consumer_interop.py). kafc consumes
# through consume_tool (public API only, one JSON line per message) and, when
# the examples are built, the kafc-consumer example. Included by
# tests/interop/CMakeLists.txt. Needs Debian's kcat, python3-kafka,
# python3-pytest, python3-lz4, python3-snappy and python3-zstandard (run in
# /usr/bin/python3).
add_executable(consume_tool consume_tool.c)
target_compile_options(consume_tool PRIVATE ${KAFC_TEST_WARNINGS})
target_compile_definitions(consume_tool PRIVATE _GNU_SOURCE)
target_link_libraries(consume_tool PRIVATE kafc_static)

set(KAFC_CONSUMER_INTEROP_ENV
  "KAFC_TEST_CLUSTER_BIN=$<TARGET_FILE:kafc-test-cluster>"
  "KAFC_CONSUME_TOOL=$<TARGET_FILE:consume_tool>"
  "PYTHONPATH=${PROJECT_SOURCE_DIR}/tests/cluster"
  "PYTHONDONTWRITEBYTECODE=1")
if(TARGET kafc-consumer)
  list(APPEND KAFC_CONSUMER_INTEROP_ENV "KAFC_CONSUMER_BIN=$<TARGET_FILE:kafc-consumer>")
endif()

# One ctest test per pytest test (selected with -k), so they run in parallel
# and fail separately.
foreach(t compression group commit)
  add_test(NAME interop.consumer_${t}
    COMMAND /usr/bin/python3 -m pytest -q -p no:cacheprovider -rs -k test_${t}
            ${CMAKE_CURRENT_SOURCE_DIR}/test_consumer_interop.py
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(interop.consumer_${t} PROPERTIES
    TIMEOUT 180
    LABELS "interop"
    ENVIRONMENT "${KAFC_CONSUMER_INTEROP_ENV}")
endforeach()
