/** The predictor's call context for an HTTP request: no deadline; aborted when the client closes the connection. */
import type { ServerResponse } from 'node:http';
import { cancelled } from '../errors.js';
import type { CallContext } from '../predictor.js';

export function httpCallContext(response: ServerResponse): CallContext {
  const controller = new AbortController();
  response.on('close', () => {
    if (!response.writableFinished) controller.abort(cancelled('request cancelled by the client'));
  });
  return { deadline: Infinity, signal: controller.signal };
}
