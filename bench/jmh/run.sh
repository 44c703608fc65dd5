#!/usr/bin/env bash
# JMH benchmarks of single decisions (route policy, budgets). Usage: bench/jmh/run.sh [JMH options, e.g. a regex]
# Installs the gateway into the local Maven repository, builds the benchmark jar, runs it.
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -q -DskipTests install
mvn -B -q -f bench/jmh/pom.xml package
exec java -jar bench/jmh/target/benchmarks.jar "$@"
