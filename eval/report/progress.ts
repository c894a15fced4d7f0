/** How the report tells its caller about long work (reading millions of lines, drawing thumbnails). */
export interface ReportProgress {
  /** What is being done: `merge` (shards' predictions read), `samples` (runs scanned, thumbnails drawn). */
  phase: 'merge' | 'samples';
  done: number;
  total: number;
  /** The file or suite just finished. */
  detail?: string;
}

export type ProgressListener = (event: ReportProgress) => void;
