#!/usr/bin/env bash
# Builds the Kafka Streams peer (bench/peers/kafka-streams) with Maven into
# bench/peers/kafka-streams/target/churn-streams-peer.jar, against kafka-streams of the Kafka version the local
# stack runs, then checks its scorer against the model's parity.jsonl. Skipped when the jar is newer than the pom
# and every source file and was built for the same Kafka version. Dependencies come through ~/.m2: offline first,
# Maven Central only for what the cache lacks. Prints the jar's path.
#
#   bash scripts/bench/kafka-streams-peer.sh           # -> /work/main/bench/peers/kafka-streams/target/churn-streams-peer.jar
source "$(dirname "${BASH_SOURCE[0]}")/../stack/lib.sh"

PEER_DIR="$STACK_ROOT/bench/peers/kafka-streams"
JAR="$PEER_DIR/target/churn-streams-peer.jar"
STAMP="$PEER_DIR/target/.built-for-kafka"

require_java

up_to_date() {
  [[ -f "$JAR" && -f "$STAMP" && "$(cat "$STAMP")" == "$KAFKA_VERSION" ]] || return 1
  [[ -z "$(find "$PEER_DIR/pom.xml" "$PEER_DIR/src" -newer "$JAR" -print -quit)" ]]
}

if ! up_to_date; then
  require_maven
  log "building the Kafka Streams peer (kafka-streams $KAFKA_VERSION) with Maven: $JAR"
  mkdir -p "$PEER_DIR/target"
  build_log="$PEER_DIR/target/maven.log"
  build() { (cd "$PEER_DIR" && mvn -B -ntp -Dstyle.color=never -Dkafka.version="$KAFKA_VERSION" "$@" package) >"$build_log" 2>&1; }
  build -o -q || build -q || {
    tail -n 30 "$build_log" >&2
    die "Maven could not build $PEER_DIR (see $build_log)"
  }
  [[ -f "$JAR" ]] || die "$JAR missing after the Maven build"
  printf '%s' "$KAFKA_VERSION" >"$STAMP"
  # The peer scores like the worker or it is no peer: the artifact's parity rows, within 1e-9.
  java -jar "$JAR" parity "$STACK_ROOT/models/churn/1.0.0" >&2 || die "the peer's scorer disagrees with models/churn/1.0.0/parity.jsonl"
fi
printf '%s\n' "$JAR"
