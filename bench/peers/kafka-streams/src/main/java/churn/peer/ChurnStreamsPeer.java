package churn.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;
import org.apache.avro.Schema;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;

/**
 * The Kafka Streams peer of churn-scorer's worker: CustomerEvents (Confluent-framed Avro) in, ChurnPredictions
 * (Confluent-framed Avro, keyed by customerid) out, exactly_once_v2, the churn model embedded.
 *
 * <pre>
 *   java -jar churn-streams-peer.jar run      # configured by the environment, see Settings
 *   java -jar churn-streams-peer.jar parity models/churn/1.0.0  # scores parity.jsonl, exit 1 over 1e-9
 * </pre>
 */
public final class ChurnStreamsPeer {
  private ChurnStreamsPeer() {}

  /** Everything it needs, from the environment (the names of the worker's own variables where one exists). */
  record Settings(String brokers, String registryUrl, String input, String predictions, String deadLetter,
      String applicationId, int threads, Path modelDir, Path eventSchema, Path predictionSchema, int port,
      Path stateDir) {
    static Settings fromEnv(Map<String, String> env) throws IOException {
      Path repo = Path.of(env.getOrDefault("REPO_ROOT", "."));
      return new Settings(
          env.getOrDefault("KAFKA_BROKERS", "127.0.0.1:9092"),
          env.getOrDefault("SCHEMA_REGISTRY_URL", "http://127.0.0.1:8081/apis/ccompat/v7"),
          env.getOrDefault("TOPIC_CUSTOMERS", "customers"),
          env.getOrDefault("TOPIC_PREDICTIONS", "predictions"),
          env.getOrDefault("TOPIC_DLQ", "customers.dlq"),
          env.getOrDefault("APPLICATION_ID", "churn-streams-peer"),
          Integer.parseInt(env.getOrDefault("STREAM_THREADS", "1")),
          repo.resolve(env.getOrDefault("MODEL_DIR", "models/churn/1.0.0")),
          repo.resolve("schemas/customer-event.avsc"),
          repo.resolve("schemas/churn-prediction.avsc"),
          Integer.parseInt(env.getOrDefault("PEER_PORT", "0")),
          env.containsKey("STATE_DIR") ? Path.of(env.get("STATE_DIR")) : Files.createTempDirectory("churn-streams-peer"));
    }
  }

  public static void main(String[] args) throws Exception {
    String mode = args.length == 0 ? "run" : args[0];
    switch (mode) {
      case "run" -> run(Settings.fromEnv(System.getenv()));
      case "parity" -> System.exit(parity(Path.of(args.length > 1 ? args[1] : "models/churn/1.0.0")));
      default -> {
        System.err.println("usage: churn-streams-peer run | parity <model dir>");
        System.exit(2);
      }
    }
  }

  static Topology topology(Settings s, ScoreProcessor.Shared shared) {
    StreamsBuilder builder = new StreamsBuilder();
    KStream<byte[], byte[]> events = builder.stream(s.input(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()));
    Map<String, KStream<byte[], ScoreProcessor.Outcome>> routes = events
        .process(() -> new ScoreProcessor(shared), Named.as("score"))
        .split(Named.as("outcome-"))
        .branch((key, outcome) -> outcome.scored(), Branched.as("scored"))
        .defaultBranch(Branched.as("rejected"));
    routes.get("outcome-scored").mapValues(ScoreProcessor.Outcome::value)
        .to(s.predictions(), Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
    routes.get("outcome-rejected").mapValues(ScoreProcessor.Outcome::value)
        .to(s.deadLetter(), Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
    return builder.build();
  }

  static void run(Settings s) throws Exception {
    ChurnModel model = ChurnModel.load(s.modelDir().resolve("model.json"));
    Schema eventSchema = new Schema.Parser().parse(s.eventSchema().toFile());
    String predictionText = Files.readString(s.predictionSchema());
    Schema predictionSchema = new Schema.Parser().parse(predictionText);
    SchemaRegistry registry = new SchemaRegistry(s.registryUrl());
    int predictionId = registry.register(s.predictions() + "-value", predictionText);
    LongAdder scored = new LongAdder();
    LongAdder rejected = new LongAdder();
    var shared = new ScoreProcessor.Shared(model, eventSchema, predictionSchema, predictionId, registry, scored, rejected);

    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, s.applicationId());
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, s.brokers());
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, s.threads());
    props.put(StreamsConfig.STATE_DIR_CONFIG, s.stateDir().toString());
    // a fresh application reads its input from the start, as the worker's group does
    props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
    // everything else is Kafka Streams' default: commit.interval.ms 100 under exactly_once_v2, linger.ms 100...

    KafkaStreams streams = new KafkaStreams(topology(s, shared), props);
    // A thread that fails (a registry outage) is replaced; its open transaction aborts and its records run again.
    streams.setUncaughtExceptionHandler(e -> {
      System.err.println("stream thread failed, replacing it: " + e);
      return StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", s.port()), 0);
    http.createContext("/readyz", ex -> {
      boolean ready = streams.state() == KafkaStreams.State.RUNNING;
      byte[] body = streams.state().toString().getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(ready ? 200 : 503, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    // processed (not committed) counts: the bench reads what is committed from the predictions topic itself
    http.createContext("/metrics", ex -> {
      byte[] body = ("churn_streams_peer_scored_total " + scored.sum() + "\nchurn_streams_peer_rejected_total "
          + rejected.sum() + "\n").getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    http.start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close(Duration.ofSeconds(15));
      http.stop(0);
      stopped.countDown();
    }, "shutdown"));
    streams.start();
    System.out.println("churn-streams-peer: " + s.input() + " -> " + s.predictions() + " (dlq " + s.deadLetter()
        + "), application.id " + s.applicationId() + ", " + s.threads() + " stream thread(s), exactly_once_v2, model "
        + model.name + "/" + model.version + ", prediction schema id " + predictionId + ", http 127.0.0.1:"
        + http.getAddress().getPort());
    stopped.await();
  }

  /** Scores every row of the artifact's parity.jsonl (raw Telco spellings) against its recorded probability. */
  static int parity(Path modelDir) throws IOException {
    ChurnModel model = ChurnModel.load(modelDir.resolve("model.json"));
    ObjectMapper json = new ObjectMapper();
    double maxDiff = 0;
    int rows = 0;
    try (BufferedReader lines = Files.newBufferedReader(modelDir.resolve("parity.jsonl"))) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        if (line.isBlank()) continue;
        JsonNode row = json.readTree(line);
        JsonNode raw = row.get("raw");
        String[] categories = new String[Customer.CATEGORICAL.length];
        for (int i = 0; i < categories.length; i++) categories[i] = raw.get(Customer.CATEGORICAL[i]).asText();
        Customer.Validated v = Customer.validate(new Customer.Raw(categories, raw.get("seniorcitizen").asLong(),
            raw.get("tenure").asLong(), raw.get("monthlycharges").asDouble(), raw.get("totalcharges").asDouble()), model);
        if (!v.ok()) {
          System.err.println("parity: row " + rows + " refused: " + v.errors());
          return 1;
        }
        maxDiff = Math.max(maxDiff, Math.abs(model.score(v.customer()) - row.get("churn_probability").asDouble()));
        rows++;
      }
    }
    Map<String, Object> result = new HashMap<>();
    result.put("rows", rows);
    result.put("max_abs_diff", maxDiff);
    System.out.println(json.writeValueAsString(result));
    return rows > 0 && maxDiff <= 1e-9 ? 0 : 1;
  }
}
