# cmake -DSOURCE_DIR=<repo> -DOUT=<folder> -P seed_corpus.cmake
# Copies the .toml and .sql files of tests/diagnostics, tests/acceptance and
# examples into one flat folder, named after their paths: the fuzzer's seeds.
file(GLOB_RECURSE seeds ${SOURCE_DIR}/tests/diagnostics/*.toml ${SOURCE_DIR}/tests/acceptance/*.toml
     ${SOURCE_DIR}/examples/*.toml ${SOURCE_DIR}/tests/diagnostics/*.sql ${SOURCE_DIR}/tests/acceptance/*.sql
     ${SOURCE_DIR}/examples/*.sql)
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
foreach(seed ${seeds})
  file(RELATIVE_PATH name ${SOURCE_DIR} ${seed})
  string(REPLACE "/" "_" name ${name})
  file(COPY_FILE ${seed} ${OUT}/${name})
endforeach()
list(LENGTH seeds count)
message(STATUS "${count} seeds in ${OUT}")
