# syntax=docker/dockerfile:1
#
# causeway's serving image:
#
#   docker build -t causeway .
#   docker run --rm -p 8080:8080 causeway              # the default model embedded in the binary
#   docker run --rm -p 8080:8080 causeway serve --addr 0.0.0.0:8080 --models /models
#
# The build is the default one: pure Go (CGO_ENABLED=0), a static binary with
# causeway's own AVX-512/AVX2 matrix kernels, so the runtime is
# distroless/static (CA certificates, tzdata, a nonroot user; no libc, no
# shell, no package manager) and nothing is copied into it but the binary
# and the shipped models.
#
# Reproducible: base images pinned by tag, modules pinned by go.sum,
# -trimpath, no VCS stamping, a fixed version string (--build-arg VERSION=...).
# dockerfile_test.go checks this file and runs its `go build` command.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=0.1.0-dev
ENV CGO_ENABLED=0
RUN go build -trimpath -buildvcs=false -ldflags="-s -w -X main.version=${VERSION}" -o /out/causeway .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/causeway /usr/local/bin/causeway
COPY models/ /models/
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["/usr/local/bin/causeway", "healthcheck", "--url", "http://127.0.0.1:8080/v2/health/ready", "--timeout", "2s"]
ENTRYPOINT ["causeway"]
CMD ["serve", "--addr", "0.0.0.0:8080"]
