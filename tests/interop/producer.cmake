# interop.producer: messages produced by kafc (through produce_tool, public API
# only) into the test cluster, for every compression codec, read back with
# kafka-python, kcat and a raw Fetch and compared byte for byte
# (test_producer_interop.py). Included by tests/interop/CMakeLists.txt.
# Needs Debian's kcat, python3-kafka, python3-pytest, python3-lz4,
# python3-snappy and python3-zstandard (run in /usr/bin/python3).
add_executable(produce_tool produce_tool.c)
target_compile_options(produce_tool PRIVATE ${KAFC_TEST_WARNINGS})
target_compile_definitions(produce_tool PRIVATE _GNU_SOURCE)
target_link_libraries(produce_tool PRIVATE kafc_static)
add_test(NAME interop.producer
  COMMAND /usr/bin/python3 -m pytest -q -p no:cacheprovider -rs
          ${CMAKE_CURRENT_SOURCE_DIR}/test_producer_interop.py
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(interop.producer PROPERTIES
  TIMEOUT 300
  LABELS "interop"
  ENVIRONMENT "KAFC_TEST_CLUSTER_BIN=$<TARGET_FILE:kafc-test-cluster>;KAFC_PRODUCE_TOOL=$<TARGET_FILE:produce_tool>;PYTHONPATH=${PROJECT_SOURCE_DIR}/tests/cluster;PYTHONDONTWRITEBYTECODE=1")
