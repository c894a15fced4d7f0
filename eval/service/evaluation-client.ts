/** Promise-based client of luab.v1.Evaluation (what `luab eval --server` uses). */
import { credentials, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { LuabError } from '../../client/luab-client.js';
import {
  EvaluationClient as GeneratedClient,
  type Job,
  type JobProgress,
  type JobSpec,
  type ListJobsResponse,
  type Report,
} from '../../proto/generated/luab/v1/evaluation.js';

export class EvaluationClient {
  private readonly client: GeneratedClient;

  constructor(address: string) {
    this.client = new GeneratedClient(address, credentials.createInsecure());
  }

  private unary<Req, Res>(
    method: (req: Req, cb: (e: ServiceError | null, r: Res) => void) => unknown,
    request: Req,
  ): Promise<Res> {
    return new Promise((resolve, reject) =>
      method.call(this.client, request, (error: ServiceError | null, response: Res) =>
        error ? reject(new LuabError(error.code, error.details || error.message)) : resolve(response),
      ),
    );
  }

  startJob(spec: JobSpec): Promise<Job> {
    return this.unary(this.client.startJob, spec);
  }

  getJob(id: string): Promise<Job> {
    return this.unary(this.client.getJob, { id });
  }

  listJobs(): Promise<ListJobsResponse> {
    return this.unary(this.client.listJobs, {});
  }

  cancelJob(id: string): Promise<Job> {
    return this.unary(this.client.cancelJob, { id });
  }

  getReport(id: string): Promise<Report> {
    return this.unary(this.client.getReport, { id });
  }

  /** Progress messages until the job ends (the last one carries its final state). */
  async *watchJob(id: string): AsyncGenerator<JobProgress> {
    const call: ClientReadableStream<JobProgress> = this.client.watchJob({ id });
    try {
      for await (const message of call as AsyncIterable<JobProgress>) yield message;
    } catch (error) {
      const e = error as ServiceError;
      throw new LuabError(e.code, e.details || e.message);
    } finally {
      call.cancel();
    }
  }

  waitForReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.waitForReady(Date.now() + timeoutMs, (error) => (error ? reject(error) : resolve())),
    );
  }

  close(): void {
    this.client.close();
  }
}
