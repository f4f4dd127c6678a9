import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ChurnModel } from './churn-model.js';
import { MODEL_FILE_NAME, type ModelArtifact } from './model-artifact.js';
import { ModelArtifactError } from './model-artifact-error.js';
import { parseModelArtifact } from './parse-artifact.js';
import { createChurnModel } from './scorer.js';

/** Reads and validates <dir>/model.json. Every failure is a ModelArtifactError naming the file. */
export async function loadModelArtifact(dir: string): Promise<ModelArtifact> {
  const directory = resolve(dir);
  const file = join(directory, MODEL_FILE_NAME);
  const dirStat = await stat(directory).catch(() => undefined);
  if (dirStat === undefined || !dirStat.isDirectory()) {
    throw new ModelArtifactError(file, undefined, `model directory ${directory} does not exist or is not a directory`);
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ModelArtifactError(
      file,
      undefined,
      code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? String(error)})`,
      {
        cause: error,
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelArtifactError(file, undefined, `not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseModelArtifact(json, file);
}

/** Loads the artifact in dir and builds its scorer; fails at start-up rather than scoring wrongly. */
export async function loadModel(dir: string): Promise<ChurnModel> {
  return createChurnModel(await loadModelArtifact(dir));
}
