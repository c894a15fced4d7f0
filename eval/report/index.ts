/** The evaluation report: `renderRunReports` and the pieces it is made of, for the CLI and the job runner. */
export { renderRunReports, type RenderOptions, type RenderResult } from './render.js';
export { ReportInputError } from './errors.js';
export { loadRun, readPredictions, itemKey, compareItems, type LoadedRun } from './load-run.js';
export { combineRuns, type Run } from './merge-shards.js';
export { groupRows, type Row } from './rows.js';
export { renderMarkdown } from './markdown.js';
export { renderHtml } from './html.js';
export type { ComparisonReport } from './comparison.js';
export type { ReportProgress, ProgressListener } from './progress.js';
