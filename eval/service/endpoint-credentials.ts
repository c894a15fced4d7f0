/**
 * How an evaluation server's jobs reach secured inference endpoints: the server is configured with the client
 * credentials it uses (a CA to verify the endpoints, a client certificate for mutual TLS, a bearer-token file),
 * like a KServe or Triton deployment mounts a Secret into the pod that calls the model, rather than a client
 * shipping secrets inside the JobSpec. The files are read when the server starts (a bad path stops it, naming the
 * flag and variable) and the credentials live in memory only: job.json records the spec, never a token.
 */
import type { LuabClientOptions } from '../../client/luab-client.js';
import { clientSecurity, type SecurityFlags, type SecurityNames } from '../../client/cli/options.js';

/** The environment variables, shared by `luab serve --eval-endpoint-*` and `luab eval-server --endpoint-*`. */
export const ENDPOINT_CREDENTIALS_ENV: SecurityNames = {
  tlsCa: 'LUAB_EVAL_ENDPOINT_TLS_CA',
  tlsCert: 'LUAB_EVAL_ENDPOINT_TLS_CERT',
  tlsKey: 'LUAB_EVAL_ENDPOINT_TLS_KEY',
  tokenFile: 'LUAB_EVAL_ENDPOINT_TOKEN_FILE',
};

/**
 * Reads the credential files into client options (plaintext and no token when none is given).
 * @param flags the flag names of the command, for messages (each is followed by its variable)
 * @throws InvalidArgumentError naming the flag and variable of a file that cannot be read, or of a certificate without its key
 */
export function readEndpointCredentials(files: SecurityFlags, flags: SecurityNames): LuabClientOptions {
  const names = Object.fromEntries(
    (Object.keys(flags) as (keyof SecurityNames)[]).map((k) => [k, `${flags[k]} (${ENDPOINT_CREDENTIALS_ENV[k]})`]),
  ) as SecurityNames;
  return clientSecurity(files, names);
}
