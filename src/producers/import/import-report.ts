// The import report (DESIGN contract: {batchId, accepted, rejected, duplicates, suppressed,
// errors}). Every data row lands in exactly one count: accepted (stored, pending), suppressed
// (stored, on the org's DNC list), duplicates (merged into an earlier row of the same number)
// or rejected (not stored, listed with its line and reason).

/** A million bad rows must not make a million-entry response; the rest are only counted. */
export const MAX_REPORTED_ERRORS = 1000;

export interface RowError {
  line: number;
  reason: string;
}

export interface ImportReport {
  batchId: string;
  accepted: number;
  rejected: number;
  duplicates: number;
  suppressed: number;
  /** The first MAX_REPORTED_ERRORS rejections, in file order. */
  errors: RowError[];
  /** Rejections not listed in `errors` (0 unless the list was capped). */
  errorsOmitted: number;
}

export class ImportTally {
  rows = 0;
  accepted = 0;
  rejected = 0;
  duplicates = 0;
  suppressed = 0;
  readonly errors: RowError[] = [];

  reject(line: number, reason: string): void {
    this.rejected++;
    if (this.errors.length < MAX_REPORTED_ERRORS) this.errors.push({ line, reason });
  }

  toReport(batchId: string): ImportReport {
    return {
      batchId,
      accepted: this.accepted,
      rejected: this.rejected,
      duplicates: this.duplicates,
      suppressed: this.suppressed,
      errors: this.errors,
      errorsOmitted: this.rejected - this.errors.length,
    };
  }
}
