import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { findRepoRoot } from '../config/repo-root.js';
import { customerFormFields } from './customer-form.js';
import { escapeHtml } from './html-text.js';

/** A file the side-port serves under /dashboard/assets/<version>/. */
export interface DashboardAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

/** The dashboard's page and files, read once when the side-port is built (never per request). */
export interface DashboardAssets {
  /** a digest of every file: part of their URLs, so a browser may cache them for good and a new build is fetched anew */
  readonly version: string;
  readonly files: ReadonlyMap<string, DashboardAsset>;
  /** the page of a side-port: its service name and role filled in */
  page(service: string, role: string): string;
}

/** Where our own files are: kept in the source tree (the Dockerfile copies them next to dist/). */
export function dashboardAssetsDir(): string {
  return join(findRepoRoot(), 'src', 'dashboard', 'assets');
}

export function loadDashboardAssets(dir: string = dashboardAssetsDir()): DashboardAssets {
  const require = createRequire(import.meta.url);
  const uplot = dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  const read = (path: string) => readFileSync(path);
  const files = new Map<string, DashboardAsset>([
    [
      'uPlot.iife.min.js',
      { body: read(join(uplot, 'uPlot.iife.min.js')), contentType: 'text/javascript; charset=utf-8' },
    ],
    ['uPlot.min.css', { body: read(join(uplot, 'uPlot.min.css')), contentType: 'text/css; charset=utf-8' }],
    ['dashboard.js', { body: read(join(dir, 'dashboard.js')), contentType: 'text/javascript; charset=utf-8' }],
    ['dashboard.css', { body: read(join(dir, 'dashboard.css')), contentType: 'text/css; charset=utf-8' }],
  ]);
  const template = readFileSync(join(dir, 'dashboard.html'), 'utf8');
  const digest = createHash('sha256');
  for (const [name, file] of files) digest.update(name).update(file.body);
  digest.update(template);
  const version = digest.digest('hex').slice(0, 12);
  const form = customerFormFields();
  return {
    version,
    files,
    page: (service, role) =>
      template
        .replaceAll('{{ASSETS}}', `dashboard/assets/${version}`)
        .replaceAll('{{METRICS}}', 'metrics')
        .replaceAll('{{SERVICE}}', escapeHtml(service))
        .replaceAll('{{ROLE}}', escapeHtml(role))
        .replace('{{FORM}}', form),
  };
}
