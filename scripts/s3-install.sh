#!/bin/sh
# Builds MinIO (an S3-compatible server) from the Go module proxy into .parley/bin/minio, for the S3 file store's
# tests (test/files-s3.test.ts). Needs Go; takes a few minutes the first time. MinIO tags releases as RELEASE.*,
# which Go cannot resolve, so a pseudo-version pins the commit this was tested with.
set -eu
VERSION="${MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"
BIN="$(pwd)/.parley/bin"
if [ -x "$BIN/minio" ]; then echo "minio already at $BIN/minio"; exit 0; fi
if ! command -v go >/dev/null 2>&1; then echo "s3:install needs Go (https://go.dev/dl/); the S3 tests skip without MinIO" >&2; exit 1; fi
mkdir -p "$BIN"
GOBIN="$BIN" go install "github.com/minio/minio@$VERSION"
echo "minio installed at $BIN/minio"
