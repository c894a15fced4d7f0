/** Promise-based client of luab.v1.Evaluation (what `luab eval --server` uses). */
import { Metadata, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { channelCredentials, LuabError, type LuabClientOptions } from '../../client/luab-client.js';
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
  private readonly token?: string;

  /** `options`: TLS and bearer token for a secured server, as for {@link LuabClient} (plaintext by default). */
  constructor(address: string, options: Pick<LuabClientOptions, 'credentials' | 'tls' | 'token'> = {}) {
    this.client = new GeneratedClient(address, channelCredentials(options));
    this.token = options.token;
  }

  /** The token as call metadata, like LuabClient's (grpc-js sends call credentials over TLS only). */
  private metadata(): Metadata {
    const metadata = new Metadata();
    if (this.token !== undefined) metadata.set('authorization', `Bearer ${this.token}`);
    return metadata;
  }

  private unary<Req, Res>(
    method: (req: Req, md: Metadata, cb: (e: ServiceError | null, r: Res) => void) => unknown,
    request: Req,
  ): Promise<Res> {
    return new Promise((resolve, reject) =>
      method.call(this.client, request, this.metadata(), (error: ServiceError | null, response: Res) =>
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
    const call: ClientReadableStream<JobProgress> = this.client.watchJob({ id }, this.metadata());
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
