import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

/*
 * The oracle of the explanation tests, written without src/ (no contract, no model): model.json's columns and
 * coefficients, and each test customer's feature dict as sklearn's pipeline saw it (parity.jsonl `features`,
 * written by training/), so a test compares our explanation with an independent computation.
 */

export const COMMITTED_MODEL_VERSIONS = ['1.0.0', '1.1.0'] as const;
export type CommittedModelVersion = (typeof COMMITTED_MODEL_VERSIONS)[number];

export interface ModelJson {
  version: string;
  features: string[];
  coefficients: number[];
  intercept: number;
}

export interface ParityCustomer {
  customerid: string;
  /** as in the Telco CSV ("Fiber optic") */
  raw: Record<string, string | number>;
  /** as DictVectorizer saw it (normalized categories) */
  features: Record<string, string | number>;
  churn: 0 | 1;
  /** sklearn's predict_proba[:, 1] */
  churn_probability: number;
}

export function modelDir(version: CommittedModelVersion): string {
  return join(REPO_ROOT, 'models', 'churn', version);
}

export function readModelJson(version: CommittedModelVersion): ModelJson {
  return JSON.parse(readFileSync(join(modelDir(version), 'model.json'), 'utf8')) as ModelJson;
}

/** The 1,409 test customers of models/churn/<version>/parity.jsonl. */
export function readParityCustomers(version: CommittedModelVersion): ParityCustomer[] {
  return readFileSync(join(modelDir(version), 'parity.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ParityCustomer);
}

export interface IndependentExplanation {
  intercept: number;
  /** the plain sum over every column of model.json: intercept + Σ coefficient × x */
  logit: number;
  /** coefficient × x of every column with x ≠ 0 or numeric (the category present, the four numbers), by feature */
  terms: Map<string, number>;
}

/**
 * Every DictVectorizer column of model.json times the customer's value in it: 1 for the one-hot column of the
 * category present, 0 for the others, the number itself for a numeric column.
 */
export function independentExplanation(json: ModelJson, features: Record<string, unknown>): IndependentExplanation {
  const terms = new Map<string, number>();
  let logit = json.intercept;
  json.features.forEach((feature, i) => {
    const coefficient = json.coefficients[i] as number;
    const at = feature.indexOf('=');
    let x: number;
    if (at < 0) {
      x = features[feature] as number;
      terms.set(feature, coefficient * x);
    } else {
      x = features[feature.slice(0, at)] === feature.slice(at + 1) ? 1 : 0;
      if (x === 1) terms.set(feature, coefficient * x);
    }
    logit += coefficient * x;
  });
  return { intercept: json.intercept, logit, terms };
}

/** The n largest |term| of an independent explanation, largest first. */
export function largestMagnitudes(explanation: IndependentExplanation, n: number): number[] {
  return [...explanation.terms.values()]
    .map(Math.abs)
    .sort((a, b) => b - a)
    .slice(0, n);
}

/** A reason or contribution as the scorer reports it (value: a number, or its String() on the topic). */
export interface ReportedContribution {
  feature: string;
  value: string | number;
  contribution: number;
}

/**
 * What is wrong with `reported` as the top `n` of the independent explanation of `features` (empty when
 * nothing): the three largest magnitudes, each the exact term of its feature, with the customer's value.
 */
export function topProblems(
  reported: readonly ReportedContribution[],
  json: ModelJson,
  features: Record<string, unknown>,
  n: number,
): string[] {
  const oracle = independentExplanation(json, features);
  const problems: string[] = [];
  const magnitudes = reported.map((r) => Math.abs(r.contribution));
  const largest = largestMagnitudes(oracle, n);
  if (JSON.stringify(magnitudes) !== JSON.stringify(largest)) {
    problems.push(`|contributions| ${magnitudes.join(', ')}; the ${n} largest are ${largest.join(', ')}`);
  }
  for (const r of reported) {
    const term = oracle.terms.get(r.feature);
    if (term !== r.contribution)
      problems.push(`${r.feature}: contribution ${r.contribution}, model.json gives ${term}`);
    const field = r.feature.split('=')[0] as string;
    if (String(r.value) !== String(features[field])) {
      problems.push(`${r.feature}: value ${r.value}, the customer has ${String(features[field])}`);
    }
  }
  return problems;
}
