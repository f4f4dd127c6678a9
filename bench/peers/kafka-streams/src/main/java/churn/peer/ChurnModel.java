package churn.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The churn model of a models/churn/&lt;version&gt;/model.json artifact: DictVectorizer one-hot features plus
 * logistic regression. The logit is summed in the order churn-scorer's src/model/scorer.ts sums it (intercept,
 * the categoricals in the contract's order, then the numbers in two pairs) and the sigmoid is split by sign as in
 * src/model/sigmoid.ts, with StrictMath.exp (fdlibm, as V8's Math.exp), so the probabilities are the same doubles.
 */
public final class ChurnModel {
  public final String name;
  public final String version;
  public final double threshold;
  private final double intercept;
  /** per categorical field (Customer.CATEGORICAL order): category -> coefficient */
  private final List<Map<String, Double>> weights = new ArrayList<>();
  /** per categorical field: the known categories in the artifact's order (the unknown-category warning lists them) */
  private final List<Set<String>> known = new ArrayList<>();
  private final double wSenior;
  private final double wTenure;
  private final double wMonthly;
  private final double wTotal;

  private ChurnModel(JsonNode artifact) {
    this.name = artifact.get("name").asText();
    this.version = artifact.get("version").asText();
    this.threshold = artifact.get("threshold").asDouble();
    this.intercept = artifact.get("intercept").asDouble();
    JsonNode features = artifact.get("features");
    JsonNode coefficients = artifact.get("coefficients");
    if (features.size() != coefficients.size())
      throw new IllegalArgumentException("model.json: " + features.size() + " features, " + coefficients.size() + " coefficients");
    Map<String, Double> numeric = new HashMap<>();
    Map<String, Map<String, Double>> categorical = new HashMap<>();
    for (int i = 0; i < features.size(); i++) {
      String feature = features.get(i).asText();
      double coefficient = coefficients.get(i).asDouble();
      int at = feature.indexOf('=');
      if (at < 0) numeric.put(feature, coefficient);
      else categorical.computeIfAbsent(feature.substring(0, at), k -> new HashMap<>()).put(feature.substring(at + 1), coefficient);
    }
    JsonNode categories = artifact.get("categories");
    for (String field : Customer.CATEGORICAL) {
      weights.add(categorical.getOrDefault(field, Map.of()));
      Set<String> values = new LinkedHashSet<>();
      JsonNode list = categories == null ? null : categories.get(field);
      if (list != null) list.forEach(v -> values.add(v.asText()));
      known.add(values);
    }
    this.wSenior = numeric.getOrDefault("seniorcitizen", 0.0);
    this.wTenure = numeric.getOrDefault("tenure", 0.0);
    this.wMonthly = numeric.getOrDefault("monthlycharges", 0.0);
    this.wTotal = numeric.getOrDefault("totalcharges", 0.0);
  }

  public static ChurnModel load(Path modelJson) throws IOException {
    return new ChurnModel(new ObjectMapper().readTree(modelJson.toFile()));
  }

  public static double sigmoid(double z) {
    if (z >= 0) return 1 / (1 + StrictMath.exp(-z));
    double e = StrictMath.exp(z);
    return e / (1 + e);
  }

  public double score(Customer c) {
    double z = intercept;
    for (int i = 0; i < Customer.CATEGORICAL.length; i++) {
      Double w = weights.get(i).get(c.categories[i]);
      z += w == null ? 0 : w;
    }
    z += wSenior * c.seniorcitizen + wTenure * c.tenure;
    z += wMonthly * c.monthlycharges + wTotal * c.totalcharges;
    return sigmoid(z);
  }

  /** The known categories of categorical field i (empty: the field accepts any value silently). */
  public Set<String> knownCategories(int i) {
    return known.get(i);
  }

  /** One feature's term of the logit, as a ChurnPrediction reason. */
  public record Reason(String feature, String value, double contribution) {}

  /**
   * The n terms of the logit with the largest magnitude, ties in the contract's field order (src/model/explain.ts
   * reasons()): a categorical field's term is its category's coefficient (0 for an unseen one), a number's is
   * coefficient times value.
   */
  public List<Reason> reasons(Customer c, int n) {
    int fields = Customer.FIELDS.length;
    double[] terms = new double[fields];
    String[] values = new String[fields];
    String[] names = new String[fields];
    for (int f = 0; f < fields; f++) {
      String field = Customer.FIELDS[f];
      int cat = Customer.categoricalIndex(f);
      if (cat >= 0) {
        String value = c.categories[cat];
        Double w = weights.get(cat).get(value);
        terms[f] = w == null ? 0 : w;
        values[f] = value;
        names[f] = field + "=" + value;
      } else {
        switch (field) {
          case "seniorcitizen" -> { terms[f] = wSenior * c.seniorcitizen; values[f] = Integer.toString(c.seniorcitizen); }
          case "tenure" -> { terms[f] = wTenure * c.tenure; values[f] = Integer.toString(c.tenure); }
          case "monthlycharges" -> { terms[f] = wMonthly * c.monthlycharges; values[f] = JsNumber.toText(c.monthlycharges); }
          default -> { terms[f] = wTotal * c.totalcharges; values[f] = JsNumber.toText(c.totalcharges); }
        }
        names[f] = field;
      }
    }
    int k = Math.min(n, fields);
    boolean[] taken = new boolean[fields];
    List<Reason> out = new ArrayList<>(k);
    for (int r = 0; r < k; r++) {
      int best = -1;
      for (int f = 0; f < fields; f++) {
        if (taken[f]) continue;
        // strictly larger only: among equal magnitudes the earlier field stays
        if (best < 0 || Math.abs(terms[f]) > Math.abs(terms[best])) best = f;
      }
      taken[best] = true;
      out.add(new Reason(names[best], values[best], terms[best]));
    }
    return out;
  }
}
