// A file that cannot become a dataset: the reason, and where in the file (line, column) when known.
import { TarnError } from "../errors";

/** A VALIDATION_ERROR (the job fails at once, no retry) that names the line and column at fault. */
export function badFile(message: string, at: { line?: number; column?: number | string } = {}): TarnError {
  const where = [
    at.line !== undefined ? `line ${at.line}` : null,
    at.column !== undefined ? `column ${at.column}` : null,
  ].filter(Boolean);
  return new TarnError("VALIDATION_ERROR", where.length > 0 ? `${message} (${where.join(", ")})` : message, {
    details: { ...at },
  });
}
