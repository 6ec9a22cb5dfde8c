# schemac for deploy jobs: Debian 12 slim, the Debian package built in the
# first stage and installed in the second (the same package CI installs),
# run as a user without privileges.
#   docker build -t schemac .
#   docker run --rm -e DATABASE_URL -v "$PWD/schema:/work/schema:ro" schemac plan
FROM debian:12-slim AS build
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      build-essential cmake ninja-build pkg-config dpkg-dev file \
      libtomlplusplus-dev libpqxx-dev libpq-dev libfmt-dev libcli11-dev \
      libpg-query-dev libprotobuf-c-dev nlohmann-json3-dev libssl-dev doctest-dev >/dev/null
WORKDIR /src
COPY CMakeLists.txt README.md schemac.schema.json ./
COPY docs docs
COPY schema schema
COPY compiler compiler
COPY runtime runtime
COPY tests tests
COPY bench bench
COPY fuzz fuzz
# Only the binary: cpack would otherwise build the tests and benchmarks first.
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON >/dev/null \
 && cmake --build build --target schemac \
 && cd build && cpack -G DEB >/dev/null && mv schemac_*.deb /schemac.deb

FROM debian:12-slim
COPY --from=build /schemac.deb /tmp/schemac.deb
# apt resolves the package's dependencies (libpqxx, libpq, fmt, toml++, libpg_query, OpenSSL).
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends /tmp/schemac.deb ca-certificates >/dev/null \
 && rm -rf /var/lib/apt/lists/* /tmp/schemac.deb \
 && useradd --create-home --uid 10001 schemac
USER schemac
WORKDIR /work
ENV XDG_CACHE_HOME=/tmp/cache
ENTRYPOINT ["schemac"]
CMD ["--help"]
