# Record batches: kafc <-> kafka-python (test_record_interop.py), driven
# through record_tool. Included by tests/interop/CMakeLists.txt. Needs
# Debian's python3-kafka, python3-pytest, python3-lz4, python3-snappy,
# python3-zstandard and python3-xxhash (magic-0 lz4 only).
add_executable(record_tool record_tool.c)
target_compile_options(record_tool PRIVATE ${KAFC_TEST_WARNINGS})
target_compile_definitions(record_tool PRIVATE _GNU_SOURCE)
target_include_directories(record_tool PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(record_tool PRIVATE kafc_static)
add_test(NAME interop.records
  COMMAND /usr/bin/python3 -m pytest -q -p no:cacheprovider -rs
          ${CMAKE_CURRENT_SOURCE_DIR}/test_record_interop.py
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(interop.records PROPERTIES
  TIMEOUT 120
  ENVIRONMENT "KAFC_RECORD_TOOL=$<TARGET_FILE:record_tool>")
