import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RegistryAuthWatch, RegistryCredentialsRefusedError } from '../../../src/serde/registry-auth-watch.js';
import { SchemaRegistryError } from '../../../src/serde/schema-registry.js';

function refusal(status: 401 | 403 = 401): SchemaRegistryError {
  return new SchemaRegistryError(
    `schema registry refused our credentials (${status}) at http://registry:8081: GET /schemas/ids/7 (getSchemaById, schema id 7)`,
    { operation: 'getSchemaById', schemaId: 7, status },
  );
}

/** Settles to the give-up error, or to 'pending' when it has not come. */
async function gaveUp(watch: RegistryAuthWatch): Promise<RegistryCredentialsRefusedError | 'pending'> {
  return Promise.race([watch.gaveUp, Promise.resolve('pending' as const)]);
}

describe('RegistryAuthWatch (fake time)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('is ready until the registry refuses; then not ready, with the refusal as the reason', () => {
    const watch = new RegistryAuthWatch({ giveUpAfterMs: 60_000, setting: 'registry.authFailureExitMs' });
    expect(watch.readiness()).toEqual({ ok: true, reasons: [] });
    watch.refused(refusal());
    expect(watch.readiness()).toEqual({
      ok: false,
      reasons: [
        'schema registry refused our credentials (401) at http://registry:8081: GET /schemas/ids/7 (getSchemaById, ' +
          'schema id 7) (the worker exits if this lasts 60 s, registry.authFailureExitMs)',
      ],
    });
    watch.stop();
  });

  it('gives up once a refusal has lasted giveUpAfterMs, counted from the first refusal', async () => {
    const watch = new RegistryAuthWatch({ giveUpAfterMs: 60_000, setting: 'registry.authFailureExitMs' });
    watch.refused(refusal());
    await vi.advanceTimersByTimeAsync(30_000);
    watch.refused(refusal(403)); // refusals in a row do not restart the clock
    await vi.advanceTimersByTimeAsync(29_999);
    expect(await gaveUp(watch)).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    const error = await gaveUp(watch);
    expect(error).toBeInstanceOf(RegistryCredentialsRefusedError);
    expect((error as Error).message).toMatch(
      /^schema registry refused our credentials \(403\) at http:\/\/registry:8081: .*; still refused after 60 s, registry.authFailureExitMs: fix the registry credentials and restart$/,
    );
    // the operator's to fix: one line and exit 1, no stack trace
    const { code, expected, exitCode } = error as RegistryCredentialsRefusedError;
    expect({ code, expected, exitCode }).toEqual({
      code: 'CHURN_ERR_REGISTRY_AUTH_TIMEOUT',
      expected: true,
      exitCode: 1,
    });
  });

  it('does not give up when an accepted answer comes in time, and starts over on the next refusal', async () => {
    const watch = new RegistryAuthWatch({ giveUpAfterMs: 10_000 });
    watch.refused(refusal());
    await vi.advanceTimersByTimeAsync(9_000);
    watch.accepted();
    expect(watch.readiness().ok).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await gaveUp(watch)).toBe('pending');

    watch.refused(refusal());
    await vi.advanceTimersByTimeAsync(9_999);
    expect(await gaveUp(watch)).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(await gaveUp(watch)).toBeInstanceOf(RegistryCredentialsRefusedError);
  });

  it('never gives up after stop()', async () => {
    const watch = new RegistryAuthWatch({ giveUpAfterMs: 1_000 });
    watch.refused(refusal());
    watch.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await gaveUp(watch)).toBe('pending');
  });
});
