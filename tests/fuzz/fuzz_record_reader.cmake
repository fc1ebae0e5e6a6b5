# fuzz_record_reader: the record batch reader (src/record/reader.c,
# legacy.c) over Fetch `records` bytes, with the codecs it decompresses
# through. Included by tests/fuzz/CMakeLists.txt.
#
#   build-fuzz/tests/fuzz/fuzz_record_reader -max_total_time=600 \
#       build-fuzz/tests/fuzz/corpus-record_reader tests/fuzz/corpus/record_reader
file(GLOB KAFC_FUZZ_RECORD_CODEC_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/record/codec*.c)
add_executable(fuzz_record_reader fuzz_record_reader.c
  ${PROJECT_SOURCE_DIR}/src/record/batch.c
  ${PROJECT_SOURCE_DIR}/src/record/reader.c
  ${PROJECT_SOURCE_DIR}/src/record/legacy.c
  ${PROJECT_SOURCE_DIR}/src/util/crc32c.c
  ${KAFC_FUZZ_RECORD_CODEC_SOURCES})
target_compile_options(fuzz_record_reader PRIVATE ${KAFC_FUZZ_FLAGS} ${KAFC_FUZZ_WARNINGS})
target_compile_definitions(fuzz_record_reader PRIVATE _GNU_SOURCE
  $<$<BOOL:${KAFC_WITH_SNAPPY}>:KAFC_WITH_SNAPPY=1>)
target_include_directories(fuzz_record_reader PRIVATE
  ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src)
if(KAFC_WITH_SNAPPY)
  target_include_directories(fuzz_record_reader PRIVATE ${SNAPPY_INCLUDE_DIR})
  target_link_libraries(fuzz_record_reader PRIVATE ${SNAPPY_LIBRARY})
endif()
target_link_options(fuzz_record_reader PRIVATE ${KAFC_FUZZ_LINK})
target_link_libraries(fuzz_record_reader PRIVATE ZLIB::ZLIB PkgConfig::LZ4 PkgConfig::ZSTD Threads::Threads)

file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/corpus-record_reader)
add_test(NAME fuzz.record_reader
  COMMAND fuzz_record_reader -max_total_time=20 -timeout=10 -rss_limit_mb=2048
          -artifact_prefix=${CMAKE_CURRENT_BINARY_DIR}/
          ${CMAKE_CURRENT_BINARY_DIR}/corpus-record_reader
          ${CMAKE_CURRENT_SOURCE_DIR}/corpus/record_reader)
set_tests_properties(fuzz.record_reader PROPERTIES TIMEOUT 120)
