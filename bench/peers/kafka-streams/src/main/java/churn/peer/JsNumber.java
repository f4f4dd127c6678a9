package churn.peer;

import java.math.BigDecimal;

/** A double as JavaScript's String(number) writes it (a reason's value text is String() of the number in the worker). */
final class JsNumber {
  private JsNumber() {}

  static String toText(double d) {
    if (Double.isNaN(d)) return "NaN";
    if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
    if (d == 0) return "0";
    double abs = Math.abs(d);
    if (abs >= 1e-7 && abs < 1e21) return new BigDecimal(Double.toString(d)).stripTrailingZeros().toPlainString();
    // JavaScript's exponent form: 1.5e-8, 1e+21
    String s = Double.toString(d).replace(".0E", "E");
    int e = s.indexOf('E');
    String exp = s.substring(e + 1);
    return s.substring(0, e) + "e" + (exp.startsWith("-") ? exp : "+" + exp);
  }
}
