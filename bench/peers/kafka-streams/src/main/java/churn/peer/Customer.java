package churn.peer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A validated, normalized customer: what the model scores. Validation and normalization follow churn-scorer's
 * src/contract (validate-customer.ts, normalize-category.ts): categories lower-cased with spaces as '_', non-empty;
 * seniorcitizen 0 or 1; tenure an integer &gt;= 0; the charges finite and &gt;= 0.
 */
public final class Customer {
  /** The 19 fields in the contract's order (the Telco CSV's columns). */
  public static final String[] FIELDS = {
    "gender", "seniorcitizen", "partner", "dependents", "tenure", "phoneservice", "multiplelines", "internetservice",
    "onlinesecurity", "onlinebackup", "deviceprotection", "techsupport", "streamingtv", "streamingmovies", "contract",
    "paperlessbilling", "paymentmethod", "monthlycharges", "totalcharges",
  };
  /** The string categoricals, in the same order. */
  public static final String[] CATEGORICAL = {
    "gender", "partner", "dependents", "phoneservice", "multiplelines", "internetservice", "onlinesecurity",
    "onlinebackup", "deviceprotection", "techsupport", "streamingtv", "streamingmovies", "contract",
    "paperlessbilling", "paymentmethod",
  };
  private static final int[] CATEGORICAL_INDEX = new int[FIELDS.length];

  static {
    for (int f = 0; f < FIELDS.length; f++) {
      CATEGORICAL_INDEX[f] = -1;
      for (int c = 0; c < CATEGORICAL.length; c++) if (CATEGORICAL[c].equals(FIELDS[f])) CATEGORICAL_INDEX[f] = c;
    }
  }

  /** index into CATEGORICAL of field f, or -1 for a numeric field */
  static int categoricalIndex(int f) {
    return CATEGORICAL_INDEX[f];
  }

  final String[] categories = new String[CATEGORICAL.length];
  int seniorcitizen;
  int tenure;
  double monthlycharges;
  double totalcharges;

  /** The notes' rule: str.lower().str.replace(' ', '_'); no trimming. */
  public static String normalizeCategory(String value) {
    for (int i = 0; i < value.length(); i++) {
      char ch = value.charAt(i);
      if (ch == ' ' || (ch >= 'A' && ch <= 'Z') || ch > 127) return value.toLowerCase(Locale.ROOT).replace(' ', '_');
    }
    return value;
  }

  /** The raw fields before validation (from an Avro CustomerEvent or a JSON row). */
  public record Raw(String[] categories, long seniorcitizen, long tenure, double monthlycharges, double totalcharges) {}

  /** A validated customer and its warnings, or the errors that refuse it. */
  public record Validated(Customer customer, List<String> warnings, List<String> errors) {
    public boolean ok() {
      return errors.isEmpty();
    }
  }

  public static Validated validate(Raw raw, ChurnModel model) {
    Customer c = new Customer();
    List<String> errors = List.of();
    List<String> warnings = List.of();
    for (int i = 0; i < CATEGORICAL.length; i++) {
      String value = raw.categories()[i];
      if (value == null || value.isEmpty()) {
        errors = add(errors, CATEGORICAL[i] + ": must be a non-empty string");
        continue;
      }
      String category = normalizeCategory(value);
      c.categories[i] = category;
      var known = model.knownCategories(i);
      if (!known.isEmpty() && !known.contains(category))
        warnings = add(warnings, CATEGORICAL[i] + ": unknown value " + quote(category) + " (known: "
            + String.join(", ", known) + "); scored as all-zero for this field");
    }
    if (raw.seniorcitizen() != 0 && raw.seniorcitizen() != 1)
      errors = add(errors, "seniorcitizen: must be 0 or 1, got " + raw.seniorcitizen());
    if (raw.tenure() < 0) errors = add(errors, "tenure: must be an integer >= 0, got " + raw.tenure());
    if (!(Double.isFinite(raw.monthlycharges()) && raw.monthlycharges() >= 0))
      errors = add(errors, "monthlycharges: must be a finite number >= 0, got " + JsNumber.toText(raw.monthlycharges()));
    if (!(Double.isFinite(raw.totalcharges()) && raw.totalcharges() >= 0))
      errors = add(errors, "totalcharges: must be a finite number >= 0, got " + JsNumber.toText(raw.totalcharges()));
    c.seniorcitizen = (int) raw.seniorcitizen();
    c.tenure = (int) raw.tenure();
    c.monthlycharges = raw.monthlycharges();
    c.totalcharges = raw.totalcharges();
    return new Validated(errors.isEmpty() ? c : null, warnings, errors);
  }

  private static List<String> add(List<String> list, String item) {
    List<String> out = list.isEmpty() ? new ArrayList<>(2) : list;
    out.add(item);
    return out;
  }

  /** src/contract/shown-value.ts quoteValue: 'value', clipped to 40 chars with the full length. */
  static String quote(String text) {
    if (text.length() <= 40) return "'" + text + "'";
    int cut = Character.isHighSurrogate(text.charAt(39)) ? 39 : 40;
    return "'" + text.substring(0, cut) + "'… (" + text.length() + " chars)";
  }
}
