import type { ComparisonView, ShadowView, VariantView } from './comparison-view.js';

/**
 * A comparison as text tables for a terminal (pure): one row per variant (with its score histogram) and one
 * per shadow. Figures are rounded for reading; `--json` gives them exactly.
 */
export function comparisonTables(view: ComparisonView): string[] {
  const lines: string[] = [];
  if (view.variants.length === 0) {
    lines.push('variants: no live predictions');
  } else {
    lines.push(
      ...textTable(
        ['variant', 'version', '>predictions', '>mean score', '>churned', '>churn rate', '>threshold'],
        view.variants.map((v) => [
          v.variant,
          v.version,
          String(v.count),
          fixed(v.mean_score),
          String(v.churned),
          percent(v.churn_rate),
          String(v.threshold),
        ]),
      ),
      '',
      'score histogram (predictions per tenth of [0, 1], lowest first):',
      ...textTable(
        ['variant', 'version', 'bins'],
        view.variants.map((v: VariantView) => [v.variant, v.version, v.histogram.join(' ')]),
      ),
    );
  }
  lines.push('');
  if (view.shadows.length === 0) {
    lines.push('shadows: none compared');
  } else {
    lines.push(
      ...textTable(
        ['shadow', 'vs champion', '>events', '>agreement', '>mean |dp|', '>PSI', 'riskiest-25% Jaccard'],
        view.shadows.map((s: ShadowView) => [
          s.version,
          s.champion_version,
          String(s.events),
          percent(s.agreement),
          fixed(s.mean_abs_delta),
          fixed(s.psi),
          `${fixed(s.riskiest_quartile_jaccard)}${s.riskiest_quartile_exact ? '' : ' (sampled)'}`,
        ]),
      ),
    );
  }
  return lines;
}

function fixed(value: number | null): string {
  return value === null ? '-' : value.toFixed(4);
}

function percent(value: number | null): string {
  return value === null ? '-' : `${(value * 100).toFixed(2)}%`;
}

/** Columns two spaces apart; a header written '>name' is a right-aligned (number) column. */
export function textTable(columns: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const right = columns.map((c) => c.startsWith('>'));
  const header = columns.map((c) => c.replace(/^>/, ''));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (right[i] === true ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
