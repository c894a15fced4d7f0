/** Option parsers and options shared by the client commands. */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DEFAULT_ADDRESS, type LuabClientOptions } from '../luab-client.js';

export function parseInteger(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}, got "${raw}"`);
    }
    return value;
  };
}

export function parsePositiveNumber(raw: string): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError(`expected a positive number, got "${raw}"`);
  return value;
}

export const addressOption = () =>
  new Option('--address <host:port>', 'server address; a comma-separated list spreads calls round-robin over replicas')
    .env('LUAB_ADDRESS')
    .default(DEFAULT_ADDRESS);

/** Options for a secured server: TLS (CA, client certificate for mutual TLS) and a bearer-token file. */
const securityOptions = () => [
  new Option('--tls-ca <file>', "speak TLS; PEM CA that signed the server's certificate").env('LUAB_CLIENT_TLS_CA'),
  new Option('--tls-cert <file>', 'PEM client certificate, for a server that requires mutual TLS').env(
    'LUAB_CLIENT_TLS_CERT',
  ),
  new Option('--tls-key <file>', 'PEM private key of --tls-cert').env('LUAB_CLIENT_TLS_KEY'),
  new Option('--token-file <file>', 'file whose first line is the bearer token to send').env('LUAB_CLIENT_TOKEN_FILE'),
];

/** `command` with the security options added (commander chains return the command, so this chains too). */
export function withSecurityOptions(command: Command): Command {
  for (const option of securityOptions()) command.addOption(option);
  return command;
}

export interface SecurityFlags {
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tokenFile?: string;
}

function readFlagFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new InvalidArgumentError(
      `${flag}: cannot read "${path}" (${(error as NodeJS.ErrnoException).code ?? error})`,
    );
  }
}

/** How errors name each security setting: the client commands' flags by default. */
export type SecurityNames = Record<keyof SecurityFlags, string>;
const CLIENT_FLAG_NAMES: SecurityNames = {
  tlsCa: '--tls-ca',
  tlsCert: '--tls-cert',
  tlsKey: '--tls-key',
  tokenFile: '--token-file',
};

/**
 * The client options the security flags ask for; throws InvalidArgumentError naming a flag that is wrong.
 * @param names how the messages name each setting (an evaluation server's own flags for its endpoints)
 */
export function clientSecurity(
  flags: SecurityFlags,
  names: SecurityNames = CLIENT_FLAG_NAMES,
): Pick<LuabClientOptions, 'tls' | 'token'> {
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    throw new InvalidArgumentError(`${names.tlsCert} and ${names.tlsKey}: give both or neither`);
  }
  const tls =
    flags.tlsCa !== undefined || flags.tlsCert !== undefined
      ? {
          ca: flags.tlsCa === undefined ? undefined : readFlagFile(flags.tlsCa, names.tlsCa),
          cert: flags.tlsCert === undefined ? undefined : readFlagFile(flags.tlsCert, names.tlsCert),
          key: flags.tlsKey === undefined ? undefined : readFlagFile(flags.tlsKey, names.tlsKey),
        }
      : undefined;
  let token: string | undefined;
  if (flags.tokenFile !== undefined) {
    token = String(readFlagFile(flags.tokenFile, names.tokenFile)).split(/\r?\n/)[0].trim();
    if (token === '')
      throw new InvalidArgumentError(`${names.tokenFile}: "${flags.tokenFile}" has no token on its first line`);
  }
  return { tls, token };
}
