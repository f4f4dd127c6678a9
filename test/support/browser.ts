import { existsSync } from 'node:fs';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';

/** The chromium the browser tests drive: CHROMIUM_PATH, else Debian's (scripts/ci/browser-deps.sh installs it). */
export function chromiumPath(): string {
  const path = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
  if (!existsSync(path))
    throw new Error(`no chromium at ${path}: run \`bash scripts/ci/browser-deps.sh\` (or set CHROMIUM_PATH)`);
  return path;
}

export function launchChromium(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where chromium refuses its sandbox
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** What went wrong in a page: console errors, uncaught exceptions, failed requests (a CSP refusal shows here). */
export interface PageProblems {
  readonly problems: string[];
}

export function watchProblems(page: Page): PageProblems {
  const problems: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('response', (response) => {
    if (response.status() >= 400)
      problems.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
  });
  page.on('requestfailed', (request) => {
    // a poll cut short by the page closing is not a problem of the page
    if (request.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`);
  });
  return { problems };
}

/** The raw number a figure of the page shows (its data-value), or null when it has none yet. */
export async function figureValue(page: Page, id: string): Promise<number | null> {
  const raw = await page.locator(`#${id}`).getAttribute('data-value');
  return raw === null || raw === '' ? null : Number(raw);
}
