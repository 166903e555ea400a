import { ZapValidationError } from '../core/errors';

/** The value of a JSON option (`--context`, `--data`); text that is not JSON is a `ZapValidationError`. */
export function parseJsonOption(flag: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ZapValidationError({ message: `${flag} must be JSON: ${error instanceof Error ? error.message : String(error)}` });
  }
}

/** The items of a comma-separated option (`--status completed,failed`), blanks dropped. */
export function parseListOption(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
