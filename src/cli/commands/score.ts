import { Command } from 'commander';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { isatty } from 'node:tty';
import { createValidationRules } from '../../contract/customer.js';
import { loadModel } from '../../model/index.js';
import { EXIT_OK, EXIT_SOME_LINES_BAD } from '../exit-codes.js';
import { CliError } from '../fatal-error.js';
import { configWithFlags, modelOverrides, OFFLINE_SECTIONS } from '../options.js';
import { LineWriter } from '../score/line-writer.js';
import { createProgress } from '../score/progress.js';
import { scoreLine } from '../score/score-line.js';

interface ScoreFlags {
  model?: string;
  input?: string;
  output?: string;
  strict?: boolean;
  explain?: boolean;
}

export function scoreCommand(): Command {
  return new Command('score')
    .description(
      'Score JSON lines: one customer object per input line, one JSON prediction per output line, in order. ' +
        'A bad line gets {"line": N, "error": ..., "fields": [...]} in its place and a message on stderr. ' +
        `Exit code ${EXIT_OK} if every line scored, ${EXIT_SOME_LINES_BAD} if some lines were bad, 1 on a fatal error.`,
    )
    .option('--model <dir>', 'model artifact directory (default: config model.dir / MODEL_DIR)')
    .option('--input <file>', 'JSON lines input file ("-" or omitted: stdin)')
    .option('--output <file>', 'output file ("-" or omitted: stdout)')
    .option('--strict', 'reject unknown category values instead of scoring them with a warning')
    .option(
      '--explain',
      'add "explanation" to each scored line: the intercept, the logit and every feature\'s exact contribution to ' +
        'it (coefficient x value, log-odds), largest first, as POST /predict?explain=true',
    )
    .action(async (flags: ScoreFlags) => {
      process.exitCode = await runScore(flags);
    });
}

async function runScore(flags: ScoreFlags): Promise<number> {
  const config = configWithFlags({ model: modelOverrides(flags, flags.strict) }, OFFLINE_SECTIONS);
  const model = await loadModel(config.model.dir);
  const rules = createValidationRules({
    categories: model.meta.categories,
    strictCategories: config.model.strictCategories,
  });

  const fromFile = flags.input !== undefined && flags.input !== '-';
  const totalBytes = fromFile ? await inputSize(flags.input as string) : undefined;
  const input: Readable = fromFile ? createReadStream(flags.input as string) : process.stdin;
  const toFile = flags.output !== undefined && flags.output !== '-';
  const output: Writable = toFile ? await openOutput(flags.output as string) : process.stdout;
  const writer = new LineWriter(output);
  const progress = createProgress({ totalBytes, stderrIsTTY: isatty(2) });
  const lineOptions = { explain: flags.explain === true };

  let lineNumber = 0;
  let bad = 0;
  let bytesRead = 0;
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const text of lines) {
      lineNumber++;
      bytesRead += text.length + 1;
      const outcome = scoreLine(text, lineNumber, rules, model, lineOptions);
      if (!outcome.ok) {
        bad++;
        progress.message(`churn-scorer score: ${outcome.output.message}`);
      }
      await writer.writeLine(JSON.stringify(outcome.output));
      if (writer.error !== undefined) break;
      progress.update(bytesRead, lineNumber);
    }
  } catch (err) {
    throw new CliError(`cannot read ${fromFile ? flags.input : 'stdin'}: ${(err as Error).message}`);
  } finally {
    lines.close();
    progress.stop();
  }
  await writer.end(toFile);
  const writeError = writer.error;
  // A reader that stops early (`| head`) is not a failure of ours; any other write error is.
  if (writeError !== undefined && writeError.code !== 'EPIPE') {
    throw new CliError(`cannot write ${toFile ? flags.output : 'stdout'}: ${writeError.message}`);
  }
  if (bad > 0) {
    process.stderr.write(
      `churn-scorer score: ${lineNumber - bad} of ${lineNumber} lines scored; ${bad} bad (error objects in the output)\n`,
    );
    return EXIT_SOME_LINES_BAD;
  }
  return EXIT_OK;
}

async function inputSize(path: string): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new CliError(`--input ${path} is not a file`);
    return info.size;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(
      `cannot read --input ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    );
  }
}

/** Opens the output before reading anything, so a bad path fails at once rather than after scoring. */
async function openOutput(path: string): Promise<Writable> {
  try {
    const handle = await open(path, 'w');
    return handle.createWriteStream();
  } catch (err) {
    throw new CliError(`cannot write --output ${path}: ${(err as Error).message}`);
  }
}
