/** The one error type of the report: a bad or missing input, with the file (or run folder) it concerns. */
export class ReportInputError extends Error {
  constructor(
    /** The run folder or file the problem is in. */
    readonly where: string,
    message: string,
  ) {
    super(`${where}: ${message}`);
    this.name = 'ReportInputError';
  }
}
