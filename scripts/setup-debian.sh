#!/bin/bash
# setup-debian.sh: installs everything Sluice's build and tests need on
# Debian 12, as root: the toolchain and libraries, the Kafka clients the
# integration tests drive (kcat, librdkafka, confluent-kafka and kafka-python
# with their codecs, kafkajs through npm), clang for the fuzzer, valgrind,
# and OpenStack Swift with memcached as the local S3 endpoint.
#
# Idempotent and quiet: packages already installed are not asked for again
# (no apt-get update then), and npm runs only when the lock file changed.
# Any failure stops the script with a message and the tool's output.
set -euo pipefail

cd "$(dirname "$0")/.."
top=$(pwd)
log=$(mktemp "${TMPDIR:-/tmp}/sluice-setup.XXXXXX")
trap 'rm -f "$log"' EXIT

die()
{
	echo "setup-debian: $*" >&2
	if [ -s "$log" ]; then
		echo "setup-debian: --- last output:" >&2
		tail -n 40 "$log" >&2
	fi
	exit 1
}

packages=(
	# build
	build-essential autoconf automake libtool pkg-config
	libevent-dev libjansson-dev libssl-dev libcurl4-openssl-dev check
	zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev
	# Kafka clients for the integration tests
	kcat librdkafka-dev
	python3 python3-confluent-kafka python3-kafka
	python3-snappy python3-lz4 python3-zstandard
	# fuzzer, memory checking
	clang libclang-rt-14-dev valgrind
	# local S3 endpoint (OpenStack Swift with its s3api middleware)
	swift swift-proxy swift-account swift-container swift-object memcached python3-boto3
	# npm fetches kafkajs over TLS
	ca-certificates
	man-db # man -l for tests/integration/docs.sh
)
# Debian's nodejs is fine; a node that is already there (with npm) is too.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" -eq 0 ] ||
		die "missing packages (${missing[*]}); run this script as root"
	echo "setup-debian: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >"$log" 2>&1 || die "apt-get update failed"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" \
		</dev/null >"$log" 2>&1 || die "apt-get install failed"
fi

# kafkajs and its snappy codec, pinned by tests/integration/package-lock.json.
# npm keeps a copy of the lock it installed as node_modules/.package-lock.json.
cd "$top/tests/integration"
if [ ! -f node_modules/.package-lock.json ] ||
	[ package-lock.json -nt node_modules/.package-lock.json ]; then
	echo "setup-debian: npm ci in tests/integration"
	npm ci --no-audit --no-fund --loglevel=error </dev/null >"$log" 2>&1 ||
		die "npm ci in tests/integration failed"
fi
node -e 'require("./node_modules/kafkajs"); require("./node_modules/kafkajs-snappy")' \
	>"$log" 2>&1 || die "kafkajs does not load after npm ci"
