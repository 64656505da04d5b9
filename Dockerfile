# syntax=docker/dockerfile:1
#
# causeway's serving image:
#
#   docker build -t causeway .
#   docker run --rm -p 8080:8080 causeway              # the default model embedded in the binary
#   docker run --rm -p 8080:8080 causeway serve --addr 0.0.0.0:8080 --models /models
#
# The build is the default one: cgo with OpenBLAS (libopenblas-dev), several
# times faster than gonum's pure-Go BLAS. The runtime is distroless/cc
# (glibc, libgcc, libstdc++, CA certificates; no shell, no package manager),
# plus the shared libraries the binary needs beyond those (OpenBLAS and its
# Fortran runtime) with their copyright files, found by ldd in the build
# stage. (The alternative, a static CGO_ENABLED=0 build on
# gcr.io/distroless/static, needs no copied libraries but trains 6-8x slower
# and runs inference slower too.)
#
# Reproducible: base images pinned by tag, modules pinned by go.sum,
# -trimpath, no VCS stamping, a fixed version string (--build-arg VERSION=...).
# dockerfile_test.go checks this file and runs its `go build` command.

FROM golang:1.26-bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libopenblas-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=0.1.0-dev
ENV CGO_ENABLED=1
RUN go build -trimpath -buildvcs=false -ldflags="-s -w -X main.version=${VERSION}" -o /out/causeway .
# Every shared library of the binary that distroless/cc lacks goes to
# /out/root under its soname in its real directory (which the dynamic
# linker searches by default), with its package's copyright file.
RUN set -eu; mkdir -p /out/root; \
    ldd /out/causeway | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' | while read -r name path; do \
      case "$name" in \
        libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|libgcc_s.so.*|libstdc++.so.*|libgomp.so.*) continue ;; \
      esac; \
      dir=$(realpath "$(dirname "$path")"); \
      mkdir -p "/out/root$dir"; \
      cp -L "$path" "/out/root$dir/$name"; \
      pkg=$(dpkg -S "$(realpath "$path")" | cut -d: -f1); \
      mkdir -p "/out/root/usr/share/doc/$pkg"; \
      cp "/usr/share/doc/$pkg/copyright" "/out/root/usr/share/doc/$pkg/"; \
    done; \
    find /out/root -type f | sort

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/root/ /
COPY --from=build /out/causeway /usr/local/bin/causeway
COPY models/ /models/
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["/usr/local/bin/causeway", "healthcheck", "--url", "http://127.0.0.1:8080/v2/health/ready", "--timeout", "2s"]
ENTRYPOINT ["causeway"]
CMD ["serve", "--addr", "0.0.0.0:8080"]
