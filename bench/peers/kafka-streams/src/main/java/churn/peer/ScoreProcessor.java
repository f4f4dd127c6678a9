package churn.peer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * One CustomerEvent in, one outcome out: its ChurnPrediction (Confluent wire format, keyed by customerid) or, when
 * it cannot be decoded or is not a valid customer, the record as it came with headers saying why (for the DLQ).
 * Never throws for a record's content; only a registry outage throws (the stream thread is then replaced and the
 * transaction's records are processed again).
 */
final class ScoreProcessor implements Processor<byte[], byte[], byte[], ScoreProcessor.Outcome> {
  /** What the topology routes: scored to the predictions topic, otherwise to the DLQ. */
  record Outcome(boolean scored, byte[] value) {}

  /** Shared by every task: the model, the schemas, the registry and the counters. */
  record Shared(ChurnModel model, Schema eventSchema, Schema predictionSchema, int predictionSchemaId,
      SchemaRegistry registry, LongAdder scored, LongAdder rejected) {}

  private static final byte MAGIC = 0;
  private static final int REASON_COUNT = 3;
  private final Shared shared;
  private final Map<Integer, GenericDatumReader<GenericRecord>> readers = new HashMap<>();
  private final GenericDatumWriter<GenericRecord> writer;
  private final Schema reasonSchema;
  private final Object[] defaults;
  private final int[] eventPositions = new int[Customer.CATEGORICAL.length];
  private final int posCustomerId, posEventId, posEventTime, posSenior, posTenure, posMonthly, posTotal;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream(512);
  private ProcessorContext<byte[], Outcome> context;
  private BinaryDecoder decoder;
  private BinaryEncoder encoder;
  private GenericRecord event;

  ScoreProcessor(Shared shared) {
    this.shared = shared;
    this.writer = new GenericDatumWriter<>(shared.predictionSchema());
    this.reasonSchema = shared.predictionSchema().getField("reasons").schema().getElementType();
    List<Schema.Field> fields = shared.predictionSchema().getFields();
    this.defaults = new Object[fields.size()];
    for (Schema.Field f : fields) if (f.hasDefaultValue()) defaults[f.pos()] = GenericData.get().getDefaultValue(f);
    Schema e = shared.eventSchema();
    for (int i = 0; i < Customer.CATEGORICAL.length; i++) eventPositions[i] = e.getField(Customer.CATEGORICAL[i]).pos();
    posCustomerId = e.getField("customerid").pos();
    posEventId = e.getField("event_id").pos();
    posEventTime = e.getField("event_time").pos();
    posSenior = e.getField("seniorcitizen").pos();
    posTenure = e.getField("tenure").pos();
    posMonthly = e.getField("monthlycharges").pos();
    posTotal = e.getField("totalcharges").pos();
  }

  @Override
  public void init(ProcessorContext<byte[], Outcome> context) {
    this.context = context;
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    RecordMetadata source = context.recordMetadata().orElseThrow();
    byte[] value = record.value();
    GenericRecord decoded;
    try {
      decoded = decode(value);
    } catch (RegistryUnavailable e) {
      throw e;
    } catch (SchemaRegistry.UnknownSchemaId e) {
      reject(record, source, "unknown-schema", e.getMessage());
      return;
    } catch (IOException | RuntimeException | NotWireFormat e) {
      reject(record, source, "not-avro", e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName());
      return;
    }
    String[] categories = new String[Customer.CATEGORICAL.length];
    for (int i = 0; i < categories.length; i++) categories[i] = text(decoded.get(eventPositions[i]));
    Customer.Validated v = Customer.validate(new Customer.Raw(categories, ((Number) decoded.get(posSenior)).longValue(),
        ((Number) decoded.get(posTenure)).longValue(), ((Number) decoded.get(posMonthly)).doubleValue(),
        ((Number) decoded.get(posTotal)).doubleValue()), shared.model());
    if (!v.ok()) {
      reject(record, source, "invalid-customer", String.join("; ", v.errors()));
      return;
    }
    String customerId = text(decoded.get(posCustomerId));
    byte[] prediction = encodePrediction(v, customerId, text(decoded.get(posEventId)),
        ((Number) decoded.get(posEventTime)).longValue(), source);
    Headers headers = new RecordHeaders();
    headers.add("churn.model.version", shared.model().version.getBytes(StandardCharsets.UTF_8));
    headers.add("churn.variant", CHAMPION);
    headers.add("churn.rollout.revision", ZERO);
    shared.scored().increment();
    context.forward(new Record<>(customerId.getBytes(StandardCharsets.UTF_8), new Outcome(true, prediction),
        record.timestamp(), headers));
  }

  private static final byte[] CHAMPION = "champion".getBytes(StandardCharsets.UTF_8);
  private static final byte[] ZERO = "0".getBytes(StandardCharsets.UTF_8);

  private static String text(Object avroString) {
    return avroString == null ? null : avroString.toString();
  }

  static final class NotWireFormat extends Exception {
    NotWireFormat(String message) {
      super(message);
    }
  }

  /** The registry could not be reached: not the record's fault, so the transaction is retried (see class doc). */
  static final class RegistryUnavailable extends AvroRuntimeException {
    RegistryUnavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Confluent wire format: magic byte 0, the writer schema's id (4 bytes, big-endian), Avro binary. */
  private GenericRecord decode(byte[] value) throws IOException, NotWireFormat, SchemaRegistry.UnknownSchemaId {
    if (value == null || value.length < 5) throw new NotWireFormat("value of " + (value == null ? "null" : value.length + " bytes") + " is no Confluent-framed Avro");
    if (value[0] != MAGIC) throw new NotWireFormat("magic byte " + value[0] + ", expected 0");
    int id = ((value[1] & 0xff) << 24) | ((value[2] & 0xff) << 16) | ((value[3] & 0xff) << 8) | (value[4] & 0xff);
    GenericDatumReader<GenericRecord> reader = readers.get(id);
    if (reader == null) {
      Schema writerSchema;
      try {
        writerSchema = shared.registry().schemaById(id);
      } catch (IOException e) {
        sleepQuietly(1_000);
        throw new RegistryUnavailable("schema registry unavailable for schema id " + id + ": " + e.getMessage(), e);
      }
      reader = new GenericDatumReader<>(writerSchema, shared.eventSchema());
      readers.put(id, reader);
    }
    decoder = DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, decoder);
    event = reader.read(event, decoder);
    if (!decoder.isEnd()) throw new NotWireFormat("trailing bytes after the Avro record");
    return event;
  }

  private byte[] encodePrediction(Customer.Validated v, String customerId, String eventId, long eventTime,
      RecordMetadata source) {
    ChurnModel model = shared.model();
    double p = model.score(v.customer());
    GenericData.Record r = new GenericData.Record(shared.predictionSchema());
    for (int i = 0; i < defaults.length; i++) if (defaults[i] != null) r.put(i, defaults[i]);
    r.put("customerid", customerId);
    r.put("event_id", eventId);
    r.put("churn_probability", p);
    r.put("churn", p >= model.threshold);
    r.put("threshold", model.threshold);
    r.put("model_name", model.name);
    r.put("model_version", model.version);
    r.put("replay", false);
    r.put("scored_at", System.currentTimeMillis());
    r.put("source_topic", source.topic());
    r.put("source_partition", source.partition());
    r.put("source_offset", source.offset());
    r.put("warnings", v.warnings());
    putIfPresent(r, "variant", "champion");
    putIfPresent(r, "rollout_revision", 0L);
    putIfPresent(r, "event_time", eventTime);
    putIfPresent(r, "assignment_probability", 1.0);
    List<GenericData.Record> reasons = new ArrayList<>(REASON_COUNT);
    for (ChurnModel.Reason reason : model.reasons(v.customer(), REASON_COUNT)) {
      GenericData.Record rr = new GenericData.Record(reasonSchema);
      rr.put("feature", reason.feature());
      rr.put("value", reason.value());
      rr.put("contribution", reason.contribution());
      reasons.add(rr);
    }
    r.put("reasons", reasons);
    out.reset();
    out.write(MAGIC);
    int id = shared.predictionSchemaId();
    out.write(id >>> 24);
    out.write(id >>> 16);
    out.write(id >>> 8);
    out.write(id);
    try {
      encoder = EncoderFactory.get().binaryEncoder(out, encoder);
      writer.write(r, encoder);
      encoder.flush();
    } catch (IOException e) {
      throw new IllegalStateException("encoding a ChurnPrediction into memory failed", e);
    }
    return out.toByteArray();
  }

  private static void putIfPresent(GenericData.Record r, String field, Object value) {
    if (r.getSchema().getField(field) != null) r.put(field, value);
  }

  private void reject(Record<byte[], byte[]> record, RecordMetadata source, String type, String message) {
    Headers headers = new RecordHeaders(record.headers().toArray());
    headers.add("churn.error.type", type.getBytes(StandardCharsets.UTF_8));
    String clipped = message.length() > 1000 ? message.substring(0, 1000) + "… (" + message.length() + " chars)" : message;
    headers.add("churn.error.message", clipped.getBytes(StandardCharsets.UTF_8));
    headers.add("churn.source.topic", source.topic().getBytes(StandardCharsets.UTF_8));
    headers.add("churn.source.partition", Integer.toString(source.partition()).getBytes(StandardCharsets.UTF_8));
    headers.add("churn.source.offset", Long.toString(source.offset()).getBytes(StandardCharsets.UTF_8));
    shared.rejected().increment();
    context.forward(new Record<>(record.key(), new Outcome(false, record.value()), record.timestamp(), headers));
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
