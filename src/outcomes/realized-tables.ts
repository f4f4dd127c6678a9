import { textTable } from '../experiments/comparison-table.js';
import type { RealizedReport } from './realized-report.js';

/**
 * The realized part of `experiment report` as text tables for a terminal (pure): per version and variant the
 * figures, their calibration (non-empty bins), and per reward the IPS table. Figures are rounded for reading;
 * `--json` gives them exactly.
 */
export function realizedTables(report: RealizedReport): string[] {
  const scope =
    report.last === null ? 'over every join' : `over the last ${report.last} joins of each version and variant`;
  const lines = [
    `realized performance from ${report.topic}: ${report.joined} joined, ${report.expired_predictions} expired ` +
      `predictions, ${report.unmatched_outcomes} unmatched outcomes; ${scope}`,
  ];
  if (report.other > 0) lines.push(`(${report.other} records of another kind or incomplete were left out)`);
  if (report.versions.length === 0) {
    lines.push('versions: no prediction joined to an outcome yet');
  } else {
    lines.push(
      ...textTable(
        [
          'version',
          'variant',
          '>joins',
          '>churn rate',
          '>AUC',
          '>log-loss',
          '>riskiest-25% precision',
          '>recall',
          '>correct',
          '>expired',
        ],
        report.versions.map((v) => [
          v.version,
          v.variant,
          String(v.n),
          percent(v.churn_rate),
          fixed(v.auc),
          fixed(v.log_loss),
          percent(v.precision_riskiest25),
          percent(v.recall_riskiest25),
          percent(v.mean_correct),
          String(v.expired),
        ]),
      ),
      '',
      'calibration (predicted against observed churn, per decile of the churn probability):',
      ...textTable(
        ['version', 'variant', '>decile', 'probabilities', '>count', '>mean predicted', '>observed'],
        report.versions.flatMap((v) =>
          v.calibration
            .filter((bin) => bin.count > 0)
            .map((bin) => [
              v.version,
              v.variant,
              String(bin.decile),
              `${fixed(bin.lower)}-${fixed(bin.upper)}`,
              String(bin.count),
              fixed(bin.mean_predicted),
              percent(bin.observed_rate),
            ]),
        ),
      ),
    );
  }
  for (const table of report.ips) {
    lines.push(
      '',
      `inverse-propensity estimate of each served version's reward '${table.reward}' ` +
        `(n = ${table.n} joined records of served variants carrying it):`,
    );
    if (table.versions.length === 0) {
      lines.push('  none');
    } else {
      lines.push(
        ...textTable(
          ['version', '>records', '>mean reward', '>IPS estimate'],
          table.versions.map((v) => [v.version, String(v.records), fixed(v.mean_reward), fixed(v.ips)]),
        ),
      );
    }
    if (table.without_propensity > 0) {
      lines.push(`(${table.without_propensity} records without an assignment probability were left out)`);
    }
  }
  return lines;
}

function fixed(value: number | null): string {
  return value === null ? '-' : value.toFixed(4);
}

function percent(value: number | null): string {
  return value === null ? '-' : `${(value * 100).toFixed(2)}%`;
}
