# fuzz_codec: the record-batch decompressors (src/record/codec*.c), built from
# their own sources with the fuzzer flags of tests/fuzz/CMakeLists.txt.
#   build-fuzz/tests/fuzz/fuzz_codec -max_total_time=600 \
#       build-fuzz/tests/fuzz/corpus-codec tests/fuzz/corpus/codec
add_executable(fuzz_codec fuzz_codec.c
  ${PROJECT_SOURCE_DIR}/src/record/codec.c
  ${PROJECT_SOURCE_DIR}/src/record/codec_lz4.c
  ${PROJECT_SOURCE_DIR}/src/record/codec_snappy.c)
target_compile_options(fuzz_codec PRIVATE ${KAFC_FUZZ_FLAGS} ${KAFC_FUZZ_WARNINGS})
target_compile_definitions(fuzz_codec PRIVATE _GNU_SOURCE
  $<$<BOOL:${KAFC_WITH_SNAPPY}>:KAFC_WITH_SNAPPY=1>)
target_include_directories(fuzz_codec PRIVATE
  ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src)
target_link_options(fuzz_codec PRIVATE ${KAFC_FUZZ_LINK})
target_link_libraries(fuzz_codec PRIVATE z lz4 zstd $<$<BOOL:${KAFC_WITH_SNAPPY}>:snappy>)

# A bounded run over the committed seeds as a test.
file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/corpus-codec)
add_test(NAME fuzz.codec
  COMMAND fuzz_codec -max_total_time=20 -timeout=10 -rss_limit_mb=2048
          -artifact_prefix=${CMAKE_CURRENT_BINARY_DIR}/
          ${CMAKE_CURRENT_BINARY_DIR}/corpus-codec
          ${CMAKE_CURRENT_SOURCE_DIR}/corpus/codec)
set_tests_properties(fuzz.codec PROPERTIES TIMEOUT 120)
