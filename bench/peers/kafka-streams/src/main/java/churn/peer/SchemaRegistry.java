package churn.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * The Confluent-compatible REST API of the schema registry (Apicurio's ccompat/v7 here), without Confluent's
 * client, which is not on Maven Central: writer schemas by id (fetched once per id) and one registration.
 */
public final class SchemaRegistry {
  /** The schema id does not exist: a property of the record that names it, not a registry outage. */
  public static final class UnknownSchemaId extends Exception {
    UnknownSchemaId(int id, String body) {
      super("schema id " + id + " is not in the registry: " + body);
    }
  }

  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private final String base;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ObjectMapper json = new ObjectMapper();
  private final Map<Integer, Schema> byId = new ConcurrentHashMap<>();

  public SchemaRegistry(String url) {
    this.base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  /** GET /schemas/ids/{id}, once per id. IOException: the registry could not answer (not the record's fault). */
  public Schema schemaById(int id) throws IOException, UnknownSchemaId {
    Schema cached = byId.get(id);
    if (cached != null) return cached;
    HttpResponse<String> res = send(HttpRequest.newBuilder(URI.create(base + "/schemas/ids/" + id)).GET());
    if (res.statusCode() == 404) throw new UnknownSchemaId(id, res.body());
    if (res.statusCode() != 200) throw new IOException("GET /schemas/ids/" + id + ": HTTP " + res.statusCode() + " " + res.body());
    Schema schema = new Schema.Parser().parse(json.readTree(res.body()).get("schema").asText());
    byId.putIfAbsent(id, schema);
    return schema;
  }

  /** POST /subjects/{subject}/versions: registers (or finds) the schema, returns its id. */
  public int register(String subject, String schemaText) throws IOException {
    String body = json.writeValueAsString(Map.of("schema", schemaText));
    String path = "/subjects/" + URLEncoder.encode(subject, StandardCharsets.UTF_8) + "/versions";
    HttpResponse<String> res = send(HttpRequest.newBuilder(URI.create(base + path))
        .header("Content-Type", CONTENT_TYPE)
        .POST(HttpRequest.BodyPublishers.ofString(body)));
    if (res.statusCode() != 200) throw new IOException("POST " + path + ": HTTP " + res.statusCode() + " " + res.body());
    JsonNode id = json.readTree(res.body()).get("id");
    if (id == null) throw new IOException("POST " + path + ": no id in " + res.body());
    return id.asInt();
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws IOException {
    try {
      return http.send(request.timeout(Duration.ofSeconds(10)).header("Accept", CONTENT_TYPE).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
