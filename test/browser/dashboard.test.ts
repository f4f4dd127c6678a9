import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { figureValue, launchChromium, watchProblems } from '../support/browser.js';
import { customerEventEncoder, eventMessage, telcoEvents } from '../support/events.js';
import { waitForNoLag } from '../support/kafka.js';
import { metricValue } from '../support/metrics.js';
import { REPO_ROOT } from '../support/paths.js';
import { ManagedProcess } from '../support/processes.js';
import { topicEnv } from '../support/names.js';
import { test } from '../support/stream-fixture.js';
import { waitUntil } from '../support/wait.js';

/**
 * The dashboard in a real browser (Debian's chromium driven by playwright-core): `serve` and `run` as a user starts
 * them, the page as a user opens it. What is checked is what someone looking at it would: it loads clean, its
 * numbers are /metrics' numbers and move while events flow, its riskiest customers are the predictions topic's, the
 * form scores like POST /predict, and with auth on nobody without the token gets in.
 */

const TOKEN = 'dashboard-test-token-0123456789abcdef';
const SCREENSHOT = join(REPO_ROOT, 'docs', 'dashboard.png');

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser.close();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === 'object' && address !== null) resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** `churn-scorer serve` (one process) on a free port, once /readyz answers 200. */
async function startServe(
  label: string,
  env: Record<string, string> = {},
): Promise<{ url: string; process: ManagedProcess }> {
  const port = await freePort();
  const process = new ManagedProcess(label, ['serve', '--workers', '1'], {
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(
    async () => {
      if (!process.running) throw new Error(`${label} exited:\n${process.tail()}`);
      return fetch(`${url}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
    },
    { timeoutMs: 60_000, describe: () => `${label} not ready:\n${process.tail()}` },
  );
  return { url, process };
}

/** Waits for the page to draw figures taken after `since` (epoch ms). */
async function redrawnAfter(page: Page, since: number): Promise<void> {
  // a function, not a string: the page's CSP allows no eval
  await page.waitForFunction((t) => Date.parse(document.body.dataset['generatedAt'] ?? '') > t, since, {
    timeout: 15_000,
  });
}

describe('the dashboard in a browser', () => {
  test('serve: loads with no console error at 1280x800 and at phone width; the form scores like POST /predict, with reasons', async () => {
    const { url, process } = await startServe('dashboard-serve');
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const watched = watchProblems(page);
      const response = await page.goto(`${url}/dashboard`);
      expect(response?.status()).toBe(200);
      await expect.poll(() => page.locator('#readiness').textContent()).toBe('ready');
      await expect.poll(() => page.locator('#rollout-now').textContent()).toContain('champion 1.0.0');

      // every control of the form has a label a screen reader reads, and the example customer is filled in
      const controls = page.locator('#customer-form select, #customer-form input');
      expect(await controls.count()).toBe(19);
      for (const id of await controls.evaluateAll((els) => els.map((el) => el.id))) {
        expect(await page.locator(`label[for="${id}"]`).count(), id).toBe(1);
      }
      await page.getByLabel('Contract').selectOption('month-to-month');
      await page.getByLabel('Tenure (months)').fill('2');
      await page.getByLabel('Internet service').selectOption('fiber_optic');
      // by keyboard: focus the button, press Enter
      await page.getByRole('button', { name: 'Score' }).focus();
      await page.keyboard.press('Enter');
      await page.locator('#score-probability').waitFor();

      const fields = await page.locator('#customer-form [name]').evaluateAll((els) =>
        els.map((el) => ({
          name: el.getAttribute('name') ?? '',
          kind: el.getAttribute('data-kind'),
          value: (el as HTMLInputElement | HTMLSelectElement).value,
        })),
      );
      const customer: Record<string, string | number> = {};
      for (const { name, kind, value } of fields) customer[name] = kind === 'category' ? value : Number(value);
      const api = (await (
        await fetch(`${url}/predict?explain=true`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(customer),
        })
      ).json()) as { churn_probability: number; explanation: { contributions: { feature: string }[] } };
      expect(Number(await page.locator('#score-probability').getAttribute('data-value'))).toBe(api.churn_probability);
      const reasons = await page.locator('#score-reasons li').allTextContents();
      expect(reasons).toHaveLength(5);
      expect(reasons[0]).toContain(api.explanation.contributions[0]?.feature.split('=')[0]);

      expect(watched.problems).toEqual([]);
      // a field the contract refuses is named on the page, and marked for assistive technology (the browser logs
      // the 400 as a console error: that one is expected)
      watched.problems.length = 0;
      await page.getByLabel('Tenure (months)').fill('-3');
      await page.getByRole('button', { name: 'Score' }).click();
      await expect.poll(() => page.locator('#score-result').textContent()).toContain('tenure');
      expect(await page.getByLabel('Tenure (months)').getAttribute('aria-invalid')).toBe('true');

      // phone width: everything reflows, nothing scrolls sideways
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(300);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      expect(watched.problems.filter((p) => !/status of 400|HTTP 400: POST/.test(p))).toEqual([]);
      await page.close();
    } finally {
      await process.kill();
    }
  }, 120_000);

  test('with auth on: no token, no page; ?token= opens a session and leaves the address bar clean', async () => {
    const { url, process } = await startServe('dashboard-auth', { HTTP_AUTH_TOKEN: TOKEN });
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      const refused = await page.goto(`${url}/dashboard`);
      expect(refused?.status()).toBe(401);
      expect(await page.locator('body').textContent()).toContain('needs its bearer token');
      const wrong = await page.goto(`${url}/dashboard?token=not-the-token-at-all-0000`);
      expect(wrong?.status()).toBe(401);
      expect((await fetch(`${url}/dashboard/view`)).status).toBe(401);

      const watched = watchProblems(page);
      const opened = await page.goto(`${url}/dashboard?token=${TOKEN}`);
      expect(opened?.status()).toBe(200);
      expect(page.url()).toBe(`${url}/dashboard`);
      await expect.poll(() => page.locator('#readiness').textContent()).toBe('ready');
      const [cookie] = await context.cookies();
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
      expect(cookie?.value).not.toContain(TOKEN);
      // the form's POST /predict rides on the same session
      await page.getByRole('button', { name: 'Score' }).click();
      await page.locator('#score-probability').waitFor();
      expect(watched.problems, watched.problems.join('\n')).toEqual([]);
      await context.close();
    } finally {
      await process.kill();
    }
  }, 120_000);

  test("run: while events flow the figures are /metrics' and move; the riskiest 25% are the predictions topic's", async ({
    stream,
  }) => {
    const { names, admin } = stream;
    await stream.createTopics();
    const worker = stream.startWorker();
    await worker.waitForReady();
    const url = await worker.address();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const watched = watchProblems(page);
    expect((await page.goto(`${url}/dashboard`))?.status()).toBe(200);

    const encoder = await customerEventEncoder(names.customers);
    const events = telcoEvents(6_000);
    const producer = await stream.producer();
    const collector = await stream.collectPredictions();
    // 600 events/s for 10 s, each stamped when it is sent (the latency panel measures from event_time), and a few
    // records nobody can read, which the dead letters panel shows by reason
    const flow = (async () => {
      await producer.send({
        topic: names.customers,
        messages: Array.from({ length: 5 }, (_, i) => ({ key: `garbage-${i}`, value: Buffer.from('not avro') })),
      });
      for (let i = 0; i < events.length; i += 60) {
        const now = Date.now();
        const chunk = events.slice(i, i + 60).map((e) => eventMessage(encoder, { ...e, event_time: now }));
        await producer.send({ topic: names.customers, messages: chunk, acks: -1 });
        await sleep(Math.max(0, now + 100 - Date.now()));
      }
    })();

    const consumed = async () =>
      metricValue((await worker.get('/metrics')).body, 'churn_stream_records_consumed_total', { source: 'live' }) ?? 0;
    const seen: number[] = [];
    for (let round = 0; round < 3; round++) {
      await page.waitForTimeout(1_500);
      const before = await consumed();
      const since = Date.now();
      await redrawnAfter(page, since);
      const shown = await figureValue(page, 'kpi-consumed');
      const after = await consumed();
      // the page's figure was read between the two scrapes: it lies between them
      expect(shown).not.toBeNull();
      expect(shown as number).toBeGreaterThanOrEqual(before);
      expect(shown as number).toBeLessThanOrEqual(after);
      seen.push(shown as number);
    }
    expect(seen[2] as number, `consumed over time: ${seen.join(', ')}`).toBeGreaterThan(seen[0] as number);
    await flow;
    await waitForNoLag(admin, names.group, names.customers, 60_000);

    // settled: every figure equals /metrics exactly
    const metrics = (await worker.get('/metrics')).body;
    await redrawnAfter(page, Date.now());
    expect(await figureValue(page, 'kpi-consumed')).toBe(
      metricValue(metrics, 'churn_stream_records_consumed_total', { source: 'live' }),
    );
    expect(await figureValue(page, 'kpi-predicted')).toBe(
      metricValue(metrics, 'churn_stream_predictions_produced_total', { source: 'live' }),
    );
    expect(await figureValue(page, 'kpi-dead-lettered')).toBe(5);
    // the worker measures its lag every few seconds: the page follows it down to 0
    await expect.poll(() => figureValue(page, 'kpi-lag'), { timeout: 30_000 }).toBe(0);
    await expect.poll(() => page.locator('#dead-letter-rows').textContent()).toMatch(/\d/);

    // the riskiest customers: the predictions topic's latest per customer, highest first (ties by customer id)
    await waitUntil(() => collector.records.length >= events.length, {
      timeoutMs: 30_000,
      describe: () => `${collector.records.length} of ${events.length} predictions read`,
    });
    const latest = new Map<string, number>();
    for (const { value } of collector.records) latest.set(value.customerid, value.churn_probability);
    const ranked = [...latest].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const rows = await page
      .locator('#riskiest-rows tr')
      .evaluateAll((trs) => trs.map((tr) => Array.from(tr.children).map((cell) => cell.textContent)));
    expect(rows).toHaveLength(20);
    expect(rows.map((r) => r[0])).toEqual(ranked.slice(0, 20).map(([id]) => id));
    expect(rows.map((r) => Number(r[1]))).toEqual(ranked.slice(0, 20).map(([, p]) => Number(p.toFixed(3))));
    expect(rows.every((r) => (r[3] ?? '').includes('='))).toBe(true);
    expect(await page.locator('#riskiest-now').textContent()).toContain(
      `${Math.ceil(latest.size / 4).toLocaleString('en')} customers`,
    );

    // the picture the README shows
    await page.waitForTimeout(1_000);
    mkdirSync(join(REPO_ROOT, 'docs'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    expect(watched.problems).toEqual([]);
    await page.close();
  }, 240_000);

  test('`demo --keep`: prints the dashboard URL and keeps events flowing until Ctrl-C', async ({ stream }) => {
    const port = await freePort();
    const demo = new ManagedProcess(
      `${stream.names.suffix}-demo-keep`,
      ['demo', '--count', '200', '--no-rollout', '--no-outcomes', '--keep', '--rate', '250'],
      { ...topicEnv(stream.names), PORT: String(port), TOPIC_PARTITIONS: '3' },
    );
    try {
      await waitUntil(() => demo.log().includes('demo: dashboard at'), {
        timeoutMs: 120_000,
        describe: () => `no dashboard line yet:\n${demo.tail()}`,
      });
      const line = /demo: dashboard at (\S+)/.exec(demo.log())?.[1];
      expect(line).toBe(`http://127.0.0.1:${port}/dashboard`);
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const watched = watchProblems(page);
      expect((await page.goto(line as string))?.status()).toBe(200);
      await redrawnAfter(page, Date.now());
      const first = (await figureValue(page, 'kpi-consumed')) as number;
      expect(first).toBeGreaterThanOrEqual(200);
      // the live events keep coming, and one in 500 is refused: the dead letters panel fills in
      await expect
        .poll(async () => (await figureValue(page, 'kpi-consumed')) as number, { timeout: 20_000 })
        .toBeGreaterThan(first + 500);
      await expect
        .poll(() => page.locator('#dead-letter-rows').textContent(), { timeout: 20_000 })
        .toContain('invalid-customer');
      expect(watched.problems).toEqual([]);
      await page.close();
      demo.signal('SIGINT');
      expect(await demo.waitForExit(60_000)).toEqual({ code: 0, signal: null });
      expect(demo.log()).toMatch(/demo: SIGINT: sent \d+ live events; stopping/);
    } finally {
      if (demo.running) await demo.kill();
    }
  }, 240_000);
});
