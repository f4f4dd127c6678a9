import { ScorerError } from '../errors/scorer-error.js';

/** A model artifact that cannot be used: names the file and, when known, the field (a JSON path). */
export class ModelArtifactError extends ScorerError {
  static override readonly code = 'CHURN_ERR_MODEL_ARTIFACT';
  override readonly name = 'ModelArtifactError';
  readonly file: string;
  readonly field: string | undefined;

  constructor(file: string, field: string | undefined, reason: string, options?: { cause?: unknown }) {
    super(field === undefined ? `${file}: ${reason}` : `${file}: field ${field}: ${reason}`, options);
    this.file = file;
    this.field = field;
  }
}
