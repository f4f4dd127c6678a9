import { ScorerError } from '../errors/scorer-error.js';
import type { SchemaRegistryError } from './schema-registry.js';

/** Told of every answer the registry gives: whether it took our credentials. */
export interface RegistryAuthObserver {
  /** a 401 or 403 */
  refused(error: SchemaRegistryError): void;
  /** any other HTTP answer */
  accepted(): void;
}

/** The worker gives up: the registry has refused our credentials for too long. */
export class RegistryCredentialsRefusedError extends ScorerError {
  static override readonly code = 'CHURN_ERR_REGISTRY_AUTH_TIMEOUT';
  override readonly name = 'RegistryCredentialsRefusedError';
}

export interface RegistryAuthWatchOptions {
  /** how long a refusal may last before `gaveUp` resolves */
  giveUpAfterMs: number;
  /** where the limit is configured, named in the messages */
  setting?: string;
}

/**
 * Whether the schema registry currently refuses our credentials. A refusal is no outage
 * that waiting mends: it fails readiness at once, with the registry's answer as the reason,
 * and if no accepted answer comes within `giveUpAfterMs` (the operator may be rotating the
 * secret) `gaveUp` resolves so the process can exit with one line, instead of retrying the
 * partition forever.
 */
export class RegistryAuthWatch implements RegistryAuthObserver {
  private refusal: SchemaRegistryError | undefined;
  private timer: NodeJS.Timeout | undefined;
  private resolveGaveUp: (error: RegistryCredentialsRefusedError) => void = () => undefined;
  readonly gaveUp: Promise<RegistryCredentialsRefusedError>;

  constructor(private readonly options: RegistryAuthWatchOptions) {
    this.gaveUp = new Promise((resolve) => {
      this.resolveGaveUp = resolve;
    });
  }

  refused(error: SchemaRegistryError): void {
    this.refusal = error;
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.giveUp();
    }, this.options.giveUpAfterMs);
    // A pending give-up must not keep an otherwise finished process alive.
    this.timer.unref();
  }

  accepted(): void {
    this.refusal = undefined;
    this.clearTimer();
  }

  readiness(): { ok: boolean; reasons: string[] } {
    if (this.refusal === undefined) return { ok: true, reasons: [] };
    return {
      ok: false,
      reasons: [
        `${this.refusal.message} (the worker exits if this lasts ${seconds(this.options.giveUpAfterMs)}${this.setting()})`,
      ],
    };
  }

  stop(): void {
    this.clearTimer();
  }

  private giveUp(): void {
    this.timer = undefined;
    const refusal = this.refusal;
    if (refusal === undefined) return;
    // No `cause`: the message has the refusal already, and log serializers would repeat it.
    this.resolveGaveUp(
      new RegistryCredentialsRefusedError(
        `${refusal.message}; still refused after ${seconds(this.options.giveUpAfterMs)}${this.setting()}: ` +
          'fix the registry credentials and restart',
      ),
    );
  }

  private setting(): string {
    return this.options.setting === undefined ? '' : `, ${this.options.setting}`;
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
